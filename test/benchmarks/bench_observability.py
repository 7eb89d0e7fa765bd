"""What observability costs: nothing while nobody listens, and how much with everything on.

    uv run python test/benchmarks/bench_observability.py             # median of 7 (5 for SQL)
    uv run python test/benchmarks/bench_observability.py --quick     # CI smoke mode
    uv run python test/benchmarks/bench_observability.py --dsn postgresql://...  # + PostgreSQL

Each workload runs in every configuration below, timed back to back in each repetition:
- off: the default hooks (no-op providers, no callbacks). The instrumented classes then hold
  their plain methods, the very function objects written in the source, and a bus delivers
  from its handler table itself: the script checks these identities, so "off" *is* the code
  with the instrumentation removed, and its ratio to the floor is the plain code's;
- log context: `install_log_context`, the cheapest way to switch the instrumented twins on
  (they keep the message in context and open no span);
- metrics: `PrometheusMetrics` as the hooks' metrics provider;
- tracing: OpenTelemetry tracing (the SDK, a batch span processor, an exporter that drops the
  batches so that no network is timed);
- on: both; and "on, 1 % sampled": both, with a parent-based 1 % ratio sampler.
The floor is what plain Python (or raw asyncpg: see bench_postgres.py) reaches on the same
workload. Absolute figures vary with the machine's load; compare the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `test.` and the bricks importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from orchestrix.core.common import _observation
from orchestrix.core.common.log_context import install_log_context, remove_log_context
from orchestrix.core.common.observability import (
    ObservabilityHooks,
    get_observability,
    set_observability,
)
from orchestrix.core.messaging.message import Event, Message
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.memory.store import InMemoryEventStore
from orchestrix.infrastructure.observability import JaegerTracer, PrometheusMetrics

CONFIGURATIONS = ("off", "log context", "metrics", "tracing", "on", "on, 1 % sampled")
SLOW_SHARE = 20
"""In-process, the instrumented configurations run 1/SLOW_SHARE of the operations: they are
that much slower, and a rate does not depend on how many operations measured it."""


class Ping(Event, type_name="bench_observability.Ping"):
    """A small event; its explicit type name keeps it clear of the tests' message classes."""


def noop(message: Message) -> None:
    return None


class Discard(SpanExporter):
    """Accepts every batch and drops it: the export's network cost is not what we time."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


@contextmanager
def configured(name: str) -> Iterator[None]:
    """The process observed as configuration `name` says, restored afterwards."""
    previous = get_observability()
    handler = logging.NullHandler()
    provider: TracerProvider | None = None
    if name == "log context":
        install_log_context(handler)
    elif name != "off":
        metrics = PrometheusMetrics() if name != "tracing" else None
        tracing = None
        if name != "metrics":
            sampler = ParentBased(TraceIdRatioBased(0.01)) if "sampled" in name else None
            provider = TracerProvider(sampler=sampler)
            provider.add_span_processor(BatchSpanProcessor(Discard()))
            tracing = JaegerTracer(tracer_provider=provider).as_tracing_provider()
        set_observability(ObservabilityHooks(metrics, tracing))
    try:
        yield
    finally:
        if name == "log context":
            remove_log_context(handler)
        set_observability(previous)
        if provider is not None:
            provider.shutdown()


def check_off_is_the_plain_code() -> bool:
    """Whether, with nobody listening, every instrumented class holds its plain method and
    a bus delivers from its handler table itself."""
    bus = InMemoryMessageBus()
    return (
        not _observation.state.on
        and bus._delivery is bus._handlers
        and all(site.owner.__dict__[site.name] is site.plain for site in _observation._sites)
    )


type Workload = Callable[[int], float]
"""Runs `n` operations; returns the seconds they took."""


def timed(workload: Workload, count: int) -> float:
    """Operations per second, with the collector off as `timeit` does."""
    gc.collect()
    gc.disable()
    try:
        return count / workload(count)
    finally:
        gc.enable()


def sync_bus() -> Workload:
    bus = InMemoryMessageBus()
    bus.subscribe(Ping, noop)
    pool = [Ping() for _ in range(1_000)]

    def run(count: int) -> float:
        messages = (pool * (count // len(pool) + 1))[:count]
        publish = bus.publish
        start = time.perf_counter()
        for message in messages:
            publish(message)
        return time.perf_counter() - start

    return run


def dict_of_lists() -> Workload:
    handlers: dict[type[Message], list[Callable[[Message], None]]] = {Ping: [noop]}
    pool = [Ping() for _ in range(1_000)]

    def run(count: int) -> float:
        messages = (pool * (count // len(pool) + 1))[:count]
        start = time.perf_counter()
        for message in messages:
            for handler in handlers[type(message)]:
                handler(message)
        return time.perf_counter() - start

    return run


def memory_saves() -> Workload:
    def run(count: int) -> float:
        store = InMemoryEventStore()
        batches = [(f"s-{i}", [Ping()]) for i in range(count)]
        save = store.save
        start = time.perf_counter()
        for stream, events in batches:
            save(stream, events, 0)
        return time.perf_counter() - start

    return run


def list_appends() -> Workload:
    """The floor of a save: a lock, a dict insert and an append, inline."""

    def run(count: int) -> float:
        lock, streams, log = threading.Lock(), {}, []
        batches = [(f"s-{i}", [Ping()]) for i in range(count)]
        start = time.perf_counter()
        for stream, events in batches:
            with lock:
                streams[stream] = list(events)
                log.extend(events)
        return time.perf_counter() - start

    return run


def postgres_appends(dsn: str, schema: str, runner: asyncio.Runner) -> Workload:
    from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore

    store = PostgreSQLEventStore(dsn, pool_min_size=1, pool_max_size=1, schema=schema)
    runner.run(store.initialize())

    async def appends(count: int) -> float:
        batches = [(f"pg-{uuid.uuid4().hex}", [Ping()]) for _ in range(count)]
        start = time.perf_counter()
        for stream, events in batches:
            await store.save(stream, events, expected_version=0)
        return time.perf_counter() - start

    run: Workload = lambda count: runner.run(appends(count))  # noqa: E731
    run.close = lambda: runner.run(store.close())  # type: ignore[attr-defined]
    return run


@dataclass(frozen=True)
class Row:
    name: str
    ours: Workload
    floor: Workload | None
    floor_name: str
    count: int
    target: str
    slow_share: int = SLOW_SHARE


@dataclass(frozen=True)
class Result:
    row: Row
    rates: dict[str, float]  # median operations per second by configuration (and "floor")
    ratios: dict[str, float]  # median per-repetition ratios


def measure(row: Row, repetitions: int) -> Result:
    sides: list[tuple[str, Workload]] = [(name, row.ours) for name in CONFIGURATIONS]
    if row.floor is not None:
        sides.append(("floor", row.floor))
    samples: dict[str, list[float]] = {name: [] for name, _ in sides}
    for name, workload in sides:  # warm up every path before timing
        with configured(name) if name != "floor" else _nothing():
            timed(workload, max(10, row.count // 100))
    for repetition in range(repetitions):
        order = sides if repetition % 2 == 0 else sides[::-1]
        for name, workload in order:
            count = row.count if name in ("off", "floor") else max(50, row.count // row.slow_share)
            with configured(name) if name != "floor" else _nothing():
                samples[name].append(timed(workload, count))
    ratios: dict[str, float] = {}
    for name in CONFIGURATIONS[1:]:
        ratios[f"{name} / off"] = _median_ratio(samples[name], samples["off"])
    if row.floor is not None:
        for name in CONFIGURATIONS:
            ratios[f"{name} / floor"] = _median_ratio(samples[name], samples["floor"])
    return Result(row, {name: statistics.median(v) for name, v in samples.items()}, ratios)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _median_ratio(mine: list[float], other: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(mine, other, strict=True))


def report(results: Sequence[Result]) -> str:
    lines = []
    for result in results:
        row = result.row
        lines += [f"{row.name}   (floor: {row.floor_name}; target: {row.target})"]
        lines.append(f"    {'configuration':<18} {'ops/s':>12} {'/ off':>7} {'/ floor':>8}")
        for name, rate in result.rates.items():
            versus_off = result.ratios.get(f"{name} / off", 1.0 if name == "off" else None)
            versus_floor = result.ratios.get(f"{name} / floor")
            lines.append(
                f"    {name:<18} {rate:>12,.0f} {_ratio(versus_off):>7} {_ratio(versus_floor):>8}"
            )
    return "\n".join(lines)


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main(argv: Sequence[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke mode: small and one pass")
    parser.add_argument("--dsn", help="also time PostgreSQL appends on this server")
    args = parser.parse_args(argv)
    scale, repetitions = (0.01, 1) if args.quick else (1.0, 7)

    def count(full: int) -> int:
        return max(200, int(full * scale))

    plain = check_off_is_the_plain_code()
    rows = [
        Row(
            "sync bus publish, 1 no-op handler",
            sync_bus(),
            dict_of_lists(),
            "dict-of-lists loop",
            count(300_000),
            "off within 5 % of removed (identical code); on >= 0.3 x floor",
        ),
        Row(
            "memory store, 1 event per save",
            memory_saves(),
            list_appends(),
            "lock + dict insert + append",
            count(100_000),
            "off within 5 % of removed (identical code)",
        ),
    ]
    with asyncio.Runner() as runner:
        schema = f"bench_obs_{uuid.uuid4().hex[:10]}"
        postgres: Workload | None = None
        if args.dsn:
            postgres = postgres_appends(args.dsn, schema, runner)
            rows.append(
                Row(
                    "PostgreSQL append, 1 event per commit, sequential",
                    postgres,
                    None,
                    "-",
                    max(20, int(1_000 * scale)),
                    "on within 10 % of off (on / off >= 0.90)",
                    slow_share=1,
                )
            )
        try:
            results = [
                measure(row, repetitions if row.floor is not None else max(1, repetitions - 2))
                for row in rows
            ]
        finally:
            if postgres is not None:
                postgres.close()  # type: ignore[attr-defined]
                runner.run(_drop(args.dsn, schema))
    mode = "quick (smoke, 1 repetition)" if args.quick else f"full (median of {repetitions})"
    print(f"Observability benchmark: {mode}, Python {sys.version.split()[0]}")
    print(f"off runs the plain methods (the code without instrumentation): {plain}")
    print(report(results))
    if not args.dsn:
        print("PostgreSQL: skipped (pass --dsn)")
    return results


async def _drop(dsn: str, schema: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
