"""The ports a projection runner needs from the database that holds the read model.

A `CheckpointStore` keeps projection states (it is a `ProjectionStateStore`) and opens
transactions in which the runner saves the checkpoint, dead-letters events and promotes
projection versions. When `exactly_once` is true, the transaction's `connection` is the
driver connection handlers write the read model with, and both commit or roll back together.
Otherwise `connection` is None and handlers must tolerate a redelivered event.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from orchestrix.core.eventsourcing.event_log import Checkpoint
from orchestrix.core.eventsourcing.projection_dead_letters import DeadLetteredEvent
from orchestrix.core.eventsourcing.projection_state import ProjectionState, ProjectionStateStore


class CheckpointTransaction(Protocol):
    """One unit of work: everything in it commits when its `async with` block ends cleanly."""

    @property
    def connection(self) -> Any:
        """The driver connection of this transaction, or None (at-least-once stores)."""
        ...

    async def save_state(self, state: ProjectionState, expected: Checkpoint) -> None:
        """Save `state` if the stored checkpoint is still `expected` (START: none stored),
        else raise `CheckpointConflictError` and let the transaction roll back."""
        ...

    async def dead_letter(self, entry: DeadLetteredEvent) -> None:
        """Keep `entry`, replacing an earlier entry of the same projection and event."""
        ...

    async def resolve_dead_letter(self, projection_id: str, event_id: str) -> None:
        """Forget the entry of a dead-lettered event that has now been processed."""
        ...

    async def discard_dead_letters(self, projection_id: str) -> None:
        """Forget every entry of a projection (it is being rebuilt from the origin)."""
        ...

    async def set_live(self, name: str, projection_id: str) -> None:
        """Make `projection_id` the version that readers of `name` use."""
        ...


class ProjectionLock(Protocol):
    """Leadership of one projection across processes: one holder at a time.

    The holder calls `renew` every `renew_interval` seconds; a holder that dies loses the
    lock (its connection closes, or its lease runs out) so a standby can `acquire` it.
    """

    renew_interval: float

    async def acquire(self) -> bool:
        """Take the lock if it is free (or already ours); never waits."""
        ...

    async def renew(self) -> bool:
        """Keep holding the lock; False if it was lost."""
        ...

    async def release(self) -> None:
        """Give the lock up (harmless when not held)."""
        ...


class CheckpointStore(ProjectionStateStore, Protocol):
    """Projection states, dead letters, live versions and locks in one database."""

    @property
    def exactly_once(self) -> bool:
        """Whether handlers' writes through `connection` commit with the checkpoint."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[CheckpointTransaction]:
        """A transaction; leaving the block with an error rolls everything back."""
        ...

    async def states(self) -> list[ProjectionState]:
        """The state of every projection kept here, by projection id (for operators' tools)."""
        ...

    async def dead_letters(self, projection_id: str) -> list[DeadLetteredEvent]:
        """The projection's dead-lettered events, in log order."""
        ...

    async def live(self, name: str) -> str | None:
        """The projection id readers of `name` use, if one was promoted."""
        ...

    def lock(self, projection_id: str) -> ProjectionLock:
        """A lock object for `projection_id` (each call is a distinct contender)."""
        ...


__all__ = ["CheckpointStore", "CheckpointTransaction", "ProjectionLock"]
