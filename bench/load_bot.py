"""The bot process of `bench/load.py`: the production bot against a fake Bot API URL.

Usage (started by bench/load.py, not by hand):
    python bench/load_bot.py --base-url http://127.0.0.1:PORT/bot --db PATH
                             [--limiter] [--commit-delay-ms N] --deadline SECONDS

Runs the composition root (`Runtime`: the real `Brain`, `default_features`: progress +
reminders) as `python -m bot run` does: one database, opened here, for the update inbox,
progress and reminders. Except that the Bot API URL is the fake server's, the rate limiter
can be switched off (`run_bot` always has it on), and `--commit-delay-ms` makes the
database's writer thread sleep that long inside each transaction before COMMIT, holding the
write lock as a slow fsync would (`open_sqlite(..., commit_delay=...)`). It prints one JSON line
`{"event": "ready", …}` once polling, then stops when its standard input reaches end
of file (or a line arrives), or after `--deadline` seconds whatever happens, and prints
`{"event": "done", "peak_rss_mib": …, "cpu_seconds": …, "loop_lag_…": …, "writer_…": …}`
(getrusage, stdlib; the loop lag is how late a 20 ms sleeper wakes: p99 and the worst
stall; the writer's transactions from "ready" to the bot's exit: batches, jobs, and
p50/p99/max of BEGIN → COMMIT returned, the injected delay included; the largest batch
since the database opened; the same for the update inbox's own file and writer,
`inbox_writer_…`).
Nothing here imports the test helpers, so the figures are the bot's own; `--transport
httpx` swaps in PTB's own HTTP client to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telegram.request import BaseRequest

    from bot.storage.writer import WriterStats

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TOKEN = "424242:BenchTokenNotARealOne-0123456789abcdef"
ADMIN_ID = 900_001
START_TIMEOUT = 60.0
LAG_PROBE_SECONDS = 0.02
STOP_TIMEOUT = 120.0  # stopping lets PTB finish the updates it has (rate-limited sends)


def peak_rss_mib() -> float:
    """Peak resident set size of this process (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _requests(transport: str) -> tuple[BaseRequest | None, BaseRequest | None]:
    """The bot's two HTTP clients (calls, getUpdates). "aiohttp": None, None, i.e. the
    production default (bot/telegram/transport.py); "httpx": PTB's HTTPXRequest with
    PTB's default sizes, to compare."""
    if transport == "aiohttp":
        return None, None
    from telegram.request import HTTPXRequest

    return HTTPXRequest(connection_pool_size=256), HTTPXRequest(connection_pool_size=1)


async def loop_lag(lags: list[float], every: float = LAG_PROBE_SECONDS) -> None:
    """How late the event loop wakes a sleeper: a stall blocks every update at once."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + every
        await asyncio.sleep(every)
        lags.append(max(0.0, loop.time() - due))


async def stdin_closed() -> None:
    """Return when a line or end of file arrives on stdin (a daemon thread reads it, so
    a parent that neither writes nor closes cannot keep this process alive)."""
    loop = asyncio.get_running_loop()
    done = asyncio.Event()

    def read() -> None:
        sys.stdin.readline()
        loop.call_soon_threadsafe(done.set)

    threading.Thread(target=read, name="stdin-watch", daemon=True).start()
    await done.wait()


class GcPauses:
    """Time spent in the cyclic garbage collector, per generation (gc.callbacks)."""

    def __init__(self) -> None:
        self.total = [0.0, 0.0, 0.0]
        self.worst = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took, gen = time.perf_counter() - self._started, info["generation"]
        self.total[gen] += took
        self.worst[gen] = max(self.worst[gen], took)
        self.count[gen] += 1

    def summary(self) -> dict[str, object]:
        return {
            "gc_collections": self.count,
            "gc_seconds": [round(t, 3) for t in self.total],
            "gc_worst_ms": [round(1000 * t, 1) for t in self.worst],
        }


def say(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def writer_summary(
    stats: WriterStats, batches: int, jobs: int, commits_from: int, prefix: str = "writer"
) -> dict[str, object]:
    """The writer's work since a snapshot (`batches`, `jobs`, index into commit_seconds)."""
    seconds = sorted(stats.commit_seconds[commits_from:])

    def ms(q: float) -> float:
        return round(1000 * seconds[int(q * (len(seconds) - 1))], 1) if seconds else 0.0

    return {
        f"{prefix}_batches": stats.batches - batches,
        f"{prefix}_jobs": stats.jobs - jobs,
        f"{prefix}_largest_batch": stats.largest_batch,
        f"{prefix}_commit_p50_ms": ms(0.5),
        f"{prefix}_commit_p99_ms": ms(0.99),
        f"{prefix}_commit_max_ms": ms(1.0),
    }


async def run(
    base_url: str,
    db_path: Path,
    limiter: bool,
    deadline: float,
    transport: str,
    slots: int | None,
    commit_delay: float,
    brain_process: bool | None = None,
) -> int:
    from pydantic import SecretStr

    from bot.app.runtime import Runtime
    from bot.core.clock import SystemClock
    from bot.core.config import Settings
    from bot.plan.loader import load_knowledge
    from bot.storage.sqlite import open_sqlite
    from bot.telegram import app, errors

    if slots is not None:  # what build_application uses when serve passes nothing
        app.MAX_CONCURRENT_UPDATES = slots
    errors.configure_logging("WARNING")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_bot_token=SecretStr(TOKEN),
        plan_path=ROOT / "knowledge" / "plan.yaml",
        database_url=f"sqlite:///{db_path}",
        admin_ids=frozenset({ADMIN_ID}),
        telegram_api_url=base_url,
        webhook_url=None,
        webhook_secret=None,
        log_level="WARNING",
        heartbeat_path=None,
        brain_process=brain_process,
    )
    knowledge = load_knowledge(settings.plan_path)
    request, get_updates_request = _requests(transport)
    db = open_sqlite(db_path, now=SystemClock(settings.tz).now(), commit_delay=commit_delay)
    runtime = Runtime.build(settings, knowledge, database=db)  # closes db when it closes
    app.settle_heap()  # as run_bot does
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        runtime.serve(
            stop=stop,
            ready=ready,
            rate_limiter=limiter,
            request=request,
            get_updates_request=get_updates_request,
        )
    )
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiter}, timeout=START_TIMEOUT, return_when="FIRST_COMPLETED")
    if not ready.is_set():
        waiter.cancel()
        say("failed", reason="the bot did not start")
        stop.set()
        with contextlib.suppress(Exception):  # before the database closes under it
            await asyncio.wait_for(task, STOP_TIMEOUT)
        return 1
    if runtime.brain_worker is not None:  # steady state: the brain's own process answers
        await runtime.brain_worker.until_ready(START_TIMEOUT)
    started = resource.getrusage(resource.RUSAGE_SELF)
    brain_started = brain_cpu(runtime)
    stats, inbox_stats = db.writer.stats, db.inbox.writer.stats
    writer_from = (stats.batches, stats.jobs, len(stats.commit_seconds))
    inbox_from = (inbox_stats.batches, inbox_stats.jobs, len(inbox_stats.commit_seconds))
    lags: list[float] = []
    pauses = GcPauses()
    gc.callbacks.append(pauses)
    watch = asyncio.create_task(loop_lag(lags))
    say("ready", rss_mib=peak_rss_mib())
    told = asyncio.create_task(stdin_closed())
    await asyncio.wait({told, task}, timeout=deadline, return_when="FIRST_COMPLETED")
    told.cancel()
    watch.cancel()
    brain_seconds = brain_cpu(runtime) - brain_started  # before it stops with the bot
    brain_rss = brain_peak_rss_mib(runtime)
    stop.set()
    code = await asyncio.wait_for(task, STOP_TIMEOUT)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime - started.ru_utime + usage.ru_stime - started.ru_stime
    lags.sort()
    say(
        "done",
        exit_code=code,
        peak_rss_mib=peak_rss_mib(),
        cpu_seconds=round(cpu + brain_seconds, 2),
        door_cpu_seconds=round(cpu, 2),
        brain_cpu_seconds=round(brain_seconds, 2),
        brain_peak_rss_mib=brain_rss,
        brain_process=runtime.brain_worker is not None,
        brain_answered=runtime.brain_worker.answered if runtime.brain_worker else 0,
        brain_left_to_door=runtime.brain_worker.left_to_door if runtime.brain_worker else 0,
        loop_lag_p99_ms=round(1000 * lags[int(0.99 * (len(lags) - 1))], 1) if lags else 0.0,
        loop_lag_max_ms=round(1000 * lags[-1], 1) if lags else 0.0,
        **pauses.summary(),
        **writer_summary(stats, *writer_from),
        **writer_summary(inbox_stats, *inbox_from, prefix="inbox_writer"),
    )
    return code


def _brain_proc(runtime: Any, name: str) -> str:
    """/proc/<pid>/<name> of the brain's own process ("" without one, or once it ended)."""
    worker = runtime.brain_worker
    process = worker._process if worker is not None else None
    if process is None:
        return ""
    try:
        return Path(f"/proc/{process.pid}/{name}").read_text()
    except OSError:
        return ""


def brain_cpu(runtime: Any) -> float:
    """CPU seconds (user + system) the brain's own process used so far (0 without one)."""
    stat = _brain_proc(runtime, "stat")
    if not stat:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def brain_peak_rss_mib(runtime: Any) -> float:
    """The brain's own process's peak resident memory (VmHWM), MiB (0 without one)."""
    for line in _brain_proc(runtime, "status").splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--limiter", action="store_true")
    parser.add_argument("--transport", choices=("httpx", "aiohttp"), default="aiohttp")
    parser.add_argument("--deadline", type=float, default=300.0)
    parser.add_argument("--slots", type=int, default=None, help="updates handled at once")
    parser.add_argument(
        "--commit-delay-ms",
        type=float,
        default=0.0,
        help="sleep this long in each write transaction before COMMIT (a slow fsync)",
    )
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile stats here")
    parser.add_argument(
        "--brain-process",
        choices=("auto", "on", "off"),
        default="auto",
        help="BRAIN_PROCESS: the brain in a process of its own (auto: as `run` decides)",
    )
    args = parser.parse_args()
    if not args.base_url.startswith("http://127.0.0.1:"):
        parser.error("--base-url must be a loopback URL (http://127.0.0.1:PORT/bot)")
    if args.commit_delay_ms < 0:
        parser.error("--commit-delay-ms must not be negative")
    bot = run(
        args.base_url,
        args.db,
        args.limiter,
        args.deadline,
        args.transport,
        args.slots,
        args.commit_delay_ms / 1000,
        {"auto": None, "on": True, "off": False}[args.brain_process],
    )
    from bot.app.runtime import event_loop

    with asyncio.Runner(loop_factory=event_loop()) as runner:  # as run_bot serves
        if args.profile is None:
            return runner.run(bot)
        import cProfile

        profiler = cProfile.Profile()
        try:
            return profiler.runcall(runner.run, bot)
        finally:
            profiler.dump_stats(args.profile)


if __name__ == "__main__":
    raise SystemExit(main())
