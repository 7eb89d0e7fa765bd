"""A process manager following a PostgreSQL store's log, its checkpoints, instances and
deadlines in the store's schema (see `subscription_scenarios`)."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrix.infrastructure.postgres import PostgreSQLCheckpointStore, PostgreSQLEventStore
from orchestrix.infrastructure.postgres.deadline_store import PostgreSQLDeadlineStore
from orchestrix.infrastructure.postgres.process_store import PostgreSQLProcessStateStore
from test.components.orchestrix.core.execution.subscription_scenarios import (
    ProcessSubscriptionScenarios,
)

pytestmark = pytest.mark.postgres


class TestProcessSubscriptionOverPostgreSQL(ProcessSubscriptionScenarios):
    @pytest.fixture
    def log(self, store: PostgreSQLEventStore) -> PostgreSQLEventStore:
        return store

    @pytest.fixture
    def checkpoints(self, store: PostgreSQLEventStore) -> PostgreSQLCheckpointStore:
        return PostgreSQLCheckpointStore(store.pool, store.schema)

    @pytest.fixture
    async def process_stores(self, store: PostgreSQLEventStore) -> tuple[Any, Any]:
        processes = PostgreSQLProcessStateStore(store.pool, store.schema)
        await processes.initialize()
        deadlines = PostgreSQLDeadlineStore(store.pool, store.schema)
        await deadlines.initialize()
        return processes, deadlines
