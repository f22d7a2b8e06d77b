"""Every example in intents/vi/<intent>.yaml is understood as its intent, with its slots.

An example is data: `{text: ..., <slot>: <value>}`. Each slot key is checked on the
field of the understanding it names (agency id, item id, role, status, percent,
quarter, relative time, recurring, legal references, search topic or plan_info
topic); keys with no matching field are skipped. Also: the fallback threshold and
the commands that force an intent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.brain import Brain, Understanding
from bot.plan.loader import load_knowledge

ROOT = Path(__file__).resolve().parents[2]
INTENTS_DIR = ROOT / "intents" / "vi"
TODAY = date(2026, 11, 18)


@pytest.fixture(scope="module")
def brain() -> Brain:
    return Brain(load_knowledge(ROOT / "knowledge" / "plan.yaml"))


def _examples() -> list[Any]:
    out: list[Any] = []
    for path in sorted(INTENTS_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict) or "intent" not in data:
            continue
        for i, example in enumerate(data.get("examples") or []):
            out.append(pytest.param(data["intent"], example, id=f"{data['intent']}-{i}"))
    return out


EXAMPLES = _examples()


def test_there_are_examples_for_every_intent() -> None:
    intents = {p.values[0] for p in EXAMPLES}
    assert intents >= {
        "agency_tasks",
        "deadline_tasks",
        "task_detail",
        "search",
        "progress_update",
        "progress_status",
        "plan_info",
        "help",
        "smalltalk",
        "unknown",
    }


# --------------------------------------------------------------------------- slot checks


def _agency(u: Understanding, value: Any, brain: Brain) -> None:
    assert u.agency is not None, "no agency read"
    assert u.agency.agency.id == value


def _item(u: Understanding, value: Any, brain: Brain) -> None:
    refs = [r for r in u.entities.items if r.exists]
    assert refs, "no item read"
    assert refs[0].id == str(value)


def _role(u: Understanding, value: Any, brain: Brain) -> None:
    assert value in u.entities.roles


def _status(u: Understanding, value: Any, brain: Brain) -> None:
    assert u.entities.status == value


def _percent(u: Understanding, value: Any, brain: Brain) -> None:
    assert u.entities.percent == int(value)


def _quarter(u: Understanding, value: Any, brain: Brain) -> None:
    expected = tuple(value) if isinstance(value, list | tuple) else (int(value), None)
    assert u.entities.quarter == expected


def _relative(u: Understanding, value: Any, brain: Brain) -> None:
    assert u.entities.relative == value


def _recurring(u: Understanding, value: Any, brain: Brain) -> None:
    assert u.entities.recurring is bool(value)


def _legal(u: Understanding, value: Any, brain: Brain) -> None:
    wanted = value if isinstance(value, list) else [value]
    assert u.entities.legal == wanted


def _plan_info_evidence(brain: Brain) -> dict[str, list[str]]:
    """What a reply about each plan_info topic must quote from the plan."""
    plan = brain.knowledge.plan
    meta = plan.meta
    directive = plan.legal_refs[meta.implements]
    purposes = next(p for s in plan.sections for p in s.parts if p.id == "I.1").points
    requirements = next(p for s in plan.sections for p in s.parts if p.id == "I.2").points
    return {
        "signer": [meta.signer.name],
        "number": [meta.number],
        "issued": [f"{meta.issued:%d/%m/%Y}"],
        "effective": [f"{meta.effective:%d/%m/%Y}"],
        "issuer": [meta.issuer_name],
        "directive": [directive.number],
        "bases": [plan.legal_refs[b].number for b in meta.bases],
        "recipients": list(meta.recipients),
        "purposes": [" ".join(p.split()) for p in purposes],
        "requirements": [" ".join(p.split()) for p in requirements],
    }


def _topic(u: Understanding, value: Any, brain: Brain) -> None:
    if value is True:
        # a search topic: the plan's text has items about it
        assert u.search.item_ids, "no item matches the topic"
        return
    evidence = _plan_info_evidence(brain).get(str(value))
    if evidence is None:
        return  # a topic this test does not know how to check
    reply = brain.answer(u.text, today=TODAY).plain
    missing = [e for e in evidence if e not in reply]
    assert not missing, f"reply about {value!r} lacks {missing}: {reply!r}"


CHECKS: dict[str, Callable[[Understanding, Any, Brain], None]] = {
    "agency": _agency,
    "item": _item,
    "role": _role,
    "status": _status,
    "percent": _percent,
    "quarter": _quarter,
    "relative": _relative,
    "recurring": _recurring,
    "legal": _legal,
    "topic": _topic,
}


@pytest.mark.parametrize(("intent", "example"), EXAMPLES)
def test_example_is_understood(brain: Brain, intent: str, example: dict[str, Any]) -> None:
    text = str(example["text"])
    u = brain.understand(text)
    assert u.intent == intent, f"{text!r} read as {u.intent} ({u.scores.ranked[:3]})"
    for key, value in example.items():
        check = CHECKS.get(key)
        if check is None:
            continue
        try:
            check(u, value, brain)
        except AssertionError as exc:
            raise AssertionError(f"{text!r}: slot {key}={value!r}: {exc}") from exc


@pytest.mark.parametrize(("intent", "example"), EXAMPLES)
def test_example_reply_has_that_intent(brain: Brain, intent: str, example: dict[str, Any]) -> None:
    reply = brain.answer(str(example["text"]), today=TODAY)
    assert reply.intent == intent
    assert reply.plain.strip()


# --------------------------------------------------------------------------- fallback


@pytest.mark.parametrize(
    "text", ["xyz abc", "asdf qwer zxcv", "hôm nay ăn gì", "con mèo", "giá vàng hôm nay"]
)
def test_below_threshold_is_unknown(brain: Brain, text: str) -> None:
    u = brain.understand(text)
    assert u.scores.below_threshold
    assert u.scores.ranked[0][1] < brain.understander.model.threshold or u.scores.best == "unknown"
    assert u.intent == "unknown"
    reply = brain.answer(text, today=TODAY)
    assert reply.intent == "unknown"
    assert reply.task_ids == []
    assert "/help" in reply.plain


def test_threshold_comes_from_the_fallback_file(brain: Brain) -> None:
    data = yaml.safe_load((INTENTS_DIR / "fallback.yaml").read_text(encoding="utf-8"))
    assert brain.understander.model.threshold == float(data["threshold"])
    assert brain.understander.model.margin == float(data["margin"])


# --------------------------------------------------------------------------- commands


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("/coquan SNV", "agency_tasks"),
        ("/han quý 2", "deadline_tasks"),
        ("/han@TroLyBot quý 2", "deadline_tasks"),
        ("/timkiem ODA", "search"),
        ("/nhiemvu 2.4", "task_detail"),
        ("/tiendo 2.4", "progress_status"),
        ("/capnhat 2.4 xong", "progress_update"),
        ("/help", "help"),
    ],
)
def test_command_forces_its_intent(brain: Brain, text: str, intent: str) -> None:
    u = brain.understand(text)
    assert u.intent == intent
    assert u.scores.forced
    reply = brain.answer(text, today=TODAY)
    assert reply.intent == intent
    assert reply.confidence == 1.0


def test_command_wins_over_what_the_words_say(brain: Brain) -> None:
    # without the command this reads as a progress update
    assert brain.understand("2.4 đã xong").intent == "progress_update"
    assert brain.understand("/timkiem 2.4 đã xong").intent == "search"
    assert brain.understand("/nhiemvu 2.4 đã xong").intent == "task_detail"


def test_command_slots_are_read(brain: Brain) -> None:
    u = brain.understand("/coquan SNV")
    assert u.agency is not None and u.agency.agency.id == "snv"
    assert brain.understand("/han quý 2").entities.quarter == (2, None)
    u = brain.understand("/capnhat 2.4 xong")
    assert [r.id for r in u.entities.items] == ["2.4"]
    assert u.entities.status == "done"
