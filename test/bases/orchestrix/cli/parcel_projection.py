"""A projection the command line tests run and rebuild: events per parcel, in a table of the
checkpoint store's database, written exactly once through the batch's connection.

`parcels` is a projection factory as `orchestrix projection rebuild MODULE:OBJECT` expects.
Events of the parcel named by the environment variable `CLI_TEST_FAILING_PARCEL` make the
handler fail, so the tests can stop or dead-letter on them; `broken_reset` fails on reset.
"""

from __future__ import annotations

import os
import re
import sqlite3
from typing import Any

from orchestrix.core.eventsourcing.projection import ProjectionContext, ProjectionEngine
from orchestrix.core.messaging.message import Event

NAME = "parcels"
FAILING = "CLI_TEST_FAILING_PARCEL"


def table_of(checkpoints: Any) -> str:
    """The read model's table: beside the checkpoints (in their schema on PostgreSQL)."""
    schema = getattr(checkpoints, "schema", None)
    return f'"{schema}".parcel_events' if isinstance(schema, str) else "parcel_events"


async def execute(connection: Any, sql: str, *values: Any) -> None:
    """`sql` with `?` placeholders, on a sqlite3 or an asyncpg connection."""
    if isinstance(connection, sqlite3.Connection):
        connection.execute(sql, values)
        return
    numbered = iter(range(1, len(values) + 1))
    await connection.execute(re.sub(r"\?", lambda _: f"${next(numbered)}", sql), *values)


def parcels(checkpoints: Any) -> ProjectionEngine:
    table = table_of(checkpoints)
    engine = ProjectionEngine(NAME, checkpoints)

    @engine.on_reset
    async def create_table(connection: Any) -> None:
        await execute(connection, f"DROP TABLE IF EXISTS {table}")
        await execute(
            connection, f"CREATE TABLE {table} (parcel_id TEXT PRIMARY KEY, events INTEGER)"
        )

    @engine.on(Event)
    async def count(event: Event, context: ProjectionContext[Any]) -> None:
        parcel_id = getattr(event, "parcel_id", None)
        if parcel_id is not None and parcel_id == os.environ.get(FAILING):
            raise ValueError(f"cannot count parcel {parcel_id}")
        await execute(
            context.connection,
            f"INSERT INTO {table} AS kept VALUES (?, 1) "
            "ON CONFLICT (parcel_id) DO UPDATE SET events = kept.events + 1",
            parcel_id,
        )

    return engine


async def parcels_later(checkpoints: Any) -> ProjectionEngine:
    """An async factory of the same projection."""
    return parcels(checkpoints)


def broken_reset(checkpoints: Any) -> ProjectionEngine:
    engine = parcels(checkpoints)

    @engine.on_reset
    def refuse(connection: Any) -> None:
        raise PermissionError("the read model is read-only")

    return engine


def not_a_projection(checkpoints: Any) -> str:
    return "parcels"


NOT_CALLABLE = 42
