"""Trợ lý Kế hoạch: a Telegram assistant that knows a provincial plan by heart."""

import os

# Opt in to python-telegram-bot's coming `timedelta` durations (retry_after…) now, so the
# code reads one type and no deprecation warning is raised; set before telegram is imported.
os.environ.setdefault("PTB_TIMEDELTA", "1")

__version__ = "0.1.0"
