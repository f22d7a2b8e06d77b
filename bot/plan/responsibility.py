"""Who holds which assignment of the plan, for reporting and monitoring.

An agency holds an assignment when the plan names it, or names a group it is a
member of (Sở Y tế holds item 5 through "Các sở, ban, ngành"). The agencies
*responsible* for an assignment are the ones monitoring expects a report from:
the lead, the agencies that chair, carry out or advise, and every member of a
group that carries it out.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.plan.models import ROLE_LABELS, Agency, Assignment, Item, Plan

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
