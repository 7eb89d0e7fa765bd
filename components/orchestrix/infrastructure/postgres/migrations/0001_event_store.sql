-- Events with their global order, and the latest snapshot per aggregate.
--
-- `payload` holds the whole event as the codec encodes it (JSONB, so operators can query it);
-- the metadata columns repeat what queries and indexes need. `tx_id` is the writing
-- transaction: readers of the global log order by (tx_id, position) and only read transactions
-- older than every one still running, so an event that commits late is never skipped.

CREATE TABLE events (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    stream_id text NOT NULL,
    version bigint NOT NULL CHECK (version > 0),
    event_id text NOT NULL,
    event_type text NOT NULL,
    schema_version integer NOT NULL,
    correlation_id text,
    causation_id text,
    trace_id text,
    actor_id text,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    payload jsonb NOT NULL,
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, version),
    CONSTRAINT events_event_id_key UNIQUE (event_id)
);

CREATE INDEX events_log_idx ON events (tx_id, position);

CREATE TABLE snapshots (
    aggregate_id text PRIMARY KEY,
    aggregate_type text NOT NULL,
    version bigint NOT NULL,
    schema_version integer NOT NULL,
    state jsonb NOT NULL,
    taken_at timestamptz NOT NULL
);
