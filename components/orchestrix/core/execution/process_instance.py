"""The stored record of one process-manager instance, and the port of the stores that keep it.

Besides the manager's own state (the codec's data of its state dataclass), an instance keeps
the ids of the messages it has handled, so a message delivered twice acts once, and what it
has decided but not yet done: commands to send and deadlines to schedule or cancel. Those are
saved with the state in one write and carried out after it, then cleared; a crash in between
leaves them stored, and they are carried out on the next delivery or by `recover()`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from orchestrix.core.execution.deadline import Deadline
from orchestrix.core.messaging.message import Message


def _now() -> datetime:
    return datetime.now(UTC)


class ProcessStatus(enum.StrEnum):
    """ACTIVE until a handler calls `complete()`; a COMPLETED instance ignores what comes."""

    ACTIVE = "active"
    COMPLETED = "completed"


@dataclass(frozen=True, kw_only=True)
class ProcessInstance:
    """One instance of a process manager, keyed by `(process_type, process_id)`."""

    process_type: str
    process_id: str
    status: ProcessStatus = ProcessStatus.ACTIVE
    state: dict[str, Any] | None = None
    handled: tuple[str, ...] = ()
    deadlines: dict[str, str] = field(default_factory=dict)
    outbox: tuple[Message, ...] = ()
    to_schedule: tuple[Deadline, ...] = ()
    to_cancel: tuple[str, ...] = ()
    version: int = 0
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)

    @property
    def has_pending(self) -> bool:
        """Whether decisions are saved but not yet known to be carried out."""
        return bool(self.outbox or self.to_schedule or self.to_cancel)


class ProcessStateStore(Protocol):
    """Loads and saves process instances.

    `save_instance` writes only if the stored instance is at `expected_version` (0: none is
    stored), else raises `ProcessConcurrencyError`; values that cannot be kept raise
    `StateEncodingError` and write nothing.
    """

    async def load_instance(self, process_type: str, process_id: str) -> ProcessInstance | None: ...

    async def save_instance(self, instance: ProcessInstance, expected_version: int) -> None: ...

    async def list_with_pending(self, process_type: str) -> list[ProcessInstance]:
        """The instances of `process_type` with decisions not yet carried out, oldest first."""
        ...


__all__ = ["ProcessInstance", "ProcessStateStore", "ProcessStatus"]
