"""CPU per update without HTTP: bench/load.py's message mix against the real bot, in-process.

Usage:
    .venv/bin/python bench/cpu.py                      # 300/s for 10 s, asyncio's loop
    .venv/bin/python bench/cpu.py --uvloop             # the loop `python -m bot run` serves on
    .venv/bin/python bench/cpu.py --root /tmp/base-load --duration 20 --rate 300

`bench/load.py` measures the bot as it runs, across processes and real sockets; on a
shared two-core machine its "CPU per update" moves by ±0.5 ms with the other processes'
load, more than most changes it is meant to judge. This one builds the same database
(`load.build_scenario`: members, linked groups, a year of reports) and the same `Runtime`
as bench/load_bot.py, but answers the Bot API in the same process (`InProcessApi`: a
`BaseRequest` that hands getUpdates the driver's updates and takes sendMessage without
a socket), drives it with load.py's `Driver` (same seed, same mix) and prints the
process's CPU (getrusage: all threads, the fake API and the driver included) per answer
delivered. Alternate two trees (`--root`) in the same minutes to compare code.

The database lives under /dev/shm (tmpfs) and is removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from telegram.request import BaseRequest, RequestData


def _import_tree(root: Path) -> Any:
    """Put `root`'s bot, bench and test helpers first on sys.path; its bench/load.py."""
    for path in (root / "tests" / "auxil", root / "tests", root / "bench", root):
        sys.path.insert(0, str(path))
    import load  # the tree's own bench/load.py (its scenario, driver and fake API)

    return load


class InProcessApi(BaseRequest):
    """Bot API calls answered in this process: getUpdates from the driver's queue (waiting
    up to a second for one), sendMessage recorded for the driver, the rest by the test
    suite's fake API."""

    def __init__(self, api: Any, wake: asyncio.Event):
        self.api = api
        self.wake = wake
        self.sent = 0

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **_: Any
    ) -> tuple[int, bytes]:
        name = url.rpartition("/")[2]
        params = request_data.parameters if request_data is not None else {}
        orjson.dumps(params)  # the transport's serialisation
        result: Any
        if name == "getUpdates":
            result = await self._updates(int(params.get("offset", 0)))
        elif name == "sendMessage":
            self.sent += 1
            self.api.recorder.reply(params, time.monotonic())
            result = {"message_id": 5000 + self.sent, "date": 0, "chat": {"id": params["chat_id"]}}
        else:
            result = await getattr(self.api, f"_api_{name}")(dict(params), {})
        return 200, orjson.dumps({"ok": True, "result": result})

    async def _updates(self, offset: int) -> list[dict[str, Any]]:
        queued = self.api.updates
        if not queued:
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), 1.0)
            except TimeoutError:
                return []
        batch = [u for u in queued[:100] if u["update_id"] >= offset]
        del queued[: len(batch)]
        self.api.recorder.handed_out(batch, time.monotonic())
        return batch


async def measure(root: Path, rate: float, duration: float, seed: int) -> str:
    load = _import_tree(root)
    from pydantic import SecretStr

    from bot.app.runtime import Runtime
    from bot.core.clock import SystemClock
    from bot.core.config import Settings
    from bot.plan.loader import load_knowledge
    from bot.storage.sqlite import open_sqlite
    from bot.telegram import app, errors

    tmp = Path(tempfile.mkdtemp(prefix="bench-cpu-", dir="/dev/shm"))
    try:
        db_path = tmp / "bench.db"
        options = load.Options(
            mode="off",
            users=600,
            messages=10**9,
            duration=duration,
            rate=rate,
            think=1.0,
            drain=30.0,
            capnhat_share=0.10,
            group_share=0.10,
            member_share=0.25,
            seed=seed,
        )
        scenario = await load.build_scenario(db_path, options.users, options.member_share, 5000)
        errors.configure_logging("WARNING")
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            telegram_bot_token=SecretStr(load.TOKEN),
            plan_path=root / "knowledge" / "plan.yaml",
            database_url=f"sqlite:///{db_path}",
            admin_ids=frozenset({load.ADMIN_ID}),
            telegram_api_url="http://127.0.0.1:1/bot",  # never dialled
            webhook_url=None,
            webhook_secret=None,
            log_level="WARNING",
            heartbeat_path=None,
            # everything in this process, as the CPU it reports (getrusage) counts; an older
            # tree (--root) ignores the setting
            brain_process=False,
        )
        recorder = load.Recorder()
        api, wake = load.BenchApi(load.TOKEN, recorder), asyncio.Event()
        push = api.push

        def push_and_wake(update: dict[str, Any]) -> dict[str, Any]:
            queued = push(update)
            wake.set()
            return queued

        api.push = push_and_wake
        knowledge = load_knowledge(settings.plan_path)
        db = open_sqlite(db_path, now=SystemClock(settings.tz).now())
        runtime = Runtime.build(settings, knowledge, database=db)
        app.settle_heap()
        stop, ready = asyncio.Event(), asyncio.Event()
        serving = asyncio.create_task(
            runtime.serve(
                stop=stop,
                ready=ready,
                rate_limiter=False,
                request=InProcessApi(api, wake),
                get_updates_request=InProcessApi(api, wake),
            )
        )
        await ready.wait()
        driver = load.Driver(api, scenario, options, rate)
        before = resource.getrusage(resource.RUSAGE_SELF)
        await driver.run()
        after = resource.getrusage(resource.RUSAGE_SELF)
        stop.set()
        await serving
        runtime.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    delivered = len(recorder.delivered_at)
    latencies = sorted(x for values in recorder.latencies.values() for x in values)
    return (
        f"{root}: delivered {delivered} of {driver.injected}; CPU {cpu:.2f} s"
        f" ({1000 * cpu / max(1, delivered):.3f} ms per update); latency p50"
        f" {1000 * load.percentile(latencies, 0.5):.1f} ms, p99"
        f" {1000 * load.percentile(latencies, 0.99):.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--uvloop", action="store_true", help="serve on uvloop's loop")
    args = parser.parse_args()
    factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    if args.uvloop:
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        print(runner.run(measure(args.root.resolve(), args.rate, args.duration, args.seed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
