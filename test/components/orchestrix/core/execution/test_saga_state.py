"""The in-memory saga state store passes the state store contract."""

from __future__ import annotations

import pytest

from orchestrix.core.execution.saga import InMemorySagaStateStore
from test.contracts.state_stores import SagaStateStoreContract


class TestInMemorySagaStateStore(SagaStateStoreContract):
    @pytest.fixture
    def state_store(self) -> InMemorySagaStateStore:
        return InMemorySagaStateStore()
