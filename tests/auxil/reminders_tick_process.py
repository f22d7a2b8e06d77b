"""One reminder tick in a process of its own, for the crash-safety tests.

`python -m bot run` reads the wall clock, so a test cannot move it to a working
hour with reminders due; this small program runs the very same engine
(`ReminderServices` → `ReminderEngine.tick`) on a database file, with the time
given on the command line, against a Bot API URL — so a test can SIGKILL it in
the middle of a send and start it again on the same file.

    python tests/auxil/reminders_tick_process.py DB_PATH API_URL TOKEN 2026-11-23T08:00

It prints one JSON line (the tick report) and exits 0.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path

from telegram import Bot

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.core.clock import DEFAULT_TZ, FixedClock  # noqa: E402
from bot.plan.loader import load_knowledge  # noqa: E402
from bot.reminders.handlers import ReminderServices  # noqa: E402
from bot.storage.sqlite import open_sqlite  # noqa: E402


async def tick(db_path: Path, api_url: str, token: str, at: datetime) -> dict[str, object]:
    clock = FixedClock(at)
    knowledge = load_knowledge(ROOT / "knowledge" / "plan.yaml")
    db = open_sqlite(db_path, now=clock.now())
    services = ReminderServices.create(knowledge, db, clock)
    try:
        async with Bot(token, base_url=api_url) as bot:
            report = await services.engine.tick(bot)
    finally:
        services.close()
        db.close()
    return {
        "claimed": report.claimed,
        "sent": sorted(report.sent_chats),
        "failed": sorted(report.failed_chats),
    }


def main(argv: list[str]) -> int:
    db_path, api_url, token, when = argv
    at = datetime.fromisoformat(when).replace(tzinfo=DEFAULT_TZ)
    print(json.dumps(asyncio.run(tick(Path(db_path), api_url, token, at))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
