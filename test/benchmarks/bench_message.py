"""Constructing an event against a bare frozen dataclass with the same fields and factories.

    uv run python test/benchmarks/bench_message.py           # full: median of 7
    uv run python test/benchmarks/bench_message.py --quick   # CI smoke mode

TARGETS.md row: building an event (a uuid4 id, an aware timestamp, one field of its own) must
reach at least half the speed of a plain `@dataclass(frozen=True, kw_only=True)` that has the
same fields, defaults and default factories (so the same uuid4, clock and trace-id calls), but
none of the message machinery: type defaulting, class registration.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `test.` and the bricks importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from orchestrix.core.common.propagation import current_trace_id
from orchestrix.core.messaging.message import Event, _new_id, _now
from test.benchmarks.bench_repository import calls_per_second, print_row

TARGET = 0.5


@dataclass(frozen=True, kw_only=True)
class BenchOpened(Event, type_name="bench_message.Opened"):
    owner: str


@dataclass(frozen=True, kw_only=True)
class BareOpened:
    """Every field of `Event` plus the one of `BenchOpened`, with the same defaults."""

    id: str = field(default_factory=_new_id)
    specversion: str = "1.0"
    type: str = "bench_message.Opened"
    source: str = "orchestrix"
    timestamp: datetime = field(default_factory=_now)
    subject: str | None = None
    data: Any = None
    datacontenttype: str | None = None
    dataschema: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    trace_id: str | None = field(default_factory=current_trace_id)
    actor_id: str | None = None
    owner: str


def main(argv: Sequence[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke mode: small and one pass")
    args = parser.parse_args(argv)
    loops, repetitions = (2_000, 1) if args.quick else (200_000, 7)
    assert [f.name for f in fields(BareOpened)] == [f.name for f in fields(BenchOpened)]
    assert BenchOpened(owner="x").type == BareOpened(owner="x").type

    def ours() -> object:
        return BenchOpened(owner="Ada")

    def floor() -> object:
        return BareOpened(owner="Ada")

    mode = "quick (smoke, 1 repetition)" if args.quick else f"full (median of {repetitions})"
    return print_row(
        f"Message construction benchmark: {mode}, Python {sys.version.split()[0]}",
        "/s",
        "construct an event (1 field)",
        calls_per_second(ours, floor, loops, repetitions),
        f">= {TARGET} x bare frozen dataclass",
    )


if __name__ == "__main__":
    main()
