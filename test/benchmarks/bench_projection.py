"""Projection catch-up and lag against raw-driver floors, measured side by side in one run.

    uv run python test/benchmarks/bench_projection.py            # full: median of 7 runs
    uv run python test/benchmarks/bench_projection.py --quick    # smoke mode, tiny sizes
    uv run python test/benchmarks/bench_projection.py --no-postgres

Catch-up: a `ProjectionRunner` reads the whole log (batches of 1,000) into a trivial read
model (a count per account in a dict, checkpoints in memory) beside the floor TARGETS.md
names: raw `sqlite3` / asyncpg keyset pages of the same rows, each payload parsed with
orjson, and the same count kept from the parsed dict. A third row projects exactly once into
a SQLite table in the event store's file (an upsert per event, the checkpoint in the same
transaction) beside raw `sqlite3` doing the same upserts and checkpoint update per page.

Lag: a writer process appends one event per save at a steady rate (1,000 events/s in the
full run) to PostgreSQL; a following projection woken by LISTEN/NOTIFY, with its checkpoint
in PostgreSQL, measures for each event the time from just before its save to its handler.
The floor is a raw asyncpg reader woken by the same notifications that fetches new rows by
position (which, unlike ours, may skip a late commit). Figures are events/s (catch-up) and
milliseconds (lag); the machine is shared, so absolute numbers are noisy: compare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import orjson

if __package__ in (None, ""):  # run as a script: make `test.` and the bricks importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from orchestrix.core.eventsourcing.projection import ProjectionContext, ProjectionEngine
from orchestrix.core.eventsourcing.subscription import ProjectionRunner
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.memory.checkpoint_store import InMemoryCheckpointStore
from orchestrix.infrastructure.postgres import (
    PostgreSQLCheckpointStore,
    PostgreSQLEventStore,
    PostgreSQLWakeUp,
)
from orchestrix.infrastructure.sqlite import SQLiteCheckpointStore, SQLiteEventStore

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
PAGE = 1000

type Timed = Callable[[], Awaitable[tuple[int, float]]]
"""Sets up untimed, then times its work: returns (events handled, seconds)."""


@dataclass(frozen=True, kw_only=True)
class Paid(Event, type_name="bench_projection.Paid"):
    account: str
    amount: int
    note: str


@dataclass(frozen=True, kw_only=True)
class Probe(Event, type_name="bench_projection.Probe"):
    sent_at: float


@dataclass(frozen=True)
class Sizes:
    events: int
    runs: int
    rate: int
    seconds: float


FULL = Sizes(events=30_000, runs=7, rate=1000, seconds=10.0)
QUICK = Sizes(events=2_000, runs=1, rate=200, seconds=1.0)


def paid(n: int) -> Paid:
    return Paid(account=f"ACC-{n % 97:03d}", amount=n % 50, note="monthly subscription")


def counting_engine(checkpoints: object) -> tuple[ProjectionEngine, dict[str, int]]:
    engine, counts = ProjectionEngine("bench", checkpoints), {}  # type: ignore[arg-type]

    @engine.on(Paid)
    def count(event: Paid) -> None:
        counts[event.account] = counts.get(event.account, 0) + 1

    return engine, counts


# --- SQLite -----------------------------------------------------------------------------------


def fill_sqlite(path: Path, count: int) -> None:
    with SQLiteEventStore(path, synchronous="NORMAL") as store:
        for start in range(0, count, 500):
            store.save(f"s-{start}", [paid(n) for n in range(start, min(start + 500, count))])


async def counting_catch_up(log: SQLiteEventStore | PostgreSQLEventStore) -> tuple[int, float]:
    """A runner catching up over `log` into the trivial model: (events counted, seconds)."""
    engine, counts = counting_engine(InMemoryCheckpointStore())
    runner = ProjectionRunner(engine, log, batch_size=PAGE)
    started = time.perf_counter()
    await runner.catch_up()
    return sum(counts.values()), time.perf_counter() - started


def sqlite_ours(path: Path) -> Timed:
    async def work() -> tuple[int, float]:
        with SQLiteEventStore(path, synchronous="NORMAL") as store:
            return await counting_catch_up(store)

    return work


def sqlite_read_all(path: Path) -> Timed:
    async def work() -> tuple[int, float]:
        with SQLiteEventStore(path, synchronous="NORMAL") as store:
            started = time.perf_counter()
            count = sum(1 for _ in store.read_all(batch_size=PAGE))
            return count, time.perf_counter() - started

    return work


def sqlite_floor(path: Path) -> Timed:
    async def work() -> tuple[int, float]:
        connection = sqlite3.connect(path)
        sql = "SELECT position, payload FROM events WHERE position > ? ORDER BY position LIMIT ?"
        counts: dict[str, int] = {}
        started, position = time.perf_counter(), 0
        while rows := connection.execute(sql, (position, PAGE)).fetchall():
            for _, payload in rows:
                account = orjson.loads(payload)["account"]
                counts[account] = counts.get(account, 0) + 1
            position = rows[-1][0]
        elapsed = time.perf_counter() - started
        connection.close()
        return sum(counts.values()), elapsed

    return work


UPSERT_SQLITE = """INSERT INTO {table} (account, n) VALUES (?, 1)
    ON CONFLICT (account) DO UPDATE SET n = n + 1"""


def sqlite_exactly_once_ours(path: Path, tag: str) -> Timed:
    table = f"model_ours_{tag}"

    async def work() -> tuple[int, float]:
        with SQLiteEventStore(path, synchronous="NORMAL") as store:
            async with SQLiteCheckpointStore(path, synchronous="NORMAL") as checkpoints:
                engine = ProjectionEngine(f"bench-{tag}", checkpoints)
                upsert = UPSERT_SQLITE.format(table=table)

                @engine.on(Paid)
                def count(event: Paid, context: ProjectionContext[sqlite3.Connection]) -> None:
                    context.connection.execute(upsert, (event.account,))

                async with checkpoints.transaction() as transaction:
                    transaction.connection.execute(
                        f"CREATE TABLE {table} (account TEXT PRIMARY KEY, n INTEGER)"
                    )
                runner = ProjectionRunner(engine, store, checkpoints=checkpoints, batch_size=PAGE)
                started = time.perf_counter()
                await runner.catch_up()
                elapsed = time.perf_counter() - started
        return sqlite_total(path, table), elapsed

    return work


def sqlite_exactly_once_floor(path: Path, tag: str) -> Timed:
    table = f"model_floor_{tag}"

    async def work() -> tuple[int, float]:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute(f"CREATE TABLE {table} (account TEXT PRIMARY KEY, n INTEGER)")
        connection.execute("CREATE TABLE IF NOT EXISTS floor_checkpoint (position INTEGER)")
        sql = "SELECT position, payload FROM events WHERE position > ? ORDER BY position LIMIT ?"
        upsert = UPSERT_SQLITE.format(table=table)
        started, position = time.perf_counter(), 0
        while rows := connection.execute(sql, (position, PAGE)).fetchall():
            connection.execute("BEGIN IMMEDIATE")
            for _, payload in rows:
                connection.execute(upsert, (orjson.loads(payload)["account"],))
            position = rows[-1][0]
            connection.execute("UPDATE floor_checkpoint SET position = ?", (position,))
            connection.execute("COMMIT")
        elapsed = time.perf_counter() - started
        connection.close()
        return sqlite_total(path, table), elapsed

    return work


def sqlite_total(path: Path, table: str) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute(f"SELECT sum(n) FROM {table}").fetchone()[0])
    finally:
        connection.close()


# --- PostgreSQL -------------------------------------------------------------------------------


async def fill_postgres(store: PostgreSQLEventStore, count: int) -> None:
    for start in range(0, count, 500):
        await store.save(f"s-{start}", [paid(n) for n in range(start, min(start + 500, count))])


def postgres_ours(store: PostgreSQLEventStore) -> Timed:
    async def work() -> tuple[int, float]:
        return await counting_catch_up(store)

    return work


def postgres_read_all(store: PostgreSQLEventStore) -> Timed:
    async def work() -> tuple[int, float]:
        started, count = time.perf_counter(), 0
        async for _ in store.read_all(batch_size=PAGE):
            count += 1
        return count, time.perf_counter() - started

    return work


def postgres_floor(connection: asyncpg.Connection, schema: str) -> Timed:
    sql = f"""SELECT position, payload FROM "{schema}".events WHERE position > $1
        ORDER BY position LIMIT $2"""

    async def work() -> tuple[int, float]:
        counts: dict[str, int] = {}
        started, position = time.perf_counter(), 0
        while rows := await connection.fetch(sql, position, PAGE):
            for _, payload in rows:
                account = orjson.loads(payload)["account"]
                counts[account] = counts.get(account, 0) + 1
            position = rows[-1][0]
        return sum(counts.values()), time.perf_counter() - started

    return work


# --- lag --------------------------------------------------------------------------------------


async def write_steadily(dsn: str, schema: str, rate: int, seconds: float) -> None:
    """The writer process: one event per save, `rate` per second, from 4 connections."""
    writers = 4
    async with PostgreSQLEventStore(dsn, writers, writers, schema=schema) as store:

        async def writer(w: int) -> None:
            interval, start = writers / rate, time.monotonic() + w / rate
            for n in range(int(rate * seconds / writers)):
                delay = start + n * interval - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await store.save(f"probe-{w}", [Probe(sent_at=time.time())])

        await asyncio.gather(*map(writer, range(writers)))


def start_writer(dsn: str, schema: str, sizes: Sizes) -> subprocess.Popen[bytes]:
    arguments = ["--writer", dsn, schema, str(sizes.rate), str(sizes.seconds)]
    return subprocess.Popen([sys.executable, __file__, *arguments])


async def lag_ours(dsn: str, sizes: Sizes) -> list[float]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    store = PostgreSQLEventStore(dsn, 1, 4, schema=schema)
    await store.initialize()
    try:
        checkpoints = PostgreSQLCheckpointStore(store.pool, schema)
        engine, lags = ProjectionEngine("lag", checkpoints), []
        engine.on(Probe)(lambda event: lags.append(time.time() - event.sent_at))
        wake_up = PostgreSQLWakeUp(store.pool, schema)
        runner = ProjectionRunner(engine, store, checkpoints=checkpoints, wake_up=wake_up)
        await runner.start()
        await asyncio.wait_for(runner.wait_caught_up(), 30)
        writer = start_writer(dsn, schema, sizes)
        await asyncio.to_thread(writer.wait)
        last = [recorded async for recorded in store.read_all()][-1].checkpoint
        await runner.wait_for(last, timeout=60)
        await runner.stop()
        return lags
    finally:
        await drop_schema(dsn, schema)
        await store.close()


async def lag_floor(dsn: str, sizes: Sizes) -> list[float]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    async with PostgreSQLEventStore(dsn, 1, 1, schema=schema):
        pass  # creates the schema, the trigger included
    listener, reader = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    woken, lags = asyncio.Event(), []
    await listener.add_listener("orchestrix_events", lambda *args: woken.set())
    sql = f'SELECT position, payload FROM "{schema}".events WHERE position > $1 ORDER BY position'
    try:
        writer = start_writer(dsn, schema, sizes)
        position, running = 0, True
        while running:  # a position cursor may skip a late commit: stop with the writer
            running = writer.poll() is None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), 0.5)
            woken.clear()
            for row_position, payload in await reader.fetch(sql, position):
                lags.append(time.time() - orjson.loads(payload)["sent_at"])
                position = row_position
        return lags
    finally:
        await listener.close()
        await reader.close()
        await drop_schema(dsn, schema)


async def drop_schema(dsn: str, schema: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()


def milliseconds(lags: list[float]) -> tuple[float, float, float]:
    ordered = sorted(lags)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000, ordered[-1] * 1000


# --- report -----------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    target: str
    ours: list[float]
    floor: list[float]

    def line(self) -> str:
        ours, floor = statistics.median(self.ours), statistics.median(self.floor)
        ratio = statistics.median(o / f for o, f in zip(self.ours, self.floor, strict=True))
        verdict = "" if self.target == "-" else ("ok" if ratio >= float(self.target) else "BELOW")
        target = "-" if self.target == "-" else f">= {self.target}"
        return (
            f"{self.name:<52} {ours:>10,.0f} {floor:>10,.0f} {ratio:>6.3f} {target:>8}  {verdict}"
        )


async def paired(row: Row, ours: Timed, floor: Timed, run: int) -> None:
    """One run of each side, alternating which goes first so noise falls on both."""
    sides = [(ours, row.ours), (floor, row.floor)]
    for work, figures in sides if run % 2 == 0 else sides[::-1]:
        count, seconds = await work()
        figures.append(count / seconds)


async def catch_up_rows(sizes: Sizes, dsn: str | None) -> list[Row]:
    rows = [
        Row("catch-up from SQLite, trivial read model", "0.6", [], []),
        Row("  (SQLite read_all alone, typed, for reference)", "-", [], []),
        Row("catch-up from SQLite, exactly-once SQLite model", "-", [], []),
    ]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "events.db"
        fill_sqlite(path, sizes.events)
        for run in range(sizes.runs):
            await paired(rows[0], sqlite_ours(path), sqlite_floor(path), run)
            await paired(rows[1], sqlite_read_all(path), sqlite_floor(path), run)
            tag = str(run)
            ours, floor = sqlite_exactly_once_ours(path, tag), sqlite_exactly_once_floor(path, tag)
            await paired(rows[2], ours, floor, run)
    if dsn is None:
        return rows
    rows.append(Row("catch-up from PostgreSQL, trivial read model", "0.6", [], []))
    rows.append(Row("  (PostgreSQL read_all alone, typed, for reference)", "-", [], []))
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    store = PostgreSQLEventStore(dsn, 1, 2, schema=schema)
    await store.initialize()
    connection = await asyncpg.connect(dsn)
    try:
        await fill_postgres(store, sizes.events)
        await connection.execute(f'ANALYZE "{schema}".events')
        for run in range(sizes.runs):
            floor = postgres_floor(connection, schema)
            await paired(rows[3], postgres_ours(store), floor, run)
            await paired(rows[4], postgres_read_all(store), floor, run)
    finally:
        await connection.close()
        await store.close()
        await drop_schema(dsn, schema)
    return rows


async def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run (smoke test)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite rows only")
    parser.add_argument(
        "--dsn", default=os.environ.get("ORCHESTRIX_TEST_POSTGRES_DSN", DEFAULT_DSN)
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    dsn = None if args.no_postgres else args.dsn
    rows = await catch_up_rows(sizes, dsn)
    print(f"Projection catch-up over {sizes.events:,} events (events/s, median of {sizes.runs})")
    print(f"{'workload':<52} {'ours':>10} {'floor':>10} {'ratio':>6} {'target':>8}")
    for row in rows:
        print(row.line())
    if dsn is not None:
        ours, floor = (
            milliseconds(await lag_ours(dsn, sizes)),
            milliseconds(await lag_floor(dsn, sizes)),
        )
        print(
            f"\nFollowing projection, PostgreSQL LISTEN/NOTIFY, {sizes.rate:,} events/s for "
            f"{sizes.seconds:g} s (lag in ms: save started -> handler)"
        )
        print(f"{'side':<52} {'p50':>10} {'p99':>10} {'max':>10}")
        for side, figures in (
            ("ours (checkpoint in PostgreSQL)", ours),
            ("floor (raw LISTEN + fetch by position)", floor),
        ):
            print(f"{side:<52} " + " ".join(f"{figure:>10.1f}" for figure in figures))
        verdict = "ok" if ours[1] <= 100 else "ABOVE"
        print(f"lag p99 target <= 100 ms: {verdict}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--writer"]:
        dsn_, schema_, rate_, seconds_ = sys.argv[2:6]
        asyncio.run(write_steadily(dsn_, schema_, int(rate_), float(seconds_)))
        sys.exit(0)
    sys.exit(asyncio.run(main(sys.argv[1:])))
