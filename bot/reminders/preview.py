"""`python -m bot reminders --today YYYY-MM-DD --days N`: what would be sent, sending nothing.

Opens the database read-only (a missing file or one without the reminder tables
means no subscriptions), plans every active subscription from 00:00 of `today`
for `days` days and prints, for each message: its local time, the chat (id and
title) and its text as the group would read it. Reminders already in the send
log are left out, as the engine would.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from typing import TextIO

from bot.core.clock import FixedClock
from bot.core.config import ConfigError, Settings
from bot.core.reply import html_to_plain
from bot.plan.loader import load_knowledge
from bot.reminders.calendar import WorkCalendar, weekday_vi
from bot.reminders.engine import ReminderEngine
from bot.storage import open_progress_reader, sqlite_path
from bot.storage.reminders import open_store_reader

MAX_DAYS = 366


def print_preview(settings: Settings, today: date, days: int, out: TextIO | None = None) -> int:
    """Print the reminders of `days` days from `today`; return the exit code."""
    out = out or sys.stdout
    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"--days phải từ 1 đến {MAX_DAYS} (giá trị: {days})")
    knowledge = load_knowledge(settings.plan_path)
    calendar = WorkCalendar(settings.tz)
    start = datetime.combine(today, time(0, 0), tzinfo=settings.tz)
    end = start + timedelta(days=days) - timedelta(microseconds=1)
    last = end.date()
    span = f"từ {today:%d/%m/%Y} đến hết {last:%d/%m/%Y}"
    store = open_store_reader(sqlite_path(settings.database_url))
    if store is None:
        out.write(
            f"Chưa có nhóm nào bật nhắc việc (cơ sở dữ liệu chưa có hoặc chưa có bảng nhắc việc):"
            f" không có tin nào sẽ được gửi {span}.\n"
        )
        return 0
    progress = open_progress_reader(settings)
    try:
        clock = FixedClock(start, tz=settings.tz)
        engine = ReminderEngine(knowledge, progress, store, clock, calendar=calendar)
        subscriptions = store.subscriptions(include_paused=True)
        active = [s for s in subscriptions if not s.paused]
        for sub in subscriptions:
            if sub.paused:
                out.write(
                    f"(Nhóm {sub.chat_id} «{sub.title or ''}» đang tạm dừng nhắc việc:"
                    f" {sub.pause_reason or ''})\n"
                )
        if not active:
            out.write(
                f"Chưa có nhóm nào đang nhận nhắc việc: không có tin nào sẽ được gửi {span}.\n"
            )
            return 0
        messages = engine.preview(start, end, active)
        for at, sub, html in messages:
            local = calendar.local(at)
            who = engine.planner.messages.audience(sub)
            out.write(
                f"── {local:%H:%M} {weekday_vi(local.date())} {local:%d/%m/%Y} · nhóm {sub.chat_id}"
                f" «{sub.title or '(không tên)'}» ({who})\n"
            )
            out.write(html_to_plain(html) + "\n\n")
        chats = len({sub.chat_id for _, sub, _ in messages})
        out.write(
            f"Tổng cộng: {len(messages)} tin tới {chats} nhóm {span} (xem trước, không gửi gì).\n"
        )
        return 0
    finally:
        store.close()
        if progress is not None:
            progress.close()
