"""From an understood message to a plan query (`bot.plan.query.PlanQuery`).

`read_cues` runs inside the understanding: which agencies the question is about (not the
sender's own unit named in passing: «em ở Sở Nội vụ, cho hỏi Sở Tài chính …»), how they are
joined («và/cùng» all of them, «hoặc» any, «A phối hợp với B»), what is asked (who, when,
how many, which role, yes or no; else the items). `plan_query` adds what depends on the
day asked (the deadline filter, relative to today) and gives the engine its query. Every
word comes from `intents/vi/lists.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.nlu.entities import Entities
from bot.nlu.lexicon import Lexicon
from bot.plan.agencies import ASSIGNABLE, AgencyMatch
from bot.plan.deadlines import Deadline, quarter_end
from bot.plan.query import Asked, DeadlineFilter, Join, PlanQuery

if TYPE_CHECKING:
    from bot.nlu.understanding import Understanding

UPCOMING_DAYS = 30
ROMAN_QUARTER = {1: "I", 2: "II", 3: "III", 4: "IV"}
LIST_ROLES = ("chu_tri", "phoi_hop", "tham_muu", "chi_dao", "tong_hop")
_NOT_YES_NO = frozenset({"sao", "ai"})  # "có việc gì không": a list question
_ALTERNATIVE = frozenset({"hay", "hoac"})
_OBJECT_ROLES = frozenset(
    {"phoi_hop", "chi_dao", "tham_muu"}
)  # roles taking an agency object  # "chủ trì hay phối hợp"


@dataclass(frozen=True)
class QueryCues:
    """What the words of a message say about the query, before the day is known."""

    agencies: tuple[str, ...] = ()  # the agencies asked about, in order (assignable only)
    own: str | None = None  # the sender's own unit, named in passing
    join: Join = "any"
    partner: str | None = None  # "A phối hợp với B"
    asked: Asked = "items"
    yes_no: bool = False
    role_choice: bool = False  # "chủ trì hay phối hợp": the role is what is asked
    # "Sở Nội vụ chủ trì và Sở Tài chính phối hợp": each agency's own role
    agency_roles: tuple[tuple[str, str], ...] = ()
    not_reported: bool = False  # "chưa báo cáo", "chưa cập nhật"
    negated_status: bool = False  # "chưa hoàn thành", "chưa xong"
    any_state: bool = False  # "đã báo cáo chưa?": every state


def read_cues(
    lexicon: Lexicon,
    tokens: list[str],
    agency_tokens: list[str],
    matches: list[AgencyMatch],
    entities: Entities,
) -> QueryCues:
    """The query cues of a message: its folded tokens, the tokens agencies were found in
    (`alias_tokens`) and the agencies found there."""
    named = [m for m in matches if m.agency.kind in ASSIGNABLE]
    named.sort(key=lambda m: m.start)
    ids = list(dict.fromkeys(m.agency.id for m in named))
    own = _own_unit(lexicon, agency_tokens, named) if len(ids) > 1 else None
    if own:
        ids.remove(own)
        named = [m for m in named if m.agency.id != own]
    join: Join = "any"
    partner = None
    if len(ids) > 1:
        first, second = named[0], next(m for m in named if m.agency.id != named[0].agency.id)
        gap = agency_tokens[first.end : second.start]
        labels = {label for _, _, label in lexicon.joins.find(gap)}
        object_role = [r for _, end, r in lexicon.roles.find(gap) if end >= len(gap) - 1]
        if object_role and object_role[-1] in _OBJECT_ROLES:
            # "A phối hợp với B", "A chỉ đạo B": the question is about A, in B's assignments
            partner = second.agency.id
            ids.remove(partner)
        elif "any" in labels or _ALTERNATIVE & set(gap):
            join = "any"
        else:  # "A và B", "A, B", "A cùng B": all of them
            join = "all"
    roles = [r for r in entities.roles if r in LIST_ROLES]
    role_choice = len(roles) > 1 and bool(_ALTERNATIVE & set(tokens))
    agency_roles: list[tuple[str, str]] = []
    if len(ids) > 1 and not partner and not role_choice:
        for i, m in enumerate(named):
            stop = named[i + 1].start if i + 1 < len(named) else len(agency_tokens)
            found = lexicon.roles.find(agency_tokens[m.end : min(stop, m.end + 3)])
            if found and found[0][2] in LIST_ROLES:
                agency_roles.append((m.agency.id, found[0][2]))
        if len(agency_roles) < 2 or len({r for _, r in agency_roles}) < 2:
            agency_roles = []
    asks = {label for _, _, label in lexicon.asks.find(tokens)}
    asked: Asked = "items"
    if role_choice or "role" in asks:
        asked = "role"
    elif "count" in asks:
        asked = "count"
    elif "who" in asks:
        asked = "who"
    elif "when" in asks and not entities.has_deadline:
        asked = "when"
    yes_no = (
        asked in ("items", "role")
        and bool({"co", "phai"} & set(tokens))
        and not _NOT_YES_NO & set(tokens)
        and lexicon.yes_no_endings.ends(_trimmed(lexicon, tokens))
    )
    progress_words = {label for _, _, label in lexicon.progress_words.find(tokens)}
    return QueryCues(
        tuple(ids),
        own,
        join,
        partner,
        asked,
        yes_no,
        role_choice,
        tuple(agency_roles),
        "not_reported" in progress_words,
        "not_done" in progress_words,
        "any_state" in progress_words,
    )


def _trimmed(lexicon: Lexicon, tokens: list[str]) -> list[str]:
    """The tokens without the polite words at the end ("… không ạ", "… ko anh")."""
    out = list(tokens)
    while out and out[-1] in ("a", "anh", "chi", "vay", "nhi", "nhe", "ha", "em", "ban"):
        out.pop()
    return out


def _own_unit(lexicon: Lexicon, agency_tokens: list[str], named: list[AgencyMatch]) -> str | None:
    """The agency a self-introduction names ("em ở Sở Nội vụ"), when another is asked about."""
    for _, end, _ in lexicon.self_intro.find(agency_tokens):
        for m in named:
            if 0 <= m.start - end <= 1:
                return m.agency.id
    return None


# --------------------------------------------------------------------------- the day asked


def _month(month: int, year: int) -> DeadlineFilter:
    start = date(year, month, 1)
    end = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
    return DeadlineFilter(f"tháng {month:02d}/{year}", lambda dl: dl.due_between(start, end))


def _d(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def deadline_filter(
    ent: Entities, today: date, plan_year: int | None = None
) -> DeadlineFilter | None:
    """The deadline condition a question sets, relative to `today`; a quarter without a
    year is the plan's (`plan_year`, the year it was issued)."""
    explicit = bool(ent.dates or ent.quarter or ent.month or ent.window_days or ent.year)
    if ent.relative == "overdue" and not explicit:
        return DeadlineFilter(
            "quá hạn", lambda dl: [d] if (d := dl.last_due(today)) else [], "overdue"
        )
    if ent.recurring:
        return DeadlineFilter(
            "thường xuyên", lambda dl: [today] if dl.kind == "recurring" else [], "recurring"
        )
    if ent.no_deadline:
        return DeadlineFilter(
            "không ghi thời hạn", lambda dl: [today] if dl.kind == "none" else [], "none"
        )
    if ent.event_deadline:
        return DeadlineFilter(
            "theo sự kiện", lambda dl: [today] if dl.kind == "event" else [], "event"
        )
    if ent.yearly and not ent.dates and not ent.month:
        return DeadlineFilter(
            "hằng năm",
            lambda dl: [d] if dl.kind == "yearly" and (d := dl.next_due(today)) else [],
            "yearly",
        )
    return window(ent, today, plan_year)


def window(ent: Entities, today: date, plan_year: int | None = None) -> DeadlineFilter | None:
    """The period a question asks about: a quarter, a half-year, a date, a month, the next
    N days, this or next week, month, quarter or year; None when it names none."""
    if ent.quarter:
        q, year = ent.quarter
        label = f"quý {ROMAN_QUARTER[q]}" + (f"/{year}" if year else "")
        return DeadlineFilter(
            label,
            lambda dl: (
                [quarter_end(q, year or plan_year or today.year)]
                if dl.matches_quarter(q, year)
                else []
            ),
        )
    if ent.dates:
        day, month, year = ent.dates[0]
        try:
            target = date(year or today.year, month, day)
        except ValueError:
            return None
        if year is None:

            def on_day(dl: Deadline) -> list[date]:
                if dl.kind == "yearly" and (dl.day, dl.month) == (day, month):
                    return [target]
                due = dl.single_due()
                return [due] if due and (due.day, due.month) == (day, month) else []

            return DeadlineFilter(f"ngày {day:02d}/{month:02d}", on_day)
        return DeadlineFilter(f"ngày {_d(target)}", lambda dl: dl.due_between(target, target))
    rel = ent.relative
    if ent.month:
        return _month(ent.month[0], ent.month[1] or today.year)
    if ent.window_days or rel == "upcoming":
        days = ent.window_days or UPCOMING_DAYS
        end = today + timedelta(days=days)
        return DeadlineFilter(
            f"{days} ngày tới (từ {_d(today)} đến {_d(end)})",
            lambda dl: dl.due_between(today, end),
        )
    if rel == "today":
        return DeadlineFilter(f"hôm nay ({_d(today)})", lambda dl: dl.due_between(today, today))
    if rel in ("this_week", "next_week"):
        start = today - timedelta(days=today.weekday())
        if rel == "next_week":
            start += timedelta(days=7)
        end = start + timedelta(days=6)
        word = "tuần này" if rel == "this_week" else "tuần tới"
        return DeadlineFilter(
            f"{word} ({_d(start)}–{_d(end)})", lambda dl: dl.due_between(start, end)
        )
    if rel in ("this_month", "next_month"):
        month, year = today.month, today.year
        if rel == "next_month":
            month, year = (1, year + 1) if month == 12 else (month + 1, year)
        return _month(month, year)
    if rel == "this_quarter":
        q = (today.month - 1) // 3 + 1
        return DeadlineFilter(
            f"quý {ROMAN_QUARTER[q]}/{today.year}",
            lambda dl: dl.due_between(date(today.year, 3 * q - 2, 1), quarter_end(q, today.year)),
        )
    if ent.half is not None:
        half, year = ent.half
        year = year or plan_year or today.year
        start, end = (
            (date(year, 1, 1), date(year, 6, 30))
            if half == 1
            else (
                date(year, 7, 1),
                date(year, 12, 31),
            )
        )
        word = "6 tháng đầu năm" if half == 1 else "6 tháng cuối năm"
        return DeadlineFilter(f"{word} {year}", lambda dl: dl.due_between(start, end))
    if rel == "this_year" or (ent.year and not ent.recurring):
        year = ent.year or today.year
        return DeadlineFilter(
            f"năm {year}", lambda dl: dl.due_between(date(year, 1, 1), date(year, 12, 31))
        )
    return None


def plan_query(u: Understanding, today: date, plan_year: int | None = None) -> PlanQuery:
    """The query of an understood message on the day it is asked."""
    cues = u.cues
    ent = u.entities
    roles = tuple(r for r in ent.roles if r in LIST_ROLES)
    asked = cues.asked
    asked_roles: tuple[str, ...] = ()
    if asked == "who" or (asked != "count" and not cues.agencies and roles and ent.items):
        asked, asked_roles, roles = "who", roles, ()
    elif cues.role_choice:
        roles = ()
    elif asked == "role" and roles and not ent.items:
        asked = "items"  # "giữ vai trò chủ trì ở mục nào": the items it has that role in
    if asked == "count" and roles and ent.items and not cues.agencies:
        asked_roles, roles = roles, ()
    if cues.yes_no and asked in ("items", "role"):
        asked = "yesno"
    if cues.agency_roles:
        roles = ()  # each agency's own role, checked per assignment
    if cues.partner and not roles:
        roles = ("phoi_hop",)
    items = tuple(r.id for r in ent.items if r.exists and not r.group)
    topic: tuple[str, ...] = ()
    if not items and u.features.get("topic", 0.0) >= (0.3 if asked != "items" else 0.6):
        topic = tuple(u.search.item_ids[:3])
    progress = ent.status
    if ent.relative == "overdue":
        progress = "overdue"
    if u.cues.any_state:  # "Sở Nội vụ đã báo cáo chưa?": where it stands, every state
        progress = None
    elif u.cues.not_reported:
        progress = "not_reported"
    elif u.cues.negated_status:
        progress = "not_done"
    return PlanQuery(
        progress=progress,
        agencies=cues.agencies,
        join=cues.join,
        roles=roles,
        not_roles=tuple(r for r in ent.roles_not if r in LIST_ROLES and r not in roles),
        agency_roles=cues.agency_roles,
        partner=cues.partner,
        deadline=deadline_filter(ent, today, plan_year),
        items=items,
        topic=topic,
        asked=asked,
        asked_roles=asked_roles,
    )
