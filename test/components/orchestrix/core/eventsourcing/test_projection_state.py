"""The in-memory projection state store passes the state store contract."""

from __future__ import annotations

import pytest

from orchestrix.core.eventsourcing.event_log import Checkpoint
from orchestrix.core.eventsourcing.projection_state import (
    InMemoryProjectionStateStore,
    ProjectionState,
)
from test.contracts.state_stores import ProjectionStateStoreContract


class TestInMemoryProjectionStateStore(ProjectionStateStoreContract):
    @pytest.fixture
    def state_store(self) -> InMemoryProjectionStateStore:
        return InMemoryProjectionStateStore()


def test_checkpoint_pairs_transaction_and_position() -> None:
    state = ProjectionState(projection_id="p", last_processed_tx_id=7, last_processed_position=3)
    assert state.checkpoint == Checkpoint(7, 3)
