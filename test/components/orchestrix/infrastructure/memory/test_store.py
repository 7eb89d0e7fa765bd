"""The in-memory stores pass the event store contract."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.store import InMemoryEventStore
from test.contracts.event_store import (
    AsyncStoreUnderTest,
    EventStoreContract,
    StoreFactory,
    StoreUnderTest,
    SyncStoreUnderTest,
)
from test.contracts.event_store_fidelity import EventStoreFidelityContract


class TestInMemoryEventStore(EventStoreContract, EventStoreFidelityContract):
    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        async def open_store(**options: Any) -> StoreUnderTest:
            return SyncStoreUnderTest(InMemoryEventStore(**options), decodes=False)

        return open_store


class TestInMemoryAsyncEventStore(EventStoreContract, EventStoreFidelityContract):
    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        async def open_store(**options: Any) -> StoreUnderTest:
            return AsyncStoreUnderTest(InMemoryAsyncEventStore(**options), decodes=False)

        return open_store
