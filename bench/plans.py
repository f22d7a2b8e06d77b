"""Measure what serving several plans costs the brain: start-up and per message.

Usage: .venv/bin/python bench/plans.py [--repeat N] [--messages N]
Builds the desk of one plan (knowledge/plan.yaml) and of two (the same plus Kế hoạch
58/KH-UBND, the importer's table fixture, imported into a temporary folder as
tests/auxil/two_plans.py does), then answers the same messages (tests/cases/nlu_cases.yaml)
with each, alternating, and prints start-up (after a first build has filled what every
plan shares: the intents, the lexicon), p50/p99 per message and the ratios two/one in the
same run (the machine is shared: ratios in one run, not absolute figures, compare).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "auxil"))
TODAY = date(2026, 11, 30)


def build(path: Path) -> tuple[object, float]:
    from bot.brain import Brain, PlanDesk
    from bot.plan.library import load_library

    start = time.perf_counter()
    library = load_library(path)
    desk = PlanDesk(library, [Brain(k) for k in library])
    return desk, time.perf_counter() - start


def timed(desk: object, texts: list[str]) -> list[float]:
    out = []
    for text in texts:
        start = time.perf_counter()
        desk.answer(text, today=TODAY)  # type: ignore[attr-defined]
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--messages", type=int, default=600)
    args = parser.parse_args()
    from two_plans import two_plan_folder

    cases = yaml.safe_load((ROOT / "tests" / "cases" / "nlu_cases.yaml").read_text("utf-8"))
    texts = [str(c["q"]) for c in cases["cases"] if "q" in c][: args.messages]
    with tempfile.TemporaryDirectory() as tmp:
        folder = two_plan_folder(Path(tmp) / "k")
        build(ROOT / "knowledge" / "plan.yaml")  # the caches every plan shares (intents…)
        one, one_start = build(ROOT / "knowledge" / "plan.yaml")
        two, two_start = build(folder)
        timed(one, texts)  # warm both
        timed(two, texts)
        gc.collect()
        runs: dict[str, list[float]] = {"one": [], "two": []}
        for _ in range(args.repeat):
            runs["one"] += timed(one, texts)
            runs["two"] += timed(two, texts)

    def q(values: list[float], p: float) -> float:
        return statistics.quantiles(values, n=100)[int(p) - 1]

    print(
        f"bench/plans.py {time.strftime('%Y-%m-%d %H:%M')}, {len(texts)} messages x {args.repeat}"
    )
    print(
        f"start-up (load + build): one plan {one_start:.3f} s, two plans {two_start:.3f} s"
        f" (x{two_start / one_start:.2f})"
    )
    for name in ("one", "two"):
        values = runs[name]
        print(
            f"{name:>3} plan(s): p50 {q(values, 50):.2f} ms, p99 {q(values, 99):.2f} ms,"
            f" mean {statistics.fmean(values):.2f} ms"
        )
    print(
        f"ratio two/one: p50 x{q(runs['two'], 50) / q(runs['one'], 50):.2f},"
        f" p99 x{q(runs['two'], 99) / q(runs['one'], 99):.2f},"
        f" mean x{statistics.fmean(runs['two']) / statistics.fmean(runs['one']):.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
