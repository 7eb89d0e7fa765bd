"""Projection checkpoints, dead letters, live versions and locks in process memory.

The in-memory `CheckpointStore`: what tests and single-process applications use. A
transaction stages its writes and applies them at once when it ends, after checking every
compare-and-set, so a failed batch leaves nothing behind. Handlers get no connection
(`exactly_once` is false): a read model in memory dies with the process together with its
checkpoint, but a handler's own writes are not undone when a batch fails, so handlers must
tolerate a redelivered event. Locks exclude runners of the same process.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from types import TracebackType

from orchestrix.core.eventsourcing.event_log import START, Checkpoint
from orchestrix.core.eventsourcing.projection_dead_letters import DeadLetteredEvent
from orchestrix.core.eventsourcing.projection_errors import CheckpointConflictError
from orchestrix.core.eventsourcing.projection_state import ProjectionState


class InMemoryCheckpointStore:
    """A `CheckpointStore` held in a few dictionaries behind a lock."""

    exactly_once = False

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._states: dict[str, ProjectionState] = {}
        self._dead: dict[str, dict[str, DeadLetteredEvent]] = {}
        self._live: dict[str, str] = {}
        self._holders: dict[str, str] = {}

    async def load_state(self, projection_id: str) -> ProjectionState | None:
        return self._states.get(projection_id)

    async def save_state(self, state: ProjectionState) -> None:
        with self._guard:
            self._states[state.projection_id] = state

    async def delete_state(self, projection_id: str) -> None:
        with self._guard:
            self._states.pop(projection_id, None)

    async def states(self) -> list[ProjectionState]:
        with self._guard:
            return [self._states[name] for name in sorted(self._states)]

    def transaction(self) -> _MemoryTransaction:
        return _MemoryTransaction(self)

    async def dead_letters(self, projection_id: str) -> list[DeadLetteredEvent]:
        with self._guard:
            entries = list(self._dead.get(projection_id, {}).values())
        return sorted(entries, key=lambda entry: entry.checkpoint)

    async def live(self, name: str) -> str | None:
        return self._live.get(name)

    def lock(self, projection_id: str) -> InMemoryProjectionLock:
        return InMemoryProjectionLock(self, projection_id)

    def _apply(
        self, checks: list[tuple[ProjectionState, Checkpoint]], writes: list[Callable[[], object]]
    ) -> None:
        """Check a transaction's compare-and-sets in order, then apply all its writes."""
        with self._guard:
            staged: dict[str, ProjectionState] = {}
            for state, expected in checks:
                current = staged.get(state.projection_id, self._states.get(state.projection_id))
                actual = START if current is None else current.checkpoint
                if actual != expected:
                    raise CheckpointConflictError(
                        state.projection_id, expected, None if current is None else actual
                    )
                staged[state.projection_id] = state
            for write in writes:
                write()


class _MemoryTransaction:
    """Writes staged until the block ends; an error in the block discards them."""

    connection = None

    def __init__(self, store: InMemoryCheckpointStore) -> None:
        self._store = store
        self._checks: list[tuple[ProjectionState, Checkpoint]] = []
        self._writes: list[Callable[[], object]] = []

    async def __aenter__(self) -> _MemoryTransaction:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is None:
            self._store._apply(self._checks, self._writes)

    async def save_state(self, state: ProjectionState, expected: Checkpoint) -> None:
        states = self._store._states
        self._checks.append((state, expected))
        self._writes.append(lambda: states.__setitem__(state.projection_id, state))

    async def dead_letter(self, entry: DeadLetteredEvent) -> None:
        dead = self._store._dead
        self._writes.append(
            lambda: dead.setdefault(entry.projection_id, {}).__setitem__(entry.event_id, entry)
        )

    async def resolve_dead_letter(self, projection_id: str, event_id: str) -> None:
        dead = self._store._dead
        self._writes.append(lambda: dead.get(projection_id, {}).pop(event_id, None))

    async def discard_dead_letters(self, projection_id: str) -> None:
        dead = self._store._dead
        self._writes.append(lambda: dead.pop(projection_id, None))

    async def set_live(self, name: str, projection_id: str) -> None:
        live = self._store._live
        self._writes.append(lambda: live.__setitem__(name, projection_id))


class InMemoryProjectionLock:
    """One holder per projection id among the runners of this process."""

    renew_interval = 1.0

    def __init__(self, store: InMemoryCheckpointStore, projection_id: str) -> None:
        self._store = store
        self.projection_id = projection_id
        self._token = uuid.uuid4().hex

    async def acquire(self) -> bool:
        with self._store._guard:
            holder = self._store._holders.setdefault(self.projection_id, self._token)
        return holder == self._token

    async def renew(self) -> bool:
        return self._store._holders.get(self.projection_id) == self._token

    async def release(self) -> None:
        with self._store._guard:
            if self._store._holders.get(self.projection_id) == self._token:
                del self._store._holders[self.projection_id]


__all__ = ["InMemoryCheckpointStore", "InMemoryProjectionLock"]
