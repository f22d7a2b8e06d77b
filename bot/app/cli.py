"""The command-line doors: ask, chat, check-plan, import-plan, run, report, reminders, backup.

Each command loads configuration once, prints Vietnamese errors as one line and
returns an exit code; none prints a traceback for bad input or configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from bot.core.config import ConfigError, Settings, load_settings
from bot.plan.deadlines import KIND_LABELS
from bot.plan.library import Library, load_library
from bot.plan.loader import Knowledge, PlanError

if TYPE_CHECKING:
    from bot.brain import PlanDesk
    from bot.conversation import ConversationStore


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def _settings() -> Settings:
    return load_settings()


def _parse_day(value: str | None, settings: Settings) -> date:
    if not value:
        from bot.core.clock import SystemClock

        return SystemClock(settings.tz).today()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"Ngày '{value}' không đúng dạng YYYY-MM-DD") from exc


def load_checked(path: str | Path) -> Library:
    """Load the plans PLAN_PATH names (a plan.yaml or a folder of plans) or raise
    PlanError with the readable list of problems."""
    return load_library(path)


def plan_summary(knowledge: Knowledge) -> str:
    """A short human summary of a loaded plan (check-plan)."""
    plan = knowledge.plan
    items = plan.items
    assignments = [a for item in items for a in item.assignments]
    kinds = Counter(a.deadline.kind for a in assignments)
    used = {ar.agency for a in assignments for ar in a.agencies}
    lines = [
        f"Kế hoạch {plan.meta.number} ngày {plan.meta.issued:%d/%m/%Y}: hợp lệ.",
        f"- {len(plan.groups)} nhóm, {len(items)} mục, {len(assignments)} phần giao việc",
        f"- {len(knowledge.agencies)} cơ quan trong danh mục, {len(used)} được giao việc",
        f"- {len(plan.legal_refs)} văn bản được dẫn chiếu",
        "- Thời hạn: "
        + ", ".join(f"{KIND_LABELS[k]} {n}" for k, n in sorted(kinds.items(), key=lambda x: -x[1])),
    ]
    return "\n".join(lines)


def cmd_check_plan(args: argparse.Namespace) -> int:
    try:
        path = args.path or str(_settings().plan_path)
        library = load_checked(path)
    except ConfigError as exc:
        return _fail(str(exc))
    except PlanError as exc:
        return _fail(f"Kế hoạch không hợp lệ ({len(exc.problems)} lỗi):\n" + str(exc))
    for knowledge in library:
        for note in knowledge.notes:
            print(f"Lưu ý: {note}")
        print(plan_summary(knowledge))
    return 0


def cmd_import_plan(args: argparse.Namespace) -> int:
    """`import-plan FILE [--out DIR] [--agencies PATH]`: a draft plan.yaml, agencies.yaml
    (the registry plus proposals) and review.md from a plan document."""
    from bot.importer import PlanImportError, import_plan, write_draft

    source = Path(args.file)
    try:
        agencies = (
            Path(args.agencies)
            if args.agencies
            else _settings().plan_path.with_name("agencies.yaml")
        )
        out = Path(args.out) if args.out else Path(f"nhap-{source.stem}")
        result = write_draft(import_plan(source, agencies), out)
    except ConfigError as exc:
        return _fail(str(exc))
    except PlanImportError as exc:
        return _fail(str(exc))
    items = result.items
    print(
        f"Đã nhập {result.plan['meta']['doc_type']} {result.plan['meta']['number']}:"
        f" {len(items)} mục, {sum(len(i['assignments']) for i in items)} phần giao việc."
    )
    print(f"- Cần rà soát: {result.review_counts()}.")
    print(f"- Bản nháp: {out / 'plan.yaml'}; báo cáo rà soát: {out / 'review.md'}")
    if result.problems:
        print(f"Bản nháp chưa qua check-plan ({len(result.problems)} lỗi), xem review.md.")
        return 1
    print("Bản nháp qua check-plan.")
    return 0


def _brain(
    settings: Settings,
    *,
    read_progress: bool = True,
    conversations: ConversationStore | None = None,
) -> PlanDesk:
    """The brain of every plan served (PLAN_PATH's and those admins activated), each
    reading its share of the stored progress."""
    from bot.brain import Brain, PlanDesk
    from bot.shelf.documents import plan_shelf, with_activated
    from bot.storage.plan_scope import scoped

    library = load_checked(settings.plan_path)
    progress = None
    if read_progress:
        from bot.storage import open_progress_reader

        progress = open_progress_reader(settings)
    library = with_activated(library, plan_shelf(settings, progress))
    brains = [
        Brain(
            knowledge,
            progress=None
            if progress is None
            else scoped(cast(Any, progress), library.storage_key(knowledge)),
            conversations=conversations,
        )
        for knowledge in library
    ]
    return PlanDesk(library, brains)


def _conversation_store(settings: Settings, today: date) -> ConversationStore:
    """The store of `ask --conversation`: in memory, on a clock standing at `today`
    (the messages of one run come at once; none of them expires)."""
    from bot.conversation import InMemoryConversationStore
    from bot.core.clock import FixedClock

    return InMemoryConversationStore(FixedClock(today, settings.tz))


def stdin_lines() -> list[str]:
    """Standard input as messages: one per `\n`-terminated line (a U+2028, U+0085 or form
    feed inside a message stays in it, unlike `str.splitlines`); bytes that are not UTF-8
    are replaced, never a traceback."""
    text = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    return [line.removesuffix("\r") for line in lines]


def cmd_ask(args: argparse.Namespace) -> int:
    """`ask [--json] [--today D] [--conversation] [MESSAGE]`: the brain's reply to each
    message. With `--conversation`, stdin holds conversations of one private chat: each
    line is the next message, an empty line starts a new conversation (context forgotten)."""
    conversation = bool(getattr(args, "conversation", False))
    try:
        settings = _settings()
        today = _parse_day(args.today, settings)
        store = _conversation_store(settings, today) if conversation else None
        brain = _brain(settings, conversations=store)
    except (ConfigError, PlanError) as exc:
        return _fail(str(exc))
    messages = [" ".join(args.message)] if args.message else stdin_lines()
    out = sys.stdout
    number = 1  # of the conversation: its chat key
    for message in messages:
        if not args.message and not message.strip():
            number += 1
            continue
        chat = f"ask-{number}" if conversation else None
        reply = brain.answer(message, today=today, chat=chat)
        if args.json:
            out.write(json.dumps(reply.to_json(), ensure_ascii=False) + "\n")
        else:
            from bot.conversation import MORE_HINT

            hint = f"\n{MORE_HINT}" if reply.more and conversation else ""
            out.write(reply.plain + hint + "\n\n")
    out.flush()
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """`chat`: the terminal chat, a local trial on DATABASE_URL (the user a bot admin)."""
    import sqlite3

    from bot.app.terminal_chat import run_chat
    from bot.storage import storage_problem
    from bot.storage.migrate import MigrationError

    try:
        settings = _settings()
        return run_chat(settings)
    except (ConfigError, PlanError) as exc:
        return _fail(str(exc))
    except (MigrationError, sqlite3.Error) as exc:
        cause = exc.__cause__ if isinstance(exc.__cause__, sqlite3.Error) else exc
        return _fail(f"Không mở được cơ sở dữ liệu: {storage_problem(cause)}")


def cmd_run(args: argparse.Namespace) -> int:
    try:
        settings = _settings()
        load_checked(settings.plan_path)
    except (ConfigError, PlanError) as exc:
        return _fail(f"Không khởi động được bot: {exc}")
    if not settings.token:
        return _fail(
            "Chưa có TELEGRAM_BOT_TOKEN. Tạo bot với @BotFather rồi đặt biến này (xem README)."
        )
    from bot.app.runtime import run_bot

    return run_bot(settings)


def cmd_report(args: argparse.Namespace) -> int:
    try:
        settings = _settings()
        today = _parse_day(args.today, settings)
        from bot.progress.report_xlsx import write_report_file

        path = write_report_file(settings, Path(args.out), today)
    except (ConfigError, PlanError) as exc:
        return _fail(str(exc))
    print(f"Đã ghi báo cáo: {path}")
    return 0


def cmd_reminders(args: argparse.Namespace) -> int:
    try:
        settings = _settings()
        today = _parse_day(args.today, settings)
        from bot.reminders.preview import print_preview

        return print_preview(settings, today, args.days, agency=getattr(args, "agency", None))
    except (ConfigError, PlanError) as exc:
        return _fail(str(exc))


def cmd_backup(args: argparse.Namespace) -> int:
    """`backup FILE [--force]`: an online copy of the database (safe while the bot runs)."""
    from bot.storage import sqlite_path
    from bot.storage.backup import BackupError, backup_database

    try:
        settings = _settings()
        result = backup_database(
            sqlite_path(settings.database_url), Path(args.file), force=args.force
        )
    except (ConfigError, BackupError) as exc:
        return _fail(str(exc))
    print(result.summary())
    return 0
