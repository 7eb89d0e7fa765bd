"""Repository load-and-replay speed against a bare loop calling the same `_when_` methods.

    uv run python test/benchmarks/bench_repository.py           # full: median of 7
    uv run python test/benchmarks/bench_repository.py --quick   # CI smoke mode

TARGETS.md row: loading and replaying a 1,000-event aggregate through `AggregateRepository`
(in-memory store, routing by type name, version bookkeeping) must reach at least half the speed
of a loop that calls the aggregate's `_when_` methods directly on the same events.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.memory.store import InMemoryEventStore

TARGET = 0.5


@dataclass(frozen=True, kw_only=True)
class BenchCredited(Event, type_name="bench_repository.Credited"):
    amount: int


@dataclass(frozen=True, kw_only=True)
class BenchDebited(Event, type_name="bench_repository.Debited"):
    amount: int


@dataclass
class BenchAccount(AggregateRoot):
    balance: int = 0

    def _when_bench_repository_credited(self, event: BenchCredited) -> None:
        self.balance += event.amount

    def _when_bench_repository_debited(self, event: BenchDebited) -> None:
        self.balance -= event.amount


def history(length: int) -> list[Event]:
    return [
        BenchCredited(amount=3) if index % 3 else BenchDebited(amount=1) for index in range(length)
    ]


def timed(action: Callable[[], object], loops: int) -> float:
    """Seconds per call, with the collector off as `timeit` does."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(loops):
            action()
        return (time.perf_counter() - start) / loops
    finally:
        gc.enable()


def calls_per_second(
    ours: Callable[[], object], floor: Callable[[], object], loops: int, repetitions: int
) -> tuple[float, float]:
    """The median rate of calls of each side, timed by turns, the floor first."""
    ours_times, floor_times = [], []
    for _ in range(repetitions):
        floor_times.append(timed(floor, loops))
        ours_times.append(timed(ours, loops))
    return 1 / statistics.median(ours_times), 1 / statistics.median(floor_times)


def print_row(
    title: str, unit: str, workload: str, rates: tuple[float, float], target: str
) -> float:
    """Print a one-row benchmark's table and return its ratio; `target` reads
    ">= <ratio> x <floor>"."""
    ours_rate, floor_rate = rates
    ratio = ours_rate / floor_rate
    status = "ok" if ratio >= float(target.split()[1]) else "MISS"
    print(title)
    print(f"{'workload':<40} {'ours ' + unit:>12} {'floor ' + unit:>12} {'ratio':>6}  target")
    print(
        f"{workload:<40} {ours_rate:>12,.0f} {floor_rate:>12,.0f} {ratio:>6.2f}  {target}  {status}"
    )
    return ratio


def main(argv: Sequence[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke mode: small and one pass")
    args = parser.parse_args(argv)
    loops, repetitions = (20, 1) if args.quick else (500, 7)

    events = history(1_000)
    store = InMemoryEventStore()
    store.save("ACC", events)
    repository = AggregateRepository[BenchAccount](event_store=store)
    appliers = {
        "bench_repository.Credited": BenchAccount._when_bench_repository_credited,
        "bench_repository.Debited": BenchAccount._when_bench_repository_debited,
    }

    def ours() -> BenchAccount:
        return repository.load(BenchAccount, "ACC")

    def floor() -> BenchAccount:
        account = BenchAccount(aggregate_id="ACC")
        for event in events:
            appliers[event.type](account, event)
        account.version = len(events)
        return account

    assert ours() == floor(), "both paths must rebuild the same aggregate"
    rates = calls_per_second(ours, floor, loops, repetitions)
    mode = "quick (smoke, 1 repetition)" if args.quick else f"full (median of {repetitions})"
    return print_row(
        f"Repository benchmark: {mode}, Python {sys.version.split()[0]}",
        "ev/s",
        "load + replay 1,000 events",
        (rates[0] * len(events), rates[1] * len(events)),
        f">= {TARGET} x bare _when_ loop",
    )


if __name__ == "__main__":
    main()
