"""Persistence: SQLite by default (WAL, migrations), chosen by DATABASE_URL."""

from __future__ import annotations

from bot.config import Settings
from bot.progress_types import ProgressReader


def open_progress_reader(settings: Settings) -> ProgressReader | None:
    """A read-only view of stored progress, or None when nothing is stored yet."""
    return None
