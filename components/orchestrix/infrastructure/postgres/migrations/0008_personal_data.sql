-- Personal-data protection: one wrapped data key per data subject, and the streams holding
-- each subject's data.
--
-- `wrapped_key` is the subject's data key encrypted with the application's master key, which
-- the database never sees. Erasing the subject sets it to NULL and stamps `erased_at`; the row
-- stays, so no new key is ever made for an erased subject. The old row version stays in the
-- table file as a dead tuple until VACUUM reclaims it, and in the write-ahead log until its
-- segments are recycled (see the personal-data guide).

CREATE TABLE personal_data_keys (
    subject text PRIMARY KEY,
    wrapped_key bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    erased_at timestamptz,
    CHECK ((wrapped_key IS NULL) = (erased_at IS NOT NULL))
);

CREATE TABLE personal_data_streams (
    subject text NOT NULL,
    stream_id text NOT NULL,
    PRIMARY KEY (subject, stream_id)
);

CREATE INDEX personal_data_streams_stream_idx ON personal_data_streams (stream_id);
