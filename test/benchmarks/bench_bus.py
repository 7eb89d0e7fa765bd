"""Message bus throughput against the floors of TARGETS.md, measured side by side in one run.

    uv run python test/benchmarks/bench_bus.py           # full: median of 7 repetitions
    uv run python test/benchmarks/bench_bus.py --quick   # CI smoke mode: a few seconds

Each row times our bus and its floor (what plain Python reaches on the same workload) back to
back, repetition after repetition, and prints both medians and the median of the
per-repetition ratios, so that each ratio compares two runs made under the same machine load.
Logging is left as the library leaves it (no configuration): the "default logging config" of
the targets. Absolute numbers vary from machine to machine; the ratio is the figure to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from orchestrix.core.messaging.message import Event, Message
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus


class Ping(Event, type_name="bench_bus.Ping"):
    """A small event; its explicit type name keeps it clear of the tests' message classes."""


class Pong(Event, type_name="bench_bus.Pong"):
    """Another event class, subscribed to between publishes in the alternating workload."""


def noop(message: Message) -> None:
    return None


async def async_noop(message: Message) -> None:
    return None


type Workload = Callable[[list[Ping]], float]
"""Delivers every message of the list once and returns the seconds it took."""


def sync_bus(handler_count: int) -> Workload:
    bus = InMemoryMessageBus()
    for _ in range(handler_count):
        bus.subscribe(Ping, noop)

    def run(messages: list[Ping]) -> float:
        start = time.perf_counter()
        for message in messages:
            bus.publish(message)
        return time.perf_counter() - start

    return run


def dict_of_lists_loop(handler_count: int) -> Workload:
    handlers: dict[type[Message], list[Callable[[Message], None]]] = {Ping: [noop] * handler_count}

    def run(messages: list[Ping]) -> float:
        start = time.perf_counter()
        for message in messages:
            for handler in handlers[type(message)]:
                handler(message)
        return time.perf_counter() - start

    return run


def sync_bus_alternating() -> Workload:
    """Each message: one more subscription (to another class), then one publish."""

    def run(messages: list[Ping]) -> float:
        bus = InMemoryMessageBus()
        bus.subscribe(Ping, noop)
        start = time.perf_counter()
        for message in messages:
            bus.subscribe(Pong, noop)
            bus.publish(message)
        return time.perf_counter() - start

    return run


def dict_of_lists_alternating() -> Workload:
    def run(messages: list[Ping]) -> float:
        handlers: dict[type[Message], list[Callable[[Message], None]]] = {Ping: [noop]}
        start = time.perf_counter()
        for message in messages:
            handlers.setdefault(Pong, []).append(noop)
            for handler in handlers[type(message)]:
                handler(message)
        return time.perf_counter() - start

    return run


def in_loop(
    runner: asyncio.Runner, coroutine: Callable[[list[Ping]], Awaitable[float]]
) -> Workload:
    async def timed(messages: list[Ping]) -> float:
        return await coroutine(messages)

    return lambda messages: runner.run(timed(messages))


def async_bus(runner: asyncio.Runner, handler_count: int) -> Workload:
    bus = InMemoryAsyncMessageBus()
    for _ in range(handler_count):
        bus.subscribe(Ping, async_noop)

    async def run(messages: list[Ping]) -> float:
        start = time.perf_counter()
        for message in messages:
            await bus.publish(message)
        return time.perf_counter() - start

    return in_loop(runner, run)


def awaited_dict_of_lists_loop(runner: asyncio.Runner) -> Workload:
    handlers: dict[type[Message], list[Callable[[Message], Awaitable[None]]]] = {Ping: [async_noop]}

    async def run(messages: list[Ping]) -> float:
        start = time.perf_counter()
        for message in messages:
            for handler in handlers[type(message)]:
                await handler(message)
        return time.perf_counter() - start

    return in_loop(runner, run)


def bare_gather(runner: asyncio.Runner, handler_count: int) -> Workload:
    handlers = [async_noop] * handler_count

    async def run(messages: list[Ping]) -> float:
        start = time.perf_counter()
        for message in messages:
            await asyncio.gather(*[handler(message) for handler in handlers])
        return time.perf_counter() - start

    return in_loop(runner, run)


@dataclass(frozen=True)
class Row:
    name: str
    target: float | None
    floor_name: str
    ours: Workload
    floor: Workload
    messages: int


@dataclass(frozen=True)
class Result:
    row: Row
    ours: float
    floor: float
    ratio: float


def rows(runner: asyncio.Runner, scale: float) -> list[Row]:
    def count(full: int) -> int:
        return max(1_000, int(full * scale))

    return [
        Row(
            "sync bus, 1 no-op handler, default logging",
            0.5,
            "dict-of-lists loop",
            sync_bus(1),
            dict_of_lists_loop(1),
            count(500_000),
        ),
        Row(
            "sync bus, 5 no-op handlers",
            0.5,
            "dict-of-lists loop",
            sync_bus(5),
            dict_of_lists_loop(5),
            count(200_000),
        ),
        Row(
            "sync bus, subscribe and publish alternating",
            None,
            "dict-of-lists loop",
            sync_bus_alternating(),
            dict_of_lists_alternating(),
            count(5_000),
        ),
        Row(
            "async bus, 1 handler, awaited one by one",
            0.5,
            "awaited dict-of-lists loop",
            async_bus(runner, 1),
            awaited_dict_of_lists_loop(runner),
            count(300_000),
        ),
        Row(
            "async bus, 5 handlers",
            1.0,
            "bare asyncio.gather",
            async_bus(runner, 5),
            bare_gather(runner, 5),
            count(20_000),
        ),
    ]


def throughput(workload: Workload, messages: list[Ping]) -> float:
    """Messages per second, timed with the collector off as `timeit` does."""
    gc.collect()
    gc.disable()
    try:
        return len(messages) / workload(messages)
    finally:
        gc.enable()


def measure(row: Row, repetitions: int) -> Result:
    pool = [Ping() for _ in range(1_000)]
    messages = (pool * (row.messages // len(pool) + 1))[: row.messages]
    throughput(row.floor, messages[:1_000])  # warm up both paths before timing
    throughput(row.ours, messages[:1_000])
    floors: list[float] = []
    ours: list[float] = []
    for repetition in range(repetitions):
        # Alternate which side goes first, so a drift in machine load favours neither.
        if repetition % 2:
            ours.append(throughput(row.ours, messages))
            floors.append(throughput(row.floor, messages))
        else:
            floors.append(throughput(row.floor, messages))
            ours.append(throughput(row.ours, messages))
    ratios = [mine / floor for mine, floor in zip(ours, floors, strict=True)]
    return Result(
        row, statistics.median(ours), statistics.median(floors), statistics.median(ratios)
    )


def table(results: Sequence[Result]) -> str:
    header = (
        f"{'workload':<44} {'ours msg/s':>12} {'floor msg/s':>12} {'ratio':>6}  "
        f"{'target':<36} status"
    )
    lines = [header, "-" * len(header)]
    for result in results:
        row = result.row
        if row.target is None:  # no target in TARGETS.md: shown for its growth, printed below
            target, status = f"none; vs {row.floor_name}", "-"
        else:
            target = f">= {row.target:.1f} x {row.floor_name}"
            status = "ok" if result.ratio >= row.target else "MISS"
        lines.append(
            f"{row.name:<44} {result.ours:>12,.0f} {result.floor:>12,.0f} "
            f"{result.ratio:>6.2f}  {target:<36} {status}"
        )
    return "\n".join(lines)


def growth(workload: Workload, size: int, repetitions: int) -> float:
    """How much longer `2 * size` messages take than `size`: 2 when linear, 4 when quadratic."""
    pool = [Ping() for _ in range(1_000)]
    small = (pool * (size // len(pool) + 1))[:size]
    large = small * 2
    gc.collect()
    gc.disable()
    try:
        times = [(workload(small), workload(large)) for _ in range(repetitions)]
    finally:
        gc.enable()
    return statistics.median(large_time / small_time for small_time, large_time in times)


def main(argv: Sequence[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke mode: small and one pass")
    args = parser.parse_args(argv)
    scale, repetitions = (0.02, 1) if args.quick else (1.0, 7)
    with asyncio.Runner() as runner:
        results = [measure(row, repetitions) for row in rows(runner, scale)]
    mode = "quick (smoke, 1 repetition)" if args.quick else f"full (median of {repetitions})"
    print(f"Message bus benchmark: {mode}, Python {sys.version.split()[0]}")
    print("ratio = median over repetitions of ours / floor, each pair timed back to back")
    print(table(results))
    size, rounds = (5_000, 3) if args.quick else (20_000, repetitions)
    print(
        f"subscribe/publish alternating, {size:,} vs {2 * size:,} of each: time grows "
        f"x{growth(sync_bus_alternating(), size, rounds):.2f} "
        f"(floor x{growth(dict_of_lists_alternating(), size, rounds):.2f}; "
        "linear is x2, quadratic x4)"
    )
    return results


if __name__ == "__main__":
    main()
