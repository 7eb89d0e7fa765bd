"""The PostgreSQL stores pass the shared contracts of the in-memory ones."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrix.infrastructure.postgres.deadline_store import PostgreSQLDeadlineStore
from orchestrix.infrastructure.postgres.process_store import PostgreSQLProcessStateStore
from orchestrix.infrastructure.postgres.projection_state_store import (
    PostgreSQLProjectionStateStore,
)
from orchestrix.infrastructure.postgres.saga_state_store import PostgreSQLSagaStateStore
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore
from test.components.orchestrix.infrastructure.postgres.conftest import StoreOpener
from test.contracts.event_store import (
    AsyncStoreUnderTest,
    EventStoreContract,
    StoreFactory,
    StoreUnderTest,
)
from test.contracts.event_store_fidelity import EventStoreFidelityContract
from test.contracts.process_stores import DeadlineStoreContract, ProcessStateStoreContract
from test.contracts.state_stores import ProjectionStateStoreContract, SagaStateStoreContract

pytestmark = pytest.mark.postgres


class TestPostgreSQLEventStore(EventStoreContract, EventStoreFidelityContract):
    @pytest.fixture
    def store_factory(self, open_store: StoreOpener) -> StoreFactory:
        async def open_one(**options: Any) -> StoreUnderTest:
            return AsyncStoreUnderTest(await open_store(**options))

        return open_one


class TestPostgreSQLProjectionStateStore(ProjectionStateStoreContract):
    @pytest.fixture
    async def state_store(self, store: PostgreSQLEventStore) -> PostgreSQLProjectionStateStore:
        state_store = PostgreSQLProjectionStateStore(store.pool, store.schema)
        await state_store.initialize()
        return state_store


class TestPostgreSQLSagaStateStore(SagaStateStoreContract):
    @pytest.fixture
    async def state_store(self, store: PostgreSQLEventStore) -> PostgreSQLSagaStateStore:
        state_store = PostgreSQLSagaStateStore(store.pool, store.schema)
        await state_store.initialize()
        return state_store


class TestPostgreSQLProcessStateStore(ProcessStateStoreContract):
    @pytest.fixture
    async def process_store(self, store: PostgreSQLEventStore) -> PostgreSQLProcessStateStore:
        process_store = PostgreSQLProcessStateStore(store.pool, store.schema)
        await process_store.initialize()
        return process_store


class TestPostgreSQLDeadlineStore(DeadlineStoreContract):
    @pytest.fixture
    async def deadline_store(self, store: PostgreSQLEventStore) -> PostgreSQLDeadlineStore:
        deadline_store = PostgreSQLDeadlineStore(store.pool, store.schema)
        await deadline_store.initialize()
        return deadline_store
