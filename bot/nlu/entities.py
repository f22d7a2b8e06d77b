"""Entity extraction from folded messages: items, quarters, dates, months,
relative times, roles, statuses, percents, legal references and commands.

Regexes cover the shapes of numbers ("2.4", "II.2.4", "2,4", "30/11", "Q2 2023");
every word list comes from `intents/vi/lists.yaml` and the plan itself. Most messages
have no digit: the patterns that need one are then not run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.text import fold
from bot.nlu.lexicon import Lexicon
from bot.plan.models import Plan

_PERCENT = r"(\d{{1,4}}(?:[.,]\d+)?)\s*(?:%|{words})"  # the words: `percent_words`
_QUARTER = (  # the quarter's number, in digits, roman or words: `quarter_words`
    r"(?<![a-z0-9])(?:quy|qui|q)\s*\.?\s*({numbers})(?![a-z0-9])"
    r"(?:\s*(?:/|-|,|nam)?\s*((?:20)?\d\d)(?!\d))?"
)
_DATE = re.compile(
    r"(?<![\d.,/])(\d{1,2})\s*[/-]\s*(\d{1,2})(?:\s*[/-]\s*(\d{4}|\d{2}))?(?![\d%])"
    r"|(?<![\d.,/])(\d{1,2}|1[3-9]|2\d|3[01])\.(\d{1,2})(?:\.(\d{4})|(?<=(?:1[3-9]|2\d|3[01])\.\d)(?![\d%.,])|(?<=(?:1[3-9]|2\d|3[01])\.\d\d)(?![\d%.,]))"
    r"|ngay\s*(\d{1,2})\s*thang\s*(\d{1,2})(?:\s*nam\s*(\d{4}))?"
)
_MONTH = re.compile(r"thang\s*(\d{1,2})(?!\s*[/-]?\s*\d{1,2}\s*[/-])(?:\s*(?:/|-|nam)\s*(\d{4}))?")
_WINDOW = re.compile(r"(\d{1,3})\s*(ngay|tuan|thang)\s*(?:toi|sau|nua|ke tiep|sap toi)")
_UNIT_WORDS = frozenset({"phong", "bo", "to"})  # "phòng Tổng hợp", "bộ phận", "tổ"
_NEGATIONS = frozenset({"khong", "ko", "chang", "k"})
_STATUS_PRIORITY = ("blocked", "not_started", "done", "in_progress")
_YEAR = re.compile(r"(?:nam\s*)(20\d\d)(?!\d)")
_ROMAN_ITEM = re.compile(
    r"(?<![a-z0-9])(viii|vii|vi|iv|iii|ii|v)\s*[.\-]\s*(\d{1,2})(?:\s*[.,]\s*(\d{1,2}))?(?![\d%])"
)
_DOTTED_ITEM = re.compile(r"(?<![\d/.,])(\d{1,2})\s*[.,]\s*(\d{1,2})(?![\d/%]|[.,]\d|\s*%)")


def _execution_patterns(roman: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """An item of the execution section («phần III mục 2», «tổ chức thực hiện 1») and the
    section itself, for the Roman numeral the plan numbers it with (folded: «iii»)."""
    r = roman.lower()
    item = re.compile(
        rf"(?:phan\s*{r}|to chuc thuc hien)\D{{0,12}}?(?:muc|diem|khoan|nv|nhiem vu)?\s*(\d)(?![\d.,])"
        rf"|(?:muc|diem|khoan)\s*(\d)\s*(?:phan|muc)\s*{r}(?![a-z])"
    )
    section = re.compile(
        rf"(?:phan|muc)\s*{r}(?![a-z0-9]|\s*[.\-]?\s*\d)|to chuc thuc hien(?!\s*(?:muc|diem)?\s*\d)"
    )
    return item, section


_LEADING_NUMBER = re.compile(r"^\s*(?:/\w+\s+)?(\d{1,2})(?![\d.,/%])")
_COMMAND = re.compile(r"^/([a-z_]+)(?:@[a-z0-9_]+)?")
_DIGIT = re.compile(r"\d")  # every item pattern but the execution section's needs one


def _alternation(words: list[str]) -> str:
    """Folded words as a regex alternation, longest first."""
    return "|".join(re.escape(w) for w in sorted(dict.fromkeys(words), key=len, reverse=True))


@dataclass(frozen=True)
class ItemRef:
    id: str
    exists: bool
    group: bool = False  # "mục 2": the whole group


@dataclass
class Entities:
    """What a message names, found in its folded form."""

    items: list[ItemRef] = field(default_factory=list)
    quarter: tuple[int, int | None] | None = None
    dates: list[tuple[int, int, int | None]] = field(default_factory=list)
    month: tuple[int, int | None] | None = None
    year: int | None = None
    relative: str | None = None
    recurring: bool = False
    no_deadline: bool = False
    window_days: int | None = None
    event_deadline: bool = False
    yearly: bool = False
    roles: list[str] = field(default_factory=list)
    roles_not: list[str] = field(default_factory=list)  # "phối hợp chứ không chủ trì"
    status: str | None = None
    status_conflict: bool = False
    percent: int | None = None
    percent_raw: str | None = None
    legal: list[str] = field(default_factory=list)
    command: str | None = None
    question: bool = False

    @property
    def half(self) -> tuple[int, int | None] | None:
        """ "6 tháng đầu năm 2023": (1, 2023); the second half: 2."""
        if self.relative in ("first_half", "second_half"):
            return (1 if self.relative == "first_half" else 2, self.year)
        return None

    @property
    def has_deadline(self) -> bool:
        return bool(
            self.quarter
            or self.dates
            or self.month
            or self.relative
            or self.recurring
            or self.no_deadline
            or self.window_days
            or self.event_deadline
            or self.yearly
        )


def _year(raw: str | None) -> int | None:
    if not raw:
        return None
    value = int(raw)
    return value + 2000 if value < 100 else value


class EntityExtractor:
    """Finds entities in folded text, using the plan's item ids and legal references."""

    def __init__(self, plan: Plan, lexicon: Lexicon):
        self.lexicon = lexicon
        self.item_ids = [item.id for item in plan.items]
        self._known = set(self.item_ids)
        self._execution = plan.execution_section
        self._item_exec, self._section_exec = _execution_patterns(self._execution)
        self._groups = {g.id: [i.id for i in g.items] for g in plan.groups}
        kw = sorted({k for k in lexicon.item_keywords}, key=len, reverse=True)
        self._kw_item = re.compile(
            r"(?<![a-z0-9])(?:" + "|".join(re.escape(k) for k in kw) + r")\s*(?:so\s*)?[:#]?\s*"
            r"(\d{1,2})(?![\d%]|[.,]\d|\s*%|\s*[/-]\s*\d|\s*(?:thang|ngay|nam|quy))"
        )
        self._legal = self._legal_patterns(plan, lexicon.legal_kinds)
        self._percent = re.compile(_PERCENT.format(words=_alternation(lexicon.percent_words)))
        self._quarter = re.compile(
            _QUARTER.format(numbers=_alternation(list(lexicon.quarter_words)))
        )

    @staticmethod
    def _legal_patterns(
        plan: Plan, kinds: dict[str, list[str]]
    ) -> list[tuple[re.Pattern[str], str, str]]:
        """(pattern, key, number) per cited document, its kind written as `legal_kinds`
        says ("nghị định" or "nđ"); every way of writing a reference contains its number's
        digits ("nd 114", "114/2021"), so a message without them is not searched."""
        out = []
        for key, ref in plan.legal_refs.items():
            number = fold(ref.number)
            head = re.match(r"\d+", number)
            if not head:
                continue
            n = head.group(0)
            names = kinds.get(fold(ref.kind)) or [fold(ref.kind)]
            alts = [rf"(?:{'|'.join(names)})\s*(?:so\s*)?0*{int(n)}(?![\d])"]
            rest = number[len(n) :]
            year = re.match(r"/(\d{4})", rest)
            if year:
                alts.append(rf"(?<![\d]){n}\s*/\s*{year.group(1)}")
            suffix = re.match(r"-([a-z]+)", rest)
            if suffix:
                alts.append(rf"(?<![\d]){n}\s*-\s*{suffix.group(1)}")
            out.append((re.compile("|".join(alts)), key, str(int(n))))
        return out

    def extract(
        self, folded: str, tokens: list[str], exact_tokens: list[str] | None = None
    ) -> Entities:
        ent = Entities()
        lex = self.lexicon
        cmd = _COMMAND.match(folded)
        if cmd:
            ent.command = cmd.group(1)
        ent.question = folded.rstrip().endswith("?") or bool(
            tokens and lex.question_endings.ends(tokens)
        )
        digits = _DIGIT.search(folded) is not None
        self._items(folded, ent, digits)
        self._time(folded, tokens, ent, digits)
        for start, _, role in lex.roles.find(tokens):
            before = tokens[max(0, start - 2) : start]
            if before[-1:] and before[-1] in _UNIT_WORDS:  # "phòng Tổng hợp": a unit's name
                continue
            if before[-1:] and before[-1] in _NEGATIONS:  # "chứ không chủ trì"
                ent.roles_not.append(role)
            elif role not in ent.roles:
                ent.roles.append(role)
        self._status(folded, tokens, exact_tokens or [], ent, digits)
        if not ent.items and (ent.status or ent.percent is not None):
            # "6 vướng kinh phí": a bare leading number is an item when it reports progress
            lead = _LEADING_NUMBER.match(folded)
            if lead and lead.group(1) in self._known:
                self._add_item(ent, lead.group(1))
        for pattern, key, number in self._legal:
            if number in folded and pattern.search(folded) and key not in ent.legal:
                ent.legal.append(key)
        return ent

    def _add_item(self, ent: Entities, item_id: str, group: bool = False) -> None:
        if any(r.id == item_id for r in ent.items):
            return
        exists = item_id in self._known or (group and item_id in self._groups)
        ent.items.append(ItemRef(item_id, exists, group and item_id not in self._known))

    def _items(self, folded: str, ent: Entities, digits: bool) -> None:
        text = self._quarter.sub(" ", folded)
        if digits:  # without a digit only "phần III" / "tổ chức thực hiện" can be found
            text = self._numbered_items(_DATE.sub(" ", text), ent)
        section = self._section_exec.search(text)
        if not ent.items and section:
            self._add_item(ent, self._execution, group=True)
        stripped = folded.strip(" ?.!")
        if not ent.items and digits and re.fullmatch(r"(\d{1,2})", stripped):
            self._add_item(ent, stripped, group=True)

    def _numbered_items(self, text: str, ent: Entities) -> str:
        """Items named by number ("III.2", "2.4", "mục 2"); returns `text` without the
        roman-numbered ones."""
        for m in self._item_exec.finditer(text):
            self._add_item(ent, f"{self._execution}.{m.group(1) or m.group(2)}")
        for m in _ROMAN_ITEM.finditer(text):
            roman, a, b = m.group(1).upper(), m.group(2), m.group(3)
            if roman != "II":  # III.1; a section the plan does not have is said so
                self._add_item(ent, f"{roman}.{a}")
            elif b:
                self._add_item(ent, f"{a}.{b}")
            else:
                self._add_item(ent, a, group=True)
        text = _ROMAN_ITEM.sub(" ", text)
        for m in _DOTTED_ITEM.finditer(text):
            if int(m.group(1)) > 12:  # "30.11" is a date, not an item
                continue
            self._add_item(ent, f"{int(m.group(1))}.{int(m.group(2))}")
        for m in self._kw_item.finditer(text):
            start = m.start(1)
            if re.match(r"[.,]\s*\d", text[m.end(1) : m.end(1) + 3]):
                continue
            if any(r for r in ent.items if r.id.startswith(m.group(1) + ".")) and start > 0:
                continue
            self._add_item(ent, str(int(m.group(1))), group=True)
        return text

    def _time(self, folded: str, tokens: list[str], ent: Entities, digits: bool) -> None:
        lex = self.lexicon
        q = self._quarter.search(folded)
        if q:
            ent.quarter = (lex.quarter_words[q.group(1)], _year(q.group(2)))
        if digits:
            self._numbered_time(folded, ent)
        rel = [r for r in lex.relative.find_all(tokens) if r != "none"]
        if rel:
            ent.relative = rel[0]
        ent.recurring = bool(lex.recurring.find_all(tokens))
        ent.no_deadline = bool(lex.no_deadline.find_all(tokens))
        ent.event_deadline = bool(lex.event_deadline.find_all(tokens))
        ent.yearly = bool(lex.yearly_deadline.find_all(tokens))

    @staticmethod
    def _numbered_time(folded: str, ent: Entities) -> None:
        """Dates, month, year and "3 ngày tới" windows: all written with digits."""
        for m in _DATE.finditer(folded):
            g = m.groups()
            if g[0]:
                day, month, year = int(g[0]), int(g[1]), _year(g[2])
            elif g[3]:
                day, month, year = int(g[3]), int(g[4]), _year(g[5])
            else:
                day, month, year = int(g[6]), int(g[7]), _year(g[8])
            if 1 <= day <= 31 and 1 <= month <= 12:
                ent.dates.append((day, month, year))
        if not ent.dates:
            mm = _MONTH.search(folded)
            if mm and 1 <= int(mm.group(1)) <= 12:
                ent.month = (int(mm.group(1)), _year(mm.group(2)))
        y = _YEAR.search(folded)
        if y:
            ent.year = int(y.group(1))
        w = _WINDOW.search(folded)
        if w:
            unit = {"ngay": 1, "tuan": 7, "thang": 30}[w.group(2)]
            ent.window_days = min(int(w.group(1)) * unit, 3660)

    def _status(
        self, folded: str, tokens: list[str], exact_tokens: list[str], ent: Entities, digits: bool
    ) -> None:
        pm = self._percent.search(folded) if digits else None
        if pm:
            ent.percent_raw = pm.group(1)
            try:
                ent.percent = round(float(pm.group(1).replace(",", ".")))
            except ValueError:
                ent.percent = None
        statuses = [s for s in self.lexicon.statuses.find_all(tokens) if s in _STATUS_PRIORITY]
        statuses += self.lexicon.statuses_exact.find_all(exact_tokens)
        if statuses:
            ent.status = min(statuses, key=_STATUS_PRIORITY.index)
        if ent.status is None and ent.percent is not None:
            ent.status = "done" if ent.percent >= 100 else "in_progress"
        if ent.status == "done" and ent.percent is not None and ent.percent < 100:
            # "xong 40%": the bot asks back; the likely reading is "in progress, 40%"
            ent.status_conflict = True
            ent.status = "in_progress"
