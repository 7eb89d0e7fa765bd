"""A blue/green rebuild on SQLite: version 2 of a projection builds in its own table beside
the live version 1, and readers, who query a view, switch to it only once it has caught up,
so they never see an empty or half-built read model, not even while one is half built."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from orchestrix.core.eventsourcing.projection import ProjectionContext, ProjectionEngine
from orchestrix.core.eventsourcing.projection_rebuild import promote_when_caught_up
from orchestrix.core.eventsourcing.subscription import ProjectionRunner
from orchestrix.infrastructure.sqlite import SQLiteCheckpointStore, SQLiteEventStore
from test.components.orchestrix.infrastructure._blue_green import SKUS, TOTAL, Halfway, Sold, sales


def sales_projection(
    checkpoints: SQLiteCheckpointStore, version: int, halfway: Halfway | None = None
) -> ProjectionEngine:
    """Version 1 counts units per sku; version 2 also counts the sales."""
    table = f"sales_v{version}"
    engine = ProjectionEngine(f"sales-v{version}", checkpoints)

    @engine.on_reset
    def create(connection: sqlite3.Connection) -> None:
        connection.execute(f"DROP TABLE IF EXISTS {table}")
        connection.execute(
            f"CREATE TABLE {table} (sku TEXT PRIMARY KEY, units INTEGER, sales INTEGER)"
        )

    @engine.on(Sold)
    async def record(event: Sold, context: ProjectionContext[sqlite3.Connection]) -> None:
        if halfway is not None:
            await halfway.hold(event.n)
        context.connection.execute(
            f"""INSERT INTO {table} VALUES (?, ?, ?) ON CONFLICT (sku) DO UPDATE SET
                units = units + excluded.units, sales = sales + excluded.sales""",
            (event.sku, event.quantity, 1 if version == 2 else None),
        )

    return engine


def point_view_at(version: int) -> Any:
    def swap(connection: sqlite3.Connection) -> None:
        connection.execute("DROP VIEW IF EXISTS sales")
        connection.execute(f"CREATE VIEW sales AS SELECT * FROM sales_v{version}")

    return swap


async def test_readers_switch_only_to_a_caught_up_version(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    with SQLiteEventStore(path, synchronous="NORMAL") as store:
        for first in range(0, TOTAL, 100):
            store.save(f"till-{first}", sales(first))
        async with SQLiteCheckpointStore(path, synchronous="NORMAL") as checkpoints:
            blue = ProjectionRunner(sales_projection(checkpoints, 1), store)
            await blue.reset()  # creates the table
            await blue.catch_up()
            async with checkpoints.transaction() as transaction:
                point_view_at(1)(transaction.connection)
                await transaction.set_live("sales", "sales-v1")

            reads: list[tuple[int, int]] = []
            reader = sqlite3.connect(path, check_same_thread=False)
            done = asyncio.Event()

            def read() -> None:
                reads.append(reader.execute("SELECT sum(units), count(*) FROM sales").fetchone())

            async def read_all_the_time() -> None:
                while not done.is_set():
                    read()
                    await asyncio.sleep(0.001)

            reading = asyncio.create_task(read_all_the_time())
            halfway = Halfway()
            green = ProjectionRunner(
                sales_projection(checkpoints, 2, halfway), store, batch_size=100
            )
            await green.reset()
            await green.start()
            await asyncio.wait_for(halfway.reached.wait(), 60)
            (half_built,) = reader.execute("SELECT sum(units) FROM sales_v2").fetchone()
            read()  # while version 2 is half built
            halfway.release()
            await asyncio.wait_for(
                promote_when_caught_up(green, "sales", on_promote=point_view_at(2)), 60
            )
            assert await checkpoints.live("sales") == "sales-v2"
            last = store.save("till-late", [Sold(n=TOTAL, sku="s0", quantity=5)])
            assert last is not None
            await green.wait_for(last, timeout=10)
            read()  # version 2, with the late sale
            done.set()
            await reading
            await green.stop()
            reader.close()

    assert 0 < half_built < TOTAL
    assert all(read in ((TOTAL, SKUS), (TOTAL + 5, SKUS)) for read in reads), set(reads)
    assert reads[-1] == (TOTAL + 5, SKUS)
    with sqlite3.connect(path) as connection:
        counted = connection.execute("SELECT sum(sales) FROM sales").fetchone()[0]
    assert counted == TOTAL + 1  # version 2's new column, served once it was promoted
