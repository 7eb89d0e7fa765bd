"""Finding the sagas a crash left unfinished and resuming them, at start-up.

Resuming a saga that another live process is still running would run its current step a
second time, so with several workers pass `older_than` longer than the slowest step can take:
only sagas whose last save is older than that are touched. Two recoverers never both advance
one saga (the losing save raises `SagaConcurrencyError`, and that saga is left to the winner).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from orchestrix.core.common.logging import StructuredLogger, get_logger
from orchestrix.core.execution.clock import SYSTEM_CLOCK, Clock
from orchestrix.core.execution.errors import (
    SagaConcurrencyError,
    SagaDefinitionError,
    SagaStateError,
)
from orchestrix.core.execution.saga import Saga
from orchestrix.core.execution.saga_state import UNFINISHED, SagaState, SagaStateStore

_log = StructuredLogger(get_logger(__name__))


async def recover_sagas(
    sagas: Iterable[Saga],
    *,
    older_than: timedelta = timedelta(0),
    clock: Clock = SYSTEM_CLOCK,
) -> list[SagaState]:
    """Resume every unfinished saga of the given types; return their states afterwards.

    `sagas` are definitions, one per saga type, each with the store its sagas live in; each
    is reused for all the stored sagas of its type, one after another. Stored sagas of a type
    not given, and those this definition cannot continue (their steps differ), are left
    alone and logged; the others are still resumed.
    """
    by_type: dict[str, Saga] = {}
    for saga in sagas:
        if saga.saga_type in by_type:
            raise SagaDefinitionError(f"Two sagas given for the type {saga.saga_type!r}")
        by_type[saga.saga_type] = saga
    stores: list[SagaStateStore] = []
    for saga in by_type.values():
        if all(store is not saga.state_store for store in stores):
            stores.append(saga.state_store)
    cutoff = clock.now() - older_than
    recovered: list[SagaState] = []
    for store in stores:
        for state in await store.list_by_status(*UNFINISHED):
            definition = by_type.get(state.saga_type)
            if definition is None or definition.state_store is not store:
                _log.warning("No saga definition to resume", saga_id=state.saga_id)
                continue
            if state.updated_at > cutoff:
                continue
            try:
                recovered.append(await definition.resume(state.saga_id))
            except SagaConcurrencyError:
                _log.info("Saga is being resumed elsewhere", saga_id=state.saga_id)
            except SagaStateError as error:  # e.g. its steps were renamed since it ran
                _log.error("Saga cannot be resumed", saga_id=state.saga_id, error=str(error))
    return recovered


__all__ = ["recover_sagas"]
