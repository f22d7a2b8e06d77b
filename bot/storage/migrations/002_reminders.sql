-- 002: group reminders: subscriptions, the send log (written before sending), events.
-- Times are UTC ISO-8601 strings written by the reminder engine from an injected clock.

-- A group chat subscribed to the reminders of one agency, or of every agency ('ALL',
-- for Văn phòng UBND tỉnh). One row per chat; /tatnhacviec and a Forbidden answer
-- pause it (with the reason), /nhacviec resumes it.
CREATE TABLE reminder_subscriptions (
    chat_id       INTEGER PRIMARY KEY,
    agency_id     TEXT    NOT NULL,
    title         TEXT,
    created_by    INTEGER NOT NULL,
    created_at    TEXT    NOT NULL,
    active_since  TEXT    NOT NULL,
    paused        INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    pause_reason  TEXT,
    paused_at     TEXT
);

-- Every reminder occurrence meant for a chat, recorded *before* it is sent.
-- UNIQUE (chat_id, reminder_key) is what makes a reminder go out at most once,
-- across ticks, restarts and catch-up. attempted_at is set just before the
-- request to Telegram: a 'pending' row without it was never tried.
CREATE TABLE reminder_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id       INTEGER NOT NULL,
    reminder_key  TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    occurs_on     TEXT    NOT NULL,
    scheduled_at  TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    retryable     INTEGER NOT NULL DEFAULT 0 CHECK (retryable IN (0, 1)),
    created_at    TEXT    NOT NULL,
    attempted_at  TEXT,
    sent_at       TEXT,
    message_id    INTEGER,
    error         TEXT,
    UNIQUE (chat_id, reminder_key)
);
CREATE INDEX reminder_log_chat_time ON reminder_log (chat_id, scheduled_at);
CREATE INDEX reminder_log_status ON reminder_log (status);

CREATE TRIGGER reminder_log_no_delete BEFORE DELETE ON reminder_log
BEGIN
    SELECT RAISE(ABORT, 'reminder_log keeps every reminder (deleting would allow repeats)');
END;

-- Audit trail of subscriptions: subscribed, unsubscribed, paused (Forbidden…), resumed.
CREATE TABLE reminder_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id    INTEGER NOT NULL,
    action     TEXT    NOT NULL,
    agency_id  TEXT,
    actor_id   INTEGER,
    detail     TEXT,
    at         TEXT    NOT NULL
);

CREATE TRIGGER reminder_events_no_update BEFORE UPDATE ON reminder_events
BEGIN
    SELECT RAISE(ABORT, 'reminder_events is append-only');
END;

CREATE TRIGGER reminder_events_no_delete BEFORE DELETE ON reminder_events
BEGIN
    SELECT RAISE(ABORT, 'reminder_events is append-only');
END;
