"""Versioning demo, top to bottom: three releases stored three shapes of one event; today's
release reads them all in its own shape, through an upcaster chain v1 → v2 → v3.

Run it with `python -m orchestrix.versioning_demo [--db PATH]`. Events are kept in SQLite;
without `--db` the database lives in a temporary folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from orchestrix.core.common.exceptions import StoreError
from orchestrix.core.eventsourcing.aggregate import AggregateRepository
from orchestrix.core.messaging.message import Event, Message
from orchestrix.infrastructure.sqlite.store import SQLiteEventStore
from orchestrix.versioning_demo.aggregate import Newsletter
from orchestrix.versioning_demo.models import SubscriberAddedV1, SubscriberAddedV2
from orchestrix.versioning_demo.upcasters import newsletter_upcasters

_ENVELOPE = frozenset(field.name for field in dataclasses.fields(Message))


@dataclass(frozen=True)
class Outcome:
    """What the demo ends with: the stream as stored, as loaded, as the log gives it."""

    stream: str
    stored: list[Event]
    loaded: list[Event]
    logged: list[Event]
    subscribers: dict[str, str]
    failure_without_upcasters: str


def run(db_path: Path) -> Outcome:
    """Play the three releases against the database at `db_path`; returns what it saw."""
    stream = f"newsletter-{uuid.uuid4().hex[:8]}"
    registry = newsletter_upcasters()
    print("Versioning demo: old events are read in the shape of today's code.\n")

    # 1. Releases 1 and 2 each appended to the stream in the shape they knew.
    with SQLiteEventStore(db_path) as release_1:
        ada = SubscriberAddedV1(name="Ada Lovelace", email="ada@example.org")
        release_1.save(stream, [ada], expected_version=0)
    with SQLiteEventStore(db_path) as release_2:
        grace = SubscriberAddedV2(first_name="Grace", last_name="Hopper", email="grace@example.org")
        release_2.save(stream, [grace], expected_version=1)

    # 2. Release 3 opens the store with its upcasters: loading the newsletter upcasts the old
    #    events, so the aggregate, which only knows version 3, can take a new subscriber.
    with SQLiteEventStore(db_path, upcasters=registry) as release_3:
        repository = AggregateRepository[Newsletter](event_store=release_3)
        newsletter = repository.load(Newsletter, stream)
        newsletter.subscribe("Margaret", "Hamilton", "margaret@example.org", language="fr")
        repository.save(newsletter)

        steps = registry.get_chain_info("SubscriberAdded")  # [(1, 2), (2, 3)]
        chain = " → ".join(str(version) for version in [steps[0][0], *(t for _, t in steps)])
        print(f"Upcaster chain for SubscriberAdded: {chain}")

        # 3. On disk, every event keeps the version it was written in: history is not rewritten.
        stored = release_3.stored_events(stream)
        print(f"\nStored in {stream}, as each release wrote it:")
        for event in stored:
            print(f"  {_describe(event)}")

        # 4. Loaded, every event is in today's shape, with its identity and time kept.
        loaded = release_3.load(stream)
        print("\nLoaded by release 3:")
        for event in loaded:
            print(f"  {_describe(event)}")
        same = all(
            (old.id, old.timestamp) == (new.id, new.timestamp)
            for old, new in zip(stored, loaded, strict=True)
        )
        print(f"Same ids and timestamps as stored: {same}")
        logged = [r.event for r in release_3.read_all() if r.aggregate_id == stream]
        print(f"read_all (what projections read) gives version 3 too: {logged == loaded}")
        subscribers = repository.load(Newsletter, stream).subscribers

    print("\nThe newsletter, rebuilt from all three shapes:")
    for email, subscriber in subscribers.items():
        print(f"  {email:<22} {subscriber}")

    # 5. Without the upcasters, today's aggregate cannot read its own history.
    with SQLiteEventStore(db_path) as no_upcasters:
        try:
            AggregateRepository[Newsletter](event_store=no_upcasters).load(Newsletter, stream)
            failure = "none"
        except AttributeError as error:
            failure = f"{type(error).__name__}: {error}"
    print(f"\nThe same load without upcasters fails: {failure}")
    return Outcome(stream, stored, loaded, logged, subscribers, failure)


def _describe(event: Event) -> str:
    """`v1 SubscriberAddedV1 name='Ada Lovelace' ...`: version, class and domain fields."""
    fields = " ".join(
        f"{field.name}={getattr(event, field.name)!r}"
        for field in dataclasses.fields(event)
        if field.name not in _ENVELOPE
    )
    return f"v{type(event).__schema_version__} {type(event).__name__:<18} {fields}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="SQLite file to keep the events in")
    arguments = parser.parse_args()
    if arguments.db is not None:
        try:
            run(arguments.db)
        except StoreError as error:  # a file it cannot open: no traceback for that
            parser.exit(1, f"{parser.prog}: {error}\n")
        return
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder) / "newsletter.sqlite3")


if __name__ == "__main__":
    main()
