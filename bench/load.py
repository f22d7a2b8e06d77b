"""Load benchmark (issues 7, 12): many simulated users against the real bot, real long polling.

Usage:
    .venv/bin/python bench/load.py                  # both modes, default sizes (~2.5 min)
    .venv/bin/python bench/load.py --mode off --rate 300 --duration 20 --users 600
    .venv/bin/python bench/load.py --mode on --limited-rate 45 --duration 20
    .venv/bin/python bench/load.py --mode off --transport httpx     # PTB's own client
    .venv/bin/python bench/load.py --mode off --db-dir /dev/shm     # database on tmpfs
    .venv/bin/python bench/load.py --mode off --commit-delay-ms 200 # a 200 ms "fsync"
Other flags: --slots (updates handled at once), --messages (cap per mode), --think,
--drain, --capnhat-share, --group-share, --member-share, --seed, --json FILE,
--profile-bot FILE (cProfile).

Two processes, 127.0.0.1 only:

- this one runs the fake Telegram Bot API of the tests (`tests/fake_bot_api.FakeBotApi`,
  imported through sys.path — fast enough: it used about a quarter of a core at 300/s —
  and extended here by `BenchApi`, which times each answer, and `TelegramLimits`: 30
  sends in any second overall, 20 in any minute per group, else 429) and the driver;
- a child process (bench/load_bot.py) runs the bot as `python -m bot run` does: `serve`
  with the real `Brain`, the progress and reminders features (`default_features`) and
  the update inbox on one temporary SQLite database, real `getUpdates` long polling
  against the fake server.

The database lives in a temporary directory under `--db-dir` (default /var/tmp, on the
real disk here; /dev/shm is tmpfs), and every write goes through the database's writer
thread, which commits waiting writes together; `--commit-delay-ms N` makes it sleep N ms
inside each transaction before COMMIT, holding the write lock as a slow fsync would.

The driver injects messages at an offered rate (Poisson arrivals) for `--duration`
seconds or until `--messages` were sent: questions from tests/cases/nlu_cases.yaml in
private chats, `/capnhat` reports by approved members (privately, and in the groups
linked to their agency) and questions mentioning the bot in groups. A private user has
one message in flight at a time and rests `--think` seconds after the answer, so every
private answer is matched to its question ("skipped (no idle user)" counts arrivals that
found every user waiting: the bot was saturated); group answers quote the question and
are matched by its message id. Latency is inject time → arrival of the matching
sendMessage at the fake server (one clock: this process); it is split at the moment
getUpdates handed the message to the bot: the wait for the bot's next getUpdates, then
the bot's handling up to its answer. It is also reported by path: answers that wait for
a write of their own (`/capnhat` reports, private and in groups: the write path) and
answers that do not (questions, group mentions), each with p50/p95/p99 and count, next
to the loop lag and the writer's transactions (batches, jobs, BEGIN → COMMIT p50/p99)
the bot reports, and the CPU the machine's other processes used meanwhile (/proc/stat
less ours: on a shared machine, a run beside someone else's work is not comparable).
Every update is also written to the inbox (stored before it is handled, marked handled
after), so no answer is entirely free of the disk.

Modes:
- `off` (capacity): PTB's rate limiter off; delivered updates per second, p50/p99
  latency, the bot's peak RSS and CPU (getrusage in the child, stdlib).
- `on`: the bot's rate limiter on, as in production, and the fake server enforcing
  Telegram's limits, with more offered than they allow. Throughput is capped by design:
  it reports what was delivered, when the last answer came, the most sends in any
  second and to one group in any minute, and the 429 answers (there must be none).

Everything is bounded: injection stops after `--duration` or `--messages`, the wait for
the last answers after `--drain` seconds, the bot process stops itself after a deadline
even if this one dies, and the temporary directory is removed.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "tests", ROOT / "tests" / "auxil"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from fake_bot_api import (  # noqa: E402
    BOT_USERNAME,
    SENDING_METHODS,
    ApiError,
    FakeBotApi,
    RateLimits,
)

TOKEN = "424242:BenchTokenNotARealOne-0123456789abcdef"
ADMIN_ID = 900_001
USER_BASE = 10_000_000
GROUP_BASE = -1_009_000_000
PLAN = ROOT / "knowledge" / "plan.yaml"
CASES = ROOT / "tests" / "cases" / "nlu_cases.yaml"
BOT_START_TIMEOUT = 60.0
MEMBER_AGENCIES = (
    "snv",
    "stc",
    "skhdt",
    "syt",
    "sgddt",
    "ca_tinh",
    "vp_ubnd",
    "sxd",
    "h_tuy_phong",
)
BOT_SCRIPT = Path(__file__).resolve().parent / "load_bot.py"


# ---------------------------------------------------------------- the fake server side


class TelegramLimits(RateLimits):
    """Telegram's limits as sliding windows: `overall` sends per `overall_window` seconds,
    and `per_chat` per `per_chat_window` for groups only (negative chat ids)."""

    def check(self, chat_id: Any) -> None:
        now = self.clock()
        while self.sent_overall and now - self.sent_overall[0] >= self.overall_window:
            self.sent_overall.popleft()
        group = isinstance(chat_id, int) and chat_id < 0
        window = self.sent_by_chat.setdefault(chat_id, deque()) if group else None
        while window and now - window[0] >= self.per_chat_window:
            window.popleft()
        waits = []
        if len(self.sent_overall) >= self.overall:
            waits.append(self.sent_overall[0] + self.overall_window - now)
        if window is not None and len(window) >= self.per_chat:
            waits.append(window[0] + self.per_chat_window - now)
        if waits:
            retry = max(1, int(-(-max(waits) // 1)))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry)
        self.sent_overall.append(now)
        if window is not None:
            window.append(now)


@dataclass
class Outstanding:
    sent_at: float
    kind: str
    text: str = ""
    handed_at: float | None = None  # when getUpdates gave it to the bot


@dataclass
class Recorder:
    """Matches the bot's sendMessage calls to the injected messages."""

    private: dict[int, Outstanding] = field(default_factory=dict)
    quoted: dict[tuple[int, int], Outstanding] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    fetch_waits: list[float] = field(default_factory=list)  # injected → handed out
    handling: list[float] = field(default_factory=list)  # handed out → answer arrived
    delivered_at: list[float] = field(default_factory=list)
    sends: list[tuple[float, int]] = field(default_factory=list)
    extra: int = 0
    freed: asyncio.Queue[int] | None = None
    # every matched answer: (injected at, latency, kind, handed out at or None), for --trace
    trace: list[tuple[float, float, str, float | None]] = field(default_factory=list)

    def injected_private(self, chat_id: int, kind: str, text: str) -> None:
        self.private[chat_id] = Outstanding(time.monotonic(), kind, text)

    def injected_group(self, chat_id: int, message_id: int, kind: str, text: str) -> None:
        self.quoted[(chat_id, message_id)] = Outstanding(time.monotonic(), kind, text)

    def handed_out(self, updates: Sequence[dict[str, Any]], at: float) -> None:
        """getUpdates gave these to the bot: note when, for the latency split."""
        for update in updates:
            message = update.get("message") or {}
            chat_id = (message.get("chat") or {}).get("id")
            if not isinstance(chat_id, int):
                continue
            if chat_id > 0:
                found = self.private.get(chat_id)
            else:
                found = self.quoted.get((chat_id, message.get("message_id", 0)))
            if found is not None and found.handed_at is None:
                found.handed_at = at

    def unanswered(self) -> list[str]:
        """What is still waiting for an answer: chat, kind and text."""
        waiting = [*self.private.items(), *self.quoted.items()]
        return [f"{key}: {o.kind}: {o.text[:80]}" for key, o in waiting]

    @property
    def in_flight(self) -> int:
        return len(self.private) + len(self.quoted)

    def reply(self, params: dict[str, Any], at: float) -> None:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            return
        self.sends.append((at, chat_id))
        found: Outstanding | None
        if chat_id < 0:
            quoted = (params.get("reply_parameters") or {}).get("message_id")
            found = self.quoted.pop((chat_id, quoted), None) if quoted else None
        else:
            found = self.private.pop(chat_id, None)
            if found is not None and self.freed is not None:
                self.freed.put_nowait(chat_id)
        if found is None:
            self.extra += 1  # a second piece of a long answer, or an unsolicited message
            return
        self.latencies.setdefault(found.kind, []).append(at - found.sent_at)
        self.trace.append((found.sent_at, at - found.sent_at, found.kind, found.handed_at))
        if found.handed_at is not None:
            self.fetch_waits.append(found.handed_at - found.sent_at)
            self.handling.append(at - found.handed_at)
        self.delivered_at.append(at)


class BenchApi(FakeBotApi):
    """The test suite's fake Bot API, timing each answer as it arrives."""

    def __init__(self, token: str, recorder: Recorder):
        super().__init__(token)
        self.recorder = recorder

    async def _api_getUpdates(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        batch = await super()._api_getUpdates(params, files)
        self.recorder.handed_out(batch, time.monotonic())
        return batch

    async def _api_sendMessage(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        arrived = time.monotonic()
        result = await super()._api_sendMessage(params, files)
        self.recorder.reply(params, arrived)
        return result


# ---------------------------------------------------------------- the scenario


@dataclass(frozen=True)
class Member:
    user_id: int
    agency_id: str
    items: tuple[str, ...]
    group_id: int | None


@dataclass
class Scenario:
    """Who is who: approved members (with their agency's items), linked groups."""

    users: list[int]
    members: list[Member]
    groups: dict[int, str]  # linked group id → agency
    questions: list[str]


def load_questions() -> list[str]:
    """The questions of nlu_cases.yaml; `/cmd@TheRealBot` is addressed to the fake bot."""
    spec = yaml.safe_load(CASES.read_text(encoding="utf-8"))
    questions = [str(case["q"]) for case in spec["cases"] if str(case["q"]).strip()]
    return [q.replace("@TroLyKeHoachBot", f"@{BOT_USERNAME}") for q in questions]


async def seed_history(
    db: Any, knowledge: Any, reporters: list[Member], count: int, now: datetime
) -> None:
    """`count` progress reports spread over the year before `now` (5,000 ≈ a year of a
    province's reports), so the bot answers over a realistic history, not an empty one."""
    from bot.plan.responsibility import find_item
    from bot.storage.base import NewUpdate

    rnd = random.Random(count)
    for n in range(count):
        member = rnd.choice(reporters)
        found = find_item(knowledge.plan, rnd.choice(member.items))
        assert found is not None
        item = found[0]
        assignment = rnd.choice(item.assignments)
        await db.insert_update(
            NewUpdate(
                item_id=item.id,
                assignment_key=item.assignment_key(assignment),
                agency_id=member.agency_id,
                status=rnd.choice(("in_progress", "in_progress", "done", "blocked")),
                percent=rnd.choice((None, 20, 50, 80)),
                note="báo cáo định kỳ",
                reporter_id=member.user_id,
                reporter_name="Cán bộ",
                created_at=now - timedelta(days=365) * (1 - n / count),
            )
        )


async def build_scenario(db_path: Path, users: int, member_share: float, history: int) -> Scenario:
    """Seed the database (approved members, linked groups, `history` past reports)
    before the bot starts."""
    from bot.core.clock import SystemClock
    from bot.plan.loader import load_knowledge
    from bot.plan.responsibility import agency_items
    from bot.progress.service import ProgressService
    from bot.storage.sqlite import open_sqlite

    knowledge = load_knowledge(PLAN)
    clock = SystemClock()
    today = clock.today()
    # agencies that exist today (the 2025 restructuring ended some the plan names) and hold work
    agencies = [
        a
        for a in MEMBER_AGENCIES
        if knowledge.timeline.exists(a, today)
        and agency_items(knowledge.plan, knowledge.agencies, a)
    ]
    groups = {GROUP_BASE - i: agency for i, agency in enumerate(agencies)}
    group_of = {agency: chat for chat, agency in groups.items()}
    user_ids = [USER_BASE + i for i in range(users)]
    members: list[Member] = []
    db = open_sqlite(db_path, now=clock.now())
    try:
        service = ProgressService(db, knowledge, clock, {ADMIN_ID})
        for chat_id, agency in groups.items():
            assert (await service.request_chat_link(chat_id, agency, ADMIN_ID, f"Nhóm {agency}")).ok
            assert (await service.approve_chat_link(ADMIN_ID, chat_id)).code == "ok"
        for index, user_id in enumerate(user_ids[: int(users * member_share)]):
            agency = agencies[index % len(agencies)]
            assert (await service.request_membership(user_id, agency, f"Cán bộ {index}")).ok
            assert (await service.approve_member(ADMIN_ID, user_id)).code == "ok"
            items = tuple(agency_items(knowledge.plan, knowledge.agencies, agency))
            members.append(Member(user_id, agency, items, group_of.get(agency)))
        await seed_history(db, knowledge, members, history, clock.now())
    finally:
        db.close()
    return Scenario(user_ids, members, groups, load_questions())


# ---------------------------------------------------------------- the driver


@dataclass
class Options:
    mode: str
    users: int
    messages: int
    duration: float
    rate: float
    think: float
    drain: float
    capnhat_share: float
    group_share: float
    member_share: float
    seed: int
    transport: str = "aiohttp"
    slots: int | None = None
    history: int = 5000
    profile: Path | None = None
    db_dir: Path | None = None
    commit_delay_ms: float = 0.0
    brain_process: str = "auto"
    harness_loop: str = "uvloop"
    trace: Path | None = None


@dataclass
class Result:
    mode: str
    offered_rate: float
    injected: int = 0
    delivered: int = 0
    undelivered: int = 0
    unanswered: list[str] = field(default_factory=list)
    extra_pieces: int = 0
    skipped_no_idle_user: int = 0
    inject_seconds: float = 0.0
    delivered_per_second: float = 0.0
    last_answer_after_s: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    by_path: dict[str, dict[str, float]] = field(default_factory=dict)
    split_ms: dict[str, float] = field(default_factory=dict)
    max_sends_in_1s: int = 0
    max_group_sends_in_60s: int = 0
    throttled_429: int = 0
    rejected: int = 0
    bot: dict[str, Any] = field(default_factory=dict)
    server_cpu_seconds: float = 0.0
    others_cpu_seconds: float = 0.0  # the machine's busy CPU minus ours, during the run
    steal_seconds: float = 0.0  # CPU the hypervisor gave to other machines meanwhile
    measured_seconds: float = 0.0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def max_in_window(times: Sequence[float], window: float) -> int:
    ordered = sorted(times)
    best = 0
    for i, start in enumerate(ordered):
        best = max(best, bisect.bisect_left(ordered, start + window) - i)
    return best


class Driver:
    """Injects the message mix at the offered rate and waits for the answers."""

    def __init__(self, api: BenchApi, scenario: Scenario, options: Options, rate: float):
        self.api = api
        self.scenario = scenario
        self.options = options
        self.rate = rate
        self.random = random.Random(options.seed)
        members = {m.user_id for m in scenario.members}
        self.idle_askers = deque(u for u in scenario.users if u not in members)
        self.idle_members = deque(scenario.members)
        self.member_by_id = {m.user_id: m for m in scenario.members}
        self.resting: set[int] = set()
        self.skipped = 0
        self.injected = 0
        self.random.shuffle(self.idle_askers)

    def _user(self, user_id: int) -> dict[str, Any]:
        return FakeBotApi.user(user_id, f"Người dùng {user_id % 1000}")

    def _rest(self, user_id: int) -> None:
        self.resting.discard(user_id)
        member = self.member_by_id.get(user_id)
        if member is not None:
            self.idle_members.append(member)
        else:
            self.idle_askers.append(user_id)

    async def _free_users(self, freed: asyncio.Queue[int]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            user_id = await freed.get()
            self.resting.add(user_id)
            loop.call_later(self.options.think, self._rest, user_id)

    def _report_text(self, member: Member) -> str:
        item = self.random.choice(member.items)
        percent = self.random.randint(5, 95)
        return f"/capnhat {item} đang thực hiện {percent}% tải thử số {self.injected}"

    def inject_one(self) -> None:
        rec, api, roll = self.api.recorder, self.api, self.random.random()
        opts = self.options
        if roll < opts.group_share and self.scenario.groups:
            chat_id = self.random.choice(list(self.scenario.groups))
            group = api.group(chat_id, f"Nhóm {self.scenario.groups[chat_id]}")
            in_group = [m for m in self.scenario.members if m.group_id == chat_id]
            if in_group and self.random.random() < 0.5:
                member = self.random.choice(in_group)
                message = api.send(group, self._user(member.user_id), self._report_text(member))
                kind = "group_capnhat"
            else:
                asker = self.random.choice(self.scenario.users)
                question = self.random.choice(self.scenario.questions)
                message = api.mention(group, self._user(asker), "", f" {question}")
                kind = "group_question"
            rec.injected_group(chat_id, message["message_id"], kind, message.get("text", ""))
        elif roll < opts.group_share + opts.capnhat_share and self.idle_members:
            member = self.idle_members.popleft()
            user = self._user(member.user_id)
            text = self._report_text(member)
            rec.injected_private(member.user_id, "capnhat", text)
            api.send(api.private(user), user, text)
        elif self.idle_askers:
            user_id = self.idle_askers.popleft()
            user = self._user(user_id)
            text = self.random.choice(self.scenario.questions)
            rec.injected_private(user_id, "question", text)
            api.send(api.private(user), user, text)
        else:
            self.skipped += 1
            return
        self.injected += 1

    async def run(self) -> tuple[float, float]:
        """Inject until the duration or message count is reached; (start, end) times."""
        freed: asyncio.Queue[int] = asyncio.Queue()
        self.api.recorder.freed = freed
        resting = asyncio.create_task(self._free_users(freed))
        start = time.monotonic()
        due = start
        try:
            while self.injected < self.options.messages:
                due += self.random.expovariate(self.rate)
                if due - start >= self.options.duration:
                    break
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                self.inject_one()
            end = time.monotonic()
            limit = end + self.options.drain
            while self.api.recorder.in_flight and time.monotonic() < limit:
                await asyncio.sleep(0.05)
        finally:
            resting.cancel()
        return start, end


async def run_mode(mode: str, options: Options) -> Result:
    limited = mode == "on"
    rate = options.rate
    result = Result(mode=mode, offered_rate=rate, load_before=os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="bench-load-", dir=db_dir(options)) as tmp:
        db_path = Path(tmp) / "bench.db"
        scenario = await build_scenario(
            db_path, options.users, options.member_share, options.history
        )
        recorder = Recorder()
        async with BenchApi(TOKEN, recorder) as api:
            if limited:
                api.rate_limits = TelegramLimits(20, 60.0, 30, 1.0, time.monotonic)
            deadline = options.duration + options.drain + 60
            command = [
                sys.executable,
                str(BOT_SCRIPT),
                "--base-url",
                api.base_url,
                "--db",
                str(db_path),
                "--deadline",
                str(deadline),
                *(["--limiter"] if limited else []),
                *(["--transport", options.transport]),
                *(["--slots", str(options.slots)] if options.slots else []),
                *(["--profile", str(options.profile)] if options.profile else []),
                *(["--commit-delay-ms", f"{options.commit_delay_ms:g}"]),
                *(["--brain-process", options.brain_process]),
            ]
            process = await asyncio.create_subprocess_exec(
                *command,
                cwd=tmp,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            try:
                await _expect(process, "ready", BOT_START_TIMEOUT)
                driver = Driver(api, scenario, options, rate)
                before, machine_before = time.process_time(), machine_cpu()
                start, end = await driver.run()
                result.server_cpu_seconds = round(time.process_time() - before, 2)
                machine_after, measured = machine_cpu(), time.monotonic() - start
                assert process.stdin is not None
                process.stdin.close()  # the bot stops at end of file
                result.bot = await _expect(process, "done", 150)
                busy, steal = (b - a for a, b in zip(machine_before, machine_after, strict=True))
                ours = result.server_cpu_seconds + float(result.bot.get("cpu_seconds", 0.0))
                result.others_cpu_seconds = round(max(0.0, busy - ours), 1)
                result.steal_seconds = round(steal, 1)
                result.measured_seconds = round(measured, 1)
                await asyncio.wait_for(process.wait(), 30)
            finally:
                if process.returncode is None:
                    process.kill()  # our own child, by its handle
                    await process.wait()
            _summarise(result, api, recorder, driver, start, end)
            if options.trace is not None:  # one line per answer, times from the first injection
                trace_path = options.trace.with_suffix(f".{mode}{options.trace.suffix}")
                with trace_path.open("w", encoding="utf-8") as out:
                    for sent, latency, kind, handed in sorted(recorder.trace):
                        wait = "" if handed is None else f"{1000 * (handed - sent):.1f}"
                        out.write(f"{sent - start:.4f}\t{1000 * latency:.1f}\t{kind}\t{wait}\n")
    result.load_after = os.getloadavg()
    return result


# the kinds of answer that wait for a write of their own (a report), and those that do not
PATHS = {"write": ("capnhat", "group_capnhat"), "no_write": ("question", "group_question")}


def machine_cpu() -> tuple[float, float]:
    """CPU seconds the whole machine has been busy (every process, every core) and the
    seconds stolen by the hypervisor, from /proc/stat; (0, 0) where there is none."""
    try:
        first = Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0].split()
        ticks = [int(v) for v in first[1:9]]
    except (OSError, ValueError):
        return 0.0, 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    hz = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / hz, steal / hz


def db_dir(options: Options) -> Path:
    """Where the temporary database goes: `--db-dir`, else /var/tmp (the real disk)."""
    if options.db_dir is not None:
        return options.db_dir
    default = Path("/var/tmp")
    return default if default.is_dir() else Path(tempfile.gettempdir())


def filesystem_of(path: Path) -> str:
    """The type of the file system holding `path` ("ext4", "tmpfs", …; "?" if unknown)."""
    try:
        mounts = Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return "?"
    target, best, kind = str(path.resolve()), -1, "?"
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > best:
            best, kind = len(point), fields[2]
    return kind


async def _expect(process: asyncio.subprocess.Process, what: str, timeout: float) -> Any:
    """The next JSON line of the bot process, which must be event `what`."""
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout)
    if not line:
        raise RuntimeError(f"the bot process ended before '{what}'")
    message = json.loads(line)
    if message.pop("event", None) != what:
        raise RuntimeError(f"the bot process said {message!r}, expected '{what}'")
    return message


def _summarise(
    result: Result, api: BenchApi, recorder: Recorder, driver: Driver, start: float, end: float
) -> None:
    every = sorted(v for values in recorder.latencies.values() for v in values)
    result.injected = driver.injected
    result.delivered = len(every)
    result.undelivered = recorder.in_flight
    result.unanswered = recorder.unanswered()[:10]
    result.extra_pieces = recorder.extra
    result.skipped_no_idle_user = driver.skipped
    result.inject_seconds = round(end - start, 2)
    if recorder.delivered_at:
        span = max(recorder.delivered_at) - start
        result.delivered_per_second = round(len(every) / span, 1) if span > 0 else 0.0
        result.last_answer_after_s = round(span, 1)
    result.p50_ms = round(percentile(every, 0.50) * 1000, 1)
    result.p90_ms = round(percentile(every, 0.90) * 1000, 1)
    result.p99_ms = round(percentile(every, 0.99) * 1000, 1)
    result.max_ms = round((every[-1] if every else 0.0) * 1000, 1)
    for kind, values in sorted(recorder.latencies.items()):
        ordered = sorted(values)
        result.by_kind[kind] = {
            "count": len(ordered),
            "p50_ms": round(percentile(ordered, 0.5) * 1000, 1),
            "p99_ms": round(percentile(ordered, 0.99) * 1000, 1),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
        }
    for path, kinds in PATHS.items():
        ordered = sorted(v for kind in kinds for v in recorder.latencies.get(kind, []))
        result.by_path[path] = {
            "count": len(ordered),
            **{f"p{q}_ms": round(percentile(ordered, q / 100) * 1000, 1) for q in (50, 95, 99)},
            "max_ms": round((ordered[-1] if ordered else 0.0) * 1000, 1),
        }
    waits, handling = sorted(recorder.fetch_waits), sorted(recorder.handling)
    result.split_ms = {
        "fetch_p50_ms": round(percentile(waits, 0.5) * 1000, 1),
        "fetch_p99_ms": round(percentile(waits, 0.99) * 1000, 1),
        "handle_p50_ms": round(percentile(handling, 0.5) * 1000, 1),
        "handle_p99_ms": round(percentile(handling, 0.99) * 1000, 1),
        "getupdates_calls": len([c for c in api.calls if c.method == "getUpdates"]),
    }
    sent = [c for c in api.calls if c.method in SENDING_METHODS and c.status == 200]
    result.max_sends_in_1s = max_in_window([c.at for c in sent], 1.0)
    by_group: dict[int, list[float]] = {}
    for call in sent:
        chat_id = call.params.get("chat_id")
        if isinstance(chat_id, int) and chat_id < 0:
            by_group.setdefault(chat_id, []).append(call.at)
    result.max_group_sends_in_60s = max(
        (max_in_window(times, 60.0) for times in by_group.values()), default=0
    )
    result.throttled_429 = len(api.throttled())
    result.rejected = len([c for c in api.rejected() if c.status != 429])


def print_result(result: Result) -> None:
    bot = result.bot
    print(f"\n== mode {result.mode}: offered {result.offered_rate:g} updates/s ==")
    print(
        f"injected {result.injected} in {result.inject_seconds} s; delivered {result.delivered};"
        f" undelivered {result.undelivered}; extra pieces {result.extra_pieces};"
        f" skipped (no idle user) {result.skipped_no_idle_user}"
    )
    for line in result.unanswered:
        print(f"  unanswered {line}")
    rate = f"delivered/s {result.delivered_per_second}"
    if result.mode == "on":
        rate = f"last answer {result.last_answer_after_s} s after the first message"
    print(
        f"{rate}; latency p50 {result.p50_ms} ms, p90 {result.p90_ms} ms,"
        f" p99 {result.p99_ms} ms, max {result.max_ms} ms"
    )
    for kind, stats in result.by_kind.items():
        print(
            f"  {kind:15} n={stats['count']:<6} p50 {stats['p50_ms']} ms, p99 {stats['p99_ms']} ms,"
            f" mean {stats['mean_ms']} ms"
        )
    for path, stats in result.by_path.items():
        label = "write path" if path == "write" else "no write"
        print(
            f"  {label:15} n={stats['count']:<6} p50 {stats['p50_ms']} ms,"
            f" p95 {stats['p95_ms']} ms, p99 {stats['p99_ms']} ms, max {stats['max_ms']} ms"
        )
    if "writer_batches" in bot:
        jobs, batches = bot["writer_jobs"], bot["writer_batches"]
        print(
            f"  writer: {batches} transactions, {jobs} jobs"
            f" ({jobs / max(1, batches):.1f} a transaction, largest {bot['writer_largest_batch']});"
            f" BEGIN → COMMIT p50 {bot['writer_commit_p50_ms']} ms,"
            f" p99 {bot['writer_commit_p99_ms']} ms, max {bot['writer_commit_max_ms']} ms;"
            f" loop lag p99 {bot.get('loop_lag_p99_ms')} ms, max {bot.get('loop_lag_max_ms')} ms"
        )
    if "inbox_writer_batches" in bot:
        jobs, batches = bot["inbox_writer_jobs"], bot["inbox_writer_batches"]
        print(
            f"  inbox writer (its own file): {batches} transactions, {jobs} jobs"
            f" (largest {bot['inbox_writer_largest_batch']}); BEGIN → COMMIT p50"
            f" {bot['inbox_writer_commit_p50_ms']} ms, p99 {bot['inbox_writer_commit_p99_ms']} ms,"
            f" max {bot['inbox_writer_commit_max_ms']} ms"
        )
    split = result.split_ms
    if split:
        print(
            f"  split: waiting for getUpdates p50 {split['fetch_p50_ms']} ms,"
            f" p99 {split['fetch_p99_ms']} ms; handed out → answer p50"
            f" {split['handle_p50_ms']} ms, p99 {split['handle_p99_ms']} ms;"
            f" {split['getupdates_calls']:g} getUpdates calls"
        )
    print(
        f"sends: max {result.max_sends_in_1s} in any 1 s, max {result.max_group_sends_in_60s}"
        f" to one group in any 60 s; 429 answers {result.throttled_429};"
        f" other refusals {result.rejected}"
    )
    cpu = float(bot.get("cpu_seconds", 0.0))
    per_update = f" ({1000 * cpu / max(1, result.delivered):.2f} ms per update)"
    if bot.get("brain_process"):
        door, brain = (
            float(bot.get("door_cpu_seconds", 0.0)),
            float(bot.get("brain_cpu_seconds", 0.0)),
        )
        per_update += (
            f" = door {1000 * door / max(1, result.delivered):.2f}"
            f" + brain's process {1000 * brain / max(1, result.delivered):.2f};"
            f" the brain's process answered {bot.get('brain_answered')}"
            f" (its peak RSS {bot.get('brain_peak_rss_mib')} MiB),"
            f" left to the door {bot.get('brain_left_to_door')}"
        )
    print(
        f"bot: peak RSS {bot.get('peak_rss_mib')} MiB, CPU {cpu} s"
        f"{per_update if result.mode == 'off' else ''}, event-loop lag p99"
        f" {bot.get('loop_lag_p99_ms')} ms, max {bot.get('loop_lag_max_ms')} ms,"
        f" exit {bot.get('exit_code')}; GC (gen 0/1/2) {bot.get('gc_collections')} collections,"
        f" {bot.get('gc_seconds')} s, worst {bot.get('gc_worst_ms')} ms;"
        f" fake server + driver CPU {result.server_cpu_seconds} s;"
        f" other processes' CPU meanwhile {result.others_cpu_seconds} s in"
        f" {result.measured_seconds} s (steal {result.steal_seconds} s);"
        f" load average before {result.load_before[0]:.2f}, after {result.load_after[0]:.2f}"
    )
    print(
        "targets:", "; ".join(f"{name} {'met' if ok else 'NOT met'}" for name, ok in checks(result))
    )


def checks(result: Result) -> list[tuple[str, bool]]:
    """The issue's targets for this mode, each with whether the run met it."""
    rss = float(result.bot.get("peak_rss_mib", 1e9))
    if result.mode == "off":
        return [
            (">= 300 updates/s", result.delivered_per_second >= 300),
            ("p99 < 100 ms", result.p99_ms < 100),
            (
                "p99 of answers that do not write < 100 ms",
                result.by_path.get("no_write", {}).get("p99_ms", 1e9) < 100,
            ),
            ("peak RSS < 200 MB", rss * 1.048576 < 200),
            ("every answer delivered", result.undelivered == 0),
        ]
    return [
        ("no 429", result.throttled_429 == 0),
        ("<= 30 sends in any second", result.max_sends_in_1s <= 30),
        ("<= 20 a minute per group", result.max_group_sends_in_60s <= 20),
        ("every answer delivered", result.undelivered == 0 and result.rejected == 0),
        ("peak RSS < 200 MB", rss * 1.048576 < 200),
    ]


def parse_args(argv: Sequence[str] | None = None) -> tuple[list[str], Options, float, Path | None]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--mode", choices=("off", "on", "both"), default="both")
    parser.add_argument("--users", type=int, default=600, help="distinct simulated users")
    parser.add_argument("--messages", type=int, default=20_000, help="cap on messages per mode")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of injection")
    parser.add_argument("--rate", type=float, default=300.0, help="offered updates/s, mode off")
    parser.add_argument(
        "--limited-rate", type=float, default=40.0, help="offered updates/s, mode on (> 30)"
    )
    parser.add_argument("--think", type=float, default=1.0, help="a user's rest after an answer")
    parser.add_argument(
        "--drain", type=float, default=120.0, help="max wait for the last answers (mode on: long)"
    )
    parser.add_argument("--capnhat-share", type=float, default=0.10)
    parser.add_argument("--group-share", type=float, default=0.10)
    parser.add_argument("--member-share", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--history", type=int, default=5000, help="past reports seeded (5,000 ≈ a year)"
    )
    parser.add_argument(
        "--slots", type=int, default=None, help="updates the bot handles at once (default: its own)"
    )
    parser.add_argument(
        "--transport",
        choices=("httpx", "aiohttp"),
        default="aiohttp",
        help="the bot's HTTP client: aiohttp = production (bot/telegram/transport.py); "
        "httpx = PTB's HTTPXRequest, for comparison",
    )
    parser.add_argument("--profile-bot", type=Path, default=None, help="cProfile the bot here")
    parser.add_argument(
        "--trace",
        type=Path,
        default=None,
        help="write every answer (injected at s, latency ms, kind, wait for getUpdates ms) to"
        " FILE.<mode>.<suffix>, to see when the slow ones came",
    )
    parser.add_argument(
        "--harness-loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="the event loop of the fake server and the driver (asyncio: as rounds 1-4)",
    )
    parser.add_argument(
        "--brain-process",
        choices=("auto", "on", "off"),
        default="auto",
        help="the brain in a process of its own beside the door (BRAIN_PROCESS; auto: as"
        " `python -m bot run` decides: on with two cores or more)",
    )
    parser.add_argument(
        "--db-dir",
        type=Path,
        default=None,
        help="where the temporary database lives (default /var/tmp: the real disk;"
        " /dev/shm is tmpfs)",
    )
    parser.add_argument(
        "--commit-delay-ms",
        type=float,
        default=0.0,
        help="the bot's writer sleeps this long in each transaction before COMMIT (slow fsync)",
    )
    args = parser.parse_args(argv)
    for name in ("users", "messages"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be positive")
    if args.duration <= 0 or args.rate <= 0 or args.limited_rate <= 0:
        parser.error("--duration and rates must be positive")
    if args.commit_delay_ms < 0:
        parser.error("--commit-delay-ms must not be negative")
    if args.db_dir is not None and not args.db_dir.is_dir():
        parser.error(f"--db-dir {args.db_dir} is not a directory")
    options = Options(
        mode=args.mode,
        users=args.users,
        messages=args.messages,
        duration=args.duration,
        rate=args.rate,
        think=args.think,
        drain=args.drain,
        capnhat_share=args.capnhat_share,
        group_share=args.group_share,
        member_share=args.member_share,
        seed=args.seed,
        transport=args.transport,
        slots=args.slots,
        history=args.history,
        profile=args.profile_bot,
        db_dir=args.db_dir,
        commit_delay_ms=args.commit_delay_ms,
        brain_process=args.brain_process,
        harness_loop=args.harness_loop,
        trace=args.trace,
    )
    modes = ["off", "on"] if args.mode == "both" else [args.mode]
    return modes, options, args.limited_rate, args.json


def harness_loop(name: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """The event loop the fake server and the driver run on: uvloop's (as the bot), or
    asyncio's own (`--harness-loop asyncio`, as the rounds before issue 12 round 5)."""
    if name == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def main(argv: Sequence[str] | None = None) -> int:
    modes, options, limited_rate, json_path = parse_args(argv)
    print(
        f"bench/load.py {datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs,"
        f" Python {sys.version.split()[0]}, users {options.users}, history {options.history}, duration {options.duration} s,"
        f" transport {options.transport}, slots {options.slots or 'default'}"
    )
    where = db_dir(options)
    print(
        f"database under {where} ({filesystem_of(where)}),"
        f" injected commit delay {options.commit_delay_ms:g} ms,"
        f" brain process {options.brain_process}, harness on {options.harness_loop}"
    )
    results = []
    for mode in modes:
        opts = Options(
            **{**asdict(options), "rate": limited_rate if mode == "on" else options.rate}
        )
        # the fake Telegram and the driver on uvloop too: their CPU is not the bot's, but
        # on a two-core machine every core they take is one the bot waits for
        with asyncio.Runner(loop_factory=harness_loop(options.harness_loop)) as runner:
            result = runner.run(run_mode(mode, opts))
        print_result(result)
        results.append(result)
    if json_path is not None:
        json_path.write_text(json.dumps([asdict(r) for r in results], indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
