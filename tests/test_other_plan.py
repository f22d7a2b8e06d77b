"""Another plan of the same shape loads, checks and is answered the same way.

The fixture in tests/fixtures/other_plan is an invented two-item plan; nothing in
the code knows Kế hoạch 91, so the same brain answers about it from its own data.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.brain import Brain
from bot.plan.loader import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "tests" / "fixtures" / "other_plan" / "plan.yaml"


@pytest.fixture(scope="module")
def brain() -> Brain:
    return Brain(load_knowledge(PLAN))


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
    soon = brain.answer("sắp đến hạn", today=date(2024, 12, 1))
    assert soon.task_ids == ["1.2"] and "15/12/2024" in soon.plain


def test_item_and_signer_on_another_plan(brain: Brain) -> None:
    item = brain.answer("nhiệm vụ 1.2", today=date(2024, 6, 1))
    assert item.task_ids == ["1.2"] and "Giám sát ca bệnh" in item.plain
    missing = brain.answer("nhiệm vụ 2.1", today=date(2024, 6, 1))
    assert missing.task_ids == [] and "không có" in missing.plain
    signer = brain.answer("ai ký kế hoạch", today=date(2024, 6, 1))
    assert "Trần Văn Thử" in signer.plain
