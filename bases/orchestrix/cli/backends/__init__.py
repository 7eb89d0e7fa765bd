"""What each backend does for the commands, through the stores' own code: one module each.

`backend_of(store)` imports the chosen backend's module only, so the SQLite commands work
without the PostgreSQL driver. Commands that need more of a backend add a function to
`Backend` and to each module. Nothing here creates tables: a database where no projection or
saga has run yet has none of their tables, and says so by handing out None.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from orchestrix.cli.errors import CliError
from orchestrix.cli.schema import SchemaPlan
from orchestrix.cli.store_choice import StoreChoice
from orchestrix.core.eventsourcing.checkpoint import CheckpointStore
from orchestrix.core.eventsourcing.event_log import START, Checkpoint, RecordedEvent
from orchestrix.core.eventsourcing.subscription_lag import LogHead
from orchestrix.core.execution.saga_state import SagaStateStore
from orchestrix.core.messaging.message import Event


class ReadableStore(Protocol):
    """What the reading commands need of an event store: a stream and the global log."""

    async def load(self, aggregate_id: str, from_version: int = 0) -> list[Event]: ...

    def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]: ...

    def read_batches(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> AsyncIterator[Sequence[RecordedEvent]]: ...


@dataclass(frozen=True, slots=True)
class Projections:
    """The projection side of a store: its log, the log's head, and the checkpoint store
    (None where no projection has kept a checkpoint yet), described for messages."""

    log: ReadableStore
    head: LogHead
    checkpoints: CheckpointStore | None
    where: str


class Backend(Protocol):
    """The operations a backend module offers the commands."""

    async def schema_plan(self, store: StoreChoice) -> SchemaPlan:
        """Where the database stands, without changing it."""
        ...

    async def migrate(self, store: StoreChoice) -> list[int]:
        """Apply the missing migrations; the versions applied."""
        ...

    def open_event_store(self, store: StoreChoice) -> AbstractAsyncContextManager[ReadableStore]:
        """The event store, opened on its (already migrated) schema."""
        ...

    def open_projections(
        self, store: StoreChoice, checkpoints: str | None
    ) -> AbstractAsyncContextManager[Projections]:
        """The event store's log and head, and the checkpoint store (on SQLite, in the file
        `checkpoints` when it is not the event store's)."""
        ...

    def open_sagas(self, store: StoreChoice) -> AbstractAsyncContextManager[SagaStateStore | None]:
        """The saga state store, or None where no saga has been stored."""
        ...


def backend_of(store: StoreChoice) -> Backend:
    """The module serving `store`'s backend."""
    if store.backend == "sqlite":
        from orchestrix.cli.backends import sqlite

        return sqlite
    try:
        from orchestrix.cli.backends import postgres
    except ImportError as error:  # the package names the missing driver
        if error.name != "asyncpg":
            raise
        raise CliError(
            "PostgreSQL needs the 'postgres' extra (asyncpg is missing): "
            "pip install 'orchestrix[cli,postgres]'"
        ) from error
    return postgres


__all__ = ["Backend", "Projections", "ReadableStore", "backend_of"]
