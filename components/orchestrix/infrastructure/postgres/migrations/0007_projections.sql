-- Projections: a wake-up for followers of the log, dead letters and live versions.
--
-- Every statement that appends events notifies channel `orchestrix_events` with the schema
-- name as payload, once per statement, at commit. Followers only treat it as a hint to read
-- the log again from their checkpoint; the log itself stays the only source of events.

CREATE FUNCTION notify_events_appended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('orchestrix_events', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;

CREATE TRIGGER events_appended AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION notify_events_appended();

CREATE TABLE projection_dead_letters (
    projection_id text NOT NULL,
    event_id text NOT NULL,
    event_type text NOT NULL,
    aggregate_id text NOT NULL,
    version bigint NOT NULL,
    tx_id bigint NOT NULL,
    position bigint NOT NULL,
    error_type text NOT NULL,
    error_message text NOT NULL,
    attempts integer NOT NULL,
    failed_at timestamptz NOT NULL,
    PRIMARY KEY (projection_id, event_id)
);

CREATE TABLE projection_live_versions (
    name text PRIMARY KEY,
    projection_id text NOT NULL,
    promoted_at timestamptz NOT NULL DEFAULT now()
);
