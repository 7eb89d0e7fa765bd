"""PostgreSQL event store against raw asyncpg on an equivalent table, in the same run.

    uv run python test/benchmarks/bench_postgres.py            # median of 5 runs
    uv run python test/benchmarks/bench_postgres.py --quick    # smoke mode, tiny sizes
    uv run python test/benchmarks/bench_postgres.py --outbox   # writes fill the outbox too

The floor's table is created `LIKE` the store's events table (same columns, defaults,
constraints and indexes); the floor sends pre-encoded rows over dedicated connections and
fetches rows without decoding them. Each workload prints events per second for both and the
ratio ours / floor beside the TARGETS.md target. Everything runs in a throw-away schema.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from orjson import loads as parse

if __package__ in (None, ""):  # run as a script: make `test.` and the bricks importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from orchestrix.core.messaging.codec import encode_event
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.postgres.outbox import PostgreSQLOutbox
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"

type Timed = Callable[[], Awaitable[int]]


@dataclass(frozen=True, kw_only=True)
class BenchDeposited(Event):
    account_id: str
    amount: Decimal
    note: str


def make_event(i: int) -> BenchDeposited:
    return BenchDeposited(
        account_id=f"ACC-{i:06d}", amount=Decimal("12.50"), note="monthly salary", actor_id="u1"
    )


PLANS_SETTLED = 6  # runs of a prepared statement after which its plan no longer changes


@dataclass(frozen=True)
class Sizes:
    single: int
    concurrent: int
    batches: int
    stream: int
    loads: int
    catch_ups: int
    chunks: int
    runs: int


FULL = Sizes(
    single=2000, concurrent=2400, batches=60, stream=10_000, loads=6, catch_ups=2, chunks=10, runs=5
)
QUICK = Sizes(
    single=20, concurrent=16, batches=2, stream=300, loads=2, catch_ups=2, chunks=2, runs=1
)

# `{hint}` adds the class-hint column where the schema has one (so the floor writes and reads
# the same row content as the store); it is empty for schemas from before that column.
INSERT_ONE = """
    INSERT INTO {table} (stream_id, version, event_id, event_type, schema_version,
        correlation_id, causation_id, trace_id, actor_id, occurred_at, payload {hint})
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 {hint_value})
"""
INSERT_MANY = """
    INSERT INTO {table} (stream_id, version, event_id, event_type, schema_version,
        correlation_id, causation_id, trace_id, actor_id, occurred_at, payload {hint})
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::integer[],
        $6::text[], $7::text[], $8::text[], $9::text[], $10::timestamptz[], $11::{payload}[]
        {hint_array})
"""
LOAD = """
    SELECT payload, schema_version, event_type {hint} FROM {table}
    WHERE stream_id = $1 AND version > $2 ORDER BY version
"""
PAGE = """
    SELECT position, stream_id, version, schema_version, payload, event_type {hint} FROM {table}
    WHERE position > $1 ORDER BY position LIMIT $2
"""


class Floor:
    """Raw asyncpg on the equivalent table: rows built before the clock starts; reads fetch
    the rows and parse each payload with orjson (typed events cannot be had without it)."""

    def __init__(
        self,
        connections: list[asyncpg.Connection],
        schema: str,
        payload_type: str,
        has_hint: bool,
    ) -> None:
        self.connections = connections
        self.has_hint = has_hint
        self.table = f'"{schema}".raw_events'
        self.log = f'"{schema}".raw_log'
        hint = ", type_hint" if has_hint else ""
        self.insert_one = INSERT_ONE.format(
            table=self.table, hint=hint, hint_value=", $12" if has_hint else ""
        )
        self.insert_many = INSERT_MANY.format(
            table=self.table,
            payload=payload_type,
            hint=hint,
            hint_array=", $12::text[]" if has_hint else "",
        )
        self.load_sql = LOAD.format(table=self.log, hint=hint)
        self.page_sql = PAGE.format(table=self.log, hint=hint)

    def row(self, stream: str, version: int) -> tuple[Any, ...]:
        """The row our store writes for the same event, encoded in advance."""
        event = make_event(version)
        payload = encode_event(event).decode()
        return (
            stream,
            version,
            event.id,
            event.type,
            1,
            None,
            None,
            None,
            "u1",
            event.timestamp,
            payload,
            *([f"{__name__}:{type(event).__qualname__}"] if self.has_hint else []),
        )

    def single(self, count: int, tag: str) -> Timed:
        connection, sql = self.connections[0], self.insert_one
        rows = [self.row(f"{tag}-{i}", 1) for i in range(count)]

        async def work() -> int:
            for row in rows:
                await connection.execute(sql, *row)
            return count

        return work

    def concurrent(self, count: int, tag: str) -> Timed:
        sql, each = self.insert_one, count // len(self.connections)
        rows = [
            [self.row(f"{tag}-{w}", v + 1) for v in range(each)]
            for w in range(len(self.connections))
        ]

        async def writer(connection: asyncpg.Connection, mine: list[tuple[Any, ...]]) -> None:
            for row in mine:
                await connection.execute(sql, *row)

        async def work() -> int:
            await asyncio.gather(*map(writer, self.connections, rows))
            return each * len(self.connections)

        return work

    def batches(self, count: int, tag: str) -> Timed:
        connection, sql = self.connections[0], self.insert_many
        batches = [
            [
                list(c)
                for c in zip(*(self.row(tag, b * 100 + i + 1) for i in range(100)), strict=True)
            ]
            for b in range(count)
        ]

        async def work() -> int:
            for columns in batches:
                await connection.execute(sql, *columns)
            return count * 100

        return work

    def load(self, stream: str) -> Timed:
        connection, sql = self.connections[0], self.load_sql

        async def work() -> int:
            rows = await connection.fetch(sql, stream, 0)
            [parse(row[0]) for row in rows]
            return len(rows)

        return work

    def catch_up(self) -> Timed:
        connection, sql = self.connections[0], self.page_sql

        async def work() -> int:
            position, total = 0, 0
            while True:
                rows = await connection.fetch(sql, position, 1000)
                [parse(row[4]) for row in rows]
                total += len(rows)
                if len(rows) < 1000:
                    return total
                position = rows[-1][0]

        return work


class Ours:
    """The same workloads through `PostgreSQLEventStore`, events built before the clock."""

    def __init__(self, store: PostgreSQLEventStore) -> None:
        self.store = store

    def single(self, count: int, tag: str) -> Timed:
        save, events = self.store.save, [make_event(i) for i in range(count)]

        async def work() -> int:
            for i, event in enumerate(events):
                await save(f"{tag}-{i}", [event], expected_version=0)
            return count

        return work

    def concurrent(self, count: int, tag: str, writers: int) -> Timed:
        save, each = self.store.save, count // writers
        events = [[make_event(v) for v in range(each)] for _ in range(writers)]

        async def writer(w: int) -> None:
            for version, event in enumerate(events[w]):
                await save(f"{tag}-{w}", [event], version)

        async def work() -> int:
            await asyncio.gather(*map(writer, range(writers)))
            return each * writers

        return work

    def batches(self, count: int, tag: str) -> Timed:
        batches = [[make_event(i) for i in range(100)] for _ in range(count)]

        async def work() -> int:
            for b, batch in enumerate(batches):
                await self.store.save(tag, batch, b * 100)
            return count * 100

        return work

    def load(self, stream: str) -> Timed:
        async def work() -> int:
            return len(await self.store.load(stream))

        return work

    def catch_up(self) -> Timed:
        async def work() -> int:
            total = 0
            async for _ in self.store.read_all(batch_size=1000):
                total += 1
            return total

        return work


@dataclass
class Row:
    name: str
    target: float
    ours: list[float]
    floor: list[float]

    def line(self) -> str:
        ours, floor = statistics.median(self.ours), statistics.median(self.floor)
        ratios = [o / f for o, f in zip(self.ours, self.floor, strict=True)]
        ratio = statistics.median(ratios)
        verdict = "ok" if ratio >= self.target else "BELOW"
        spread = f"{min(ratios):.3f}-{max(ratios):.3f}"
        return (
            f"{self.name:<44} {ours:>11,.0f} {floor:>11,.0f} {ratio:>7.3f} {spread:>13} "
            f"{'>= ' + str(self.target):>8}  {verdict}"
        )


async def paired(row: Row, ours: list[Timed], floor: list[Timed]) -> None:
    """One run: the two sides' chunks interleaved (ours, floor, floor, ours, ...) so that
    the noise of a shared machine falls on both alike; records events/s of each side."""
    done, seconds = [0, 0], [0.0, 0.0]
    for index, pair in enumerate(zip(ours, floor, strict=True)):
        for side in (0, 1) if index % 2 == 0 else (1, 0):
            started = time.perf_counter()
            done[side] += await pair[side]()
            seconds[side] += time.perf_counter() - started
    row.ours.append(done[0] / seconds[0])
    row.floor.append(done[1] / seconds[1])


async def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run (smoke test)")
    parser.add_argument("--runs", type=int, help="runs per workload (median is reported)")
    parser.add_argument(
        "--dsn", default=os.environ.get("ORCHESTRIX_TEST_POSTGRES_DSN", DEFAULT_DSN)
    )
    parser.add_argument(
        "--outbox", action="store_true", help="enable the outbox trigger on our events table"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    runs = args.runs or sizes.runs
    writers = 8
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    store = PostgreSQLEventStore(
        args.dsn, pool_min_size=writers, pool_max_size=writers, schema=schema
    )
    await store.initialize()
    if args.outbox:
        await PostgreSQLOutbox(store.pool, schema).initialize()
    connections = [await asyncpg.connect(args.dsn) for _ in range(writers)]
    admin = connections[0]
    try:
        await admin.execute(
            f'CREATE TABLE "{schema}".raw_events (LIKE "{schema}".events INCLUDING ALL);'
            f'CREATE TABLE "{schema}".raw_log (LIKE "{schema}".events INCLUDING ALL)'
        )
        payload_type = await admin.fetchval(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_schema = $1 AND table_name = 'events' AND column_name = 'payload'",
            schema,
        )
        has_hint = await admin.fetchval(
            "SELECT EXISTS (SELECT FROM information_schema.columns WHERE table_schema = $1"
            " AND table_name = 'events' AND column_name = 'type_hint')",
            schema,
        )
        ours, floor = Ours(store), Floor(connections, schema, payload_type, has_hint)
        rows = [
            Row("1 event/commit, sequential, new streams", 0.9, [], []),
            Row(f"1 event/commit, {writers} concurrent writers", 0.8, [], []),
            Row("100 events/commit, one stream", 0.8, [], []),
            Row(f"load a {sizes.stream:,}-event stream, typed", 0.8, [], []),
            Row("catch-up over the whole store, typed", 0.6, [], []),
        ]
        chunks = sizes.chunks
        for run in range(runs):
            tags = [f"{run}-{chunk}" for chunk in range(chunks)]
            await paired(
                rows[0],
                [ours.single(sizes.single // chunks, f"one-{tag}") for tag in tags],
                [floor.single(sizes.single // chunks, f"one-{tag}") for tag in tags],
            )
            await paired(
                rows[1],
                [ours.concurrent(sizes.concurrent // chunks, f"par-{t}", writers) for t in tags],
                [floor.concurrent(sizes.concurrent // chunks, f"par-{t}") for t in tags],
            )
            await paired(
                rows[2],
                [ours.batches(sizes.batches // chunks, f"batch-{tag}") for tag in tags],
                [floor.batches(sizes.batches // chunks, f"batch-{tag}") for tag in tags],
            )
        long_stream = "long"
        for start in range(0, sizes.stream, 1000):
            size = min(1000, sizes.stream - start)
            await store.save(long_stream, [make_event(i) for i in range(size)], start)
        await admin.execute(
            f'INSERT INTO "{schema}".raw_log OVERRIDING SYSTEM VALUE '
            f'SELECT * FROM "{schema}".events'
        )
        await admin.execute(f'ANALYZE "{schema}".events; ANALYZE "{schema}".raw_log')
        # PostgreSQL plans a prepared statement's first five runs for their parameters, then
        # may keep a generic plan: for the floor's load, a parallel bitmap scan and sort first,
        # an index scan (twice as fast) after. Both sides are timed once their plans settle.
        for _ in range(PLANS_SETTLED):
            for work in (ours.load(long_stream), floor.load(long_stream)):
                await work()
            for work in (ours.catch_up(), floor.catch_up()):
                await work()
        for _ in range(runs):
            await paired(
                rows[3],
                [ours.load(long_stream) for _ in range(sizes.loads)],
                [floor.load(long_stream) for _ in range(sizes.loads)],
            )
            await paired(
                rows[4],
                [ours.catch_up() for _ in range(sizes.catch_ups)],
                [floor.catch_up() for _ in range(sizes.catch_ups)],
            )
        total = await admin.fetchval(f'SELECT count(*) FROM "{schema}".events')
        print(
            f"PostgreSQL event store vs raw asyncpg (events/s, median of {runs} run(s); "
            f"catch-up over {total:,} events{'; outbox trigger on' if args.outbox else ''})"
        )
        print(
            f"{'workload':<44} {'ours':>11} {'floor':>11} {'ratio':>7} {'ratio range':>13} "
            f"{'target':>8}"
        )
        for row in rows:
            print(row.line())
    finally:
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        for connection in connections:
            await connection.close()
        await store.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
