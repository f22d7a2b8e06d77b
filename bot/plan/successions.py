"""Agencies over time: the dated events that ended agencies the plan names and handed their
work to others (the 2025 restructuring), read from `knowledge/successions.yaml`.

`Timeline` answers, for a day: does an agency exist, who holds today what an ended agency
held (following chains: a district → its communes), and which ended agencies an agency
took work over from, with the items each handover covers, since when and on what legal
basis. `check` lists the problems of a succession file (unknown ids, bases, items, cycles,
an agency taking over after it ended) as located Vietnamese lines.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.plan.models import Agency, LegalRef, Plan


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Handover(_Strict):
    """What one successor takes over: its functions (None: all) and the plan's items (None:
    every item of the ended agency; an empty tuple: none)."""

    agency: str
    functions: str | None = None
    items: tuple[str, ...] | None = None

    def covers(self, item_id: str) -> bool:
        """The successor takes over the ended agency's part in this item."""
        return self.items is None or item_id in self.items

    @property
    def takes_items(self) -> bool:
        """It takes over some of the plan's items, not only functions."""
        return self.items is None or bool(self.items)


class Succession(_Strict):
    """One dated event: `ends` stop on `date`; `to` take their work over."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    date: dt.date
    ends: tuple[str, ...] = Field(min_length=1)
    to: tuple[Handover, ...] = Field(min_length=1)
    basis: tuple[str, ...] = ()
    change: str


class SuccessionFile(_Strict):
    # the plan whose item numbers the handovers' `items` are («12/KH-UBND»); another plan
    # served beside it takes only the handovers of whole agencies (no item list)
    items_of: str | None = None
    legal_refs: dict[str, LegalRef] = {}
    agencies: tuple[Agency, ...] = ()
    events: tuple[Succession, ...] = ()

    def for_plan(self, number: str | None) -> SuccessionFile:
        """The file as it applies to the plan numbered `number`: the same for the plan its
        items are of (or any plan when it names none); for another plan, the handovers
        that list items are left out (their numbers are another plan's)."""
        if self.items_of is None or number is None or number == self.items_of:
            return self
        events = tuple(
            event.model_copy(update={"to": tuple(h for h in event.to if h.items is None)})
            for event in self.events
        )
        return self.model_copy(update={"events": events})


@dataclass(frozen=True)
class Inheritance:
    """Work an agency holds through an ended one: from whom and how (the event, and the
    handover, which says which of the ended agency's items it covers)."""

    predecessor: str
    event: Succession
    handover: Handover


class Timeline:
    """The succession events of a knowledge folder, queried by day."""

    def __init__(
        self,
        events: tuple[Succession, ...] = (),
        legal_refs: dict[str, LegalRef] | None = None,
        new_agencies: frozenset[str] = frozenset(),
    ):
        self.events = tuple(sorted(events, key=lambda e: e.date))
        self.legal_refs = legal_refs or {}
        self._ended_by: dict[str, Succession] = {}
        self._dates = [e.date for e in self.events]
        self._successors: dict[tuple[str, int], list[tuple[str, Succession, Handover]]] = {}
        self._inherited: dict[tuple[str, int], list[Inheritance]] = {}
        # a body the restructuring created exists from the first event handing it work
        self._since: dict[str, dt.date] = {}
        for event in self.events:
            for agency in event.ends:
                self._ended_by.setdefault(agency, event)
            for handover in event.to:
                if handover.agency in new_agencies:
                    self._since.setdefault(handover.agency, event.date)
        for agency in new_agencies - set(self._since):
            # not handed work directly (a group's member): from the last event on
            self._since[agency] = self.events[-1].date if self.events else dt.date.min

    def __bool__(self) -> bool:
        return bool(self.events)

    def ended(self, agency_id: str, day: dt.date) -> Succession | None:
        """The event that ended the agency on or before `day`, if any."""
        event = self._ended_by.get(agency_id)
        return event if event is not None and event.date <= day else None

    def exists(self, agency_id: str, day: dt.date) -> bool:
        """Not ended by `day`, and (for a body created since the plan) already created."""
        since = self._since.get(agency_id)
        return self.ended(agency_id, day) is None and (since is None or since <= day)

    def since(self, agency_id: str) -> dt.date | None:
        """The day a body created by the restructuring began; None for the plan's own."""
        return self._since.get(agency_id)

    def epoch(self, day: dt.date) -> int:
        """How many events have happened by `day`: answers are the same within an epoch."""
        return bisect.bisect_right(self._dates, day)

    def successors(self, agency_id: str, day: dt.date) -> list[tuple[str, Succession, Handover]]:
        key = (agency_id, self.epoch(day))
        if key not in self._successors:
            self._successors[key] = self._find_successors(agency_id, day)
        return self._successors[key]

    def _find_successors(
        self, agency_id: str, day: dt.date
    ) -> list[tuple[str, Succession, Handover]]:
        """Who holds the ended agency's work on `day`, following later events (a handover to
        an agency that has ended in turn goes on to its successors)."""
        out: list[tuple[str, Succession, Handover]] = []
        seen: set[str] = set()

        def walk(current: str, first: tuple[Succession, Handover] | None) -> None:
            event = self.ended(current, day)
            if event is None:
                if first is not None and current not in seen:
                    seen.add(current)
                    out.append((current, *first))
                return
            for handover in event.to:
                walk(handover.agency, first or (event, handover))

        walk(agency_id, None)
        return out

    def inherited(self, agency_id: str, day: dt.date) -> list[Inheritance]:
        """The ended agencies whose work `agency_id` holds on `day` (directly or along a
        chain), in the order of the events."""
        key = (agency_id, self.epoch(day))
        if key not in self._inherited:
            self._inherited[key] = self._find_inherited(agency_id, day)
        return list(self._inherited[key])

    def _find_inherited(self, agency_id: str, day: dt.date) -> list[Inheritance]:
        out: list[Inheritance] = []
        for event in self.events:
            if event.date > day:
                continue
            for handover in event.to:
                for predecessor in event.ends:
                    holders = {a for a, _, _ in self.successors(predecessor, day)}
                    if handover.agency == agency_id or (
                        agency_id in holders and self._reaches(handover.agency, agency_id, day)
                    ):
                        out.append(Inheritance(predecessor, event, handover))
        return out

    def _reaches(self, start: str, target: str, day: dt.date) -> bool:
        if start == target:
            return True
        event = self.ended(start, day)
        return event is not None and any(self._reaches(h.agency, target, day) for h in event.to)

    def basis_text(self, event: Succession) -> str:
        """ "Nghị định số 45/2025/NĐ-CP ngày 28/02/2025; …" (the keys, when unknown)."""
        refs = [self.legal_refs.get(key) for key in event.basis]
        return "; ".join(
            ref.label() if ref else key for ref, key in zip(refs, event.basis, strict=True)
        )


def check(
    data: SuccessionFile, agencies: dict[str, Agency], plan: Plan | None, where: Any
) -> list[str]:
    """Problems of a succession file, one located Vietnamese line each (`where(loc)` names
    the file and line of a location)."""
    problems: list[str] = []
    item_ids = {i.id for i in plan.items} if plan is not None else None
    ended_on: dict[str, dt.date] = {}
    for i, event in enumerate(data.events):
        for j, agency in enumerate(event.ends):
            if agency not in agencies:
                problems.append(
                    f"{where(('events', i, 'ends', j))}: cơ quan '{agency}' không có trong danh mục"
                )
            elif agency in ended_on:
                problems.append(
                    f"{where(('events', i, 'ends', j))}: '{agency}' đã kết thúc từ"
                    f" {ended_on[agency]:%d/%m/%Y}, không thể kết thúc lần nữa"
                )
        for j, handover in enumerate(event.to):
            loc = ("events", i, "to", j, "agency")
            if handover.agency not in agencies:
                problems.append(
                    f"{where(loc)}: cơ quan '{handover.agency}' không có trong danh mục"
                )
            if handover.agency in event.ends:
                problems.append(
                    f"{where(loc)}: '{handover.agency}' không thể tiếp nhận việc của chính mình"
                )
            for k, item in enumerate(handover.items or ()):
                if item_ids is not None and item not in item_ids:
                    problems.append(
                        f"{where(('events', i, 'to', j, 'items', k))}: kế hoạch không có mục '{item}'"
                    )
        for j, key in enumerate(event.basis):
            if key not in data.legal_refs:
                problems.append(
                    f"{where(('events', i, 'basis', j))}: văn bản '{key}' không có trong legal_refs"
                )
        for agency in event.ends:
            ended_on.setdefault(agency, event.date)
    # a successor must exist when it takes over: not ended before the event
    for i, event in enumerate(data.events):
        for j, handover in enumerate(event.to):
            end = ended_on.get(handover.agency)
            if end is not None and end <= event.date:
                problems.append(
                    f"{where(('events', i, 'to', j, 'agency'))}: '{handover.agency}' đã kết thúc từ"
                    f" {end:%d/%m/%Y}, không thể tiếp nhận việc ngày {event.date:%d/%m/%Y}"
                )
    # no cycle: following handovers never comes back to where it started
    graph = {a: [h.agency for h in e.to] for e in data.events for a in e.ends}

    def cyclic(node: str, path: tuple[str, ...]) -> bool:
        return node in path or any(cyclic(n, (*path, node)) for n in graph.get(node, ()))

    for agency in graph:
        if any(cyclic(n, (agency,)) for n in graph[agency]):
            problems.append(f"{where(('events',))}: vòng lặp kế thừa qua '{agency}'")
            break
    for i, ref in enumerate(data.legal_refs.values()):
        if ref.issuer is not None and ref.issuer not in agencies:
            problems.append(
                f"{where(('legal_refs',))}: cơ quan ban hành '{ref.issuer}' không có trong danh mục (mục {i + 1})"
            )
    return problems
