-- The transactional outbox and the consumers' inbox.
--
-- `outbox` gets one row per saved event from a statement-level trigger on `events`, in the
-- saving transaction; the trigger is created only when an outbox is enabled for the schema
-- (`PostgreSQLOutbox.initialize()`), so stores without one pay nothing. Rows point at their
-- event by position. A relay claims pending rows in a short transaction (FOR UPDATE SKIP
-- LOCKED, then a lease: `claim_token`, `claimed_until`), publishes outside any transaction
-- and stamps `sent_at` once the broker confirmed them. `inbox` remembers which message each
-- consumer handled, written in the same transaction as the handler's effects.

CREATE TABLE outbox (
    position bigint PRIMARY KEY,
    stream_id text NOT NULL,
    version bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    claim_token text,
    claimed_until timestamptz,
    sent_at timestamptz
);

CREATE INDEX outbox_pending_idx ON outbox (position) WHERE sent_at IS NULL;
CREATE INDEX outbox_pending_stream_idx ON outbox (stream_id, version) WHERE sent_at IS NULL;

-- `SET search_path FROM CURRENT` pins the schema being migrated, so the trigger writes to
-- this schema's outbox whatever the saving session's search path is.
CREATE FUNCTION outbox_capture() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO outbox (position, stream_id, version)
    SELECT position, stream_id, version FROM new_events;
    RETURN NULL;
END
$$;

CREATE TABLE inbox (
    consumer text NOT NULL,
    message_id text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);

CREATE INDEX inbox_received_at_idx ON inbox (received_at);
