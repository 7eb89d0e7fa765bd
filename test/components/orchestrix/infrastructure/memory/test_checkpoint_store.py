"""The in-memory checkpoint store passes the checkpoint store contract."""

from __future__ import annotations

import pytest

from orchestrix.infrastructure.memory.checkpoint_store import InMemoryCheckpointStore
from test.contracts.checkpoint_store import CheckpointStoreContract


class TestInMemoryCheckpointStore(CheckpointStoreContract):
    @pytest.fixture
    def state_store(self) -> InMemoryCheckpointStore:
        return InMemoryCheckpointStore()
