-- 006: items a group admin silenced for one group (/tatnhacviec 2.4, undone by
-- /batnhacviec 2.4). `subject` is an item id ("2.4") or an assignment key ("4.2b");
-- who and when are kept, and every change is also an event of reminder_events
-- ('muted', 'unmuted', the subject in `detail`). (005 moved the inbox to its own file.)
CREATE TABLE reminder_mutes (
    chat_id    INTEGER NOT NULL,
    subject    TEXT    NOT NULL,
    muted_by   INTEGER NOT NULL,
    muted_at   TEXT    NOT NULL,
    PRIMARY KEY (chat_id, subject)
);
