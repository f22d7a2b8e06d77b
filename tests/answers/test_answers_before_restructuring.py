"""Before the 2025 restructuring (the first event is 01/3/2025) the answers are the 2023
ones: no successor named, nothing inherited, every case of the first case set unchanged."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from case_grading import grade, load_cases, message_of

from bot.brain import Brain
from bot.plan.loader import load_knowledge

ROOT = Path(__file__).resolve().parents[2]
BEFORE = date(2025, 2, 28)
AFTER_WORDS = ("Lâm Đồng", "Tiếp nhận từ", "(nay:", "không còn từ", "tiếp nhận chức năng")


@pytest.fixture(scope="module")
def brain() -> Brain:
    return Brain(load_knowledge(ROOT / "knowledge" / "plan.yaml"))


def test_the_first_case_set_answers_as_in_2023_the_day_before(brain: Brain) -> None:
    cases, general, _ = load_cases(ROOT / "tests" / "cases" / "nlu_cases.yaml")
    changed = []
    for case in cases:
        relative = "rel" in str(case["cat"]).split("-") or "today" in case
        if relative or str(case["cat"]).startswith(("deadline", "status", "update")):
            continue  # answers that depend on the day asked, not on the administration
        reply = brain.answer(message_of(case), today=BEFORE)
        out = reply.to_json()
        if grade(case, out, general) or out["inherited_task_ids"]:
            changed.append((case["q"], grade(case, out, general)))
        if any(word in out["reply"] for word in AFTER_WORDS):
            changed.append((case["q"], out["reply"][:200]))
    assert not changed


@pytest.mark.parametrize(
    "question",
    [
        "Sở Tài chính phải làm gì?",
        "Sở Khoa học và Công nghệ phải làm gì?",
        "Sở Kế hoạch và Đầu tư phải làm gì?",
        "ai chủ trì 4.3",
        "kế hoạch còn hiệu lực không?",
        "UBND huyện Tuy Phong có nhiệm vụ gì",
    ],
)
def test_the_same_questions_name_todays_administration_after(brain: Brain, question: str) -> None:
    before = brain.answer(question, today=BEFORE).plain
    after = brain.answer(question, today=date(2026, 11, 26)).plain
    assert not any(word in before for word in AFTER_WORDS)
    assert any(word in after for word in AFTER_WORDS), after[:300]
