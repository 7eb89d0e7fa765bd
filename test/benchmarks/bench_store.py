"""Event store throughput against the floors of TARGETS.md, measured side by side in one run.

    uv run python test/benchmarks/bench_store.py           # full: median of 5 repetitions
    uv run python test/benchmarks/bench_store.py --quick   # CI smoke mode: a few seconds

In-memory rows time `InMemoryEventStore` against bare Python on the same events: a
dict-of-lists append (no version check, no lock, no global log) and a slice copy of a list.
SQLite rows time `SQLiteEventStore` against raw `sqlite3` on a table made by the same schema
migrations, with the same pragmas (WAL, the same `synchronous`, busy timeout), in the same
run. The raw floor does the work any correct writer must do (BEGIN IMMEDIATE, read the
stream's version, insert, COMMIT) with rows prepared in advance: JSON payloads encoded before
timing, so the ratio includes our encoding. Its load fetches the same rows without decoding
them, so that ratio includes turning rows into typed events. Events go 1 per save to 100
streams in turn, or 100 per save to one stream. Every timed run starts from a fresh store.
Absolute numbers vary from machine to machine; the ratio is the figure to compare.
"""

from __future__ import annotations

import argparse
import collections
import gc
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from orchestrix.core.messaging.codec import encode_event

try:
    from orjson import loads as parse
except ImportError:  # pragma: no cover - orjson is a development dependency
    from json import loads as parse
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.memory.store import InMemoryEventStore
from orchestrix.infrastructure.sqlite import SQLiteEventStore
from orchestrix.infrastructure.sqlite._driver import BUSY_TIMEOUT_SECONDS, Synchronous
from orchestrix.infrastructure.sqlite.schema import MIGRATIONS

STREAMS = 100
STREAM_NAMES = [f"stream-{n}" for n in range(STREAMS)]


@dataclass(frozen=True, kw_only=True)
class Item(Event, type_name="bench_store.Item"):
    """The benchmark's small event; its type name keeps it clear of the tests' classes."""

    item: str
    quantity: int = 1


type Workload = Callable[[], tuple[int, float]]
"""Sets up fresh state untimed, then times its work: returns (events handled, seconds)."""


def timed(work: Callable[[], object]) -> float:
    """Seconds `work` takes, with the collector off as `timeit` does."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        work()
        return time.perf_counter() - start
    finally:
        gc.enable()


def new_events(count: int) -> list[Item]:
    return [Item(item="x") for _ in range(count)]


def spread(events: Sequence[Item]) -> list[tuple[str, list[Event], int]]:
    """One save per event, to `STREAMS` streams in turn: (stream, [event], expected version)."""
    return [(STREAM_NAMES[i % STREAMS], [event], i // STREAMS) for i, event in enumerate(events)]


# --- in memory ---------------------------------------------------------------------------------


def memory_saves(count: int) -> Workload:
    def run() -> tuple[int, float]:
        store, saves = InMemoryEventStore(), spread(new_events(count))

        def work() -> None:
            for stream, batch, version in saves:
                store.save(stream, batch, expected_version=version)

        return count, timed(work)

    return run


def dict_appends(count: int) -> Workload:
    def run() -> tuple[int, float]:
        streams: dict[str, list[Event]] = collections.defaultdict(list)
        saves = [(stream, batch[0]) for stream, batch, _ in spread(new_events(count))]

        def work() -> None:
            for stream, event in saves:
                streams[stream].append(event)

        return count, timed(work)

    return run


def locked_dict_appends(count: int) -> Workload:
    """The floor plus the one lock any thread-safe store takes: a ceiling, for diagnosis."""

    def run() -> tuple[int, float]:
        streams: dict[str, list[Event]] = collections.defaultdict(list)
        lock = threading.Lock()
        saves = [(stream, batch[0]) for stream, batch, _ in spread(new_events(count))]

        def work() -> None:
            for stream, event in saves:
                with lock:
                    streams[stream].append(event)

        return count, timed(work)

    return run


def minimal_store_saves(count: int) -> Workload:
    """TARGETS.md's floor: the least a correct thread-safe store does per save, written inline
    (lock acquire/release, version check, id-set add, stream append, global-log append)."""

    def run() -> tuple[int, float]:
        streams: dict[str, list[Event]] = {}
        ids: set[str] = set()
        log: list[Event] = []
        lock = threading.Lock()
        saves = spread(new_events(count))

        def work() -> None:
            for stream_id, batch, expected in saves:
                event = batch[0]
                lock.acquire()
                try:
                    stream = streams.get(stream_id)
                    if stream is None:
                        stream = streams[stream_id] = []
                    if len(stream) != expected or event.id in ids:
                        raise RuntimeError("conflict")
                    ids.add(event.id)
                    stream.append(event)
                    log.append(event)
                finally:
                    lock.release()

        return count, timed(work)

    return run


def memory_loads(size: int, loads: int) -> Workload:
    store = InMemoryEventStore()
    store.save("big", new_events(size))

    def run() -> tuple[int, float]:
        return size * loads, timed(lambda: [store.load("big") for _ in range(loads)])

    return run


def slice_copies(size: int, loads: int) -> Workload:
    streams: dict[str, list[Event]] = {"big": list(new_events(size))}

    def run() -> tuple[int, float]:
        return size * loads, timed(lambda: [streams["big"][0:] for _ in range(loads)])

    return run


@dataclass(frozen=True)
class MemoryUse:
    """Bytes per stored event, as traced by tracemalloc after a full collection.

    `event_bytes`: the event objects with their field values (the uuid id string, the
    timestamp); the list holding them is not counted. `store_bytes`: what the store adds to
    keep them: stream lists, the global log's columns, the set of ids (stream names excluded).
    """

    events: int
    event_bytes: float
    store_bytes: float

    @property
    def total(self) -> float:
        return self.event_bytes + self.store_bytes


def memory_use(count: int) -> MemoryUse:
    """Trace `count` small events saved one per save to `STREAMS` streams."""
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        events = new_events(count)
        gc.collect()
        created = tracemalloc.get_traced_memory()[0] - sys.getsizeof(events)
        store = InMemoryEventStore()
        for i, event in enumerate(events):
            store.save(STREAM_NAMES[i % STREAMS], (event,), expected_version=i // STREAMS)
        gc.collect()
        stored = tracemalloc.get_traced_memory()[0] - sys.getsizeof(events)
    finally:
        tracemalloc.stop()
    return MemoryUse(count, (created - start) / count, (stored - created) / count)


# --- SQLite ------------------------------------------------------------------------------------


def open_raw(path: Path, synchronous: Synchronous) -> sqlite3.Connection:
    """A raw connection to a table made by the store's own migrations, with its pragmas."""
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute(f"PRAGMA synchronous = {synchronous}")
    for migration in MIGRATIONS:
        for statement in migration:
            connection.execute(statement)
    return connection


RAW_VERSION = "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?"
RAW_INSERT = """
    INSERT INTO events (stream_id, version, event_id, event_type, schema_version, timestamp,
                        correlation_id, causation_id, trace_id, actor_id, payload)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
HAS_HINT = len(MIGRATIONS) >= 2  # the class hint column arrived with migration 2
if HAS_HINT:
    RAW_INSERT = RAW_INSERT.replace("payload)", "payload, type_hint)").replace("?)", "?, ?)")
# The reads fetch what the store needs to decode a row: with class hints, those too.
_HINT = ", type_hint" if HAS_HINT else ""
RAW_STREAM = f"""
    SELECT version, schema_version, payload, event_type {_HINT} FROM events
    WHERE stream_id = ? AND version > ? ORDER BY version
"""
RAW_LOG = f"""
    SELECT position, stream_id, version, schema_version, payload, event_type {_HINT} FROM events
    WHERE position > ? ORDER BY position LIMIT ?
"""


def raw_columns(event: Event) -> tuple[object, ...]:
    """The columns after stream and version, prepared before timing (the class hint last,
    when the schema stores one)."""
    payload = encode_event(event).decode()
    schema_version = type(event).__schema_version__
    hint = f"{type(event).__module__}:{type(event).__qualname__}"
    columns = (event.id, event.type, schema_version, event.timestamp.isoformat())
    return (*columns, *[None] * 4, payload, *([hint] if HAS_HINT else []))


@dataclass
class SQLiteBench:
    """Fresh database files per timed run, in one temporary directory."""

    directory: Path
    files: int = 0
    opened: list[Callable[[], None]] = field(default_factory=list)

    def new_path(self) -> Path:
        self.files += 1
        return self.directory / f"bench-{self.files}.db"

    def saves(self, batches: int, batch_size: int, synchronous: Synchronous) -> Workload:
        def run() -> tuple[int, float]:
            plan = self.plan(batches, batch_size)
            with SQLiteEventStore(self.new_path(), synchronous=synchronous) as store:

                def work() -> None:
                    for stream, events, version in plan:
                        store.save(stream, events, expected_version=version)

                return batches * batch_size, timed(work)

        return run

    def raw_saves(self, batches: int, batch_size: int, synchronous: Synchronous) -> Workload:
        def run() -> tuple[int, float]:
            plan = [
                (stream, [raw_columns(event) for event in events])
                for stream, events, _ in self.plan(batches, batch_size)
            ]
            connection = open_raw(self.new_path(), synchronous)

            def work() -> None:
                for stream, rows in plan:
                    connection.execute("BEGIN IMMEDIATE")
                    (current,) = connection.execute(RAW_VERSION, (stream,)).fetchone()
                    connection.executemany(
                        RAW_INSERT,
                        [(stream, current + n, *row) for n, row in enumerate(rows, 1)],
                    )
                    connection.execute("COMMIT")

            try:
                return batches * batch_size, timed(work)
            finally:
                connection.close()

        return run

    @staticmethod
    def plan(batches: int, batch_size: int) -> list[tuple[str, list[Event], int]]:
        if batch_size == 1:
            return spread(new_events(batches))
        events: list[Event] = list(new_events(batches * batch_size))
        return [
            ("big", events[n * batch_size : (n + 1) * batch_size], n * batch_size)
            for n in range(batches)
        ]

    def filled(self, size: int) -> Path:
        path = self.new_path()
        with SQLiteEventStore(path) as store:
            store.save("big", new_events(size))
        return path

    def loads(self, path: Path, size: int) -> Workload:
        store = SQLiteEventStore(path)
        self.opened.append(store.close)
        return lambda: (size, timed(lambda: store.load("big")))

    def raw_loads(self, path: Path, size: int) -> Workload:
        raw = self.raw(path)

        def work() -> None:
            rows = raw.execute(RAW_STREAM, ("big", 0)).fetchall()
            [parse(row[2]) for row in rows]

        return lambda: (size, timed(work))

    def catch_up(self, path: Path, size: int) -> Workload:
        store = SQLiteEventStore(path)
        self.opened.append(store.close)
        return lambda: (size, timed(lambda: list(store.read_all(batch_size=1000))))

    def raw_catch_up(self, path: Path, size: int) -> Workload:
        raw = self.raw(path)

        def work() -> None:
            position = 0
            while rows := raw.execute(RAW_LOG, (position, 1000)).fetchall():
                [parse(row[4]) for row in rows]
                position = rows[-1][0]

        return lambda: (size, timed(work))

    def raw(self, path: Path) -> sqlite3.Connection:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        self.opened.append(connection.close)
        return connection

    def close(self) -> None:
        for close in self.opened:
            close()


# --- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    name: str
    target: float | None
    floor_name: str
    ours: Workload
    floor: Workload


@dataclass(frozen=True)
class Result:
    row: Row
    ours: float
    floor: float

    @property
    def ratio(self) -> float:
        return self.ours / self.floor


@dataclass(frozen=True)
class Sizes:
    """Events per timed run of each workload (loads: how many 10k-event loads)."""

    memory_saves: int
    memory_traced: int
    memory_loads: int
    single_full: int
    single_normal: int
    batches: int
    repetitions: int


QUICK = Sizes(
    memory_saves=20_000,
    memory_traced=20_000,
    memory_loads=10,
    single_full=50,
    single_normal=200,
    batches=5,
    repetitions=1,
)
FULL = Sizes(
    memory_saves=100_000,
    memory_traced=50_000,
    memory_loads=100,
    single_full=1_000,
    single_normal=5_000,
    batches=100,
    repetitions=5,
)
STREAM_SIZE = 10_000


def rows(bench: SQLiteBench, sizes: Sizes) -> list[Row]:
    filled = bench.filled(STREAM_SIZE)
    return [
        Row(
            "memory: 1 event per save, version check",
            None,
            "dict-of-lists append",
            memory_saves(sizes.memory_saves),
            dict_appends(sizes.memory_saves),
        ),
        Row(
            "memory: 1 event per save, version check",
            0.4,
            "minimal locked store",
            memory_saves(sizes.memory_saves),
            minimal_store_saves(sizes.memory_saves),
        ),
        Row(
            "memory: dict append under a lock",
            None,
            "dict-of-lists append",
            locked_dict_appends(sizes.memory_saves),
            dict_appends(sizes.memory_saves),
        ),
        Row(
            "memory: load a 10k-event stream",
            0.5,
            "slice copy",
            memory_loads(STREAM_SIZE, sizes.memory_loads),
            slice_copies(STREAM_SIZE, sizes.memory_loads),
        ),
        Row(
            "sqlite: 1 event per save, FULL",
            None,
            "raw sqlite3",
            bench.saves(sizes.single_full, 1, "FULL"),
            bench.raw_saves(sizes.single_full, 1, "FULL"),
        ),
        Row(
            "sqlite: 1 event per save, NORMAL",
            None,
            "raw sqlite3",
            bench.saves(sizes.single_normal, 1, "NORMAL"),
            bench.raw_saves(sizes.single_normal, 1, "NORMAL"),
        ),
        Row(
            "sqlite: 100 events per save, FULL",
            None,
            "raw sqlite3",
            bench.saves(sizes.batches, 100, "FULL"),
            bench.raw_saves(sizes.batches, 100, "FULL"),
        ),
        Row(
            "sqlite: load a 10k-event stream",
            0.6,
            "raw fetch + JSON parse",
            bench.loads(filled, STREAM_SIZE),
            bench.raw_loads(filled, STREAM_SIZE),
        ),
        Row(
            "sqlite: read_all over 10k events",
            0.6,
            "raw fetch + JSON parse",
            bench.catch_up(filled, STREAM_SIZE),
            bench.raw_catch_up(filled, STREAM_SIZE),
        ),
    ]


def rate(workload: Workload) -> float:
    count, seconds = workload()
    return count / seconds


def measure(row: Row, repetitions: int) -> Result:
    rate(row.floor)  # warm up both paths (imports, caches, plans) before timing
    rate(row.ours)
    floors: list[float] = []
    ours: list[float] = []
    for _ in range(repetitions):
        floors.append(rate(row.floor))
        ours.append(rate(row.ours))
    return Result(row, statistics.median(ours), statistics.median(floors))


def table(results: Sequence[Result], memory: MemoryUse) -> str:
    header = (
        f"{'workload':<40} {'ours ev/s':>11} {'floor ev/s':>11} {'ratio':>6}  {'target':<30} status"
    )
    lines = [header, "-" * len(header)]
    for result in results:
        row = result.row
        if row.target is None:
            target, status = f"none ({row.floor_name})", "-"
        else:
            target = f">= {row.target:.2f} x {row.floor_name}"
            status = "ok" if result.ratio >= row.target else "MISS"
        lines.append(
            f"{row.name:<40} {result.ours:>11,.0f} {result.floor:>11,.0f} "
            f"{result.ratio:>6.2f}  {target:<30} {status}"
        )
    status = "ok" if memory.store_bytes <= 100 else "MISS"
    lines += [
        "",
        f"memory per stored in-memory event ({memory.events:,} small events, 1 per save):",
        f"  event object and its field values  {memory.event_bytes:7.0f} B",
        f"  store bookkeeping                  {memory.store_bytes:7.0f} B   "
        f"target <= 100 B   {status}",
        f"  total                              {memory.total:7.0f} B",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke mode: small and one pass")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="bench-store-") as directory:
        bench = SQLiteBench(Path(directory))
        try:
            results = [measure(row, sizes.repetitions) for row in rows(bench, sizes)]
        finally:
            bench.close()
    memory = memory_use(sizes.memory_traced)
    mode = "quick (smoke, 1 repetition)" if args.quick else f"full (median of {sizes.repetitions})"
    print(
        f"Event store benchmark: {mode}, Python {sys.version.split()[0]}, "
        f"SQLite {sqlite3.sqlite_version}"
    )
    print(table(results, memory))
    return results


if __name__ == "__main__":
    main()
