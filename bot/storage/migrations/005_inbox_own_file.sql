-- 005: the update inbox moved to a database file of its own (migrations/inbox/), so its
-- writes never queue behind a report's commit. What the old tables still held (updates
-- not handled yet, the polling offset) was copied there at open, before this migration
-- runs (bot.storage.inbox.adopt_legacy_inbox).

DROP TABLE IF EXISTS update_inbox;
DROP TABLE IF EXISTS poll_state;
