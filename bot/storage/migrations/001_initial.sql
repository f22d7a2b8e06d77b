-- 001: members, linked group chats, append-only progress updates and their undo marks.
-- Times are UTC ISO-8601 strings written by the services from an injected clock.

-- A Telegram user's link to one agency; the current state of the request.
CREATE TABLE members (
    user_id       INTEGER PRIMARY KEY,
    agency_id     TEXT    NOT NULL,
    display_name  TEXT,
    status        TEXT    NOT NULL
                  CHECK (status IN ('pending', 'approved', 'rejected', 'revoked')),
    requested_at  TEXT    NOT NULL,
    decided_at    TEXT,
    decided_by    INTEGER
);
CREATE INDEX members_agency ON members (agency_id, status);

-- A group chat linked to an agency by a group admin, confirmed by a bot admin.
CREATE TABLE chat_links (
    chat_id       INTEGER PRIMARY KEY,
    agency_id     TEXT    NOT NULL,
    title         TEXT,
    status        TEXT    NOT NULL
                  CHECK (status IN ('pending', 'approved', 'rejected', 'revoked')),
    requested_by  INTEGER NOT NULL,
    requested_at  TEXT    NOT NULL,
    decided_at    TEXT,
    decided_by    INTEGER
);

-- Audit trail of every membership and chat-link decision (append-only).
CREATE TABLE access_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    subject     TEXT    NOT NULL CHECK (subject IN ('user', 'chat')),
    subject_id  INTEGER NOT NULL,
    agency_id   TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    actor_id    INTEGER,
    at          TEXT    NOT NULL
);

-- Progress updates: append-only; the current status is derived from them.
CREATE TABLE progress_updates (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id            TEXT    NOT NULL,
    assignment_key     TEXT    NOT NULL,
    agency_id          TEXT    NOT NULL,
    status             TEXT    NOT NULL
                       CHECK (status IN ('done', 'in_progress', 'blocked', 'not_started')),
    percent            INTEGER CHECK (percent IS NULL OR percent BETWEEN 0 AND 100),
    note               TEXT,
    reporter_id        INTEGER,
    reporter_name      TEXT,
    created_at         TEXT    NOT NULL,
    source_chat_id     INTEGER,
    source_message_id  INTEGER,
    UNIQUE (source_chat_id, source_message_id)
);
CREATE INDEX progress_updates_item ON progress_updates (item_id, created_at);
CREATE INDEX progress_updates_agency ON progress_updates (agency_id, created_at);

-- An undo is a row of its own: the update stays, the derived status ignores it.
CREATE TABLE update_undos (
    update_id  INTEGER PRIMARY KEY REFERENCES progress_updates (id),
    undone_by  INTEGER,
    undone_at  TEXT    NOT NULL
);

CREATE TRIGGER progress_updates_no_update BEFORE UPDATE ON progress_updates
BEGIN
    SELECT RAISE(ABORT, 'progress_updates is append-only');
END;

CREATE TRIGGER progress_updates_no_delete BEFORE DELETE ON progress_updates
BEGIN
    SELECT RAISE(ABORT, 'progress_updates is append-only');
END;

CREATE TRIGGER update_undos_no_update BEFORE UPDATE ON update_undos
BEGIN
    SELECT RAISE(ABORT, 'update_undos is append-only');
END;

CREATE TRIGGER update_undos_no_delete BEFORE DELETE ON update_undos
BEGIN
    SELECT RAISE(ABORT, 'update_undos is append-only');
END;

CREATE TRIGGER access_events_no_update BEFORE UPDATE ON access_events
BEGIN
    SELECT RAISE(ABORT, 'access_events is append-only');
END;

CREATE TRIGGER access_events_no_delete BEFORE DELETE ON access_events
BEGIN
    SELECT RAISE(ABORT, 'access_events is append-only');
END;
