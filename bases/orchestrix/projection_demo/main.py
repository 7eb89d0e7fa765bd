"""Projection demo, top to bottom: a read model catches up with a log it never saw, follows
new events, is rebuilt in place, then is replaced by a new version built beside it.

Run it with `python -m orchestrix.projection_demo [--db FILE]`. The events, the read model and
the projections' checkpoints share one SQLite file (a temporary one unless `--db` names it),
so each batch of the read model commits with its checkpoint: exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from orchestrix.core.common.exceptions import StoreError
from orchestrix.core.eventsourcing.event_log import Checkpoint
from orchestrix.core.eventsourcing.projection_rebuild import promote_when_caught_up
from orchestrix.core.eventsourcing.subscription import ProjectionRunner
from orchestrix.infrastructure.sqlite import (
    SQLiteAsyncEventStore,
    SQLiteCheckpointStore,
    SQLiteLogHead,
)
from orchestrix.projection_demo.models import sale
from orchestrix.projection_demo.projection import READ_MODEL, sales_projection, serve, table

REGISTERS = 4
SALES_PER_REGISTER = 500
BATCH_SIZE = 500
IN_A_TEMPORARY_FILE = "SQLite, in a temporary file (--db FILE keeps it)"

type Rows = list[tuple[object, ...]]


@dataclass
class Outcome:
    """What readers of the view `sales` saw at each step, and the lag, in events, then."""

    lags: dict[str, int] = field(default_factory=dict)
    seen: dict[str, Rows] = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)
    live: str | None = None


class Readers:
    """Whoever reads the read model: through the view `sales`, never a version's table."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None)

    def rows(self) -> Rows:
        return self.connection.execute(f"SELECT * FROM {READ_MODEL} ORDER BY sku").fetchall()

    def columns(self) -> list[str]:
        cursor = self.connection.execute(f"SELECT * FROM {READ_MODEL} LIMIT 0")
        return [column[0] for column in cursor.description]


def show(rows: Rows) -> str:
    """`keyboard 1668 units, ...`, with `for 100200.00` when the row has a revenue."""
    return ", ".join(
        f"{row[0]} {row[1]} units" + (f" for {row[2]}" if len(row) > 2 else "") for row in rows
    )


@dataclass
class Shop:
    """The stores, the readers, and what the story has seen so far."""

    store: SQLiteAsyncEventStore
    checkpoints: SQLiteCheckpointStore
    head: SQLiteLogHead
    readers: Readers
    outcome: Outcome = field(default_factory=Outcome)
    sales: int = 0

    def runner(self, version: int) -> ProjectionRunner:
        engine = sales_projection(self.checkpoints, version)
        return ProjectionRunner(engine, self.store, head=self.head, batch_size=BATCH_SIZE)

    async def lag(self, runner: ProjectionRunner, moment: str) -> int:
        """The runner's lag in events, remembered as what it was at `moment`."""
        self.outcome.lags[moment] = (await runner.lag()).events
        return self.outcome.lags[moment]

    def seen(self, moment: str) -> Rows:
        """What readers see now, remembered as what they saw at `moment`."""
        rows = self.outcome.seen[moment] = self.readers.rows()
        return rows

    async def sell(self, register: int, count: int) -> Checkpoint:
        """Store `count` more sales; returns the checkpoint of the last."""
        batch = [sale(number) for number in range(self.sales, self.sales + count)]
        self.sales += count
        last = await self.store.save(f"register-{register}", batch)
        assert last is not None
        return last


async def run(path: Path, where: str) -> Outcome:
    """Play the story on the SQLite file at `path`; returns what readers saw."""
    print("Projection demo: catching up, following, a rebuild, a blue/green swap.")
    print(f"Store: {where}")
    async with (
        SQLiteAsyncEventStore(path) as store,
        SQLiteCheckpointStore(path) as checkpoints,
        SQLiteLogHead(path) as head,
    ):
        shop = Shop(store, checkpoints, head, Readers(path))
        try:
            blue = await catch_up(shop)
            last = await follow(shop, blue)
            await rebuild(shop, blue, last)
            await blue_green(shop, blue)
        finally:
            shop.readers.connection.close()
    return shop.outcome


async def catch_up(shop: Shop) -> ProjectionRunner:
    total = REGISTERS * SALES_PER_REGISTER
    print(f"\n1. The shop made {total} sales before the read model existed:")
    for register in range(1, REGISTERS + 1):
        await shop.sell(register, SALES_PER_REGISTER)
    blue = shop.runner(1)
    print(f"  version 1 of {READ_MODEL!r} starts {await shop.lag(blue, 'new')} events behind")

    print(f"\n2. It catches up from the origin in batches of {BATCH_SIZE}, then goes live:")
    await blue.reset()  # creates its table
    await blue.start()
    await promote_when_caught_up(blue, READ_MODEL, on_promote=serve(1))
    print(f"  status {blue.status}, lag {await shop.lag(blue, 'caught up')} events")
    live = await shop.checkpoints.live(READ_MODEL)
    print(f"  live version: {live}; readers see {show(shop.seen('caught up'))}")
    return blue


async def follow(shop: Shop, blue: ProjectionRunner) -> Checkpoint:
    print("\n3. It follows new events. Paused, it falls behind; resumed, it catches up:")
    blue.pause()
    last = await shop.sell(1, 3)
    print(f"  3 sales while paused: lag {await shop.lag(blue, 'paused')} events")
    blue.resume()
    await blue.wait_for(last, timeout=10)  # read your writes: the last sale is in
    print(f"  resumed, waited for the last sale: lag {await shop.lag(blue, 'resumed')} events")
    print(f"  readers see {show(shop.seen('followed'))}")
    return last


async def rebuild(shop: Shop, blue: ProjectionRunner, last: Checkpoint) -> None:
    print("\n4. Rebuilt in place: reset() empties the table and moves the checkpoint back to")
    print("   the origin, in one transaction. Readers see the gap:")
    blue.pause()  # only to look at the moment right after the reset
    await blue.reset()
    emptied = shop.seen("reset")
    lag = await shop.lag(blue, "reset")
    print(f"  right after the reset: readers see {len(emptied)} rows; lag {lag} events")
    blue.resume()
    await blue.wait_for(last, timeout=30)
    same = shop.seen("rebuilt") == shop.outcome.seen["followed"]
    print(f"  rebuilt from the whole log: the same rows again: {same}")


async def blue_green(shop: Shop, blue: ProjectionRunner) -> None:
    print("\n5. Blue/green: version 2 adds the revenue. It builds in a table of its own, and")
    print("   readers move to it once it has caught up, so they never see a gap:")
    green = shop.runner(2)
    await green.reset()  # creates its table
    print(f"  version 2 starts {await shop.lag(green, 'green')} events behind")
    await green.start()
    meanwhile = shop.outcome.columns["green building"] = shop.readers.columns()
    print(f"  meanwhile readers still query version 1: columns {', '.join(meanwhile)}")
    await promote_when_caught_up(green, READ_MODEL, on_promote=serve(2))
    shop.outcome.live = await shop.checkpoints.live(READ_MODEL)
    print(f"  caught up and promoted in one transaction: live version {shop.outcome.live}")
    after = shop.outcome.columns["green live"] = shop.readers.columns()
    print(f"  readers see columns {', '.join(after)}:")
    for row in shop.seen("green"):
        print(f"    {show([row])}")
    await blue.stop()
    await green.stop()
    shop.readers.connection.execute(f"DROP TABLE {table(1)}")  # version 1 is retired
    lag = await shop.lag(green, "end")
    print(f"  version 1 stopped and its table dropped; version 2's lag: {lag} events")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--db", type=Path, help="SQLite file (default: a temporary one)")
    arguments = parser.parse_args()
    if arguments.db is not None:
        try:
            asyncio.run(run(arguments.db, f"SQLite file {str(arguments.db)!r}"))
        except StoreError as error:  # a file it cannot open: no traceback for that
            parser.exit(1, f"{parser.prog}: {error}\n")
        return
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(Path(folder) / "shop.sqlite3", IN_A_TEMPORARY_FILE))


if __name__ == "__main__":
    main()
