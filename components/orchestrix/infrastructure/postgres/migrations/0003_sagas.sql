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
