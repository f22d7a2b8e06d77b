"""Which plan a message names, when a bot serves several: «kế hoạch 91», «KH 12/KH-UBND»,
«91: 2.4», «kế hoạch chuyển đổi số».

`PlanMentions.find` returns the plan's short key and the message with the mention taken
out, so the plan's own brain reads the rest as it always did («Kế hoạch 58 Sở Nội vụ
làm gì?» → «58», «Sở Nội vụ làm gì?»). A plan is named by its number (with or without
«kế hoạch», «KH», «số»), by an item id qualified with it («58: 1.2»), or by «kế hoạch»
followed by words of its title (at least two in a row, or one rare word of its own).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.core.text import fold
from bot.plan.library import Library, plan_key

# the genre's words before a plan's number or title (folded)
_KINDS = r"(?:ke hoach|khoach|kh|chuong trinh|ctr|de an|van ban)"
_NUMBER = re.compile(
    rf"(?<![\w/]){_KINDS}\s*(?:so\s*)?(\d{{1,4}})(?:\s*/\s*[a-z][a-z0-9\-&]*)?(?![\w/])"
)
_FULL_NUMBER = re.compile(
    r"(?<![\w/])(\d{1,4})\s*/\s*(?:kh|ctr|ctht|da|kh-ubnd)[a-z0-9\-&]*(?![\w/])"
)
_QUALIFIED_ITEM = re.compile(
    r"(?<![\w./])(\d{1,4})\s*[:#]\s*(?=(?:\d+(?:\.\d+)?[a-z]?|[ivx]{1,5}\.\d+)\b)"
)
_ITEM_WORD = re.compile(r"(?:muc|nhiem vu|viec|nv|so)$")
_TITLED = re.compile(rf"(?<!\w){_KINDS}\s+(?:ve\s+)?((?:[a-z0-9]+\s*){{1,6}})")
# words of any plan's title that name none in particular
_COMMON_WORDS = (
    "ke hoach ve cua va cac tren dia ban tinh nam giai doan thuc hien trien khai tang cuong"
    " nang cao hieu qua cong tac trong tinh hinh moi den dinh huong so chi thi nghi quyet"
    " quyet dinh ubnd uy ban nhan dan nay do kia nao"
)
_COMMON = frozenset(_COMMON_WORDS.split())


@dataclass(frozen=True)
class PlanMention:
    key: str  # the plan's short key («91»)
    rest: str  # the message without the mention


_BEFORE = re.compile(r"(?:trong|theo|cua|thuoc|o|tai|ve|cho)\s+$")
_AFTER = re.compile(r"^\s*(?:thi|,)")


def _blank(text: str, folded: str, start: int, end: int) -> str:
    """`text` without [start, end) and the little words that tied the mention to it
    («trong KH 91», «theo kế hoạch 91 thì»), found on `folded` (as long as `text`)."""
    before = _BEFORE.search(folded[:start])
    if before is not None:
        start = before.start()
    after = _AFTER.match(folded[end:])
    if after is not None:
        end += after.end()
    rest = re.sub(r"\s{2,}", " ", text[:start] + " " + text[end:]).strip(" ,;:-")
    return re.sub(r"\s+([?.!])", r"\1", rest)


class PlanMentions:
    """Finds the plan a message names among a library's plans."""

    def __init__(self, library: Library):
        self.keys = {plan_key(k.plan.meta.number) for k in library}
        self._titles: dict[str, list[str]] = {}
        for knowledge in library:
            meta = knowledge.plan.meta
            words = fold(f"{meta.short_title or ''} {meta.title}").split()
            self._titles[plan_key(meta.number)] = words
        counts: dict[str, int] = {}
        for words in self._titles.values():
            for word in set(words):
                counts[word] = counts.get(word, 0) + 1
        # a title word no other plan has, not a word of every plan and not a number (a year)
        self._own = {
            key: {
                w
                for w in words
                if counts[w] == 1 and w not in _COMMON and len(w) > 2 and not w.isdigit()
            }
            for key, words in self._titles.items()
        }

    def find(self, text: str) -> PlanMention | None:
        """The plan `text` names, if any, with the text left when the mention is taken
        out (the mention is found on the folded text, whose length is the text's)."""
        text = " ".join(unicodedata.normalize("NFC", text).split())  # as fold spaces it
        folded = fold(text)
        if len(folded) != len(text):  # a letter folding to two: positions would not match
            return None
        for pattern in (_NUMBER, _FULL_NUMBER):
            for m in pattern.finditer(folded):
                if m.group(1) in self.keys:
                    return PlanMention(m.group(1), _blank(text, folded, m.start(), m.end()))
        item = _QUALIFIED_ITEM.search(folded)
        if item and item.group(1) in self.keys:
            # «58: 7 hạn khi nào?» → «mục 7 hạn khi nào?»; «/capnhat 58: 7», «mục 58: 7» keep
            # the words that already make the number an item's
            before = folded[: item.start()].strip()
            named = before.startswith("/") or _ITEM_WORD.search(before) is not None
            rest = text[: item.start()] + ("" if named else "mục ") + text[item.end() :]
            return PlanMention(item.group(1), " ".join(rest.split()))
        for m in _TITLED.finditer(folded):
            found = self._by_title(m.group(1).split())
            if found is not None:
                key, count = found
                end = m.start(1)
                for _ in range(count):  # the title's words only, not the question after
                    end = folded.index(" ", end) + 1 if " " in folded[end:] else len(folded)
                return PlanMention(key, _blank(text, folded, m.start(), end))
        return None

    def _by_title(self, words: list[str]) -> tuple[str, int] | None:
        """The plan whose title holds the first words after «kế hoạch» (two or more in a
        row, or one word only its title has) and how many of them; None when none or
        several plans do."""
        found: dict[str, int] = {}
        for key, title in self._titles.items():
            joined = f" {' '.join(title)} "
            count = 0
            while count < len(words) and f" {' '.join(words[: count + 1])} " in joined:
                count += 1
            run = count >= 2 and not set(words[:count]) <= _COMMON
            if run or (count >= 1 and words[0] in self._own[key]):
                found[key] = count
        if len(found) != 1:
            return None
        return next(iter(found.items()))
