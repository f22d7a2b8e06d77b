"""kill -9 in a burst of reports (issue 12): is every report saved once and confirmed?

Usage:
    .venv/bin/python bench/kill_burst.py                 # one run (~20–25 s)
    .venv/bin/python bench/kill_burst.py --runs 3        # three, then a summary table
    .venv/bin/python bench/kill_burst.py --seed 5        # kill points drawn at random
    .venv/bin/python bench/kill_burst.py --kill-after-inbox   # time one whole inbox
Other flags: --senders, --reports-each, --kills, --db-dir (default /var/tmp, the real
disk), --json FILE, --keep-logs DIR.

A real `python -m bot run` child process (its own environment, LOG_LEVEL=INFO) against
the fake Bot API of the tests (`tests/fake_bot_api.FakeBotApi`, imported through
sys.path as bench/load.py does; 127.0.0.1 only). Before the first start the database
gets 20 approved members of agency "snv" (`ProgressService.request_membership` then
`approve_member`, as tests/telegram/test_inbox_crash.py does) and the fake server holds 200
private `/capnhat 2.4 đang thực hiện K% đợt K` reports, ten from each (K = 1…10).

The bot is started and SIGKILLed five times (`--kills`) while it works through them:
kill k (of 5) comes once it has sent 1/(6−k) of the confirmations still missing (1/6,
1/5, 1/4, 1/3, 1/2: as the test), or, with `--seed`, at a point drawn between 0.5 and
1.5 times that. The kill is sent by the fake server itself as it delivers that message,
so the kill points do not depend on how busy this process is. A last start runs until
every report is confirmed, waits 0.5 s for anything more it would send, and gets
SIGTERM. Updates fetched before a kill were acknowledged to the fake server (it forgets
them), so only the bot's inbox still has them.

The first start fetches the whole burst into its inbox within a few getUpdates, so each
restart's inbox holds all that is left and is killed while still working through it;
`--kill-after-inbox` instead lets the second start finish its whole inbox before the
kill (one clean "time to finish N updates"; the later kills then hit an idle bot). The
bot's rate limiter (on, as in production: 24 sends/s after a burst of 3) paces the
confirmations.

Printed per run:
- reports saved (of 200) and rows written twice (the database, read after the end);
- senders short of a confirmation (fewer «Đã lưu»/«đã được lưu lúc» answers than
  reports), reports without their «Đã lưu» (matched by "Tỷ lệ: K%"), reports with two;
- extra confirmations: «đã được lưu lúc …» answers beyond one per report (a report whose
  «Đã lưu» was in flight at a kill is answered again after the restart; sendMessage
  cannot be made idempotent) — confirmations sent minus 200;
- per start: what the inbox held unfinished when it started, seconds from spawn to
  polling ("đang chạy" in the log) and to its first message delivered, how many it
  delivered, and seconds from spawn until the updates the inbox held were all handled
  (the read-only database polled every 10 ms), or, when the next kill came first, how
  many were still open then and when the kill came; the SIGTERM's exit code and seconds.

The exit status is 0 when every run saved every report once and confirmed it, else 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "tests", ROOT / "tests" / "auxil"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from fake_bot_api import FakeBotApi  # noqa: E402

from bot.storage.inbox import inbox_path  # noqa: E402

TOKEN = "424242:BenchTokenNotARealOne-0123456789abcdef"
ADMIN_ID = 900_001
PLAN = ROOT / "knowledge" / "plan.yaml"
AGENCY = "snv"
ITEM = "2.4"
SAVED = "Đã lưu báo cáo"
ALREADY = "đã được lưu lúc"
READY = "đang chạy"
START_TIMEOUT = 60.0
KILL_WAIT = 60.0  # for the confirmations before a kill
END_WAIT = 120.0  # for the last start to confirm everything
POLL = 0.01
PERCENT = re.compile(r"Tỷ lệ: (\d+)%")  # in a «Đã lưu» card
PERCENT_IN_REPORT = re.compile(r"(\d+)%")


class KillingApi(FakeBotApi):
    """The fake Bot API, sending SIGKILL to the bot the moment it has delivered the
    `kill_at`-th message (exact kill points, whatever the load on this process)."""

    def __init__(self, token: str):
        super().__init__(token)
        self.delivered = 0
        self.delivered_at: list[float] = []
        self.kill_at: int | None = None
        self.victim: asyncio.subprocess.Process | None = None
        self.killed = asyncio.Event()

    async def _api_sendMessage(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        result = await super()._api_sendMessage(params, files)
        self.delivered += 1
        self.delivered_at.append(time.monotonic())
        victim = self.victim
        if self.kill_at is not None and self.delivered >= self.kill_at and victim is not None:
            if victim.returncode is None:
                victim.send_signal(signal.SIGKILL)  # our own child, by its handle
            self.kill_at, self.victim = None, None
            self.killed.set()
        return result

    def arm(self, target: int, victim: asyncio.subprocess.Process) -> None:
        """Kill `victim` once `target` messages were delivered (at once if already)."""
        self.killed.clear()
        self.kill_at, self.victim = target, victim
        if self.delivered >= target:
            victim.send_signal(signal.SIGKILL)
            self.kill_at, self.victim = None, None
            self.killed.set()


@dataclass
class Start:
    """One start of the bot."""

    inbox_open_at_start: int = 0
    ready_s: float = 0.0
    first_answer_s: float | None = None  # spawn → its first message delivered
    answers: int = 0  # messages it delivered
    inbox_done_s: float | None = None  # None: killed (or stopped) before
    still_open_at_kill: int = 0
    killed_s: float | None = None  # seconds after spawn
    late_kill: bool = False  # everything was confirmed before the kill point
    confirmations_before_kill: int = 0
    ended_by: str = "SIGKILL"


@dataclass
class Run:
    senders: int
    reports: int
    saved: int = 0
    written_twice: int = 0
    senders_short: int = 0
    without_saved: int = 0
    saved_twice: int = 0
    already_answers: int = 0
    confirmations: int = 0
    extra_confirmations: int = 0
    starts: list[Start] = field(default_factory=list)
    sigterm_exit: int | None = None
    sigterm_s: float = 0.0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


async def seed(path: Path, senders: list[dict[str, Any]]) -> None:
    from bot.core.clock import SystemClock
    from bot.plan.loader import load_knowledge
    from bot.progress.service import ProgressService
    from bot.storage.sqlite import open_sqlite

    knowledge = load_knowledge(PLAN)
    db = open_sqlite(path, now=SystemClock().now())
    try:
        service = ProgressService(db, knowledge, SystemClock(), {ADMIN_ID})
        for user in senders:
            assert (await service.request_membership(user["id"], AGENCY, user["first_name"])).ok
            assert (await service.approve_member(ADMIN_ID, user["id"])).code == "ok"
    finally:
        db.close()


def bot_env(api: FakeBotApi, home: Path, db: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "PYTHONUTF8": "1",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api.base_url,
        "LOG_LEVEL": "INFO",
        "PLAN_PATH": str(PLAN),
        "DATABASE_URL": f"sqlite:///{db}",
        "ADMIN_IDS": str(ADMIN_ID),
        "WEBHOOK_URL": "",
    }


class Bot:
    """One `python -m bot run` child; its output (stderr merged) kept with times."""

    def __init__(self, process: asyncio.subprocess.Process, started: float):
        self.process = process
        self.started = started
        self.lines: list[str] = []
        self.ready = asyncio.Event()
        self.ready_at: float | None = None
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def spawn(cls, home: Path, env: dict[str, str]) -> Bot:
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=home,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        return cls(process, started)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while raw := await self.process.stdout.readline():
            line = raw.decode("utf-8", "replace")
            self.lines.append(line)
            if READY in line and not self.ready.is_set():
                self.ready_at = time.monotonic()
                self.ready.set()

    async def wait_ready(self) -> None:
        waiter = asyncio.create_task(self.ready.wait())
        await asyncio.wait(
            {waiter, self._reader}, timeout=START_TIMEOUT, return_when="FIRST_COMPLETED"
        )
        if not self.ready.is_set():
            waiter.cancel()
            raise RuntimeError("the bot did not start:\n" + "".join(self.lines[-40:]))

    async def end(self, sig: int, timeout: float) -> int:
        """Send `sig` to this child (by its handle) and wait for it; its exit code."""
        if self.process.returncode is None:
            self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), timeout)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._reader, 5)
        return code

    def kill_if_alive(self) -> None:
        if self.process.returncode is None:
            self.process.kill()


def open_inbox(db: Path) -> list[int]:
    """The update ids stored but not yet handled (the bot is not running); the inbox is
    the file beside the database (`bot.storage.inbox.inbox_path`)."""
    conn = sqlite3.connect(f"file:{inbox_path(db)}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT update_id FROM update_inbox WHERE handled_at IS NULL")
        return [int(r[0]) for r in rows]
    finally:
        conn.close()


async def watch_inbox(db: Path, ids: list[int], bot: Bot, start: Start) -> None:
    """Note when every update in `ids` is handled (polled read-only while the bot runs)."""
    if not ids:
        return
    conn = sqlite3.connect(f"file:{inbox_path(db)}?mode=ro", uri=True, timeout=1.0)
    marks = ",".join("?" * len(ids))
    query = f"SELECT COUNT(*) FROM update_inbox WHERE handled_at IS NULL AND update_id IN ({marks})"
    try:
        while True:
            with contextlib.suppress(sqlite3.OperationalError):  # busy, or mid-recovery
                (left,) = conn.execute(query, ids).fetchone()
                start.still_open_at_kill = int(left)
                if left == 0:
                    start.inbox_done_s = round(time.monotonic() - bot.started, 3)
                    return
            await asyncio.sleep(POLL)
    finally:
        conn.close()


def confirmations(api: FakeBotApi) -> list[tuple[int, str]]:
    """(chat, text) of every confirmation the fake server delivered."""
    return [
        (int(c.params["chat_id"]), str(c.params.get("text")))
        for c in api.calls_to("sendMessage")
        if c.status == 200
        and (SAVED in str(c.params.get("text")) or ALREADY in str(c.params.get("text")))
    ]


async def one_run(args: argparse.Namespace, number: int, rnd: random.Random | None) -> Run:
    senders = [FakeBotApi.user(600 + i, f"Cán bộ {i}") for i in range(args.senders)]
    run = Run(senders=len(senders), reports=len(senders) * args.reports_each)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-kill-", dir=args.db_dir) as tmp:
        home, db = Path(tmp), Path(tmp) / "bot.db"
        await seed(db, senders)
        async with KillingApi(TOKEN) as api:
            sent = [
                api.send(api.private(user), user, f"/capnhat {ITEM} đang thực hiện {k}% đợt {k}")
                for k in range(1, args.reports_each + 1)
                for user in senders
            ]
            total = len(sent)
            env = bot_env(api, home, db)
            bot: Bot | None = None
            try:
                for kill in range(args.kills + 1):
                    last = kill == args.kills
                    start = Start(inbox_open_at_start=len(held := open_inbox(db)))
                    run.starts.append(start)
                    bot = await Bot.spawn(home, env)
                    watcher = asyncio.create_task(watch_inbox(db, held, bot, start))
                    await bot.wait_ready()
                    assert bot.ready_at is not None
                    start.ready_s = round(bot.ready_at - bot.started, 3)
                    before = api.delivered
                    if last:
                        await wait_all_confirmed(api, sent, END_WAIT)
                        await asyncio.sleep(0.5)  # anything more it would (wrongly) send
                        await asyncio.wait_for(watcher, 10)
                        stopping = time.monotonic()
                        run.sigterm_exit = await bot.end(signal.SIGTERM, 30)
                        run.sigterm_s = round(time.monotonic() - stopping, 2)
                        start.ended_by = "SIGTERM"
                    else:
                        share = (total - before) / (args.kills + 1 - kill)
                        if rnd is not None:
                            share *= rnd.uniform(0.5, 1.5)
                        target = before + max(1, int(share))
                        if args.kill_after_inbox:
                            await asyncio.wait_for(asyncio.shield(watcher), KILL_WAIT)
                            target = max(target, api.delivered + 1)
                        api.arm(target, bot.process)
                        waits = {
                            asyncio.create_task(api.killed.wait()),
                            asyncio.create_task(wait_all_confirmed(api, sent, KILL_WAIT)),
                        }
                        await asyncio.wait(waits, return_when="FIRST_COMPLETED")
                        for waiting in waits:
                            waiting.cancel()
                        if not api.killed.is_set():  # all confirmed before the kill point
                            start.late_kill = True
                            api.arm(api.delivered, bot.process)  # kills at once
                        start.killed_s = round(time.monotonic() - bot.started, 3)
                        code = await bot.end(signal.SIGKILL, 10)
                        if code != -signal.SIGKILL:
                            run.problems.append(f"start {kill + 1}: exit {code} before the kill")
                        watcher.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await watcher
                    start.confirmations_before_kill = len(confirmations(api))
                    mine = [t - bot.started for t in api.delivered_at[before:]]
                    start.answers = len(mine)
                    start.first_answer_s = round(mine[0], 3) if mine else None
                    problem = [ln for ln in bot.lines if "Traceback" in ln or "ERROR" in ln]
                    if problem or (args.keep_logs and last):
                        keep = save_log(args, number, kill, bot)
                        if problem:
                            run.problems.append(f"start {kill + 1}: {problem[0].strip()} ({keep})")
            finally:
                if bot is not None:
                    bot.kill_if_alive()  # our own child, by its handle
                    await bot.process.wait()
            count(run, api, db, sent)
    run.seconds = round(time.monotonic() - began, 1)
    return run


def save_log(args: argparse.Namespace, number: int, kill: int, bot: Bot) -> str:
    where = args.keep_logs or Path(tempfile.gettempdir())
    where.mkdir(parents=True, exist_ok=True)
    path = where / f"kill_burst-run{number}-start{kill + 1}.log"
    path.write_text("".join(bot.lines), encoding="utf-8")
    return str(path)


async def wait_all_confirmed(api: FakeBotApi, sent: list[dict[str, Any]], timeout: float) -> None:
    """Until every (sender, K) has a confirmation, or `timeout` (the count then shows it)."""
    wanted = Counter(m["chat"]["id"] for m in sent)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = Counter(chat for chat, _ in confirmations(api))
        if all(got[chat] >= n for chat, n in wanted.items()):
            return
        await asyncio.sleep(0.05)


def count(run: Run, api: FakeBotApi, db: Path, sent: list[dict[str, Any]]) -> None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT source_chat_id, source_message_id FROM progress_updates"
        ).fetchall()
    finally:
        conn.close()
    expected = {(m["chat"]["id"], m["message_id"]) for m in sent}
    stored = Counter((int(a), int(b)) for a, b in rows if a is not None and b is not None)
    run.saved = len(expected & set(stored))
    run.written_twice = sum(n - 1 for n in stored.values() if n > 1)
    if set(stored) - expected:
        run.problems.append(f"{len(set(stored) - expected)} rows that no report asked for")
    confirmed = confirmations(api)
    run.confirmations = len(confirmed)
    run.extra_confirmations = len(confirmed) - len(sent)
    run.already_answers = sum(1 for _, text in confirmed if ALREADY in text)
    wanted = Counter(m["chat"]["id"] for m in sent)
    per_chat = Counter(chat for chat, _ in confirmed)
    run.senders_short = sum(1 for chat, n in wanted.items() if per_chat[chat] < n)
    saved = Counter(
        (chat, int(m.group(1)))
        for chat, text in confirmed
        if SAVED in text and (m := PERCENT.search(text))
    )
    reports = set()
    for message in sent:
        found = PERCENT_IN_REPORT.search(str(message["text"]))
        assert found is not None
        reports.add((message["chat"]["id"], int(found.group(1))))
    run.without_saved = sum(1 for key in reports if saved[key] == 0)
    run.saved_twice = sum(1 for n in saved.values() if n > 1)


def print_run(number: int, run: Run) -> None:
    print(
        f"\n== run {number}: {run.reports} reports from {run.senders} members, "
        f"{len(run.starts) - 1} kills, {run.seconds} s =="
    )
    print(
        f"saved {run.saved} of {run.reports}; written twice {run.written_twice}; "
        f"senders short of a confirmation {run.senders_short}; "
        f"reports without «Đã lưu» {run.without_saved} (answered «đã được lưu lúc» instead "
        f"or not at all); «Đã lưu» twice {run.saved_twice}"
    )
    print(
        f"confirmations {run.confirmations} ({run.already_answers} «đã được lưu lúc»); "
        f"extra confirmations {run.extra_confirmations}; SIGTERM: exit {run.sigterm_exit} "
        f"in {run.sigterm_s} s"
    )
    for n, start in enumerate(run.starts, 1):
        if start.inbox_open_at_start == 0:
            inbox = "inbox empty"
        elif start.inbox_done_s is not None:
            inbox = f"its {start.inbox_open_at_start} finished {start.inbox_done_s} s after spawn"
        else:
            inbox = (
                f"{start.still_open_at_kill} of its {start.inbox_open_at_start} still open "
                f"at the {start.ended_by} {start.killed_s} s after spawn"
            )
        print(
            f"  start {n}: inbox held {start.inbox_open_at_start}; polling after "
            f"{start.ready_s} s, first answer after {start.first_answer_s} s, {start.answers}"
            f" answers; {inbox}; confirmations so far {start.confirmations_before_kill};"
            f" ended by {start.ended_by}{' (late: all confirmed)' if start.late_kill else ''}"
        )
    for problem in run.problems:
        print(f"  PROBLEM: {problem}")


def print_summary(runs: Sequence[Run]) -> None:
    if len(runs) < 2:
        return
    print("\n== summary ==")
    print("run | saved | twice | senders short | extra | restart: inbox finished after (s)")
    for n, run in enumerate(runs, 1):
        done = [
            f"{s.inbox_done_s}"
            if s.inbox_done_s is not None
            else f"killed ({s.still_open_at_kill} open)"
            for s in run.starts
            if s.inbox_open_at_start
        ]
        print(
            f"{n} | {run.saved}/{run.reports} | {run.written_twice} | {run.senders_short} | "
            f"{run.extra_confirmations} | {', '.join(done)}"
        )
    finished = [s.inbox_done_s for r in runs for s in r.starts if s.inbox_done_s is not None]
    if finished:
        print(
            f"inbox finished after: median {statistics.median(finished):.2f} s, max {max(finished):.2f} s"
        )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--reports-each", type=int, default=10)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=None, help="draw the kill points at random")
    parser.add_argument(
        "--kill-after-inbox",
        action="store_true",
        help="a restart is killed only once it finished what its inbox held at start",
    )
    parser.add_argument("--db-dir", type=Path, default=None, help="default /var/tmp (real disk)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--keep-logs", type=Path, default=None, help="keep the last start's log")
    args = parser.parse_args(argv)
    if min(args.runs, args.senders, args.reports_each) < 1 or args.kills < 0:
        parser.error("--runs, --senders, --reports-each must be positive, --kills not negative")
    if not 1 <= args.reports_each <= 100:
        parser.error("--reports-each must be 1…100 (it is the percent of each report)")
    if args.db_dir is None:
        args.db_dir = Path("/var/tmp") if Path("/var/tmp").is_dir() else None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    load = os.getloadavg()
    print(
        f"bench/kill_burst.py {datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}, database under {args.db_dir or tempfile.gettempdir()}, "
        f"seed {args.seed}, load average {load[0]:.2f}"
    )
    rnd = random.Random(args.seed) if args.seed is not None else None
    runs = []
    for number in range(1, args.runs + 1):
        run = asyncio.run(one_run(args, number, rnd))
        print_run(number, run)
        runs.append(run)
    print_summary(runs)
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=2), encoding="utf-8")
    ok = all(
        r.saved == r.reports and not r.written_twice and not r.senders_short and not r.problems
        for r in runs
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
