"""Pieces of the Telegram progress door that need no server: the pending drafts
(bounded, expiring, one per source message). The update parser is the brain's
(`test_progress_update.py`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.clock import DEFAULT_TZ
from bot.telegram.progress import PendingStore
from bot.telegram.progress.state import PendingUpdate

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=DEFAULT_TZ)


def pending(message_id: int, *, user: int = 1, item: str | None = "2.4") -> PendingUpdate:
    return PendingUpdate(
        user_id=user,
        display_name="Lan",
        chat_id=user,
        message_id=message_id,
        item_ref=item,
        status="in_progress",
        percent=50,
        note=None,
        agency_id=None,
        immediate=False,
        created_at=NOW,
    )


def test_pending_store_is_bounded_and_expires() -> None:
    store = PendingStore(capacity=3, ttl=timedelta(hours=1))
    keys = [store.put(pending(i)) for i in range(5)]
    assert len(store) == 3
    assert store.get(keys[0], NOW) is None and store.get(keys[4], NOW) is not None
    assert all(len(k) == 10 for k in keys)
    assert store.get(keys[4], NOW + timedelta(hours=2)) is None
    assert len(store) == 2


def test_a_newer_draft_of_the_same_message_replaces_the_older() -> None:
    store = PendingStore()
    old = store.put(pending(7))
    new = store.put(pending(7))
    assert store.get(old, NOW) is None and store.get(new, NOW) is not None
    assert len(store) == 1


def test_latest_draft_without_item() -> None:
    store = PendingStore()
    store.put(pending(1, item=None))
    newest = store.put(pending(2, item=None))
    store.put(pending(3))
    store.put(pending(4, user=2, item=None))
    found = store.latest_without_item(1, 1, NOW)
    assert found is not None and found[0] == newest
    assert store.latest_without_item(3, 3, NOW) is None
