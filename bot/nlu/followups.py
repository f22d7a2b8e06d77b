"""Follow-up cues: how a message leans on the conversation so far.

«còn Sở Văn hóa?» opens with a follow-up word, «Sở Tài chính thì sao?» ends with one,
«nó hạn khi nào» points back at the item last talked about, «việc thứ hai» names a
place in the list last shown, «thêm» asks for the rest of a list that was cut. Every
word comes from `intents/vi/conversation.yaml` (schema-checked by
`bot.nlu.intent_registry`); the code keeps only the shape of a place written in digits.

`FollowUpReader.read` finds the cues of an understood message; what they mean for the
conversation (which question is asked again, which item is meant) is decided by
`bot.conversation`. The cues depend on the understanding only; those of the readings the
understander keeps (a repeated text gets the same, frozen `Understanding`) are kept too.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.nlu.intent_registry import ConversationFile, load_conversation_words
from bot.nlu.lexicon import Lexicon, PhraseIndex, phrase_tokens

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding

MAX_PLACE = 50  # «cái thứ 99» is no place in a list the bot shows
MEMO_SIZE = 1024  # cues of recent understandings kept (as `understanding.MEMO_SIZE`)


@dataclass(frozen=True)
class FollowUpCues:
    """What in a message leans on the conversation (all False / None: nothing)."""

    opener: bool = False  # starts with «còn», «thế còn»…
    closer: bool = False  # ends with «thì sao»…
    pointer: bool = False  # «nó», «việc đó»: the item last talked about
    asks_item: bool = False  # asks something of an item («hạn khi nào», «ai chủ trì»)
    asks_progress: bool = False  # asks how far it has got («tiến độ thế nào»)
    general: bool = False  # about everything («tiến độ chung», «những việc nào»)
    more: bool = False  # the whole message asks for the rest of the last list
    ordinal: int | None = None  # a place in the list last shown (1 first, -1 last)
    bare: bool = False  # nothing but an agency, an item or a period, and padding
    keyword_only: bool = False  # nothing but a word naming items («tiến độ»: /tiendo's)
    words: int = 0  # words of the message, padding left out

    @property
    def marked(self) -> bool:
        """Marked as a follow-up by its own words («còn …», «… thì sao»)."""
        return self.opener or self.closer


def _index(phrases: tuple[str, ...]) -> PhraseIndex:
    return PhraseIndex(list(phrases))


class FollowUpReader:
    """Finds follow-up cues in understood messages, from `conversation.yaml`."""

    def __init__(self, words: ConversationFile, lexicon: Lexicon):
        self.lexicon = lexicon
        self.openers = _index(words.openers)
        self.closers = _index(words.closers)
        self.pointers = _index(words.pointers)
        self.item_questions = _index(words.item_questions)
        self.progress = _index(words.progress_questions)
        self.general = _index(words.general_words)
        self.more = {" ".join(phrase_tokens(p)) for p in words.more} - {""}
        self.nouns = _index(words.ordinal_nouns)
        self.prefix = _index(words.ordinal_prefix)
        self.digit_nouns = _index(words.ordinal_digit_nouns)
        self.places = PhraseIndex(
            {str(place): list(phrases) for place, phrases in words.ordinals.items()}
        )
        self.not_before = _index(words.ordinal_not_before)
        self.list_words = _index(words.list_words)
        # the words naming an item («mục», «nhiệm vụ», «tiến độ»), and those less the
        # ones asking something of it («tiến độ 2.4» asks its progress: not a bare item)
        self.keywords = {w for k in lexicon.item_keywords for w in k.split()}
        asking = self.item_questions.words | self.progress.words
        self.item_words = self.keywords - asking
        # by text: the understanding read and its cues (reused for that very object only)
        self._memo: OrderedDict[str, tuple[Understanding, FollowUpCues]] = OrderedDict()

    @classmethod
    def load(cls, folder: Path, lexicon: Lexicon) -> FollowUpReader:
        """The reader of the language folder `folder` (IntentError when its file is bad)."""
        return cls(load_conversation_words(folder), lexicon)

    # ------------------------------------------------------------------ reading

    def _padding(self, tokens: list[str]) -> list[bool]:
        """Which tokens are padding: polite words and question endings («ạ», «nhé», «gì»)."""
        pad = [False] * len(tokens)
        for index in (self.lexicon.skip, self.lexicon.question_endings):
            for start, end, _ in index.find(tokens):
                for i in range(start, end):
                    pad[i] = True
        return pad

    def read(self, u: Understanding) -> FollowUpCues:
        """The follow-up cues of `u`, read on its words as typed (folded, abbreviations
        spelt out) and as the understanding corrected them."""
        memo = self._memo
        found = memo.get(u.text)
        if found is not None and found[0] is u:
            memo.move_to_end(u.text)
            return found[1]
        cues = memo[u.text] = u, self._read(u)
        if len(memo) > MEMO_SIZE:
            memo.popitem(last=False)
        return cues[1]

    def _read(self, u: Understanding) -> FollowUpCues:
        raw = self.lexicon.expand(list(phrase_tokens(u.folded)))
        fixed = u.tokens
        pad = self._padding(raw)
        content = [t for t, p in zip(raw, pad, strict=True) if not p]
        # a message that is all padding («vậy ạ») is read on its words
        core = content or raw

        def found(index: PhraseIndex) -> bool:
            return bool(index.find(raw)) or (fixed != raw and bool(index.find(fixed)))

        start = next((i for i, p in enumerate(pad) if not p), 0)
        opener = self.openers.match_at(raw, start) is not None if raw else False
        if not opener and raw:
            opener = self.openers.match_at(raw, 0) is not None
        end = len(raw)
        while end > 0 and pad[end - 1] and not self.closers.ends(raw[:end]):
            end -= 1
        closer = self.closers.ends(raw[:end]) or self.closers.ends(raw)
        return FollowUpCues(
            opener=opener,
            closer=closer,
            pointer=found(self.pointers),
            asks_item=found(self.item_questions) or bool(u.entities.roles),
            asks_progress=found(self.progress),
            general=found(self.general),
            more=" ".join(core) in self.more or " ".join(raw) in self.more,
            ordinal=self._ordinal(raw, pad, dated=u.entities.has_deadline or bool(u.entities.year)),
            bare=self._bare(u, raw, pad),
            keyword_only=bool(content) and all(t in self.keywords for t in content),
            words=len(content),
        )

    def _ordinal(self, tokens: list[str], pad: list[bool], dated: bool = False) -> int | None:
        """A place in a list: a noun, then an ordinal word («việc thứ hai», «cái cuối»),
        «thứ» and digits («cái thứ 2»), digits and a list word («số 3 trong danh sách»),
        digits after a noun that names no plan item («việc 2», unless the message is
        `dated`: «việc 2 tháng tới»); or a message that is nothing but an ordinal
        («thứ hai», «cuối cùng»)."""
        content = [t for t, p in zip(tokens, pad, strict=True) if not p]
        whole = self.places.match_at(content, 0) if content else None
        if whole is not None and whole[0] == len(content):
            return int(whole[1])
        for i in range(len(tokens)):
            digit_noun = None if dated else self.digit_nouns.match_at(tokens, i)
            if digit_noun is not None:
                j = digit_noun[0]
                if (
                    j < len(tokens)
                    and tokens[j].isdigit()
                    and 0 < int(tokens[j]) <= MAX_PLACE
                    and (j + 1 == len(tokens) or not tokens[j + 1].isdigit())
                ):
                    return int(tokens[j])
            noun = self.nouns.match_at(tokens, i)
            if noun is None:
                continue
            j = noun[0]
            if j >= len(tokens):
                continue
            place = self.places.match_at(tokens, j)
            if place is not None:
                k, label = place
                one_word = k - j == 1
                if one_word and k < len(tokens) and self.not_before.match_at(tokens, k):
                    continue  # «việc đầu tư», «việc cuối năm»
                return int(label)
            prefix = self.prefix.match_at(tokens, j)
            if prefix is not None:
                k = prefix[0]
                if k < len(tokens) and tokens[k].isdigit() and 0 < int(tokens[k]) <= MAX_PLACE:
                    return int(tokens[k])
            if (
                tokens[j].isdigit()
                and j + 1 < len(tokens)
                and self.list_words.match_at(tokens, j + 1) is not None
                and 0 < int(tokens[j]) <= MAX_PLACE
            ):
                return int(tokens[j])
        return None

    def _bare(self, u: Understanding, tokens: list[str], pad: list[bool]) -> bool:
        """The message names an agency, an item or a period and says nothing else
        («Sở Tài chính?», «quý II?», «4.2»): padding, the agency's words, item words and
        numbers (digits, roman) aside, at most one word is left (the period's «quý»)."""
        ent = u.entities
        if not (u.agencies or ent.items or ent.has_deadline or ent.year) or ent.roles:
            return False
        named = {w for m in u.agencies for w in m.surface.split()}
        rest = [
            t
            for t, p in zip(tokens, pad, strict=True)
            if not p and t not in named and t not in self.item_words and not t.isdigit()
        ]
        rest = [t for t in rest if t not in self.lexicon.quarter_words]
        return len(rest) <= 1
