"""The NLU case sets (tests/cases, tests/holdout, the shared sample) through the brain.

Each case is one message an official might send and what a right answer holds
(see shared/eval/README.md), or a conversation (`turns`) graded on its last answer: its
messages go through the brain in one chat of their own, as `ask --json --conversation`
sends them. Every case must pass; a failure prints what came back.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from case_grading import grade, load_cases, message_of

from bot.brain import Brain
from bot.conversation import InMemoryConversationStore
from bot.core.clock import FixedClock
from bot.plan.loader import load_knowledge

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT.parent / "shared" / "eval" / "sample.yaml"
CASE_FILES = [
    *sorted((ROOT / "tests").glob("cases/*.yaml")),
    *sorted((ROOT / "tests").glob("holdout/*.yaml")),
    *([SAMPLE] if SAMPLE.exists() else []),
]


@pytest.fixture(scope="module")
def brain() -> Brain:
    store = InMemoryConversationStore(FixedClock(date(2026, 11, 26)))
    return Brain(load_knowledge(ROOT / "knowledge" / "plan.yaml"), conversations=store)


# Kinds of shared-sample case that open issues build: each is expected to fail until
# its issue lands (strict: one that starts passing fails here, so the mark comes off).
PENDING: dict[str, str] = {}


def _params() -> list[object]:
    out: list[object] = []
    for path in CASE_FILES:
        cases, general, today = load_cases(path)
        for i, case in enumerate(cases):
            # a case known to fail carries `xfail: reason` (strict: it must still fail)
            pending = PENDING.get(str(case.get("cat"))) or case.get("xfail")
            marks = [pytest.mark.xfail(strict=True, reason=pending)] if pending else []
            out.append(
                pytest.param(
                    case, general, case.get("today", today), id=f"{path.stem}-{i}", marks=marks
                )
            )
    return out


@pytest.mark.parametrize(("case", "general", "today"), _params())
def test_case(
    brain: Brain, case: dict, general: list[str], today: str, request: pytest.FixtureRequest
) -> None:
    day = date.fromisoformat(today)
    if "turns" in case:  # a conversation in a chat of its own, graded on its last answer
        chat = f"case-{request.node.callspec.id}"
        assert brain.conversations is not None
        brain.conversations.store.drop(chat)
        for turn in case["turns"]:
            reply = brain.answer(message_of({**case, "q": turn}), today=day, chat=chat)
        asked = " / ".join(case["turns"])
    else:
        reply = brain.answer(message_of(case), today=day)
        asked = case["q"]
    out = reply.to_json()
    why = grade(case, out, general)
    assert not why, f"{asked!r}: {'; '.join(why)}\n got: {out}"


def test_case_set_is_large_and_varied() -> None:
    cases, _, _ = load_cases(ROOT / "tests" / "cases" / "nlu_cases.yaml")
    assert len(cases) >= 300
    ascii_only = [c for c in cases if str(c["q"]).isascii()]
    assert len(ascii_only) / len(cases) >= 0.30
    cats = {str(c["cat"]).split("-")[0] for c in cases}
    assert {"agency", "role", "deadline", "task", "search", "plan", "update", "status"} <= cats
    assert {"help", "unknown"} <= cats


def test_conversation_cases_are_many_and_varied() -> None:
    cases, _, _ = load_cases(ROOT / "tests" / "cases" / "conversation_cases.yaml")
    assert len(cases) >= 110 and all("turns" in c for c in cases)
    groups = {str(c["cat"]).split("-")[0] for c in cases}
    assert {"convagency", "convitem", "convplace", "convswap", "convreset"} <= groups
    follow_ups = [str(c["turns"][-1]) for c in cases]
    assert sum(t.isascii() for t in follow_ups) >= 10  # typed without diacritics
    assert any(len(c["turns"]) >= 3 for c in cases)
