-- Sagas that resume after a crash, process managers and their deadlines.
--
-- saga_states: each step's status now carries its result, error and times (a JSON array in
-- step order, since JSONB objects do not keep key order); `version` counts saves, so two
-- processes can never both advance one saga.

ALTER TABLE saga_states RENAME COLUMN current_step TO current_step_index;
ALTER TABLE saga_states
    ADD COLUMN version bigint NOT NULL DEFAULT 1,
    ADD COLUMN started_at timestamptz,
    ADD COLUMN completed_at timestamptz;
ALTER TABLE saga_states ALTER COLUMN step_statuses DROP NOT NULL;
UPDATE saga_states SET step_statuses = COALESCE(
    (
        SELECT jsonb_agg(jsonb_build_object(
            'step_name', entry.key,
            'status', entry.value #>> '{}',
            'result', saga_states.step_results -> entry.key,
            'error', NULL,
            'started_at', NULL,
            'completed_at', NULL
        ))
        FROM jsonb_each(saga_states.step_statuses) AS entry
    ),
    '[]'::jsonb
);
ALTER TABLE saga_states ALTER COLUMN step_statuses SET NOT NULL;
ALTER TABLE saga_states ALTER COLUMN version DROP DEFAULT;
ALTER TABLE saga_states DROP COLUMN step_results;

-- process_instances: one row per process-manager instance. `pending` holds the commands and
-- deadline changes decided but not yet carried out; `has_pending` finds them after a crash.

CREATE TABLE process_instances (
    process_type text NOT NULL,
    process_id text NOT NULL,
    status text NOT NULL,
    version bigint NOT NULL,
    state jsonb NOT NULL,
    handled jsonb NOT NULL,
    deadlines jsonb NOT NULL,
    pending jsonb NOT NULL,
    has_pending boolean NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (process_type, process_id)
);

CREATE INDEX process_instances_pending_idx ON process_instances (process_type, created_at)
    WHERE has_pending;

-- deadlines: messages instances scheduled to themselves, until they fire or are cancelled.

CREATE TABLE deadlines (
    deadline_id text PRIMARY KEY,
    owner_type text NOT NULL,
    owner_id text NOT NULL,
    name text NOT NULL,
    due_at timestamptz NOT NULL,
    message jsonb NOT NULL
);

CREATE INDEX deadlines_due_idx ON deadlines (due_at, deadline_id);
CREATE INDEX deadlines_owner_idx ON deadlines (owner_type, owner_id);
