"""Two versions of one read model, `sales`, each a projection with a table of its own.

Version 1 counts the units sold per product; version 2 also adds up the revenue. Readers
query the view `sales`, which points at the live version's table: promoting a version swaps
the view in the transaction that records the version as live, so readers never see an empty
or half-built table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from decimal import Decimal

from orchestrix.core.eventsourcing.projection import ProjectionContext, ProjectionEngine
from orchestrix.infrastructure.sqlite import SQLiteCheckpointStore
from orchestrix.projection_demo.models import ItemSold

READ_MODEL = "sales"
"""The name readers know; `checkpoints.live(READ_MODEL)` says which version serves it."""

type Context = ProjectionContext[sqlite3.Connection]

COLUMNS = {
    1: "sku TEXT PRIMARY KEY, units INTEGER",
    2: "sku TEXT PRIMARY KEY, units INTEGER, revenue TEXT",
}


def projection_id(version: int) -> str:
    return f"{READ_MODEL}-v{version}"


def table(version: int) -> str:
    return f"{READ_MODEL}_v{version}"


def sales_projection(checkpoints: SQLiteCheckpointStore, version: int) -> ProjectionEngine:
    """The engine of version 1 or 2, writing its table in the checkpoint's transaction."""
    engine = ProjectionEngine(projection_id(version), checkpoints)
    name = table(version)

    @engine.on_reset
    def create(connection: sqlite3.Connection) -> None:
        connection.execute(f"DROP TABLE IF EXISTS {name}")
        connection.execute(f"CREATE TABLE {name} ({COLUMNS[version]})")

    engine.on(ItemSold)(count_units(name) if version == 1 else add_revenue_too(name))
    return engine


def count_units(name: str) -> Callable[[ItemSold, Context], None]:
    def sold(event: ItemSold, context: Context) -> None:
        context.connection.execute(
            f"INSERT INTO {name} VALUES (?, ?) "
            "ON CONFLICT (sku) DO UPDATE SET units = units + excluded.units",
            (event.sku, event.quantity),
        )

    return sold


def add_revenue_too(name: str) -> Callable[[ItemSold, Context], None]:
    def sold(event: ItemSold, context: Context) -> None:
        # Money as text, summed in Python: SQLite has no decimal type, and floats would round.
        row = context.connection.execute(
            f"SELECT revenue FROM {name} WHERE sku = ?", (event.sku,)
        ).fetchone()
        revenue = (Decimal(row[0]) if row else Decimal(0)) + event.quantity * event.unit_price
        context.connection.execute(
            f"INSERT INTO {name} VALUES (?, ?, ?) ON CONFLICT (sku) DO UPDATE SET "
            "units = units + excluded.units, revenue = excluded.revenue",
            (event.sku, event.quantity, str(revenue)),
        )

    return sold


def serve(version: int) -> Callable[[sqlite3.Connection], None]:
    """What promoting `version` does to readers: the view `sales` now shows its table."""

    def point_the_view(connection: sqlite3.Connection) -> None:
        connection.execute(f"DROP VIEW IF EXISTS {READ_MODEL}")
        connection.execute(f"CREATE VIEW {READ_MODEL} AS SELECT * FROM {table(version)}")

    return point_the_view
