"""Typed decoding of stored payloads: the msgspec fast path against the pure-Python path.

    uv run python test/benchmarks/bench_codec.py           # median of 7 runs
    uv run python test/benchmarks/bench_codec.py --quick   # smoke mode

Both sides turn the same 10,000 stored payloads (JSON text, as the stores hand them over)
into typed events, in the same run: the pure path is what every store did before the fast
path existed (parse, then convert each field in Python), so the ratio is the speed-up, for a
small event and for one with a field of every supported type. The target is 2.5. Each row
is timed twice: with the garbage collector running as it does in an application (it then
costs both sides the same time per event created, which narrows the ratio), and paused
during the timed run as `timeit` does (the decoding work alone).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import gc
import itertools
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec
import orjson

if __package__ in (None, ""):  # run as a script: make `test.` and the bricks importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from orchestrix.core.messaging import _fast
from orchestrix.core.messaging.codec import decode_columns, decode_event, encode_event, stored_type
from orchestrix.core.messaging.message import Event
from test.benchmarks.bench_postgres import make_event
from test.contracts.event_store import everything_event

TARGET = 2.5


def timed(work: Callable[[], object], collector: bool) -> float:
    gc.collect()
    if not collector:
        gc.disable()
    try:
        start = time.perf_counter()
        work()
        return time.perf_counter() - start
    finally:
        gc.enable()


def payloads(event: Event, count: int) -> list[str]:
    return [encode_event(event).decode()] * count


def fast(event: Event, raws: list[str]) -> Callable[[], object]:
    """As the stores read: a batch of 1,000 rows at a time, as columns."""
    kept = stored_type(event)
    versions, names, hints = (
        [kept.schema_version] * 1000,
        [kept.type_name] * 1000,
        [kept.hint] * 1000,
    )

    def work() -> object:
        return [
            decode_columns(raws[start : start + 1000], versions, names, hints)
            for start in range(0, len(raws), 1000)
        ]

    return work


def pure(raws: list[str]) -> Callable[[], object]:
    return lambda: [decode_event(raw) for raw in raws]  # the payload's own type field


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke mode: small and one run")
    args = parser.parse_args(argv)
    count, runs = (1000, 1) if args.quick else (10_000, 7)
    print(f"Typed decoding, events/s ({count:,} payloads, median of {runs} run(s))")
    print(f"{'event':<36} {'fast':>11} {'pure':>11} {'ratio':>7} {'target':>8}")
    for (name, event), collector in itertools.product(
        (("small (3 fields + metadata)", make_event(1)), ("every type", everything_event())),
        (True, False),
    ):
        label = f"{name}, gc {'on' if collector else 'paused'}"
        raws = payloads(event, count)
        ours, floor = fast(event, raws), pure(raws)
        ours()
        floor()
        ratios, rates = [], []
        for _ in range(runs):
            a, b = timed(ours, collector), timed(floor, collector)
            ratios.append(b / a)
            rates.append((count / a, count / b))
        ratio = statistics.median(ratios)
        fast_rate = statistics.median(r[0] for r in rates)
        pure_rate = statistics.median(r[1] for r in rates)
        verdict = "ok" if ratio >= TARGET else "BELOW"
        print(
            f"{label:<36} {fast_rate:>11,.0f} {pure_rate:>11,.0f} {ratio:>7.2f} "
            f"{'>= ' + str(TARGET):>8}  {verdict}  (range {min(ratios):.2f}-{max(ratios):.2f})"
        )
    print_parse_only(count, runs)
    return 0


def _parse_all(parse: Callable[[str], object], raws: list[str]) -> list[object]:
    return list(map(parse, raws))


def print_parse_only(count: int, runs: int) -> None:
    """What the same payloads cost without our codec: parsed into plain dicts with no types
    at all (any typed decoder must parse as well), and decoded by msgspec itself straight into
    a frozen dataclass with the event's fields and the shapes we give msgspec (its own fastest
    way to instances of a dataclass; fields we finish in Python it leaves untyped, so it does
    less than we do for those)."""
    print("For reference, without our codec (gc paused), events/s:")
    for name, event in (("small", make_event(1)), ("every type", everything_event())):
        raws = payloads(event, count)
        kept = fast(event, raws)
        parsers = (
            ("msgspec, plain dicts", msgspec.json.decode),
            ("orjson, plain dicts", orjson.loads),
            ("msgspec, into a dataclass", msgspec.json.Decoder(dataclass_twin(event)).decode),
        )
        for parser, parse in parsers:
            ours, parsed = [], []
            for _ in range(runs):
                ours.append(count / timed(kept, False))
                parsed.append(count / timed(functools.partial(_parse_all, parse, raws), False))
            typed, plain = statistics.median(ours), statistics.median(parsed)
            print(
                f"  {name + ', ' + parser:<37} {plain:>11,.0f}  (typed fast path "
                f"{typed:,.0f}: {typed / plain:.2f} of it)"
            )


def dataclass_twin(event: Event) -> type:
    """A frozen dataclass with the fields, defaults and msgspec shapes of `event`'s class but
    no `__post_init__`, which msgspec would run and a stored event must not."""
    cls = type(event)
    fast_plan = _fast._fast_plan(cls)
    assert fast_plan is not None, f"{cls.__qualname__} has no fast decoder"
    shapes = fast_plan.decoder.type.__annotations__
    fields = [
        (field.name, shapes[field.name], dataclasses.field(default=field.default))
        if field.default_factory is dataclasses.MISSING
        else (
            field.name,
            shapes[field.name],
            dataclasses.field(default_factory=field.default_factory),
        )
        for field in dataclasses.fields(cls)
    ]
    return dataclasses.make_dataclass(f"{cls.__name__}Twin", fields, kw_only=True, frozen=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
