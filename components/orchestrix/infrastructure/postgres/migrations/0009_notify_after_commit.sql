-- Appends no longer notify from inside their transaction. A NOTIFY there holds PostgreSQL's
-- notification lock from the start of the commit to its end, so concurrent writers committed
-- one at a time. The store now notifies channel `orchestrix_events` (payload: the schema name)
-- after each save commits, and inside `save_in_transaction`, delivered at the caller's commit.

DROP TRIGGER events_appended ON events;
DROP FUNCTION notify_events_appended();
