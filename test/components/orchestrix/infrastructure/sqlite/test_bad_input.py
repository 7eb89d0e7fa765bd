"""Bad stored rows and bad input give typed errors, and a failed save writes nothing."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrix.core.common.exceptions import (
    DuplicateEventError,
    EventDecodingError,
    EventEncodingError,
    StoreError,
)
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.sqlite import SQLiteEventStore
from test.contracts.event_store import ContractItemAdded, added

ROW = """
    INSERT INTO events (stream_id, version, event_id, event_type, schema_version, timestamp,
                        payload)
    VALUES (?, ?, ?, ?, 1, '2024-01-01T00:00:00+00:00', ?)
"""


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "events.db"


@pytest.fixture
def store(path: Path) -> Iterator[SQLiteEventStore]:
    with SQLiteEventStore(path) as store:
        yield store


def insert_raw(path: Path, *rows: tuple[str, int, str, str, str]) -> None:
    connection = sqlite3.connect(path)
    with connection:
        connection.executemany(ROW, rows)
    connection.close()


def test_an_unknown_type_loads_as_a_plain_event_with_its_fields(
    store: SQLiteEventStore, path: Path
) -> None:
    payload = {
        "id": "e-1",
        "type": "RetiredEventType",
        "timestamp": "2024-01-01T00:00:00+00:00",
        "correlation_id": "c-1",
        "amount": "12.50",
        "lines": [1, 2],
    }
    insert_raw(path, ("s", 1, "e-1", "RetiredEventType", json.dumps(payload)))
    (loaded,) = store.load("s")
    assert type(loaded) is Event
    assert (loaded.id, loaded.type, loaded.correlation_id) == ("e-1", "RetiredEventType", "c-1")
    assert loaded.data == {"amount": "12.50", "lines": [1, 2]}
    assert [r.event for r in store.read_all()] == [loaded]


@pytest.mark.parametrize("payload", ["{not json", "[1, 2]", '{"no": "type"}', "\x00\x01"])
def test_a_corrupted_payload_raises_event_decoding_error(
    store: SQLiteEventStore, path: Path, payload: str
) -> None:
    store.save("s", [added()])
    insert_raw(path, ("s", 2, "e-bad", "ContractItemAdded", payload))
    with pytest.raises(EventDecodingError, match="'s', version 2"):
        store.load("s")
    with pytest.raises(EventDecodingError):
        list(store.read_all())
    assert len(store.load("s", from_version=2)) == 0
    store.save("other", [added()])  # the store stays usable
    assert len(store.load("other")) == 1


def test_lone_surrogates_raise_event_encoding_error_and_write_nothing(
    store: SQLiteEventStore,
) -> None:
    store.save("s", [added("fine")])
    with pytest.raises(EventEncodingError):
        store.save("s", [added("ok"), added("bad \ud800 text")], expected_version=1)
    with pytest.raises(EventEncodingError):
        store.save("s", [ContractItemAdded(item="x", correlation_id="\udfff")])
    assert [e.item for e in store.load("s")] == ["fine"]  # type: ignore[attr-defined]
    assert len(list(store.read_all())) == 1


@pytest.mark.parametrize("item", [{"id": "x"}, "text", None, 42])
def test_only_events_can_be_saved(store: SQLiteEventStore, item: object) -> None:
    with pytest.raises(EventEncodingError):
        store.save("s", [added(), item])  # type: ignore[list-item]
    assert list(store.read_all()) == []


@pytest.mark.parametrize("aggregate_id", ["bad \ud800", 42, None, b"bytes"])
def test_a_stream_id_that_is_not_text_is_rejected(
    store: SQLiteEventStore, aggregate_id: object
) -> None:
    with pytest.raises(ValidationError) as caught:
        store.save(aggregate_id, [added()])  # type: ignore[arg-type]
    assert caught.value.field == "aggregate_id"
    with pytest.raises(ValidationError):
        store.load(aggregate_id)  # type: ignore[arg-type]
    assert list(store.read_all()) == []


def test_a_duplicate_within_one_batch_names_the_repeated_id(store: SQLiteEventStore) -> None:
    first, second = added("1"), added("2")
    with pytest.raises(DuplicateEventError) as caught:
        store.save("s", [first, second, ContractItemAdded(id=second.id, item="3")])
    assert caught.value.event_id == second.id
    assert isinstance(caught.value.__cause__, sqlite3.IntegrityError)
    assert store.load("s") == []


def test_a_duplicate_in_a_large_batch_is_found(store: SQLiteEventStore) -> None:
    stored = added("stored")
    store.save("a", [stored])
    batch = [added(str(i)) for i in range(2_000)]
    batch[1_500] = ContractItemAdded(id=stored.id, item="clash")
    with pytest.raises(DuplicateEventError) as caught:
        store.save("b", batch)
    assert caught.value.event_id == stored.id
    assert store.load("b") == []


def test_non_json_snapshot_state_is_rejected(store: SQLiteEventStore) -> None:
    with pytest.raises(EventEncodingError):
        store.save_snapshot(Snapshot("s", "Thing", 1, {"bad": object()}))
    assert store.load_snapshot("s") is None


def test_a_damaged_snapshot_raises_event_decoding_error(
    store: SQLiteEventStore, path: Path
) -> None:
    store.save_snapshot(Snapshot("s", "Thing", 1, {"k": 1}))
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("UPDATE snapshots SET state = ?", ("{broken",))
    connection.close()
    with pytest.raises(EventDecodingError):
        store.load_snapshot("s")


def test_a_file_that_is_not_a_database_raises_store_error(path: Path) -> None:
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as caught:
        SQLiteEventStore(path)
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)


def test_a_directory_path_raises_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        SQLiteEventStore(tmp_path)


def test_batch_size_must_be_positive(store: SQLiteEventStore) -> None:
    with pytest.raises(ValidationError):
        list(store.read_all(batch_size=0))
