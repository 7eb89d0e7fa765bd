"""Saga states in process memory, with the same guarantees as the durable stores."""

from __future__ import annotations

from orchestrix.core.execution.errors import SagaConcurrencyError
from orchestrix.core.execution.saga_records import check_storable
from orchestrix.core.execution.saga_state import SagaState, SagaStatus


class InMemorySagaStateStore:
    """Saga states in process memory, for tests and single-process use.

    It keeps the state objects themselves (they are frozen) but refuses what a durable store
    could not keep, so code tested against it behaves the same in production.
    """

    def __init__(self) -> None:
        self._states: dict[str, SagaState] = {}

    async def save_state(self, state: SagaState, expected_version: int | None = None) -> None:
        check_storable(state)
        if expected_version is not None:
            stored = self._states.get(state.saga_id)
            actual = 0 if stored is None else stored.version
            if actual != expected_version:
                raise SagaConcurrencyError(state.saga_id, expected_version, actual)
        self._states[state.saga_id] = state

    async def load_state(self, saga_id: str) -> SagaState | None:
        return self._states.get(saga_id)

    async def list_by_status(self, *statuses: SagaStatus) -> list[SagaState]:
        wanted = set(statuses)
        matching = [state for state in self._states.values() if state.status in wanted]
        return sorted(matching, key=lambda state: (state.created_at, state.saga_id))


__all__ = ["InMemorySagaStateStore"]
