-- 007: several plans in one bot. `plan_documents`: every plan an admin sent (a draft
-- imported from a .docx/.pdf/.txt) and what became of it: 'draft' until activated
-- (/kichhoat), 'active' while served, 'replaced' when a newer draft of the same number
-- was activated. The plan's YAML, its agency registry and the review are kept here, so
-- a backup of the database holds the plans it serves. `chat_plans`: a chat's default
-- plan (/kehoach), by the plan's short key ("91").
CREATE TABLE plan_documents (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_key      TEXT    NOT NULL,
    number        TEXT    NOT NULL,
    title         TEXT,
    file_name     TEXT,
    plan_yaml     TEXT    NOT NULL,
    agencies_yaml TEXT,
    review        TEXT,
    problems      INTEGER NOT NULL DEFAULT 0,
    status        TEXT    NOT NULL CHECK (status IN ('draft', 'active', 'replaced')),
    uploaded_by   INTEGER,
    uploaded_at   TEXT    NOT NULL,
    decided_by    INTEGER,
    decided_at    TEXT
);
CREATE INDEX plan_documents_key ON plan_documents (plan_key, status);

CREATE TABLE chat_plans (
    chat_id   INTEGER PRIMARY KEY,
    plan_key  TEXT    NOT NULL,
    set_by    INTEGER,
    set_at    TEXT    NOT NULL
);
