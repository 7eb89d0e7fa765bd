"""Personal data in SQLite: sealed in the file, and erased keys gone from its bytes."""

from __future__ import annotations

import dataclasses
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings

from orchestrix.core.common.exceptions import (
    MasterKeyError,
    PersonalDataError,
    TamperedDataError,
)
from orchestrix.core.eventsourcing.aggregate import AggregateRepository
from orchestrix.core.eventsourcing.erasure import SubjectErased, erase_subject
from orchestrix.core.eventsourcing.personal_data import PersonalData
from orchestrix.core.messaging.personal import REDACTED
from orchestrix.infrastructure.crypto import AesGcmCipher, generate_master_key
from orchestrix.infrastructure.sqlite import SQLiteAsyncEventStore, SQLiteEventStore, SQLiteOutbox
from orchestrix.infrastructure.sqlite.key_store import SQLiteKeyStore
from test.components.orchestrix.core.messaging.test_personal import Profiled, events
from test.contracts.event_store import AsyncStoreUnderTest, StoreUnderTest, SyncStoreUnderTest
from test.contracts.key_store import AsyncKeys, KeyStoreContract, SyncKeys
from test.contracts.personal_data import CustomerAccount, PersonalDataContract, registered


def cipher() -> AesGcmCipher:
    return AesGcmCipher.from_base64(generate_master_key())


class TestSQLiteKeyStore(KeyStoreContract):
    @pytest.fixture
    def key_store(self, tmp_path: Path) -> Iterator[AsyncKeys]:
        with SQLiteKeyStore(tmp_path / "keys.db") as store:
            yield SyncKeys(store)


class TestSQLiteEventStore(PersonalDataContract):
    @pytest.fixture
    async def protected(self, tmp_path: Path) -> AsyncIterator[StoreUnderTest]:
        path = tmp_path / "events.db"
        with SQLiteKeyStore(path) as keys:
            personal = PersonalData(keys, cipher())
            with SQLiteEventStore(path, personal_data=personal) as store:
                yield SyncStoreUnderTest(store)


class TestSQLiteAsyncEventStore(PersonalDataContract):
    @pytest.fixture
    async def protected(self, tmp_path: Path) -> AsyncIterator[StoreUnderTest]:
        path = tmp_path / "events.db"
        with SQLiteKeyStore(path) as keys:
            store = SQLiteAsyncEventStore(path, personal_data=PersonalData(keys, cipher()))
            yield AsyncStoreUnderTest(store)
            await store.close()


def file_bytes(path: Path) -> bytes:
    """Everything SQLite keeps of the database: the file, its log and its shared memory."""
    parts = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    return b"".join(part.read_bytes() for part in parts if part.exists())


def test_plaintext_never_reaches_the_file_and_erased_keys_leave_it(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    the_cipher = cipher()
    with (
        SQLiteKeyStore(path) as keys,
        SQLiteEventStore(path, personal_data=PersonalData(keys, the_cipher)) as store,
    ):
        store.save("customer-2", [registered("c-2", "Bob Otherperson")])
        repository = AggregateRepository[CustomerAccount](store, snapshot_every=1)
        account = CustomerAccount(aggregate_id="c-1")
        account.register("Zelda Plaintextperson")
        repository.save(account)  # events and a snapshot holding the name
        control = SubjectErased(subject_id="UnmarkedControlText", erased_at=datetime.now(UTC))
        store.save("control", [control])
        wrapped = keys.find(["c-1", "c-2"])
        data_key = the_cipher._unwrap("c-1", wrapped["c-1"] or b"")
        before = file_bytes(path)
        assert b"UnmarkedControlText" in before  # the bytes read are the database's
        assert b"Zelda Plaintextperson" not in before and b"Bob Otherperson" not in before
        assert wrapped["c-1"] in before and data_key not in before

        erase_subject(store, "c-1")

        after = file_bytes(path)
        assert wrapped["c-1"] not in after and data_key not in after
        assert wrapped["c-2"] in after  # another subject keeps its key
        assert b"Zelda Plaintextperson" not in after
        assert repository.load(CustomerAccount, "c-1").plan == "basic"
        assert store.load("customer-2")[0].name == "Bob Otherperson"


def test_a_store_without_protection_refuses_personal_data(tmp_path: Path) -> None:
    with SQLiteEventStore(tmp_path / "events.db") as store:
        with pytest.raises(PersonalDataError, match="personal_data="):
            store.save("customer-1", [registered("c-1", "Ann")])
        assert store.load("customer-1") == []


def test_a_wrong_master_key_is_an_error_not_an_erasure(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with SQLiteKeyStore(path) as keys:
        with SQLiteEventStore(path, personal_data=PersonalData(keys, cipher())) as store:
            store.save("customer-1", [registered("c-1", "Ann")])
        with SQLiteEventStore(path, personal_data=PersonalData(keys, cipher())) as store:
            with pytest.raises(MasterKeyError):
                store.load("customer-1")


def test_a_changed_ciphertext_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with SQLiteKeyStore(path) as keys:
        with SQLiteEventStore(path, personal_data=PersonalData(keys, cipher())) as store:
            store.save("customer-1", [registered("c-1", "Ann")])
            raw = sqlite3.connect(path, isolation_level=None)
            (payload,) = raw.execute("SELECT payload FROM events").fetchone()
            token_start = payload.index('"name":"') + len('"name":"')
            flipped = "B" if payload[token_start + 4] != "B" else "C"
            damaged = payload[: token_start + 4] + flipped + payload[token_start + 5 :]
            raw.execute("UPDATE events SET payload = ?", (damaged,))
            raw.close()
            with pytest.raises(TamperedDataError):
                store.load("customer-1")


async def test_the_outbox_opens_personal_fields_only_with_protection(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with SQLiteKeyStore(path) as keys:
        personal = PersonalData(keys, cipher())
        async with (
            SQLiteOutbox(path) as blind,
            SQLiteOutbox(path, personal_data=personal) as outbox,
        ):
            with SQLiteEventStore(path, personal_data=personal) as store:
                store.save("customer-1", [registered("c-1", "Ann")])
            async with outbox.claim(10) as batch:
                assert batch.entries[0].event.name == "Ann"  # type: ignore[attr-defined]
            async with blind.claim(10) as batch:
                assert batch.entries[0].event.name is REDACTED  # type: ignore[attr-defined]


def test_the_master_key_rotates_without_touching_the_events(tmp_path: Path) -> None:
    path, old, new = tmp_path / "events.db", generate_master_key(), generate_master_key()
    event = registered("c-1", "Ann")
    with SQLiteKeyStore(path) as keys:
        with SQLiteEventStore(
            path, personal_data=PersonalData(keys, AesGcmCipher.from_base64(old))
        ) as store:
            store.save("customer-1", [event])
        rotating = AesGcmCipher.from_base64(new, previous=[old])
        assert keys.rewrap(rotating.rewrap_key) == 1
        assert keys.rewrap(rotating.rewrap_key) == 0
        with SQLiteEventStore(
            path, personal_data=PersonalData(keys, AesGcmCipher.from_base64(new))
        ) as store:
            assert store.load("customer-1") == [event]


def test_personal_fields_of_any_type_round_trip_and_erase(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with (
        SQLiteKeyStore(path) as keys,
        SQLiteEventStore(path, personal_data=PersonalData(keys, cipher())) as store,
    ):

        @settings(deadline=None, max_examples=40)
        @given(events)
        def round_trip(generated: Profiled) -> None:
            # A subject of its own each time: hypothesis repeats values, and erased is final.
            event = dataclasses.replace(generated, person_id=uuid.uuid4(), id=str(uuid.uuid4()))
            stream = f"person-{event.id}"
            store.save(stream, [event])
            assert store.load(stream) == [event]
            erase_subject(store, str(event.person_id))
            (erased,) = store.load(stream)
            assert erased.name is REDACTED and erased.places is REDACTED  # type: ignore[attr-defined]
            assert erased.visits == event.visits  # type: ignore[attr-defined]

        round_trip()
