"""A blue/green rebuild on SQLite: version 2 of a projection builds in its own table beside
the live version 1, and readers, who query a view, switch to it only once it has caught up,
so they never see an empty or half-built read model."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrix.core.eventsourcing.projection import ProjectionContext, ProjectionEngine
from orchestrix.core.eventsourcing.projection_rebuild import promote_when_caught_up
from orchestrix.core.eventsourcing.subscription import ProjectionRunner
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.sqlite import SQLiteCheckpointStore, SQLiteEventStore


@dataclass(frozen=True, kw_only=True)
class Sold(Event, type_name="blue_green_tests.Sold"):
    sku: str
    quantity: int


def sales_projection(checkpoints: SQLiteCheckpointStore, version: int) -> ProjectionEngine:
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
    def record(event: Sold, context: ProjectionContext[sqlite3.Connection]) -> None:
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
        for batch in range(30):
            store.save(f"till-{batch}", [Sold(sku=f"s{n % 7}", quantity=1) for n in range(100)])
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

            async def read_all_the_time() -> None:
                while not done.is_set():
                    units, rows = reader.execute(
                        "SELECT sum(units), count(*) FROM sales"
                    ).fetchone()
                    reads.append((units, rows))
                    await asyncio.sleep(0.001)

            reading = asyncio.create_task(read_all_the_time())
            green = ProjectionRunner(sales_projection(checkpoints, 2), store, batch_size=100)
            await green.reset()
            await green.start()
            await asyncio.wait_for(
                promote_when_caught_up(green, "sales", on_promote=point_view_at(2)), 60
            )
            assert await checkpoints.live("sales") == "sales-v2"
            last = store.save("till-late", [Sold(sku="s0", quantity=5)])
            assert last is not None
            await green.wait_for(last, timeout=10)
            await asyncio.sleep(0.02)
            done.set()
            await reading
            await green.stop()
            reader.close()

    assert len(reads) > 10
    assert all(read in ((3000, 7), (3005, 7)) for read in reads), set(reads)
    with sqlite3.connect(path) as connection:
        sales = connection.execute("SELECT sum(sales) FROM sales").fetchone()[0]
    assert sales == 3001  # version 2's new column, served once it was promoted
