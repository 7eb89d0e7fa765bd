-- Projection checkpoints and saga states, so both survive a restart.

CREATE TABLE projection_states (
    projection_id text PRIMARY KEY,
    last_event_id text,
    last_position bigint NOT NULL,
    last_tx_id bigint NOT NULL,
    updated_at timestamptz NOT NULL,
    error_count integer NOT NULL,
    is_healthy boolean NOT NULL
);

CREATE TABLE saga_states (
    saga_id text PRIMARY KEY,
    saga_type text NOT NULL,
    status text NOT NULL,
    current_step integer NOT NULL,
    step_statuses jsonb NOT NULL,
    step_results jsonb NOT NULL,
    context jsonb NOT NULL,
    error text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE INDEX saga_states_status_idx ON saga_states (status, created_at);
