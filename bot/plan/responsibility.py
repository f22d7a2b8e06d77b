"""Who holds which assignment of the plan, for reporting and monitoring.

An agency holds an assignment when the plan names it, or names a group it is a
member of (Sở Y tế holds item 5 through "Các sở, ban, ngành"). The agencies
*responsible* for an assignment are the ones monitoring expects a report from:
the lead, the agencies that chair, carry out or advise, and every member of a
group that carries it out.

`Holders` reads the same as of a day, over the agencies' changes (`Timeline`): an
agency that has ended is replaced by its successors whose handover covers the item
(Sở Tài chính holds what Sở Kế hoạch và Đầu tư led, a commune what its district
held), a group counts only the members that exist that day (and, once the group has
ended, those of the group that took its work over), and a body not yet created holds
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bot.plan.models import ROLE_LABELS, Agency, Assignment, Item, Plan
from bot.plan.successions import Timeline

RESPONSIBLE_ROLES = frozenset({"chu_tri", "thuc_hien", "tham_muu"})
EXPANDED_GROUP_ROLES = frozenset({"chu_tri", "thuc_hien"})


def find_item(plan: Plan, ref: str) -> tuple[Item, Assignment | None] | None:
    """The item named by "2.4", "iii.1" or an assignment key like "4.2b"."""
    wanted = ref.strip().rstrip(".").replace(" ", "").upper()
    by_id = {item.id.upper(): item for item in plan.items}
    if wanted in by_id:
        return by_id[wanted], None
    if len(wanted) > 1 and wanted[-1].isalpha() and wanted[:-1] in by_id:
        item = by_id[wanted[:-1]]
        for assignment in item.assignments:
            if (assignment.part or "").upper() == wanted[-1]:
                return item, assignment
    return None


def all_assignments(plan: Plan) -> list[tuple[Item, Assignment]]:
    return [(item, assignment) for item in plan.items for assignment in item.assignments]


def group_members(agencies: Mapping[str, Agency], group_id: str) -> list[str]:
    """Member agencies of a group, in registry order."""
    return [a.id for a in agencies.values() if group_id in a.member_of]


def is_group(agencies: Mapping[str, Agency], agency_id: str) -> bool:
    agency = agencies.get(agency_id)
    return agency is not None and agency.is_group


def names_directly(assignment: Assignment, agency_id: str) -> bool:
    return any(ar.agency == agency_id for ar in assignment.agencies)


def roles_of(assignment: Assignment, agency_id: str, agencies: Mapping[str, Agency]) -> list[str]:
    """Roles an agency has in an assignment, directly or through its groups."""
    groups = set(agencies[agency_id].member_of) if agency_id in agencies else set()
    return [
        role
        for ar in assignment.agencies
        if ar.agency == agency_id or ar.agency in groups
        for role in ar.roles
    ]


def holds(assignment: Assignment, agency_id: str, agencies: Mapping[str, Agency]) -> bool:
    return bool(roles_of(assignment, agency_id, agencies))


def held_assignments(
    item: Item, agency_id: str, agencies: Mapping[str, Agency]
) -> list[Assignment]:
    return [a for a in item.assignments if holds(a, agency_id, agencies)]


def agency_items(plan: Plan, agencies: Mapping[str, Agency], agency_id: str) -> list[str]:
    """Ids of the items in which an agency holds any assignment, in plan order."""
    return [item.id for item in plan.items if held_assignments(item, agency_id, agencies)]


def responsible_agencies(assignment: Assignment, agencies: Mapping[str, Agency]) -> list[str]:
    """Agencies expected to report on an assignment (groups expanded), in order."""
    out: list[str] = []
    lead = assignment.lead()
    for ar in assignment.agencies:
        if is_group(agencies, ar.agency):
            if EXPANDED_GROUP_ROLES.intersection(ar.roles):
                out.extend(group_members(agencies, ar.agency))
        elif RESPONSIBLE_ROLES.intersection(ar.roles) or ar is lead:
            out.append(ar.agency)
    return list(dict.fromkeys(out))


def agency_name(agencies: Mapping[str, Agency], agency_id: str) -> str:
    agency = agencies.get(agency_id)
    return agency.name if agency else agency_id


def role_label(assignment: Assignment, agency_id: str, agencies: Mapping[str, Agency]) -> str:
    """ "chủ trì", "thực hiện, tổng hợp"… for the agency's part."""
    roles = dict.fromkeys(roles_of(assignment, agency_id, agencies))
    return ", ".join(ROLE_LABELS[r] for r in roles) or "báo cáo"


def part_label(
    assignment: Assignment, agency_id: str, through: tuple[str, ...], agencies: Mapping[str, Agency]
) -> str:
    """`role_label` of today's agency holding its own part and those of `through` (the
    ended agencies it took them over from)."""
    roles = dict.fromkeys(
        r for a in (agency_id, *through) for r in roles_of(assignment, a, agencies)
    )
    return ", ".join(ROLE_LABELS[r] for r in roles) or "báo cáo"


def lead_names(assignment: Assignment, agencies: Mapping[str, Agency]) -> str:
    return agency_name(agencies, assignment.lead().agency)


def coordinating_names(assignment: Assignment, agencies: Mapping[str, Agency]) -> str:
    names = [agency_name(agencies, ar.agency) for ar in assignment.agencies if ar.has("phoi_hop")]
    return "; ".join(dict.fromkeys(names))


def short_text(item: Item, assignment: Assignment, limit: int = 160) -> str:
    """The assignment's task (or the item's text), cut at a word near `limit`."""
    text = " ".join((assignment.task or item.text).split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + "…"


# --------------------------------------------------------------------------- as of a day

HolderMap = dict[str, tuple[str, ...]]


class Holders:
    """Who holds the plan's assignments on a day, in today's agencies.

    `of` maps each agency existing on the day that holds a part of the assignment to the
    plan's agencies it holds it through: itself, or the ended agencies (or group) whose
    work it took over. Results are kept per stretch between two events (nothing changes
    inside one)."""

    def __init__(self, plan: Plan, agencies: Mapping[str, Agency], timeline: Timeline):
        self.plan = plan
        self.agencies = agencies
        self.timeline = timeline
        self._memo: dict[tuple[str, bool, int], HolderMap] = {}

    def exists(self, agency_id: str, day: date) -> bool:
        return self.timeline.exists(agency_id, day)

    def members_on(self, group_id: str, day: date) -> list[tuple[str, str]]:
        """(member, the plan's agency it stands for) of a group on `day`: the plan's
        members, then those of the groups that took the group's work over."""
        out = [(m, m) for m in group_members(self.agencies, group_id)]
        if self.timeline.ended(group_id, day) is not None:
            for successor, _, _ in self.timeline.successors(group_id, day):
                out += [(m, group_id) for m in group_members(self.agencies, successor)]
        return out

    def of(
        self, item: Item, assignment: Assignment, day: date, *, responsible: bool = False
    ) -> HolderMap:
        """Today's holders of the assignment (with `responsible`, only those expected to
        report: `responsible_agencies`' roles), in the plan's order."""
        memo = (item.assignment_key(assignment), responsible, self.timeline.epoch(day))
        found = self._memo.get(memo)
        if found is None:
            found = self._memo[memo] = self._holders(item, assignment, day, responsible)
        return found

    def _holders(
        self, item: Item, assignment: Assignment, day: date, responsible: bool
    ) -> HolderMap:
        named: list[tuple[str, str]] = []
        lead = assignment.lead()
        for ar in assignment.agencies:
            if is_group(self.agencies, ar.agency):
                if not responsible or EXPANDED_GROUP_ROLES.intersection(ar.roles):
                    named += self.members_on(ar.agency, day)
            elif not responsible or RESPONSIBLE_ROLES.intersection(ar.roles) or ar is lead:
                named.append((ar.agency, ar.agency))
        out: dict[str, list[str]] = {}
        timeline = self.timeline
        for agency, through in named:
            if timeline.exists(agency, day):
                # a group's successor's member already holding the part through its own
                # predecessor keeps that one
                if through == agency or agency not in out:
                    _add(out, agency, through)
            elif timeline.ended(agency, day) is not None:
                for successor, _, handover in timeline.successors(agency, day):
                    if handover.covers(item.id):
                        _add(out, successor, agency)
        return {a: tuple(p) for a, p in out.items()}

    def responsible(self, item: Item, assignment: Assignment, day: date) -> tuple[str, ...]:
        """The agencies expected to report on the assignment on `day`."""
        return tuple(self.of(item, assignment, day, responsible=True))

    def through(
        self, item: Item, assignment: Assignment, agency_id: str, day: date
    ) -> tuple[str, ...]:
        """The plan's agencies whose part `agency_id` holds on `day` (empty: none)."""
        return self.of(item, assignment, day).get(agency_id, ())

    def inherited_from(
        self, item: Item, assignment: Assignment, agency_id: str, day: date
    ) -> tuple[str, ...]:
        """The ended agencies (or group) of the plan whose part in the assignment
        `agency_id` holds on `day`; empty when it holds its own part or none."""
        through = self.through(item, assignment, agency_id, day)
        return () if agency_id in through else through

    def assignments(self, item: Item, agency_id: str, day: date) -> list[Assignment]:
        """The item's assignments `agency_id` holds on `day`."""
        return [a for a in item.assignments if agency_id in self.of(item, a, day)]

    def items(self, agency_id: str, day: date) -> list[str]:
        """Ids of the items in which `agency_id` holds an assignment on `day`."""
        return [item.id for item in self.plan.items if self.assignments(item, agency_id, day)]


def _add(out: dict[str, list[str]], holder: str, through: str) -> None:
    held = out.setdefault(holder, [])
    if through not in held:
        held.append(through)
