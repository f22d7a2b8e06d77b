"""The bot's rate limiter keeps Telegram's limits read as sliding windows.

`bot.telegram.app.telegram_rate_limiter` is PTB's AIORateLimiter (a leaky bucket)
with a small burst, so that no second sees more than 30 requests and no minute more
than 20 for one group — the limits the reminders' `Pacer` keeps and the fake Bot API
of bench/load.py enforces. The overall limit is checked for real (a burst of 60 sends
takes about two seconds); the group bound, a minute long, by its arithmetic.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from typing import Any

from bot.telegram.app import (
    GROUP_BURST,
    GROUP_PER_MINUTE,
    OVERALL_BURST,
    OVERALL_PER_SECOND,
    telegram_rate_limiter,
)

TELEGRAM_PER_SECOND = 30
TELEGRAM_PER_MINUTE_PER_GROUP = 20


def most_in_window(times: list[float], window: float) -> int:
    ordered = sorted(times)
    return max(bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered))


def test_the_bucket_sizes_keep_both_windows_under_the_limits() -> None:
    # a leaky bucket lets `burst` through at once, then `rate` a second: a window of W
    # seconds sees at most burst + rate × W; keep a margin for scheduling jitter
    assert OVERALL_BURST + OVERALL_PER_SECOND * 1.0 <= TELEGRAM_PER_SECOND - 2
    assert GROUP_BURST + GROUP_PER_MINUTE <= TELEGRAM_PER_MINUTE_PER_GROUP - 1
    limiter = telegram_rate_limiter()
    assert limiter._base_limiter is not None
    assert limiter._base_limiter.max_rate == OVERALL_BURST
    assert abs(limiter._base_limiter.time_period * OVERALL_PER_SECOND - OVERALL_BURST) < 1e-9
    assert limiter._group_max_rate == GROUP_BURST
    assert abs(limiter._group_time_period * GROUP_PER_MINUTE - 60 * GROUP_BURST) < 1e-9
    assert limiter._max_retries == 3


async def test_a_burst_of_sends_never_exceeds_30_in_any_second() -> None:
    limiter = telegram_rate_limiter()
    sent: list[float] = []

    async def send(*args: Any, **kwargs: Any) -> bool:
        sent.append(time.monotonic())
        return True

    requests = [
        limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 1000 + i}, None)
        for i in range(60)
    ]
    started = time.monotonic()
    assert all(await asyncio.gather(*requests))
    assert len(sent) == 60
    assert most_in_window(sent, 1.0) <= OVERALL_BURST + OVERALL_PER_SECOND
    # and it does not crawl: 60 sends at 24 a second after a burst of 3
    assert time.monotonic() - started < (60 - OVERALL_BURST) / OVERALL_PER_SECOND + 1.0
