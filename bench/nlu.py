"""Measure the brain: start-up (load plan, build indexes) and per-message latency.

Usage: .venv/bin/python bench/nlu.py [--repeat N]
Runs in-process over every case of tests/cases/*.yaml (and tests/holdout, and the
shared sample when present) and prints start-up time, p50/p99/max per message.
Targets (issue 3): start-up < 0.5 s, p99 < 2 ms on the 2-core machine.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import unicodedata
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def messages() -> list[tuple[str, date]]:
    files = [*ROOT.glob("tests/cases/*.yaml"), *ROOT.glob("tests/holdout/*.yaml")]
    sample = ROOT.parent / "shared" / "eval" / "sample.yaml"
    if sample.exists():
        files.append(sample)
    out = []
    for path in files:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        default = spec.get("defaults", {}).get("today", "2026-11-26")
        for case in spec["cases"]:
            day = date.fromisoformat(case.get("today", default))
            for text in case.get("turns") or [case["q"]]:  # a conversation: every turn
                q = str(text)
                if case.get("nfd"):
                    q = unicodedata.normalize("NFD", q)
                out.append((q, day))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3, help="passes over the case set")
    args = parser.parse_args()
    t0 = time.perf_counter()
    from bot.brain import Brain
    from bot.plan.loader import load_knowledge

    t_import = time.perf_counter() - t0
    t1 = time.perf_counter()
    brain = Brain(load_knowledge(ROOT / "knowledge" / "plan.yaml"))
    t_build = time.perf_counter() - t1
    gc.collect()
    gc.freeze()  # as run_bot does once start-up is built (bot/telegram/app.py settle_heap)
    msgs = messages()
    # first pass cold (caches empty), then warm passes
    timings: list[float] = []
    cold: list[float] = []
    for rep in range(args.repeat):
        for text, today in msgs:
            s = time.perf_counter()
            brain.answer(text, today=today)
            (cold if rep == 0 else timings).append(time.perf_counter() - s)
    timings = timings or cold

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    print(f"messages per pass: {len(msgs)}, passes: {args.repeat}")
    print(
        f"start-up: imports {t_import:.3f} s + load plan and build indexes {t_build:.3f} s"
        f" = {t_import + t_build:.3f} s"
    )
    print(
        f"cold pass: p50 {pct(cold, 50):.3f} ms, p99 {pct(cold, 99):.3f} ms, max {max(cold) * 1000:.3f} ms"
    )
    print(
        f"warm: p50 {pct(timings, 50):.3f} ms, p99 {pct(timings, 99):.3f} ms,"
        f" max {max(timings) * 1000:.3f} ms, mean {statistics.mean(timings) * 1000:.3f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
