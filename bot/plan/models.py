"""Pydantic models of a plan (Kế hoạch) and its agency registry.

A plan has metadata, section I (purposes and requirements), groups of items
(section II and III), and inside each item its assignments: who (agency + role),
with which deadline. Cross-references (agencies, legal documents) are checked by
`plan_loader`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.plan.deadlines import Deadline

Role = Literal["chu_tri", "phoi_hop", "thuc_hien", "tham_muu", "chi_dao", "tong_hop"]

ROLE_LABELS: dict[str, str] = {
    "chu_tri": "chủ trì",
    "phoi_hop": "phối hợp",
    "thuc_hien": "thực hiện",
    "tham_muu": "tham mưu",
    "chi_dao": "chỉ đạo",
    "tong_hop": "tổng hợp",
}

AgencyKind = Literal[
    "department",
    "office",
    "police",
    "group",
    "district",
    "province",
    "party",
    "central",
    "press",
    "mass_org",
    "commune",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Agency(_Strict):
    """An agency or body, with the aliases officials type for it."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    kind: AgencyKind
    member_of: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    cased_aliases: tuple[str, ...] = ()  # matched only as typed (case and marks): "La Gi"
    named_in_plan: bool = True
    in_messages: bool = True

    @property
    def is_group(self) -> bool:
        return self.kind == "group"


class AgencyFile(_Strict):
    agencies: tuple[Agency, ...]


class AgencyRole(_Strict):
    """One agency's part in an assignment: every role the text gives it there (`role: x`
    in the YAML for one, `roles: [x, y]` for several; the first is its main role)."""

    agency: str
    roles: tuple[Role, ...] = Field(min_length=1)
    qualifier: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_role(cls, data: object) -> object:
        if isinstance(data, dict) and "role" in data:
            if "roles" in data:
                raise ValueError("write either `role` or `roles`, not both")
            data = {**data, "roles": (data["role"],)}
            del data["role"]
        return data

    @field_validator("roles")
    @classmethod
    def _distinct(cls, roles: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(roles)) != len(roles):
            raise ValueError(f"a role is repeated: {roles}")
        return roles

    @property
    def role(self) -> Role:
        """The main role (the first the text gives)."""
        return self.roles[0]

    def has(self, role: str) -> bool:
        return role in self.roles


class Assignment(_Strict):
    """A distinct assignment inside an item: agencies with roles, one deadline."""

    source_text: str
    agencies: tuple[AgencyRole, ...] = Field(min_length=1)
    deadline: Deadline
    part: str | None = Field(default=None, pattern=r"^[a-z]$")
    task: str | None = None
    refs: tuple[str, ...] = ()
    reports_to: str | None = None

    def lead(self) -> AgencyRole:
        """The leading agency: explicit chủ trì, else the first named agency."""
        for ar in self.agencies:
            if ar.has("chu_tri"):
                return ar
        return self.agencies[0]

    def leader(self, stands_alone: bool = True) -> AgencyRole | None:
        """The agency leading this assignment, if the plan makes one clear: chủ trì, else
        the one that directs (chỉ đạo), else, when the assignment stands alone (its item's
        only one, or a part with its own task), the only agency that executes or advises."""
        for role in ("chu_tri", "chi_dao"):
            for ar in self.agencies:
                if ar.has(role):
                    return ar
        if not stands_alone:
            return None
        doers = [ar for ar in self.agencies if ar.has("thuc_hien") or ar.has("tham_muu")]
        return doers[0] if len(doers) == 1 else None

    def roles_of(self, agency_id: str) -> list[str]:
        return [r for ar in self.agencies if ar.agency == agency_id for r in ar.roles]


class Item(_Strict):
    """A numbered task of the plan (1.1 … 6; III.1, III.2 in Kế hoạch 91's «Tổ chức thực
    hiện», which other plans number IV.1, V.1 …)."""

    id: str = Field(pattern=r"^(\d+(\.\d+)?|[IVX]{1,5}\.\d+)$")
    text: str
    refs: tuple[str, ...] = ()
    assignments: tuple[Assignment, ...] = Field(min_length=1)
    group_id: str = ""
    group_title: str = ""

    def leader_of(self, assignment: Assignment) -> AgencyRole | None:
        """Who leads `assignment` within this item ("3.1a" shares its task with "3.1b", so
        neither of the two executors leads the item alone)."""
        alone = len(self.assignments) == 1 or assignment.task is not None
        return assignment.leader(stands_alone=alone)

    def assignment_key(self, assignment: Assignment) -> str:
        """Stable key of an assignment: item id plus its part letter ("4.2b")."""
        return self.id + (assignment.part or "")


class Group(_Strict):
    id: str
    section: str
    title: str
    items: tuple[Item, ...] = Field(min_length=1)


class Part(_Strict):
    id: str
    title: str
    points: tuple[str, ...]


class Section(_Strict):
    id: str
    title: str
    parts: tuple[Part, ...]


class Signer(_Strict):
    name: str
    capacity: str
    position: str


class Meta(_Strict):
    number: str
    doc_type: str
    issuer: str
    issuer_name: str
    place: str
    issued: dt.date
    effective: dt.date
    title: str
    # the plan in a few words, after its kind ("Kế hoạch …"): what help texts call it
    short_title: str | None = None
    signer: Signer
    implements: str
    bases: tuple[str, ...]
    recipients: tuple[str, ...]
    # the agency the plan charges with following every agency's work and synthesising the
    # reports (Kế hoạch 91: Văn phòng UBND tỉnh, section III.2); its linked groups get every
    # agency's reminders and its members the yearly report. None: bot admins only.
    monitoring_agency: str | None = None

    @property
    def label(self) -> str:
        """The plan as officials name it: doc_type and number ("Kế hoạch 12/KH-UBND")."""
        return f"{self.doc_type} {self.number}"


class LegalRef(_Strict):
    kind: str
    number: str
    date: dt.date | None = None
    issuer: str | None = None
    subject: str

    def label(self) -> str:
        """Citation as officials write it: "Nghị định số 58/2022/NĐ-CP ngày 31/8/2022"."""
        when = f", ngày {self.date:%d/%m/%Y}" if self.date else ""
        return f"{self.kind} số {self.number}{when}"


class Plan(_Strict):
    """A whole plan as loaded from plan.yaml."""

    meta: Meta
    legal_refs: dict[str, LegalRef]
    sections: tuple[Section, ...]
    groups: tuple[Group, ...]

    @field_validator("groups")
    @classmethod
    def _stamp_groups(cls, groups: tuple[Group, ...]) -> tuple[Group, ...]:
        return tuple(
            g.model_copy(
                update={
                    "items": tuple(
                        i.model_copy(update={"group_id": g.id, "group_title": g.title})
                        for i in g.items
                    )
                }
            )
            for g in groups
        )

    @property
    def items(self) -> list[Item]:
        return [item for group in self.groups for item in group.items]

    @property
    def execution_section(self) -> str:
        """The Roman numeral of the section «Tổ chức thực hiện» numbers its items under
        (III in Kế hoạch 91: III.1, III.2; IV or V in many plans); III when no item has one."""
        for item in self.items:
            head, dot, _ = item.id.partition(".")
            if dot and head.isalpha():
                return head
        return "III"

    def section_of(self, item: Item) -> str:
        """The section an item stands in («II» for 2.4 in Kế hoạch 91, «III» for III.1)."""
        head, dot, _ = item.id.partition(".")
        if dot and head.isalpha():
            return head
        for group in self.groups:
            if group.id == item.group_id:
                return group.section
        return ""
