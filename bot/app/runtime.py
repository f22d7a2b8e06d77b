"""The composition root of `python -m bot run`: load the plan, open the database once,
build the brain and the features, and serve until stopped.

Nothing below this layer builds a service that another part also builds: the features
get the knowledge and the database from here.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys

from bot.core.config import ConfigError, Settings
from bot.plan.loader import PlanError, load_knowledge
from bot.storage import Database, open_database, storage_problem
from bot.storage.migrate import MigrationError
from bot.telegram import errors
from bot.telegram.app import Feature, serve, settle_heap
from bot.telegram.progress import ProgressFeature


def default_features(
    settings: Settings,
    *,
    progress: ProgressFeature | None = None,
    database: Database | None = None,
) -> list[Feature]:
    """Feature modules `python -m bot run` plugs in: progress reporting and reminders.

    `progress` is the `ProgressFeature` whose `reader` the brain was built with;
    `database` the one `serve` will run on (the reminders open their own without it)."""
    from bot.reminders.handlers import reminders_feature

    features: list[Feature] = [
        progress or ProgressFeature(settings),
        reminders_feature(settings, db=database),
    ]
    return features


def run_bot(settings: Settings) -> int:
    """`python -m bot run`: load and check the plan, then serve until stopped."""
    errors.configure_logging(settings.log_level)
    errors.protect_logs(settings.token)
    try:
        knowledge = load_knowledge(settings.plan_path)
    except PlanError as exc:
        print(
            f"Không khởi động được bot: kế hoạch không hợp lệ ({len(exc.problems)} lỗi):\n{exc}",
            file=sys.stderr,
        )
        return 1
    if not settings.token:
        print(
            "Chưa có TELEGRAM_BOT_TOKEN. Tạo bot với @BotFather rồi đặt biến này (xem README).",
            file=sys.stderr,
        )
        return 1
    from bot.brain import Brain

    progress = ProgressFeature(settings, knowledge)  # uses serve's database at start-up
    brain = Brain(knowledge, progress=progress.reader)
    database: Database | None = None
    try:
        database = open_database(settings)  # one database: inbox, progress, reminders
        features = default_features(settings, progress=progress, database=database)
        settle_heap()
        return asyncio.run(serve(settings, brain, features=features, database=database))
    except ConfigError as exc:
        print(f"Không khởi động được bot: {exc}", file=sys.stderr)
        return 1
    except (MigrationError, sqlite3.Error) as exc:  # the reminders' own connection
        cause = exc.__cause__ if isinstance(exc.__cause__, sqlite3.Error) else exc
        print(
            f"Không khởi động được bot: không mở được cơ sở dữ liệu: {storage_problem(cause)}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:  # a signal before the handlers were installed
        return 0
    finally:
        if database is not None:
            database.close()
