"""Understanding one message: normalise it (Telex/VNI typed with the keyboard off, typos),
extract entities and agencies, search topics, and score the intents of `intents/`.

`Understander.understand` turns text into an `Understanding`, which the answers read;
it knows nothing of how the answer is shaped or sent. What it reads depends on the text
and the loaded plan and intents only (not on the day, the asker or the chat), so the
readings of recent texts are kept (`MEMO_SIZE`) and a repeated question is not read
again; an `Understanding` is frozen and shared, and readers never change it.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.text import clean, fold, looks_like_telex, looks_like_vni, untelex, unvni
from bot.nlu.classifier import IntentModel, IntentScores
from bot.nlu.entities import Entities, EntityExtractor
from bot.nlu.intent_registry import FALLBACK_INTENT, INTENTS_DIR, load_intents
from bot.nlu.lexicon import Lexicon, PhraseIndex, SpellFixer, exact_tokens, phrase_tokens
from bot.nlu.query import QueryCues, read_cues
from bot.nlu.topics import SearchResult, TopicSearch
from bot.plan.agencies import ASSIGNABLE, AgencyMatch, AgencyRegistry, alias_tokens
from bot.plan.loader import Knowledge

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
TOPIC_FULL_SCORE = 6.0
CHATTER = "chatter"  # the slot of a message that is small talk only
MAX_INPUT = 2000  # characters read of one message; the rest is ignored
MEMO_SIZE = 1024  # readings of recent texts kept (a repeated question is read once)
_COMMAND = re.compile(r"^/([a-z_]+)(?:@[a-z0-9_]+)?\s*(.*)$")


@dataclass(frozen=True)
class Understanding:
    """What the brain read in a message (shared between readers of the same text: never
    changed; `dataclasses.replace` makes a changed copy)."""

    text: str  # cleaned original text (for notes and echoes)
    folded: str
    tokens: list[str]
    entities: Entities
    agencies: list[AgencyMatch]
    agency: AgencyMatch | None
    search: SearchResult
    scores: IntentScores
    intent: str
    command_arg: str = ""
    features: dict[str, float] = field(default_factory=dict)
    # an agency-like name the registry does not know ("Sở Ngoại vụ"), when no agency is named
    unknown_agency: str | None = None
    # the note, if this is a progress update: the text after the item number, no percent
    note: str = ""
    # what the words say of the plan query: agencies asked about and how joined, what is asked
    cues: QueryCues = field(default_factory=QueryCues)


class Understander:
    """Reads messages about one plan (its agencies, items and vocabulary)."""

    def __init__(
        self,
        knowledge: Knowledge,
        intents_dir: Path | None = None,
        registry: AgencyRegistry | None = None,
    ):
        self.folder = folder = intents_dir or INTENTS_DIR
        self.intents = catalog = load_intents(folder)
        self.lexicon = Lexicon(catalog.lists)
        self.model = IntentModel(folder, catalog)
        self.registry = registry or AgencyRegistry(knowledge.agencies)
        self.extractor = EntityExtractor(knowledge.plan, self.lexicon)
        vocabulary_file = knowledge.plan_path.with_name("vocabulary.yaml")
        if not vocabulary_file.exists():
            vocabulary_file = PROJECT_ROOT / "knowledge" / "vocabulary.yaml"
        self.search = TopicSearch(
            knowledge.plan,
            vocabulary_file,
            self.lexicon.stop_words,
            {a.id: a.name for a in knowledge.agencies.values() if a.kind in ASSIGNABLE},
        )
        vocab = self.lexicon.words() | self.model.vocabulary() | self.search.words
        for agency in knowledge.agencies.values():
            for name in (agency.name, *agency.aliases):
                vocab |= set(phrase_tokens(name))
        self.spell = SpellFixer({w for w in vocab if "_" not in w})
        # small talk: the cues of the intents weighing the `chatter` slot
        # (intents/vi/smalltalk.yaml); "cảm ơn", "chào", "ok"
        chatty = {name for name, spec in self.model.specs.items() if _weighs(spec.slots, CHATTER)}
        self._chatter_cues = PhraseIndex(
            [label for name in chatty for label in self.model.specs[name].cue_weights]
        )
        # words that ask *how* (cues of other intents) are not topics to search for;
        # small talk's words ("hữu ích", "hay quá") may be the plan's words
        self._non_topic = frozenset(
            w
            for name, spec in self.model.specs.items()
            if name not in ("search", FALLBACK_INTENT) and name not in chatty
            for w in spec.cues.words
        ) | frozenset(
            w
            for index in (
                self.lexicon.relative,
                self.lexicon.recurring,
                self.lexicon.no_deadline,
                self.lexicon.event_deadline,
                self.lexicon.question_endings,
                self.lexicon.skip,
            )
            for w in index.words
        )
        meta = knowledge.plan.meta
        self._basis = {meta.implements, *meta.bases}
        self._memo: OrderedDict[str, Understanding] = OrderedDict()

    def understand(self, message: str) -> Understanding:
        """The reading of `message` (the one kept for the same text, when there is one)."""
        memo = self._memo
        found = memo.get(message)
        if found is not None:
            memo.move_to_end(message)
            return found
        found = memo[message] = self._read(message)
        if len(memo) > MEMO_SIZE:
            memo.popitem(last=False)
        return found

    def _read(self, message: str) -> Understanding:
        text = clean(message[: MAX_INPUT * 2])[:MAX_INPUT]
        if looks_like_telex(text):
            text = untelex(text)
        elif looks_like_vni(text):
            text = unvni(text)
        folded = fold(text)
        command_arg = ""
        cmd = _COMMAND.match(folded)
        if cmd:
            command_arg = text[len(text) - len(cmd.group(2)) :] if cmd.group(2) else ""
        tokens = self.spell.fix_all(self.lexicon.expand(list(phrase_tokens(folded))))
        entities = self.extractor.extract(folded, tokens, exact_tokens(text))
        agency_tokens = list(alias_tokens(text))
        agencies = self.registry.find(agency_tokens)
        if not any(m.agency.kind in ASSIGNABLE for m in agencies):
            agencies = self.registry.find_cased(text) + agencies
        agency = self.registry.pick(agencies)
        named = {t for m in agencies if m.agency.kind in ASSIGNABLE for t in m.surface.split()}
        only_chatter, chatter_at = self._chatter(tokens)
        result = self.search.search(
            [t for i, t in enumerate(tokens) if t not in named and i not in chatter_at],
            self._non_topic,
        )
        features = self._features(entities, agency, result, tokens)
        features["basis"] = 1.0 if set(entities.legal) & self._basis else 0.0
        features[CHATTER] = 1.0 if only_chatter else 0.0
        unknown_agency = None if features["agency"] else self.lexicon.agency_names.find(text)
        if unknown_agency:
            features["agency_like"] = 1.0
        forced = self.model.command_intent(entities.command)
        scores = self.model.score(features, tokens)
        if forced:
            scores.forced = True
            intent = forced
        elif scores.below_threshold:
            intent = FALLBACK_INTENT
        else:
            intent = scores.best
        return Understanding(
            text=text,
            folded=folded,
            tokens=tokens,
            entities=entities,
            agencies=agencies,
            agency=agency,
            search=result,
            scores=scores,
            intent=intent,
            command_arg=command_arg,
            features=features,
            unknown_agency=unknown_agency,
            note=self.lexicon.update_note(text),
            cues=read_cues(self.lexicon, tokens, agency_tokens, agencies, entities),
        )

    def _chatter(self, tokens: list[str]) -> tuple[bool, set[int]]:
        """Whether the message is small talk and nothing else (small-talk cues with only
        the fillers of lists.yaml around them: "cảm ơn anh nhiều nhé", "ok bot"), and
        where its small-talk cues are, not words of a topic ("tks, ODA" is about ODA);
        a one-word cue that is also a word of the plan ("ờ" is "ở" folded) stays one."""
        cues: set[int] = set()
        found = False
        only = True
        i = 0
        while i < len(tokens):
            hit = self._chatter_cues.match_at(tokens, i)
            if hit is not None:
                found = True
                if hit[0] - i > 1 or tokens[i] not in self.search.words:
                    cues.update(range(i, hit[0]))
            else:
                hit = self.lexicon.chatter_fillers.match_at(tokens, i)
                if hit is None:
                    only = False  # a word that is neither: the message says more
                    hit = (i + 1, "")
            i = hit[0]
        return only and found, cues

    @staticmethod
    def _features(
        ent: Entities, agency: AgencyMatch | None, result: SearchResult, tokens: list[str]
    ) -> dict[str, float]:
        """Each slot's strength in the message (0..1), by the names of `bot.nlu.slots.SLOTS`."""
        topic = 0.0
        if result.hits:
            # a topic counts fully when most words are the plan's and the best item
            # matches them strongly (BM25 score), not through one common word
            strength = min(1.0, result.hits[0][1] / TOPIC_FULL_SCORE)
            topic = (
                result.coverage if result.coverage >= 0.5 else result.coverage * 0.4
            ) * strength
        assignable = agency is not None and agency.agency.kind in ASSIGNABLE
        return {
            "item": 1.0 if ent.items else 0.0,
            "agency": 1.0 if assignable else (0.4 if agency else 0.0),
            "role": 1.0 if ent.roles else 0.0,
            "quarter": 1.0 if ent.quarter else 0.0,
            "date": 1.0 if ent.dates else 0.0,
            "month": 1.0 if ent.month else 0.0,
            "relative": 1.0 if ent.relative else 0.0,
            "recurring": 1.0 if ent.recurring else 0.0,
            "undated": 1.0 if ent.no_deadline else 0.0,
            "window_days": 1.0 if ent.window_days else 0.0,
            "event_deadline": 1.0 if ent.event_deadline else 0.0,
            "yearly": 1.0 if ent.yearly else 0.0,
            "deadline": 1.0 if ent.has_deadline else 0.0,
            "status": 1.0 if ent.status else 0.0,
            "percent": 1.0 if ent.percent is not None else 0.0,
            "legal": 1.0 if ent.legal else 0.0,
            "question": 1.0 if ent.question else 0.0,
            "topic": topic,
        }


def _weighs(slots: dict[str, float], slot: str) -> bool:
    """True when an intent's slot weights name `slot` (or `no_<slot>`)."""
    return slot in slots or f"no_{slot}" in slots
