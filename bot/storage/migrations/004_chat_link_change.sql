-- 004: a change of agency asked for a group whose link is confirmed waits beside the
-- link, which stays in force (reports, reminders) until a bot admin decides the change.
-- (003 is the update inbox.)
ALTER TABLE chat_links ADD COLUMN pending_agency_id TEXT;
ALTER TABLE chat_links ADD COLUMN pending_requested_by INTEGER;
ALTER TABLE chat_links ADD COLUMN pending_requested_at TEXT;
