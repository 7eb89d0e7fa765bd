"""How far the global log may be read without ever skipping an event that commits later.

Each event records its transaction's id, and readers order by `(tx_id, position)`. A reader
may pass a transaction id only once no transaction below it can still commit events. Any
running transaction could, in principle; holding back for all of them (the snapshot's xmin)
would let one long report, `pg_dump` or idle session anywhere on the server stall every
reader. So appends announce themselves: each one holds a shared, transaction-level advisory
lock (`writer_lock_key`, one per schema) from before its transaction id is assigned until it
ends. The horizon is then the oldest transaction of the reader's snapshot that is either
holding that lock or already finished (it may have held it), capped by the snapshot's xmax:

- a writer that took the lock before the reader looked at `pg_locks` is seen holding it or
  has finished; either way the horizon stops at its id unless the reader's snapshot already
  shows its events;
- a writer that takes the lock later gets a transaction id at least the server's next id,
  above the xmax of any earlier snapshot, so above every horizon already handed out;
- a transaction that already had an id when it appends (it wrote something else first) is the
  exception: its id may be below a horizon a reader has passed. Its events take the id just
  below the xmax of a snapshot taken after the lock instead (`LATE_TX_ID`), which is above
  any horizon handed out before the lock, and keeps its place after the events it follows.

Running transactions and advisory locks are read in one scan of `pg_locks`, which the server
takes under all lock-partition locks: a consistent picture of who is in flight and who
writes. Transactions in other databases never hold this database's lock, so they never hold
readers back. Stored transaction ids are the server's ids plus the log clock's offset (zero
until a database is moved to a server whose counter is behind, see `_log_clock`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LogHoldback:
    """A writer transaction still in flight with events committed after it: readers of the
    log see none of those until it ends. `seconds` is how long it has been running."""

    transaction_id: int
    pid: int | None
    state: str | None
    seconds: float


def writer_lock_key(schema: str) -> int:
    """The advisory lock key (a signed 64-bit integer) of the writers to `schema`."""
    digest = hashlib.blake2b(f"orchestrix.events:{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def stored(expression: str, offset: int) -> str:
    """`expression`, a server transaction id (xid8), as stored in the log: plus `offset`."""
    if offset == 0:
        return expression
    return f"(({expression})::text::bigint + {offset})::text::xid8"


def take_writer_lock(key: int) -> str:
    """A CTE that takes the writers' lock; an insert selecting `FROM gate` holds it before
    its first row is built, so before the row's transaction id is assigned."""
    return f"gate AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared({key}))"


# Events of a transaction that already had an id before it took the writers' lock: the id
# below the next one any snapshot could show, read from a snapshot taken after the lock (a
# statement after it, under READ COMMITTED), or the transaction's own id if that is higher.
LATE_TX_ID = """greatest(
    pg_current_xact_id(),
    (pg_snapshot_xmax(pg_current_snapshot())::text::bigint - 1)::text::xid8
)"""


def horizon_ctes(key: int, offset: int) -> str:
    """CTEs `locks` (one scan of pg_locks), `blocker` (the oldest transaction a reader must
    wait for, if any) and `horizon` (`stored`: read only transaction ids below it)."""
    high, low = (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
    return f"""
    locks AS MATERIALIZED (
        SELECT locktype, virtualtransaction, transactionid, pid FROM pg_catalog.pg_locks
        WHERE granted AND (
            locktype = 'transactionid'
            OR (locktype = 'advisory' AND classid = {high}::oid AND objid = {low}::oid
                AND objsubid = 1 AND database = (
                    SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()
                ))
        )
    ),
    blocker AS MATERIALIZED (
        SELECT min(x) AS xid, pg_snapshot_xmax(pg_current_snapshot()) AS xmax
        FROM pg_snapshot_xip(pg_current_snapshot()) AS x
        WHERE NOT EXISTS (  -- still running, and not a writer: it cannot commit events
            SELECT FROM locks AS other
            WHERE other.locktype = 'transactionid' AND other.transactionid = xid(x)
                AND NOT EXISTS (
                    SELECT FROM locks AS writer
                    WHERE writer.locktype = 'advisory'
                        AND writer.virtualtransaction = other.virtualtransaction
                )
        )
    ),
    horizon AS MATERIALIZED (
        SELECT {stored("least(blocker.xmax, blocker.xid)", offset)} AS stored FROM blocker
    )"""


__all__ = [
    "LATE_TX_ID",
    "LogHoldback",
    "horizon_ctes",
    "stored",
    "take_writer_lock",
    "writer_lock_key",
]
