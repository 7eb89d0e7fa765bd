"""A process manager following an in-memory store's log (see `subscription_scenarios`)."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrix.infrastructure.memory.checkpoint_store import InMemoryCheckpointStore
from orchestrix.infrastructure.memory.deadline_store import InMemoryDeadlineStore
from orchestrix.infrastructure.memory.process_store import InMemoryProcessStateStore
from orchestrix.infrastructure.memory.store import InMemoryEventStore
from test.components.orchestrix.core.execution.subscription_scenarios import (
    ProcessSubscriptionScenarios,
)


class TestProcessSubscriptionInMemory(ProcessSubscriptionScenarios):
    @pytest.fixture
    def log(self) -> InMemoryEventStore:
        return InMemoryEventStore()

    @pytest.fixture
    def checkpoints(self) -> InMemoryCheckpointStore:
        return InMemoryCheckpointStore()

    @pytest.fixture
    def process_stores(self) -> tuple[Any, Any]:
        return InMemoryProcessStateStore(), InMemoryDeadlineStore()
