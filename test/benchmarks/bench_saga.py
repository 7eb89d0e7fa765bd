"""Sagas of three no-op steps per second on the SQLite and PostgreSQL state stores, beside the
raw driver writing the same state rows, in the same run.

    uv run python test/benchmarks/bench_saga.py            # median of 5 runs
    uv run python test/benchmarks/bench_saga.py --quick    # smoke mode, tiny sizes
    uv run python test/benchmarks/bench_saga.py --no-postgres

A saga of three steps makes 8 transitions (started, three steps started and completed,
completed) and saves 4 states: the write that completes a step also starts the next. The floor
replays the very rows a saga wrote (captured once, encoded in advance, only the saga id
changes) with the same statements (an insert, then updates guarded by the version) through
`sqlite3` or asyncpg directly, so the ratio is what the saga machinery, the encoding and the
store's own plumbing (a worker thread for SQLite, the pool for PostgreSQL) cost. TARGETS.md
asks at most one state write per transition; the ratio is reported, not judged.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import tempfile
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncpg

if __package__ in (None, ""):  # run as a script: make `test.` and the bricks importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from orchestrix.core.execution.saga import InMemorySagaStateStore, Saga, SagaState, SagaStep
from orchestrix.core.execution.saga_records import COLUMNS, row_values
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool, PoolConfig
from orchestrix.infrastructure.postgres.saga_state_store import PostgreSQLSagaStateStore
from orchestrix.infrastructure.sqlite.execution_schema import MIGRATIONS
from orchestrix.infrastructure.sqlite.saga_state_store import SQLiteSagaStateStore
from test.benchmarks.bench_postgres import Timed, paired

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
TRANSITIONS = 8  # in progress, 3 x (step started, step completed), completed


@dataclass(frozen=True)
class Sizes:
    sagas: int  # per run and side, in `chunks` interleaved pieces
    chunks: int
    runs: int


FULL = Sizes(sagas=400, chunks=8, runs=5)
QUICK = Sizes(sagas=8, chunks=2, runs=1)


def noop() -> None:
    """A step that does nothing, so the figure is the saga's own cost."""


STEPS = [SagaStep(name, noop, noop) for name in ("reserve", "charge", "ship")]


def saga(store: Any, saga_id: str) -> Saga:
    """A saga object per run, over steps defined once (as an application defines them)."""
    return Saga("bench", STEPS, store, saga_id=saga_id)


class Counting(InMemorySagaStateStore):
    """Keeps every state saved, to count the writes and replay them as the floor."""

    def __init__(self) -> None:
        super().__init__()
        self.saved: list[SagaState] = []

    async def save_state(self, state: SagaState, expected_version: int | None = None) -> None:
        await super().save_state(state, expected_version)
        self.saved.append(state)


async def captured_states() -> list[SagaState]:
    counting = Counting()
    await saga(counting, "template").execute()
    return counting.saved


@dataclass
class Row:
    name: str
    ours: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)

    def line(self) -> str:
        ours, floor = statistics.median(self.ours), statistics.median(self.floor)
        ratio = statistics.median(o / f for o, f in zip(self.ours, self.floor, strict=True))
        return f"{self.name:<52} {ours:>10,.0f} {floor:>10,.0f} {ratio:>7.3f}"


def ours(store: Any, count: int, tag: str) -> Timed:
    async def work() -> int:
        for number in range(count):
            await saga(store, f"{tag}-{number}").execute()
        return count

    return work


def rows_for(template: list[SagaState], saga_id: str) -> list[tuple[Any, ...]]:
    """The rows a saga with `saga_id` writes, encoded before the clock starts."""
    return [row_values(replace(state, saga_id=saga_id)) for state in template]


NAMES = ", ".join(COLUMNS)
SQLITE_INSERT = f"INSERT INTO saga_states ({NAMES}) VALUES ({', '.join('?' * len(COLUMNS))})"
SQLITE_UPDATE = (
    "UPDATE saga_states SET "
    + ", ".join(f"{name} = ?" for name in COLUMNS[1:])
    + " WHERE saga_id = ? AND version = ?"
)


def sqlite_floor(
    connection: sqlite3.Connection, template: list[SagaState], hop: ThreadPoolExecutor | None
) -> Callable[..., Timed]:
    """Raw `sqlite3` on the loop's thread, or (`hop`) each statement through a worker thread
    as our store runs it, which isolates the cost of the hand-off from the rest."""

    def make(count: int, tag: str) -> Timed:
        sagas = []
        for number in range(count):
            rows = [
                (*row[:8], *(None if t is None else t.isoformat() for t in row[8:]))
                for row in rows_for(template, f"{tag}-{number}")
            ]
            sagas.append(rows)

        async def execute(sql: str, values: tuple[Any, ...]) -> None:
            if hop is None:
                connection.execute(sql, values)
            else:
                await asyncio.get_running_loop().run_in_executor(
                    hop, connection.execute, sql, values
                )

        async def work() -> int:
            for first, *later in sagas:
                await execute(SQLITE_INSERT, first)
                for previous, row in zip([first, *later], later, strict=False):
                    await execute(SQLITE_UPDATE, (*row[1:], row[0], previous[3]))
            return count

        return work

    return make


def pg_statements(table: str) -> tuple[str, str]:
    places = [f"${n}::jsonb" if n in (6, 7) else f"${n}" for n in range(1, len(COLUMNS) + 1)]
    insert = f"INSERT INTO {table} ({NAMES}) VALUES ({', '.join(places)})"
    sets = ", ".join(f"{name} = {place}" for name, place in zip(COLUMNS, places, strict=True))
    update = f"UPDATE {table} SET {sets} WHERE saga_id = $1 AND version = ${len(COLUMNS) + 1}"
    return insert, update


def pg_floor(
    connection: asyncpg.Connection, table: str, template: list[SagaState]
) -> Callable[..., Timed]:
    insert, update = pg_statements(table)

    def make(count: int, tag: str) -> Timed:
        sagas = [rows_for(template, f"{tag}-{number}") for number in range(count)]

        async def work() -> int:
            for first, *later in sagas:
                await connection.execute(insert, *first)
                for previous, row in zip([first, *later], later, strict=False):
                    await connection.execute(update, *row, previous[3])
            return count

        return work

    return make


async def bench_sqlite(
    row: Row, synchronous: str, sizes: Sizes, runs: int, folder: str, *, hop: bool
) -> None:
    template = await captured_states()
    name = f"{synchronous}-{hop}"
    store = SQLiteSagaStateStore(Path(folder) / f"ours-{name}.db", synchronous=synchronous)  # type: ignore[arg-type]
    await store.initialize()
    connection = sqlite3.connect(
        Path(folder) / f"floor-{name}.db", isolation_level=None, check_same_thread=False
    )
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute(f"PRAGMA synchronous = {synchronous}")
    for statement in MIGRATIONS[0]:
        connection.execute(statement)
    worker = ThreadPoolExecutor(max_workers=1) if hop else None
    floor = sqlite_floor(connection, template, worker)
    each = sizes.sagas // sizes.chunks
    try:
        for run in range(runs):
            tags = [f"{run}-{chunk}" for chunk in range(sizes.chunks)]
            await paired(row, [ours(store, each, t) for t in tags], [floor(each, t) for t in tags])
    finally:
        if worker is not None:
            worker.shutdown()
        connection.close()
        await store.close()


async def bench_postgres(row: Row, dsn: str, sizes: Sizes, runs: int) -> None:
    template = await captured_states()
    schema = f"bench_saga_{uuid.uuid4().hex[:12]}"
    pool = ConnectionPool(dsn, PoolConfig(min_size=1, max_size=1))
    store = PostgreSQLSagaStateStore(pool, schema)
    await store.initialize()
    connection = await asyncpg.connect(dsn)
    table = f'"{schema}".raw_saga_states'
    try:
        await connection.execute(
            f'CREATE TABLE {table} (LIKE "{schema}".saga_states INCLUDING ALL)'
        )
        floor = pg_floor(connection, table, template)
        each = sizes.sagas // sizes.chunks
        for run in range(runs):
            tags = [f"{run}-{chunk}" for chunk in range(sizes.chunks)]
            await paired(row, [ours(store, each, t) for t in tags], [floor(each, t) for t in tags])
    finally:
        await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await connection.close()
        await pool.close()


async def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run (smoke test)")
    parser.add_argument("--runs", type=int, help="runs per workload (median is reported)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--dsn", default=os.environ.get("ORCHESTRIX_TEST_POSTGRES_DSN", DEFAULT_DSN)
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    runs = args.runs or sizes.runs

    writes = len(await captured_states())
    counting = Counting()
    seed_style = saga(counting, "seed")
    await seed_style.initialize()
    await seed_style.execute()
    print(
        f"state writes per saga of 3 steps: {writes} for {TRANSITIONS} transitions "
        f"({writes / TRANSITIONS:.2f} per transition, target <= 1); "
        f"{len(counting.saved)} with initialize() first"
    )

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for synchronous, hop in (("FULL", False), ("NORMAL", False), ("NORMAL", True)):
            via = ", floor via a worker thread" if hop else ""
            row = Row(f"sqlite, synchronous={synchronous}{via}")
            await bench_sqlite(row, synchronous, sizes, runs, folder, hop=hop)
            rows.append(row)
    if not args.no_postgres:
        row = Row("postgres")
        await bench_postgres(row, args.dsn, sizes, runs)
        rows.append(row)
    print("Sagas of 3 no-op steps per second, ours vs the raw driver writing the same rows")
    print(f"(median of {runs} run(s); the machine is shared, figures are noisy)")
    print(f"{'store':<52} {'ours':>10} {'floor':>10} {'ratio':>7}")
    for row in rows:
        print(row.line())
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
