"""The registry of answers: every intent of intents/vi has exactly one answer module that
registers itself (named after the intent), and every registered answer has its intent
file; the clarification wording of each reading fits what it is given.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.answers.context import AnswerContext
from bot.answers.registry import AnswerSpec, load_answers, register
from bot.brain import Brain
from bot.core.reply import Reply
from bot.core.yaml_io import load_yaml_file
from bot.plan.loader import Knowledge
from bot.progress.types import Asker

ROOT = Path(__file__).resolve().parents[2]
INTENTS = ROOT / "intents"
ANSWERS = ROOT / "bot" / "answers"


def intent_files() -> dict[str, Path]:
    """The intent files of intents/vi (those naming an intent; not the shared lists)."""
    found = {}
    for path in sorted((INTENTS / "vi").glob("*.yaml")):
        data = load_yaml_file(path)
        if isinstance(data, dict) and "intent" in data:
            found[str(data["intent"])] = path
    return found


@pytest.fixture(scope="module")
def answers() -> dict[str, AnswerSpec]:
    return load_answers()


def test_every_intent_file_has_an_answer_and_every_answer_its_file(
    answers: dict[str, AnswerSpec],
) -> None:
    files = intent_files()
    assert files, "no intent file found"
    assert set(files) - set(answers) == set(), "intents without an answer module"
    assert set(answers) - set(files) == set(), "answers without an intent file"
    for intent, path in files.items():
        assert path.stem == intent, f"{path.name} names intent {intent!r}"


def test_the_intent_registry_file_names_the_answered_intents(
    answers: dict[str, AnswerSpec],
) -> None:
    registry = INTENTS / "registry.yaml"
    if not registry.exists():
        pytest.skip("no intents/registry.yaml")
    named = set((load_yaml_file(registry) or {}).get("intents") or {})
    assert named == set(answers)


def test_one_module_per_intent_named_after_it(answers: dict[str, AnswerSpec]) -> None:
    for intent, spec in answers.items():
        assert spec.intent == intent
        assert spec.answer.__module__ == f"bot.answers.{intent}", intent  # type: ignore[attr-defined]
        assert (ANSWERS / f"{intent}.py").exists()


def test_the_brain_answers_with_the_registry(knowledge: Knowledge) -> None:
    brain = Brain(knowledge)
    assert set(brain.answerer.answers) == set(load_answers())


def test_clarification_wordings_fit_what_they_are_given(answers: dict[str, AnswerSpec]) -> None:
    for intent, spec in answers.items():
        if intent == "unknown":
            assert spec.reading is None and spec.question is None
            continue
        assert spec.reading, f"{intent}: no wording for «Ý anh/chị là …?»"
        for template in (spec.reading, spec.question):
            if template:
                filled = template.format(item="2.4", agency="Sở Nội vụ")
                assert "{" not in filled and "}" not in filled
        if spec.question and "{agency}" in spec.question:
            assert "{agency}" in spec.reading, intent
        if spec.question and "{item}" in spec.question:
            assert "{item}" in spec.reading, intent


def test_an_intent_has_one_answer() -> None:
    answers = load_answers()
    spec = answers["help"]
    register("help", reading=spec.reading, question=spec.question)(spec.answer)  # same: fine

    def another(ctx: AnswerContext, u: object, today: date, asker: Asker | None) -> Reply:
        return Reply("help", "")

    with pytest.raises(ValueError, match="help"):
        register("help")(another)  # type: ignore[arg-type]
    assert load_answers()["help"].answer is spec.answer


def test_an_answer_module_registers_itself_on_import() -> None:
    # the package is scanned: every module under bot/answers is imported
    load_answers()
    import sys

    for path in ANSWERS.glob("*.py"):
        if path.stem != "__init__":
            assert f"bot.answers.{path.stem}" in sys.modules, path.name
