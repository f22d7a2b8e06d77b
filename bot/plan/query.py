"""Plan queries and the one engine that answers them over the assignment table.

A question about the plan becomes a `PlanQuery` (which agencies, joined how; which roles;
which deadlines; which items or parts; what is asked); `QueryEngine.select` returns the
matching rows of the assignment table, one row per (assignment, agency named in it), with
every role the text gives that agency there. Renderers (`bot.answers`) shape the reply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from bot.plan.deadlines import Deadline
from bot.plan.models import Agency, Assignment, Item, Plan

Asked = Literal["items", "who", "role", "when", "count", "yesno", "text"]
Join = Literal["all", "any"]


@dataclass(frozen=True)
class DeadlineFilter:
    """A deadline condition: its words for the reply and the due dates it picks of a
    deadline (empty: not picked; a kind with no due date, e.g. recurring, picks `today`)."""

    label: str
    dues: Callable[[Deadline], list[date]]
    kind: str = "window"  # window, recurring, none, event, yearly, overdue


@dataclass(frozen=True)
class PlanQuery:
    """What a question asks of the plan."""

    agencies: tuple[str, ...] = ()
    join: Join = "any"  # "A và B": items where all take part; "A hoặc B": any of them
    roles: tuple[str, ...] = ()  # the agencies' roles asked about (any of them)
    not_roles: tuple[str, ...] = ()  # roles they must not have there ("chứ không chủ trì")
    # each agency's own role in one assignment ("A chủ trì và B phối hợp")
    agency_roles: tuple[tuple[str, str], ...] = ()
    partner: str | None = None  # "A phối hợp với B": B named in the same assignment
    deadline: DeadlineFilter | None = None
    items: tuple[str, ...] = ()  # item ids or part keys ("4.2b") the question names
    topic: tuple[str, ...] = ()  # items the question's topic words point to, best first
    asked: Asked = "items"
    asked_roles: tuple[str, ...] = ()  # "ai chủ trì?": the role a who-question asks for
    groups: bool = True  # count the items given to the agencies' groups as theirs
    # a progress state asked about ("việc nào đã hoàn thành?"): done, in_progress, blocked,
    # not_started, not_reported, overdue, not_done; answered over the derived progress
    progress: str | None = None


@dataclass(frozen=True)
class Row:
    """One agency's part in one assignment: every role it has there; `via` is the group
    through which it holds the assignment ("cac_so_ban_nganh"), None when named itself."""

    item: Item
    assignment: Assignment
    agency: str
    roles: tuple[str, ...]
    via: str | None = None
    leads: bool = False  # it leads the assignment (chủ trì, or the one agency carrying it out)

    @property
    def key(self) -> str:
        return self.item.assignment_key(self.assignment)

    def has(self, role: str) -> bool:
        """It has `role` there; "chủ trì" also when it leads the assignment without the word
        (the one agency the text gives it to: "Cơ quan thực hiện: Sở Văn hóa…")."""
        return role in self.roles or (role == "chu_tri" and self.leads and self.via is None)

    def has_any(self, roles: Iterable[str]) -> bool:
        return any(self.has(r) for r in roles)


@dataclass
class Selection:
    """The engine's answer: the rows per asked agency (in plan order) and the item ids."""

    rows: list[Row] = field(default_factory=list)

    @property
    def item_ids(self) -> list[str]:
        return list(dict.fromkeys(r.item.id for r in self.rows))

    def of(self, agency: str) -> list[Row]:
        return [r for r in self.rows if r.agency == agency]


class QueryEngine:
    """Answers `PlanQuery`s over one plan's assignment table."""

    def __init__(self, plan: Plan, agencies: Mapping[str, Agency]):
        self.plan = plan
        self.agencies = agencies
        self.table: list[Row] = [
            Row(item, a, ar.agency, ar.roles, leads=item.leader_of(a) is ar)
            for item in plan.items
            for a in item.assignments
            for ar in a.agencies
        ]

    # --- rows of one agency ------------------------------------------------------

    def rows_of(self, agency_id: str, *, groups: bool = True) -> list[Row]:
        """The agency's rows: where it is named, and (with `groups`) where a group it belongs
        to is named and it is not named itself."""
        member_of = set(self.agencies[agency_id].member_of) if agency_id in self.agencies else set()
        direct = [r for r in self.table if r.agency == agency_id]
        out = list(direct)
        if groups and member_of:
            named = {id(r.assignment) for r in direct}
            for r in self.table:
                if r.agency in member_of and id(r.assignment) not in named:
                    out.append(Row(r.item, r.assignment, agency_id, r.roles, via=r.agency))
        order = {id(a): i for i, (_, a) in enumerate(self._assignments())}
        return sorted(out, key=lambda r: order[id(r.assignment)])

    def _assignments(self) -> Iterable[tuple[Item, Assignment]]:
        return ((item, a) for item in self.plan.items for a in item.assignments)

    # --- the query ---------------------------------------------------------------

    def select(self, query: PlanQuery) -> Selection:
        """The rows answering `query` (for every asked agency; all agencies when none)."""
        if query.agencies:
            per_agency = {a: self.rows_of(a, groups=query.groups) for a in query.agencies}
        else:
            per_agency = {"": list(self.table)}
        for agency, rows in per_agency.items():
            per_agency[agency] = [r for r in rows if self.keeps(r, query)]
        if query.partner:
            partner_rows = self.rows_of(query.partner, groups=False)
            with_partner = {id(r.assignment) for r in partner_rows}
            for agency, rows in per_agency.items():
                per_agency[agency] = [r for r in rows if id(r.assignment) in with_partner]
        if query.agency_roles:  # one assignment where each agency has its role
            wanted = dict(query.agency_roles)
            shared = set.intersection(
                *(
                    {id(r.assignment) for r in rows if r.has(wanted[a])}
                    for a, rows in per_agency.items()
                    if a in wanted
                )
            )
            for agency, rows in per_agency.items():
                per_agency[agency] = [r for r in rows if id(r.assignment) in shared]
        if query.join == "all" and len(per_agency) > 1:
            common = set.intersection(*({r.item.id for r in rows} for rows in per_agency.values()))
            for agency, rows in per_agency.items():
                per_agency[agency] = [r for r in rows if r.item.id in common]
        return Selection([r for rows in per_agency.values() for r in rows])

    def keeps(self, row: Row, query: PlanQuery) -> bool:
        """The row answers the query's roles, items, topic and deadline; a yes/no question
        about a role («có chủ trì … không?») goes by the text's own word, not by who leads."""
        if query.roles:
            explicit = bool(set(query.roles) & set(row.roles))
            if not (explicit if query.asked == "yesno" else row.has_any(query.roles)):
                return False
        if query.not_roles and row.has_any(query.not_roles):
            return False
        if query.items and not (row.item.id in query.items or row.key in query.items):
            return False
        if query.topic and row.item.id not in query.topic and row.key not in query.topic:
            return False
        return not (query.deadline and not query.deadline.dues(row.assignment.deadline))

    # --- who ---------------------------------------------------------------------

    def holders(self, item: Item, roles: tuple[str, ...] = ()) -> list[Row]:
        """The rows of an item (every agency named in it), those with one of `roles` when
        given; "chủ trì" also finds an assignment's leader when the text names no chủ trì."""
        rows = [r for r in self.table if r.item is item]
        if not roles:
            return rows
        out = [r for r in rows if set(roles) & set(r.roles)]
        if "chu_tri" in roles:  # a part the text names no chủ trì for: its leader
            out += [
                r for r in rows if r.leads and not any(o.assignment is r.assignment for o in out)
            ]
        return out
