"""Trợ lý Kế hoạch: a Telegram assistant that knows a provincial plan by heart."""

__version__ = "0.1.0"
