"""Several plans served by one bot: the plans a PLAN_PATH names, with their short keys.

PLAN_PATH names one plan.yaml (one plan, as always) or a folder of plans:
`<folder>/plan.yaml` (if present) first, then every `<folder>/plans/<slug>/plan.yaml` and
`<folder>/<slug>/plan.yaml` in the order of their folder names. Agencies and successions
are shared: `agencies.yaml` in the folder, or in the folder above it (so
`knowledge/plans/` uses `knowledge/agencies.yaml`); a plan whose folder has its own
agencies.yaml (an imported draft: the registry plus the agencies it proposed) reads that
one. Each plan keeps its own vocabulary
and source beside its plan.yaml. A plan is known by its number («12/KH-UBND») and its
short key, the number before the slash («91»), which item ids carry across plans
(«91: 2.4»).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from bot.plan.loader import Knowledge, PlanError, load_knowledge
from bot.plan.models import Agency

AGENCIES_FILE = "agencies.yaml"


def plan_key(number: str) -> str:
    """The short key of a plan number: «12/KH-UBND» → «12», «58/KH-UBND» → «58»."""
    head = number.split("/", 1)[0].strip()
    return head or number.strip()


def qualified(key: str, item_id: str) -> str:
    """An item id as it reads across plans: «91: 2.4»."""
    return f"{key}: {item_id}"


def button_id(key: str, item_id: str) -> str:
    """An item id in a button's data, with its plan: «58#1.2» (no space, no colon)."""
    return f"{key}#{item_id}"


_QUALIFIED = re.compile(r"^\s*([^\s:#]+)\s*[:#]\s*(\S+)\s*$")


def split_qualified(text: str) -> tuple[str | None, str]:
    """(plan key, item id) of «91: 2.4» or «91#2.4»; (None, text) for a bare id."""
    m = _QUALIFIED.match(text)
    if m is None:
        return None, text.strip()
    return m.group(1), m.group(2)


@dataclass(frozen=True)
class Library:
    """The plans one bot serves, the main plan first (its stored progress carries no plan
    key: databases from before several plans are its)."""

    plans: tuple[Knowledge, ...]

    def __post_init__(self) -> None:
        if not self.plans:
            raise PlanError(["không có kế hoạch nào để phục vụ"])
        keys = [plan_key(k.plan.meta.number) for k in self.plans]
        doubles = sorted({k for k in keys if keys.count(k) > 1})
        if doubles:
            raise PlanError([f"hai kế hoạch cùng số {', '.join(doubles)}: mỗi số chỉ một kế hoạch"])

    @property
    def main(self) -> Knowledge:
        return self.plans[0]

    @property
    def several(self) -> bool:
        return len(self.plans) > 1

    def __iter__(self) -> Iterator[Knowledge]:
        return iter(self.plans)

    def __len__(self) -> int:
        return len(self.plans)

    def keys(self) -> list[str]:
        return [plan_key(k.plan.meta.number) for k in self.plans]

    def get(self, key: str | None) -> Knowledge | None:
        """The plan of a short key or a full number («12», «12/KH-UBND»)."""
        if key is None:
            return None
        wanted = plan_key(key).casefold()
        for knowledge in self.plans:
            if plan_key(knowledge.plan.meta.number).casefold() == wanted:
                return knowledge
        return None

    @property
    def agencies(self) -> dict[str, Agency]:
        """Every plan's agencies, each id once (the first plan that has it gives it)."""
        agencies: dict[str, Agency] = {}
        for knowledge in self.plans:
            for agency_id, agency in knowledge.agencies.items():
                agencies.setdefault(agency_id, agency)
        return agencies

    def sharing_agencies(self) -> Library:
        """Each plan with every plan's agencies (its own first): an agency only a second
        plan names may register members and be asked about, whichever plan is asked."""
        if not self.several:
            return self
        shared = self.agencies
        return Library(tuple(replace(k, agencies={**shared, **k.agencies}) for k in self.plans))

    def storage_key(self, knowledge: Knowledge) -> str:
        """The plan key stored with its progress: "" for the main plan (as before several
        plans), else its short key."""
        if knowledge is self.main:
            return ""
        return plan_key(knowledge.plan.meta.number)

    def with_plan(self, knowledge: Knowledge) -> Library:
        """This library with `knowledge` added, or replacing the plan of the same number
        (in its place, so the main plan stays the main plan)."""
        key = plan_key(knowledge.plan.meta.number)
        plans = list(self.plans)
        for i, old in enumerate(plans):
            if plan_key(old.plan.meta.number) == key:
                plans[i] = knowledge
                return Library(tuple(plans))
        return Library((*plans, knowledge))


def plan_files(folder: Path) -> list[Path]:
    """The plan.yaml files of a folder of plans, the folder's own first."""
    found: list[Path] = []
    own = folder / "plan.yaml"
    if own.is_file():
        found.append(own)
    nested = [p for p in folder.glob("plans/*/plan.yaml") if p.is_file()]
    nested += [p for p in folder.glob("*/plan.yaml") if p.is_file()]
    found += sorted(set(nested), key=lambda p: p.parent.name)
    return found


def shared_agencies(folder: Path) -> Path:
    """The agencies.yaml a folder of plans shares: its own, else its parent's."""
    for candidate in (folder / AGENCIES_FILE, folder.parent / AGENCIES_FILE):
        if candidate.is_file():
            return candidate
    return folder / AGENCIES_FILE


def registry_files(path: str | Path) -> tuple[Path, Path]:
    """The agencies.yaml and successions.yaml the plans PLAN_PATH names share."""
    target = Path(path)
    agencies = shared_agencies(target) if target.is_dir() else target.with_name(AGENCIES_FILE)
    return agencies, agencies.with_name("successions.yaml")


def load_library(path: str | Path) -> Library:
    """The plans PLAN_PATH names (a plan.yaml or a folder of plans); PlanError listing
    every problem of every plan."""
    target = Path(path)
    if not target.is_dir():
        return Library((load_knowledge(target),))
    files = plan_files(target)
    if not files:
        raise PlanError(
            [f"{target}: thư mục không có kế hoạch nào (cần plan.yaml hoặc plans/<tên>/plan.yaml)"]
        )
    agencies = shared_agencies(target)
    successions = agencies.with_name("successions.yaml")
    problems: list[str] = []
    plans: list[Knowledge] = []
    for file in files:
        own = file.with_name(AGENCIES_FILE)  # an imported plan's registry with its proposals
        try:
            plans.append(load_knowledge(file, own if own.is_file() else agencies, successions))
        except PlanError as exc:
            problems += exc.problems
    if problems:
        raise PlanError(problems)
    return Library(tuple(plans))
