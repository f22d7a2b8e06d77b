"""What the import tests share: the registry and fixtures, importing a fixture into a draft,
its hand-made expected YAML, bench/import_fidelity.py's comparison, and readers of items."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bot.core.yaml_io import load_yaml_file
from bot.importer import ImportResult, import_plan, write_draft

ROOT = Path(__file__).resolve().parents[2]
AGENCIES = ROOT / "knowledge" / "agencies.yaml"
FIXTURES = ROOT / "tests" / "fixtures" / "import"

sys.path.insert(0, str(ROOT / "bench"))
from import_fidelity import compare  # noqa: E402

__all__ = [
    "AGENCIES",
    "FIXTURES",
    "ROOT",
    "agencies_of",
    "assert_every_figure_exact",
    "compare",
    "expected",
    "imported",
    "items_of",
    "read_alike",
]


def imported(path: Path, out: Path) -> tuple[dict[str, Any], ImportResult]:
    """The draft of `path` written under `out` (as `import-plan` writes it), read back."""
    result = write_draft(import_plan(path, AGENCIES), out)
    return load_yaml_file(out / "plan.yaml"), result


def expected(source: Path) -> dict[str, Any]:
    """The hand-made expected YAML beside a fixture (`<name>.expected.yaml`)."""
    return load_yaml_file(source.with_name(source.stem + ".expected.yaml"))


def items_of(plan: dict[str, Any]) -> dict[str, Any]:
    return {i["id"]: i for g in plan["groups"] for i in g["items"]}


def agencies_of(item: dict[str, Any], part: int = 0) -> dict[str, list[str]]:
    """An assignment's agencies and every role each is given."""
    return {
        a["agency"]: a.get("roles") or [a["role"]] for a in item["assignments"][part]["agencies"]
    }


def assert_every_figure_exact(figures: dict[str, Any]) -> None:
    """Every item, assignment (agency and role) and deadline as expected, each failure
    saying what differs."""
    assert figures["items"][2] == 1.0, figures["missing_items"]
    assert figures["assignments"][2] == 1.0, (figures["missing_triples"], figures["extra_triples"])
    assert figures["deadlines"] == 1.0, figures["wrong_deadlines"]


def read_alike(first: Path, second: Path, out: Path) -> bool:
    """Whether the two documents are imported into the same groups (a PDF and its text,
    a fixture and what its builder writes today)."""
    got_first, _ = imported(first, out / "first")
    got_second, _ = imported(second, out / "second")
    return bool(got_first["groups"] == got_second["groups"])
