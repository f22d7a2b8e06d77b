-- The update inbox, in a database file of its own beside the main one (`<name>.inbox.db`),
-- so that storing a fetched batch never waits for the main database's write lock or a
-- report's fsync. Every update fetched from Telegram is stored here, in the same
-- transaction that advances the polling offset, before Telegram is told (by the next
-- getUpdates) that it was received; it is handled from here, in update_id order, and
-- marked handled (its text dropped) afterwards. A restart finishes what is left.
-- (Until main migration 005 these tables lived in the main database: 003_inbox.sql.)

CREATE TABLE update_inbox (
    update_id    INTEGER PRIMARY KEY,
    payload      TEXT,              -- the update as Telegram sent it (JSON); NULL once handled
    received_at  TEXT    NOT NULL,
    handled_at   TEXT,
    outcome      TEXT    CHECK (outcome IN ('handled', 'skipped'))
);
CREATE INDEX update_inbox_open ON update_inbox (update_id) WHERE handled_at IS NULL;

-- The next getUpdates offset (last stored update_id + 1): one row per name.
CREATE TABLE poll_state (
    name   TEXT    PRIMARY KEY,
    value  INTEGER NOT NULL
);
