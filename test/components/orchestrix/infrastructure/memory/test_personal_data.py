"""The in-memory stores keep personal data sealed and pass the key-store and personal-data
contracts."""

from __future__ import annotations

import pytest

from orchestrix.core.eventsourcing.personal_data import PersonalData
from orchestrix.infrastructure.crypto import AesGcmCipher, generate_master_key
from orchestrix.infrastructure.memory import InMemoryAsyncEventStore, InMemoryEventStore
from orchestrix.infrastructure.memory.key_store import InMemoryKeyStore
from test.contracts.event_store import AsyncStoreUnderTest, StoreUnderTest, SyncStoreUnderTest
from test.contracts.key_store import AsyncKeys, KeyStoreContract, SyncKeys
from test.contracts.personal_data import PersonalDataContract, registered


def protection() -> PersonalData:
    return PersonalData(InMemoryKeyStore(), AesGcmCipher.from_base64(generate_master_key()))


class TestInMemoryKeyStore(KeyStoreContract):
    @pytest.fixture
    def key_store(self) -> AsyncKeys:
        return SyncKeys(InMemoryKeyStore())


class TestInMemoryEventStore(PersonalDataContract):
    @pytest.fixture
    async def protected(self) -> StoreUnderTest:
        return SyncStoreUnderTest(InMemoryEventStore(personal_data=protection()))


class TestInMemoryAsyncEventStore(PersonalDataContract):
    @pytest.fixture
    async def protected(self) -> StoreUnderTest:
        return AsyncStoreUnderTest(InMemoryAsyncEventStore(personal_data=protection()))


def test_the_store_keeps_personal_fields_sealed() -> None:
    store = InMemoryEventStore(personal_data=protection())
    store.save("customer-1", [registered("c-1", "Ann Plaintext")])
    kept = repr(store._streams["customer-1"])
    assert "Ann Plaintext" not in kept and "$sealed" in kept


def test_without_protection_personal_data_stays_in_memory_as_it_is() -> None:
    store = InMemoryEventStore()
    event = registered("c-1", "Ann")
    store.save("customer-1", [event])
    assert store.load("customer-1") == [event]
