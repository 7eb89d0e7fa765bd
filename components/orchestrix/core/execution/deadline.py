"""Deadlines: a message a process instance schedules to itself, delivered when it falls due.

They are stored, so a deadline set before a restart still fires after it; the process manager
checks on delivery that its instance is still running and still waits for that very deadline,
so a cancelled, replaced or orphaned deadline never acts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import uuid4

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.execution.clock import require_aware
from orchestrix.core.messaging.message import Message


def _new_id() -> str:
    return str(uuid4())


@dataclass(frozen=True, kw_only=True)
class Deadline:
    """`message` for instance `owner_id` of process `owner_type`, due at `due_at` (UTC).

    `name` identifies the deadline within its instance ("payment-timeout"), so it can be
    cancelled or replaced by name; `deadline_id` is unique across the store.
    """

    owner_type: str
    owner_id: str
    name: str
    due_at: datetime
    message: Message
    deadline_id: str = field(default_factory=_new_id)

    def __post_init__(self) -> None:
        for name in ("owner_type", "owner_id", "name", "deadline_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValidationError("must be a non-empty string", name, value)
        object.__setattr__(self, "due_at", require_aware(self.due_at, "due_at"))
        if not isinstance(self.message, Message):
            raise ValidationError("must be a command or event", "message", self.message)


class DeadlineStore(Protocol):
    """Keeps deadlines until they fire or are cancelled."""

    async def schedule(self, deadline: Deadline) -> None:
        """Store `deadline`, replacing one with the same id; `StateEncodingError` if its
        message cannot be kept (nothing is written then)."""
        ...

    async def cancel(self, deadline_id: str) -> None:
        """Forget the deadline; an unknown id is fine (it fired or was cancelled already)."""
        ...

    async def due(self, now: datetime, limit: int = 100) -> list[Deadline]:
        """Up to `limit` deadlines due at or before `now`, earliest first."""
        ...

    async def next_due_at(self) -> datetime | None:
        """When the earliest stored deadline falls due, or None if there is none."""
        ...

    async def list_for(self, owner_type: str, owner_id: str) -> list[Deadline]:
        """The stored deadlines of one instance, earliest first."""
        ...


__all__ = ["Deadline", "DeadlineStore"]
