-- The log clock: which PostgreSQL server the stored transaction ids come from, and the offset
-- added to this server's transaction ids when events are recorded and the log is read.
--
-- Transaction ids order the global log, so they must keep growing. A database restored on
-- another server (pg_dump, logical replication) brings its events' ids but not the server's
-- counter, which may be far behind them: new events would sort before old ones and readers
-- would wait for ids the new server has not reached. `migrate` notices the new server (or a
-- counter behind the log) and raises the offset so that new ids sort after every stored one;
-- stored ids and checkpoints never change. The offset is 0 on the server a log started on.

CREATE TABLE log_clock (
    one_row boolean PRIMARY KEY DEFAULT true CHECK (one_row),
    system_identifier bigint NOT NULL,
    tx_offset bigint NOT NULL DEFAULT 0 CHECK (tx_offset >= 0),
    changed_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO log_clock (system_identifier) SELECT system_identifier FROM pg_control_system();
