"""A projection runner over the in-memory stores, sync and async, passes the subscription
contract."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.store import InMemoryEventStore
from test.contracts.event_store import (
    AsyncStoreUnderTest,
    StoreFactory,
    StoreUnderTest,
    SyncStoreUnderTest,
)
from test.contracts.subscription import SubscriptionContract


class TestSubscriptionOverInMemoryEventStore(SubscriptionContract):
    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        async def open_store(**options: Any) -> StoreUnderTest:
            return SyncStoreUnderTest(InMemoryEventStore(**options))

        return open_store


class TestSubscriptionOverInMemoryAsyncEventStore(SubscriptionContract):
    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        async def open_store(**options: Any) -> StoreUnderTest:
            return AsyncStoreUnderTest(InMemoryAsyncEventStore(**options))

        return open_store
