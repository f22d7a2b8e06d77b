"""Another plan of the same shape loads, checks and is answered the same way.

The fixture in tests/fixtures/other_plan is an invented two-item plan; nothing in
the code knows Kế hoạch 91 (its number, its monitoring agency), so the same brain and
doors answer about it from its own data.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.app.terminal_chat import intro
from bot.brain import Brain
from bot.plan.loader import Knowledge, load_knowledge
from bot.telegram.commands import greeting, help_reply
from bot.telegram.handlers import EMPTY_HINT, plan_label
from bot.telegram.progress.views import report_refused

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "tests" / "fixtures" / "other_plan" / "plan.yaml"


@pytest.fixture(scope="module")
def brain() -> Brain:
    return Brain(load_knowledge(PLAN))


@pytest.fixture(scope="module")
def knowledge_91() -> Knowledge:
    return load_knowledge(ROOT / "knowledge" / "plan.yaml")


def test_check_plan_accepts_another_plan() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "check-plan", str(PLAN)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "12/KH-UBND" in done.stdout and "2 mục" in done.stdout


def test_agency_question_on_another_plan(brain: Brain) -> None:
    reply = brain.answer("so y te phai lam gi", today=date(2024, 6, 1))
    assert reply.intent == "agency_tasks"
    assert reply.agency == "Sở Y tế"
    assert {"1.1", "1.2"} <= set(reply.task_ids)


def test_role_and_deadline_on_another_plan(brain: Brain) -> None:
    lead = brain.answer("Sở GD&ĐT chủ trì việc nào", today=date(2024, 6, 1))
    assert lead.task_ids == ["1.1"]
    quarter = brain.answer("việc nào hạn quý 3/2024", today=date(2024, 6, 1))
    assert quarter.intent == "deadline_tasks" and quarter.task_ids == ["1.1"]
    no_year = brain.answer("việc nào hạn quý 3", today=date(2024, 6, 1))  # the plan's year
    assert no_year.task_ids == ["1.1"] and "hạn 30/09/2024" in no_year.plain
    soon = brain.answer("sắp đến hạn", today=date(2024, 12, 1))
    assert soon.task_ids == ["1.2"] and "15/12/2024" in soon.plain


def test_item_and_signer_on_another_plan(brain: Brain) -> None:
    item = brain.answer("nhiệm vụ 1.2", today=date(2024, 6, 1))
    assert item.task_ids == ["1.2"] and "Giám sát ca bệnh" in item.plain
    missing = brain.answer("nhiệm vụ 2.1", today=date(2024, 6, 1))
    assert missing.task_ids == [] and "không có" in missing.plain
    signer = brain.answer("ai ký kế hoạch", today=date(2024, 6, 1))
    assert "Trần Văn Thử" in signer.plain


# --------------------------------------------------------------------------- plan facts


def test_the_code_names_no_plan() -> None:
    """The plan's number and its monitoring agency come from knowledge/, never from code."""
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "bot").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "91/KH-UBND" in line or "vp_ubnd" in line
    ]
    assert found == []


def test_the_doors_name_the_plan_loaded() -> None:
    """/start, /help, the empty-message hint and the terminal chat name this plan, and
    /baocao names its monitoring agency."""
    knowledge = load_knowledge(PLAN)
    assert knowledge.plan.meta.monitoring_agency == "syt"
    texts = {
        "/start": greeting("Lan", in_group=False, username="bot", knowledge=knowledge).html,
        "/start in a group": greeting(
            None, in_group=True, username="bot", knowledge=knowledge
        ).html,
        "/help": help_reply({}, in_group=False, username="bot", knowledge=knowledge).html,
        "empty": EMPTY_HINT.format(plan=plan_label(knowledge)),
        "chat": intro(knowledge),
    }
    for door, text in texts.items():
        assert "Kế hoạch 12/KH-UBND" in text, door
        assert "91/KH-UBND" not in text, door
    assert "Trợ lý Kế hoạch 12/KH-UBND" in texts["/help"]
    assert "Ủy ban nhân dân tỉnh" in texts["/start"]  # the issuer, from the plan
    assert "Sở Y tế" in report_refused(knowledge)
    assert "Văn phòng" not in report_refused(knowledge)


def test_the_shipped_plan_is_named_the_same_way(knowledge_91: Knowledge) -> None:
    start = greeting(None, in_group=False, username=None, knowledge=knowledge_91).html
    assert "Trợ lý Kế hoạch 91/KH-UBND" in start
    assert "Văn phòng Ủy ban nhân dân tỉnh" in report_refused(knowledge_91)
    meta = knowledge_91.plan.meta.model_copy(update={"monitoring_agency": None})
    plan = knowledge_91.plan.model_copy(update={"meta": meta})
    nobody = Knowledge(plan=plan, agencies=knowledge_91.agencies, plan_path=PLAN)
    assert "Chỉ quản trị viên bot mới tải được" in report_refused(nobody)


def test_the_help_answer_names_this_plan(brain: Brain) -> None:
    text = brain.answer("/help", today=date(2024, 6, 1)).plain
    assert "Trợ lý Kế hoạch 12/KH-UBND" in text
    assert "Phòng chống dịch bệnh mùa mưa trong trường học" in text  # its title, from plan.yaml
    assert "12-CT/TW" not in text and "91/KH-UBND" not in text
