"""Import fidelity (issue 17): import a plan's source and compare with its hand-made YAML.

    .venv/bin/python bench/import_fidelity.py                 # knowledge/source/*.txt vs knowledge/plan.yaml
    .venv/bin/python bench/import_fidelity.py SOURCE EXPECTED  # any pair (e.g. a fixture)

Figures:
- item F1: an item counts when the import has its id with the same text (spaces aside);
- assignment F1: over (item, agency, role) triples, every role of every agency;
- deadline accuracy: per expected assignment (item id + part letter), the import's
  assignment has the same kind and fields (quarter, year, day, month, date); the wording
  of an event is not compared.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.yaml_io import load_yaml_file  # noqa: E402
from bot.importer import import_plan, write_draft  # noqa: E402

DEADLINE_FIELDS = ("kind", "quarter", "year", "day", "month", "date")


def _norm(text: str) -> str:
    return " ".join(str(text).split())


def _items(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for g in plan["groups"] for i in g["items"]]


def _f1(got: set[Any], want: set[Any]) -> tuple[float, float, float]:
    hit = len(got & want)
    p = hit / len(got) if got else 0.0
    r = hit / len(want) if want else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _triples(plan: dict[str, Any]) -> set[tuple[str, str, str]]:
    out = set()
    for item in _items(plan):
        for a in item["assignments"]:
            for ar in a["agencies"]:
                roles = ar.get("roles") or [ar["role"]]
                out |= {(str(item["id"]), ar["agency"], r) for r in roles}
    return out


def _deadlines(plan: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    out = {}
    for item in _items(plan):
        for a in item["assignments"]:
            dl = a["deadline"]
            out[f"{item['id']}{a.get('part') or ''}"] = tuple(dl.get(f) for f in DEADLINE_FIELDS)
    return out


def compare(got: dict[str, Any], want: dict[str, Any]) -> dict[str, Any]:
    """The three figures (and what differs) of an imported plan against the expected."""
    got_items = {(str(i["id"]), _norm(i["text"])) for i in _items(got)}
    want_items = {(str(i["id"]), _norm(i["text"])) for i in _items(want)}
    got_t, want_t = _triples(got), _triples(want)
    got_d, want_d = _deadlines(got), _deadlines(want)
    right = [k for k, v in want_d.items() if got_d.get(k) == v]
    return {
        "items": _f1(got_items, want_items),
        "assignments": _f1(got_t, want_t),
        "deadlines": len(right) / len(want_d) if want_d else 0.0,
        "deadline_counts": (len(right), len(want_d)),
        "item_counts": (len(got_items & want_items), len(got_items), len(want_items)),
        "triple_counts": (len(got_t & want_t), len(got_t), len(want_t)),
        "missing_triples": sorted(want_t - got_t),
        "extra_triples": sorted(got_t - want_t),
        "missing_items": sorted(want_items - got_items),
        "wrong_deadlines": sorted(
            (k, v, got_d.get(k)) for k, v in want_d.items() if got_d.get(k) != v
        ),
    }


def run(source: Path, expected: Path, agencies: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        result = write_draft(import_plan(source, agencies), Path(tmp))
        got = load_yaml_file(Path(tmp) / "plan.yaml")
    figures = compare(got, load_yaml_file(expected))
    figures["check_plan"] = not result.problems
    return figures


def report(name: str, f: dict[str, Any]) -> None:
    ip, ir, i1 = f["items"]
    ap, ar, a1 = f["assignments"]
    print(f"{name}")
    print(f"  item F1        {i1:.3f}  (P {ip:.3f}, R {ir:.3f}; {f['item_counts']})")
    print(f"  assignment F1  {a1:.3f}  (P {ap:.3f}, R {ar:.3f}; {f['triple_counts']})")
    print(
        f"  deadline acc.  {f['deadlines']:.3f}  ({f['deadline_counts'][0]}/{f['deadline_counts'][1]})"
    )
    print(f"  check-plan     {'ok' if f['check_plan'] else 'FAILS'}")
    for label in ("missing_items", "missing_triples", "extra_triples", "wrong_deadlines"):
        if f[label]:
            print(f"  {label}: {f[label]}")


def main(argv: list[str]) -> int:
    agencies = ROOT / "knowledge" / "agencies.yaml"
    if len(argv) == 2:
        pairs = [(Path(argv[0]), Path(argv[1]))]
    else:
        pairs = [
            (s, ROOT / "knowledge" / "plan.yaml")
            for s in sorted((ROOT / "knowledge" / "source").glob("*.txt"))
        ]
    for source, expected in pairs:
        report(
            f"{source.name} vs {expected.relative_to(ROOT) if expected.is_relative_to(ROOT) else expected}",
            run(source, expected, agencies),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
