"""Word lists from `intents/vi/lists.yaml`, folded and indexed for fast phrase lookup.

Every word the understanding matches comes from there (schema-checked by
`bot.nlu.intent_registry`); the code keeps only the shapes of numbers and dates.

`PhraseIndex` finds labelled phrases in folded tokens, longest match first;
`SpellFixer` maps a mistyped word to the one known word within one edit
(rapidfuzz OSA distance), so "thnah" reads as "thanh" and "phoi hopp" as "phoi hop".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.text import fold
from bot.nlu.agency_names import AgencyNameSpotter
from bot.nlu.intent_registry import ListsFile, load_lists

_TOKEN = re.compile(r"[0-9a-z]+|%")
_EXACT_TOKEN = re.compile(r"\w+")


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """Folded tokens of a phrase ('%' kept as a token)."""
    return tuple(_TOKEN.findall(fold(str(phrase))))


class PhraseIndex:
    """Labelled phrases looked up in token lists; the longest phrase wins at each position."""

    def __init__(self, labelled: dict[str, list[str]] | list[str], default_label: str = "yes"):
        self._phrases: dict[tuple[str, ...], str] = {}
        pairs = (
            [(label, p) for label, phrases in labelled.items() for p in phrases]
            if isinstance(labelled, dict)
            else [(default_label, p) for p in labelled]
        )
        for label, phrase in pairs:
            toks = phrase_tokens(phrase)
            if toks:
                self._phrases.setdefault(toks, label)
        self._index()

    def _index(self) -> None:
        """Lookup tables over `_phrases`: longest length, first words, and for each first
        word the lengths of its phrases, longest first (no other length can match)."""
        self._max = max((len(k) for k in self._phrases), default=1)
        lengths: dict[str, set[int]] = {}
        for k in self._phrases:
            lengths.setdefault(k[0], set()).add(len(k))
        self._lengths = {w: sorted(ns, reverse=True) for w, ns in lengths.items()}
        self._first = set(self._lengths)

    @property
    def words(self) -> set[str]:
        return {t for k in self._phrases for t in k}

    @property
    def first_words(self) -> set[str]:
        """The words a phrase can start with: no match without one of them."""
        return set(self._first)

    def find(self, tokens: list[str]) -> list[tuple[int, int, str]]:
        """(start, end, label) of every non-overlapping match, left to right."""
        if self._first.isdisjoint(tokens):  # most lists match nothing in most messages
            return []
        out = []
        first = self._first
        i = 0
        while i < len(tokens):
            hit = self.match_at(tokens, i) if tokens[i] in first else None
            if hit is None:
                i += 1
            else:
                out.append((i, hit[0], hit[1]))
                i = hit[0]
        return out

    def match_at(self, tokens: list[str], i: int) -> tuple[int, str] | None:
        """(end, label) of the longest phrase starting at token i, or None."""
        for n in self._lengths.get(tokens[i], ()):
            if n <= len(tokens) - i:
                label = self._phrases.get(tuple(tokens[i : i + n]))
                if label is not None:
                    return i + n, label
        return None

    def find_all(self, tokens: list[str]) -> list[str]:
        return [label for _, _, label in self.find(tokens)]

    def ends(self, tokens: list[str]) -> bool:
        """True when the tokens end with one of the phrases."""
        for n in range(min(self._max, len(tokens)), 0, -1):
            if tuple(tokens[-n:]) in self._phrases:
                return True
        return False


def exact_tokens(text: str) -> list[str]:
    """Lower-case words with their diacritics (NFC), for the few words folding would confuse."""
    return _EXACT_TOKEN.findall(unicodedata.normalize("NFC", text).lower())


class ExactPhraseIndex(PhraseIndex):
    """A PhraseIndex over words with diacritics kept (NFC, lower case)."""

    def __init__(self, labelled: dict[str, list[str]]):
        super().__init__({})
        for label, phrases in labelled.items():
            for phrase in phrases:
                toks = tuple(exact_tokens(str(phrase)))
                if toks:
                    self._phrases.setdefault(toks, label)
        self._index()


_COMMAND = re.compile(r"^/\w+(@\w+)?\s*")
_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")


def _labelled(lists: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    return {label: list(phrases) for label, phrases in lists.items()}


def _alternatives(phrases: Iterable[str]) -> str:
    """A regex alternation of phrases as written (NFC) and folded, longest first."""
    forms = [f for p in phrases for f in (unicodedata.normalize("NFC", p), fold(p))]
    ordered = sorted(dict.fromkeys(forms), key=len, reverse=True)
    return "|".join(re.escape(p) for p in ordered)


def _note_patterns(data: ListsFile) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """What `Lexicon.update_note` takes off an update (`update_note` of lists.yaml): the
    words before the item number with the number, and each percent with the word before."""
    words = data.update_note
    head = re.compile(
        rf"^(?:(?:{_alternatives(words.report)})\s*(?:{_alternatives(words.progress)})?\s*)?"
        rf"(?:(?:{_alternatives(words.item)})\s*(?:(?:{_alternatives(words.number)})\s*)?)?"
        r"(?:[IVX]{1,4}\.)?\d{1,2}(?:[.,]\d{1,2})?\s*[:\-–,]?\s*",
        re.IGNORECASE,
    )
    percent = _alternatives(data.percent_words)
    tail = re.compile(
        rf"(?:{_alternatives(words.reached)})?\s*\d{{1,4}}(?:[.,]\d+)?\s*(?:%|{percent})"
    )
    return head, tail


class Lexicon:
    """All lexicons of `lists.yaml`."""

    def __init__(self, lists: ListsFile | dict[str, Any]):
        data = lists if isinstance(lists, ListsFile) else ListsFile.model_validate(lists)
        self.skip = PhraseIndex(list(data.skip_phrases))
        self.chatter_fillers = PhraseIndex(list(data.chatter_fillers))
        self.question_endings = PhraseIndex(list(data.question_endings))
        self.statuses = PhraseIndex(_labelled(data.statuses))
        self.roles = PhraseIndex(_labelled(data.roles))
        self.statuses_exact = ExactPhraseIndex(_labelled(data.statuses_exact))
        self.relative = PhraseIndex(_labelled(data.relative))
        self.recurring = PhraseIndex(list(data.recurring))
        self.no_deadline = PhraseIndex(list(data.no_deadline))
        self.abbreviations = {
            fold(str(k)): list(phrase_tokens(str(v))) for k, v in data.abbreviations.items()
        }
        self.event_deadline = PhraseIndex(list(data.event_deadline))
        self.yearly_deadline = PhraseIndex(list(data.yearly_deadline))
        self.quarter_words = {fold(str(k)): int(v) for k, v in data.quarter_words.items()}
        self.percent_words = [" ".join(phrase_tokens(w)) for w in data.percent_words]
        self.item_keywords = [" ".join(phrase_tokens(k)) for k in data.item_keywords]
        self.stop_words = {fold(str(w)) for w in data.stop_words}
        self.legal_kinds = {
            fold(kind): [fold(name) for name in names] for kind, names in data.legal_kinds.items()
        }
        self.agency_names = AgencyNameSpotter(data.agency_name.heads, data.agency_name.stop_words)
        self.all_agencies = frozenset(fold(w) for w in data.all_agencies)
        self.asks = PhraseIndex(_labelled(data.asks))
        self.yes_no_endings = PhraseIndex(list(data.yes_no_endings))
        self.joins = PhraseIndex(_labelled(data.joins))
        self.self_intro = PhraseIndex(list(data.self_intro))
        self.progress_words = PhraseIndex(_labelled(data.progress_words))
        self._note_head, self._note_percent = _note_patterns(data)

    def update_note(self, text: str) -> str:
        """The note of a progress update: `text` without its command, the words before
        the item number and the number ("cập nhật nhiệm vụ 2.4:"), and its percents
        ("đạt 60%"); spaces collapsed, edge punctuation stripped."""
        note = _COMMAND.sub("", text)
        if _DIGIT.search(note):  # both patterns need a digit; most messages have none
            note = self._note_head.sub("", note)
            note = self._note_percent.sub(" ", note)
        return _SPACES.sub(" ", note).strip(" :-–,.;")

    def expand(self, tokens: list[str]) -> list[str]:
        """Spell out chat abbreviations ("đc" → "được", "bn" → "bao nhiêu")."""
        out: list[str] = []
        for tok in tokens:
            out.extend(self.abbreviations.get(tok, [tok]))
        return out

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        return cls(load_lists(path))

    def words(self) -> set[str]:
        out: set[str] = set()
        for index in (
            self.skip,
            self.chatter_fillers,
            self.question_endings,
            self.statuses,
            self.roles,
            self.relative,
            self.recurring,
            self.no_deadline,
            self.event_deadline,
            self.yearly_deadline,
        ):
            out |= index.words
        for k in self.item_keywords:
            out |= set(k.split())
        return out


class SpellFixer:
    """Corrects unknown words of four letters or more to a unique known word one edit away."""

    def __init__(self, vocabulary: set[str]):
        self.vocabulary = vocabulary
        self._choices = sorted(w for w in vocabulary if len(w) >= 3 and w.isalpha())
        self.fix = lru_cache(maxsize=20000)(self._fix)

    def _fix(self, word: str) -> str:
        if word in self.vocabulary or len(word) < 4 or not word.isalpha():
            return word
        found = process.extract(word, self._choices, scorer=OSA.distance, score_cutoff=1, limit=3)
        if not found:
            return word
        best = [w for w, d, _ in found if d == found[0][1]]
        if len(best) == 1:
            return best[0]
        # several words one edit away: keep the one with the same first letter and length
        same = [w for w in best if w[0] == word[0] and len(w) == len(word)]
        return same[0] if len(same) == 1 else word

    def fix_all(self, tokens: list[str]) -> list[str]:
        return [self.fix(t) for t in tokens]
