"""A blue/green rebuild on PostgreSQL: version 2 of a projection builds in its own table
beside the live version 1, and readers on their own connection, who query a view, switch to it
only once it has caught up, so they never see an empty or half-built read model, not even
while one is half built."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from orchestrix.core.eventsourcing.projection import ProjectionContext, ProjectionEngine
from orchestrix.core.eventsourcing.projection_rebuild import promote_when_caught_up
from orchestrix.core.eventsourcing.subscription import ProjectionRunner
from orchestrix.infrastructure.postgres import PostgreSQLCheckpointStore, PostgreSQLEventStore
from test.components.orchestrix.infrastructure._blue_green import SKUS, TOTAL, Halfway, Sold, sales

pytestmark = pytest.mark.postgres


def sales_projection(
    checkpoints: PostgreSQLCheckpointStore, version: int, halfway: Halfway | None = None
) -> ProjectionEngine:
    """Version 1 counts units per sku; version 2 also counts the sales."""
    table = f'"{checkpoints.schema}".sales_v{version}'
    engine = ProjectionEngine(f"sales-v{version}", checkpoints)

    @engine.on_reset
    async def create(connection: asyncpg.Connection) -> None:
        await connection.execute(f"DROP TABLE IF EXISTS {table}")
        await connection.execute(
            f"CREATE TABLE {table} (sku text PRIMARY KEY, units int, sales int)"
        )

    @engine.on(Sold)
    async def record(event: Sold, context: ProjectionContext[asyncpg.Connection]) -> None:
        if halfway is not None:
            await halfway.hold(event.n)
        await context.connection.execute(
            f"""INSERT INTO {table} VALUES ($1, $2, $3) ON CONFLICT (sku) DO UPDATE SET
                units = {table}.units + excluded.units, sales = {table}.sales + excluded.sales""",
            event.sku,
            event.quantity,
            1 if version == 2 else None,
        )

    return engine


def point_view_at(schema: str, version: int) -> Any:
    async def swap(connection: asyncpg.Connection) -> None:
        await connection.execute(
            f'CREATE OR REPLACE VIEW "{schema}".sales AS SELECT * FROM "{schema}".sales_v{version}'
        )

    return swap


async def test_readers_switch_only_to_a_caught_up_version(
    store: PostgreSQLEventStore, postgres_dsn: str
) -> None:
    schema = store.schema
    for first in range(0, TOTAL, 100):
        await store.save(f"till-{first}", sales(first))
    checkpoints = PostgreSQLCheckpointStore(store.pool, schema)
    blue = ProjectionRunner(sales_projection(checkpoints, 1), store)
    await blue.reset()  # creates the table
    await blue.catch_up()
    async with checkpoints.transaction() as transaction:
        await point_view_at(schema, 1)(transaction.connection)
        await transaction.set_live("sales", "sales-v1")

    reads: list[tuple[int, int]] = []
    reader, reading_now = await asyncpg.connect(postgres_dsn), asyncio.Lock()
    done = asyncio.Event()

    async def query(sql: str) -> asyncpg.Record:
        async with reading_now:  # one query at a time on the reader's connection
            row = await reader.fetchrow(sql)
        assert row is not None
        return row

    async def read() -> None:
        row = await query(f'SELECT sum(units), count(*) FROM "{schema}".sales')
        reads.append((row[0], row[1]))

    async def read_all_the_time() -> None:
        while not done.is_set():
            await read()
            await asyncio.sleep(0.001)

    reading = asyncio.create_task(read_all_the_time())
    halfway = Halfway()
    green = ProjectionRunner(sales_projection(checkpoints, 2, halfway), store, batch_size=100)
    try:
        await green.reset()
        await green.start()
        await asyncio.wait_for(halfway.reached.wait(), 60)
        (half_built,) = await query(f'SELECT sum(units) FROM "{schema}".sales_v2')
        await read()  # while version 2 is half built
        halfway.release()
        await asyncio.wait_for(
            promote_when_caught_up(green, "sales", on_promote=point_view_at(schema, 2)), 60
        )
        assert await checkpoints.live("sales") == "sales-v2"
        last = await store.save("till-late", [Sold(n=TOTAL, sku="s0", quantity=5)])
        assert last is not None
        await green.wait_for(last, timeout=10)
        await read()  # version 2, with the late sale
    finally:
        halfway.release()
        done.set()
        await reading
        await green.stop()
        await reader.close()

    assert 0 < half_built < TOTAL
    assert all(read in ((TOTAL, SKUS), (TOTAL + 5, SKUS)) for read in reads), set(reads)
    assert reads[-1] == (TOTAL + 5, SKUS)
    async with store.pool.acquire() as connection:
        counted = await connection.fetchval(f'SELECT sum(sales) FROM "{schema}".sales')
    assert counted == TOTAL + 1  # version 2's new column, served once it was promoted
