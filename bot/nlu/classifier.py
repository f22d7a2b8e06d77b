"""Intent scoring from the data in `intents/vi/*.yaml`.

The intents, and their order, are those of `intents/registry.yaml`
(`bot.nlu.intent_registry`, which schema-checks every file). Each intent file gives commands that force it, slot weights (added when an
entity is present, or `no_<slot>` when absent) and cue phrases with weights. A
message's score per intent is bias + slot weights + matched cue weights (capped);
the fallback (`fallback.yaml`) turns a low best score into `unknown` and a close
second into a clarifying question, as Rasa's FallbackClassifier does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.nlu.intent_registry import FALLBACK_INTENT, IntentCatalog, load_intents
from bot.nlu.lexicon import PhraseIndex, phrase_tokens


@dataclass
class IntentSpec:
    name: str
    description: str
    commands: tuple[str, ...]
    bias: float
    slots: dict[str, float]
    cues: PhraseIndex
    cue_weights: dict[str, float]
    examples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class IntentScores:
    ranked: list[tuple[str, float]]
    confidence: float
    ambiguous: bool
    below_threshold: bool
    forced: bool = False

    @property
    def best(self) -> str:
        return self.ranked[0][0]


class IntentModel:
    """Loads intent specs and scores a message's features against them."""

    def __init__(self, folder: Path, catalog: IntentCatalog | None = None):
        self.catalog = catalog = catalog or load_intents(folder)
        self.specs: dict[str, IntentSpec] = {}
        self.threshold = catalog.fallback.threshold
        self.margin = catalog.fallback.margin
        self.max_cue_total = catalog.fallback.max_cue_total
        for name, data in catalog.intents.items():
            cues = data.cues
            keyed = {" ".join(phrase_tokens(k)): k for k in cues}
            self.specs[name] = IntentSpec(
                name=name,
                description=data.description,
                commands=data.commands,
                bias=data.bias,
                slots=dict(data.slots),
                cues=PhraseIndex({label: [label] for label in keyed}),
                cue_weights={label: cues[raw] for label, raw in keyed.items()},
                examples=[dict(e) for e in data.examples],
            )
        self._commands = {c: spec.name for spec in self.specs.values() for c in spec.commands}
        # precomputed for `score`: each intent's slots in file order as (feature, weight,
        # negated) ("no_item" → ("item", w, True)), and the intents having a cue that
        # starts with a given word
        self._slot_terms = {
            name: tuple(
                (slot[3:], weight, True) if slot.startswith("no_") else (slot, weight, False)
                for slot, weight in spec.slots.items()
            )
            for name, spec in self.specs.items()
        }
        self._cue_starts: dict[str, list[IntentSpec]] = {}
        for spec in self.specs.values():
            for word in spec.cues.first_words:
                self._cue_starts.setdefault(word, []).append(spec)

    def command_intent(self, command: str | None) -> str | None:
        return self._commands.get(command or "")

    def vocabulary(self) -> set[str]:
        out: set[str] = set()
        for spec in self.specs.values():
            out |= spec.cues.words
        return out

    def _cue_scores(self, tokens: list[str]) -> dict[str, float]:
        """Capped sum of the distinct cues each intent finds (`spec.cues.find_all`), for
        the intents finding any: all intents' scans done in one pass over the tokens."""
        found: dict[str, list[str]] = {}  # intent → labels, in `find_all` order
        resume: dict[str, int] = {}  # intent → where its scan goes on after a match
        for i, token in enumerate(tokens):
            for spec in self._cue_starts.get(token, ()):
                if i < resume.get(spec.name, 0):
                    continue  # inside this intent's previous match
                hit = spec.cues.match_at(tokens, i)
                if hit is not None:
                    resume[spec.name] = hit[0]
                    found.setdefault(spec.name, []).append(hit[1])
        return {
            name: min(
                sum(self.specs[name].cue_weights[label] for label in set(labels)),
                self.max_cue_total,
            )
            for name, labels in found.items()
        }

    def score(self, features: dict[str, float], tokens: list[str]) -> IntentScores:
        """Score every intent; `features` maps slot names to 0..1 strengths."""
        scores: dict[str, float] = {}
        cue_scores = self._cue_scores(tokens)
        for name, spec in self.specs.items():
            s = spec.bias
            for feature, weight, negated in self._slot_terms[name]:
                if negated:
                    if features.get(feature, 0.0) <= 0:
                        s += weight
                else:
                    s += weight * features.get(feature, 0.0)
            if name in cue_scores:  # an intent without a cue found adds 0
                s += cue_scores[name]
            scores[name] = s
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        best, second = ranked[0][1], ranked[1][1]
        exp = [math.exp(v - best) for _, v in ranked]
        confidence = exp[0] / sum(exp)
        below = best < self.threshold or ranked[0][0] == FALLBACK_INTENT
        ambiguous = not below and (best - second) < self.margin and ranked[1][0] != FALLBACK_INTENT
        return IntentScores(ranked, confidence, ambiguous, below)
