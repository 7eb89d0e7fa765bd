"""The in-memory process and deadline stores pass their contracts."""

from __future__ import annotations

import pytest

from orchestrix.infrastructure.memory.deadline_store import InMemoryDeadlineStore
from orchestrix.infrastructure.memory.process_store import InMemoryProcessStateStore
from test.contracts.process_stores import DeadlineStoreContract, ProcessStateStoreContract


class TestInMemoryProcessStateStore(ProcessStateStoreContract):
    @pytest.fixture
    def process_store(self) -> InMemoryProcessStateStore:
        return InMemoryProcessStateStore()


class TestInMemoryDeadlineStore(DeadlineStoreContract):
    @pytest.fixture
    def deadline_store(self) -> InMemoryDeadlineStore:
        return InMemoryDeadlineStore()
