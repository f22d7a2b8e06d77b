"""Group reminders and digests that survive restarts and never repeat (issue 6).

- `calendar`: working hours (08:00–17:00, Mon–Fri, Asia/Ho_Chi_Minh, Vietnamese
  holidays) and how a reminder outside them is moved;
- `planner`: pure — which reminders are due for a chat in a time window, with a
  stable key, and the text of the merged message;
- `store`: subscriptions and the send log (migration 002), written before sending,
  and the items a group silenced (migration 006);
- `engine`: the periodic tick (PTB JobQueue), pacing and Forbidden handling;
- `handlers`: /nhacviec, /tatnhacviec, /batnhacviec, /lichnhac and the feature;
- `preview`: `python -m bot reminders --today … --days … [--agency …]`.
"""
