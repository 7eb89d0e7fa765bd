"""Keeping the log's transaction ids growing when a database moves to another server.

The log orders events by the transaction id that wrote them (see `_horizon`). A dump restored
on another server keeps the stored ids, but that server's counter starts wherever it is, often
far below: new events would sort before the old ones, a projection resuming from its
checkpoint would never see them, and readers would hold the old ones back until the counter
caught up. `check` runs inside `migrate`: when the `log_clock` row names another server than
this one, or a stored id is beyond what this server has handed out, it raises the offset added
to this server's ids so that every new event sorts after every stored one (from the next
block of 2**32 ids above the highest, so also after checkpoints the old server issued after
the dump was taken). Stored ids, positions and checkpoints are left exactly as they were.
"""

from __future__ import annotations

import logging

import asyncpg

from orchestrix.core.common.logging import get_logger
from orchestrix.infrastructure.postgres._horizon import writer_lock_key

_logger = get_logger(__name__)

_EPOCH = 1 << 32


async def check(connection: asyncpg.Connection, schema: str, quoted: str) -> int:
    """The offset to add to this server's transaction ids, repaired first if the database
    came from another server; runs in `migrate`'s transaction."""
    clock = await _read(connection, quoted)
    recorded, offset, server, top, xmin, xmax = clock
    if recorded == server and (top is None or top < xmax + offset):
        return int(offset)
    # Keep writers out while the offset changes, then look again: they may have committed.
    await connection.execute("SELECT pg_advisory_xact_lock($1)", writer_lock_key(schema))
    recorded, offset, server, top, xmin, xmax = await _read(connection, quoted)
    repaired = offset if top is None else max(offset, (top // _EPOCH + 1) * _EPOCH - xmin + 1)
    await connection.execute(
        f"""INSERT INTO {quoted}.log_clock (system_identifier, tx_offset) VALUES ($1, $2)
        ON CONFLICT (one_row) DO UPDATE SET system_identifier = $1, tx_offset = $2,
            changed_at = now()""",
        server,
        repaired,
    )
    _logger.log(
        logging.WARNING if top is not None else logging.INFO,
        "Schema %r was last written on another PostgreSQL server (system identifier %s, now "
        "%s) or its transaction ids are ahead of this server's counter (highest stored %s, "
        "next %s). New events now sort after every stored one: transaction id offset %s "
        "(was %s). Stored events and checkpoints are unchanged.",
        schema,
        recorded,
        server,
        top,
        xmax,
        repaired,
        offset,
    )
    return int(repaired)


async def _read(connection: asyncpg.Connection, quoted: str) -> asyncpg.Record:
    row = await connection.fetchrow(
        f"""
        SELECT clock.system_identifier, coalesce(clock.tx_offset, 0), server.system_identifier,
            (SELECT max(tx_id) FROM {quoted}.events)::text::bigint,
            pg_snapshot_xmin(pg_current_snapshot())::text::bigint,
            pg_snapshot_xmax(pg_current_snapshot())::text::bigint
        FROM pg_control_system() AS server LEFT JOIN {quoted}.log_clock AS clock ON true
        """
    )
    assert row is not None  # one row: the server's, with the clock's if it has one
    return row


__all__ = ["check"]
