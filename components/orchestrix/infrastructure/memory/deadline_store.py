"""Deadlines in process memory, with the durable stores' guarantees."""

from __future__ import annotations

from datetime import datetime

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.execution.clock import require_aware
from orchestrix.core.execution.deadline import Deadline
from orchestrix.core.execution.process_records import deadline_values


class InMemoryDeadlineStore:
    """`DeadlineStore` in a dict; `due` sorts, which is fine at in-memory sizes."""

    def __init__(self) -> None:
        self._deadlines: dict[str, Deadline] = {}

    async def schedule(self, deadline: Deadline) -> None:
        deadline_values(deadline)  # refuse what a durable store could not keep
        self._deadlines[deadline.deadline_id] = deadline

    async def cancel(self, deadline_id: str) -> None:
        self._deadlines.pop(deadline_id, None)

    async def due(self, now: datetime, limit: int = 100) -> list[Deadline]:
        now = require_aware(now, "now")
        if type(limit) is not int or limit < 1:
            raise ValidationError("must be a positive integer", "limit", limit)
        found = [deadline for deadline in self._deadlines.values() if deadline.due_at <= now]
        return sorted(found, key=_order)[:limit]

    async def next_due_at(self) -> datetime | None:
        return min((deadline.due_at for deadline in self._deadlines.values()), default=None)

    async def list_for(self, owner_type: str, owner_id: str) -> list[Deadline]:
        found = [
            deadline
            for deadline in self._deadlines.values()
            if (deadline.owner_type, deadline.owner_id) == (owner_type, owner_id)
        ]
        return sorted(found, key=_order)


def _order(deadline: Deadline) -> tuple[datetime, str]:
    return deadline.due_at, deadline.deadline_id


__all__ = ["InMemoryDeadlineStore"]
