"""Contracts for the stores that keep projection checkpoints and saga states.

Subclass `ProjectionStateStoreContract` / `SagaStateStoreContract` and provide a `state_store`
fixture returning a fresh, empty store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from orchestrix.core.eventsourcing.projection_state import ProjectionState
from orchestrix.core.execution.saga_state import SagaState, SagaStatus, SagaStepStatus


class ProjectionStateStoreContract:
    @pytest.fixture
    def state_store(self) -> Any:
        raise NotImplementedError("subclasses provide a state_store fixture")

    async def test_missing_state_is_none(self, state_store: Any) -> None:
        assert await state_store.load_state("nothing") is None

    async def test_state_round_trips(self, state_store: Any) -> None:
        state = ProjectionState(
            projection_id="orders",
            last_processed_event_id="e-9",
            last_processed_position=9,
            last_processed_tx_id=1234,
            updated_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
            error_count=2,
            is_healthy=False,
        )
        await state_store.save_state(state)
        assert await state_store.load_state("orders") == state

    async def test_saving_again_replaces(self, state_store: Any) -> None:
        await state_store.save_state(ProjectionState(projection_id="p", last_processed_position=1))
        newer = ProjectionState(projection_id="p", last_processed_position=2)
        await state_store.save_state(newer)
        assert await state_store.load_state("p") == newer

    async def test_states_are_kept_per_projection(self, state_store: Any) -> None:
        a = ProjectionState(projection_id="a", last_processed_position=1)
        b = ProjectionState(projection_id="'; DROP TABLE x; --", last_processed_position=2)
        await state_store.save_state(a)
        await state_store.save_state(b)
        assert await state_store.load_state("a") == a
        assert await state_store.load_state(b.projection_id) == b

    async def test_delete_forgets_the_state(self, state_store: Any) -> None:
        await state_store.save_state(ProjectionState(projection_id="p"))
        await state_store.delete_state("p")
        await state_store.delete_state("never-saved")
        assert await state_store.load_state("p") is None


def saga_state(saga_id: str = "saga-1", **changes: Any) -> SagaState:
    values: dict[str, Any] = {
        "saga_id": saga_id,
        "saga_type": "order-fulfillment",
        "status": SagaStatus.IN_PROGRESS,
        "current_step": 1,
        "step_statuses": {"reserve": SagaStepStatus.COMPLETED, "charge": SagaStepStatus.PENDING},
        "step_results": {"reserve": {"reservation": "R-1", "items": [1, 2]}},
        "context": {"order_id": "ORD-1", "amount": "99.99"},
        "created_at": datetime(2024, 1, 1, tzinfo=UTC),
        "updated_at": datetime(2024, 1, 1, 0, 0, 1, tzinfo=UTC),
    }
    values.update(changes)
    return SagaState(**values)


class SagaStateStoreContract:
    @pytest.fixture
    def state_store(self) -> Any:
        raise NotImplementedError("subclasses provide a state_store fixture")

    async def test_missing_saga_is_none(self, state_store: Any) -> None:
        assert await state_store.load_state("nothing") is None

    async def test_state_round_trips(self, state_store: Any) -> None:
        state = saga_state(error="boom: 'quoted' ✓")
        await state_store.save_state(state)
        assert await state_store.load_state("saga-1") == state

    async def test_saving_again_replaces(self, state_store: Any) -> None:
        await state_store.save_state(saga_state())
        done = saga_state(status=SagaStatus.COMPLETED, current_step=2)
        await state_store.save_state(done)
        assert await state_store.load_state("saga-1") == done

    async def test_list_by_status_finds_unfinished_sagas_oldest_first(
        self, state_store: Any
    ) -> None:
        late = saga_state("late", created_at=datetime(2024, 3, 1, tzinfo=UTC))
        early = saga_state(
            "early",
            status=SagaStatus.COMPENSATING,
            created_at=datetime(2024, 2, 1, tzinfo=UTC),
        )
        await state_store.save_state(late)
        await state_store.save_state(early)
        await state_store.save_state(saga_state("done", status=SagaStatus.COMPLETED))
        found = await state_store.list_by_status(SagaStatus.IN_PROGRESS, SagaStatus.COMPENSATING)
        assert [state.saga_id for state in found] == ["early", "late"]
        assert await state_store.list_by_status(SagaStatus.FAILED) == []

    async def test_results_keep_json_values(self, state_store: Any) -> None:
        state = saga_state(step_results={"charge": {"amount": "1.50", "ok": True, "n": None}})
        await state_store.save_state(state)
        loaded = await state_store.load_state("saga-1")
        assert loaded is not None
        assert loaded.step_results == {"charge": {"amount": "1.50", "ok": True, "n": None}}
        assert Decimal(loaded.step_results["charge"]["amount"]) == Decimal("1.50")
