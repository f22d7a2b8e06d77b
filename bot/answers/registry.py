"""Which function answers which intent.

Each answer module of `bot.answers` registers the intents it answers with `@register`,
together with how the «Ý anh/chị là …?» clarification names that reading and which
question its button asks. `load_answers` imports every module of the package, so adding
an intent is its YAML file under `intents/vi/` plus one module here that registers it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from bot.core.reply import Reply
from bot.progress.types import Asker

if TYPE_CHECKING:
    from bot.answers.context import AnswerContext
    from bot.nlu.understanding import Understanding


class AnswerFn(Protocol):
    """Composes the reply to an understood message of one intent."""

    def __call__(
        self, ctx: AnswerContext, u: Understanding, today: date, asker: Asker | None
    ) -> Reply: ...


@dataclass(frozen=True)
class AnswerSpec:
    """One registered intent: its answer and what a clarification says of it."""

    intent: str
    answer: AnswerFn
    # how «Ý anh/chị là …?» names this reading; may use {item} and {agency}
    reading: str | None = None
    # the question a clarification button asks for this reading, with its diacritics
    # (asked behind the intent's command, so it is answered as this reading)
    question: str | None = None
    # loads what the answer needs once, when the brain is built (fails early)
    prepare: Callable[[AnswerContext], object] | None = None


_ANSWERS: dict[str, AnswerSpec] = {}


def register(
    intent: str,
    *,
    reading: str | None = None,
    question: str | None = None,
    prepare: Callable[[AnswerContext], object] | None = None,
) -> Callable[[AnswerFn], AnswerFn]:
    """Decorator: `fn` answers `intent`."""

    def add(fn: AnswerFn) -> AnswerFn:
        old = _ANSWERS.get(intent)
        if old is not None and _origin(old.answer) != _origin(fn):
            raise ValueError(f"intent {intent!r} đã có câu trả lời: {_origin(old.answer)}")
        _ANSWERS[intent] = AnswerSpec(intent, fn, reading, question, prepare)
        return fn

    return add


def _origin(fn: object) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}"


def load_answers() -> dict[str, AnswerSpec]:
    """Import every module of the answers package (each registers its intents) and
    return the registry: intent name -> its answer."""
    package = importlib.import_module(__name__.rpartition(".")[0])
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return dict(_ANSWERS)
