"""Child processes of the multi-process and crash tests.

    python -m test.components.orchestrix.infrastructure.sqlite._worker hammer PATH WRITER ROUNDS GO
    python -m test.components.orchestrix.infrastructure.sqlite._worker batch PATH COUNT
    python -m test.components.orchestrix.infrastructure.sqlite._worker trickle PATH

Each prints one line per fact the parent checks: `won ID` / `lost` for each attempt, `saving`
just before a save starts and `saved ID` once a save has returned.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from orchestrix.core.common.exceptions import ConcurrencyError
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.sqlite import SQLiteEventStore

STREAM = "contested"


@dataclass(frozen=True, kw_only=True)
class Attempted(Event, type_name="sqlite_tests.Attempted"):
    writer: str
    attempt: int


def hammer(path: str, writer: str, rounds: int, go: Path) -> None:
    """Append to one stream with the version just read, at least `rounds` times and on until
    this writer has lost a race once (at most ten times as long): a loaded machine may
    otherwise run the two writers one after the other, and nothing would be tested."""
    with SQLiteEventStore(path) as store:
        while not go.exists():
            time.sleep(0.001)
        lost = False
        for attempt in range(10 * rounds):
            if attempt >= rounds and lost:
                break
            event = Attempted(writer=writer, attempt=attempt)
            version = len(store.load(STREAM))
            time.sleep(0)  # let the other writer in between the read and the save
            try:
                store.save(STREAM, [event], expected_version=version)
            except ConcurrencyError:
                lost = True
                print("lost", flush=True)
            else:
                print("won", event.id, flush=True)


def batch(path: str, count: int) -> None:
    """One save of `count` events, announced just before it starts."""
    with SQLiteEventStore(path) as store:
        events = [Attempted(writer="batch", attempt=i) for i in range(count)]
        print("saving", flush=True)
        store.save(STREAM, events, expected_version=0)
        print("saved", flush=True)


def trickle(path: str) -> None:
    """One event per save until killed, reporting each save once it has returned."""
    with SQLiteEventStore(path) as store:
        for attempt in range(10**9):
            event = Attempted(writer="trickle", attempt=attempt)
            store.save(STREAM, [event], expected_version=attempt)
            print("saved", event.id, flush=True)


def main(argv: list[str]) -> None:
    command, path, *rest = argv
    if command == "hammer":
        hammer(path, rest[0], int(rest[1]), Path(rest[2]))
    elif command == "batch":
        batch(path, int(rest[0]))
    elif command == "trickle":
        trickle(path)
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
