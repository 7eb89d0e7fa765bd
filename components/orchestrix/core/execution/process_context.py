"""What a process-manager handler sees and decides: the instance's state, commands to send,
deadlines to set or cancel, and whether the process has ended.

Nothing happens while the handler runs: its decisions are saved with the new state in one
write and carried out afterwards, so a handler that fails (or a delivery that loses a race and
is retried) leaves no half-done effects.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.execution.clock import Clock, require_aware
from orchestrix.core.execution.deadline import Deadline
from orchestrix.core.messaging.message import Message


def caused(message: Message, cause: Message) -> Message:
    """`message` marked as caused by `cause`, unless it already names a cause."""
    if message.causation_id is not None:
        return message
    return replace(
        message,
        correlation_id=message.correlation_id or cause.correlation_id or cause.id,
        causation_id=cause.id,
        trace_id=message.trace_id or cause.trace_id,
        actor_id=message.actor_id or cause.actor_id,
    )


class ProcessContext[S]:
    """Handed to every handler with the message; `state` is None until a handler sets it."""

    def __init__(
        self,
        *,
        process_type: str,
        process_id: str,
        state: S | None,
        deadlines: dict[str, str],
        cause: Message,
        clock: Clock,
    ) -> None:
        self.process_type = process_type
        self.process_id = process_id
        self.state = state
        self.cause = cause
        self.completed = False
        self.outbox: list[Message] = []
        self.to_schedule: list[Deadline] = []
        self.to_cancel: list[str] = []
        self._deadlines = dict(deadlines)
        self._clock = clock

    @property
    def now(self) -> datetime:
        return self._clock.now()

    @property
    def deadlines(self) -> dict[str, str]:
        """The instance's active deadlines after this handler: name → deadline id."""
        return dict(self._deadlines)

    def send(self, message: Message) -> None:
        """Send `message` once the new state is saved (its causation is this message)."""
        if not isinstance(message, Message):
            raise ValidationError("must be a command or event", "message", message)
        self.outbox.append(caused(message, self.cause))

    def schedule(
        self,
        name: str,
        message: Message,
        *,
        at: datetime | None = None,
        after: timedelta | None = None,
    ) -> Deadline:
        """Deliver `message` to this instance at `at`, or `after` from now.

        A deadline of the same name that is still active is replaced (cancelled).
        """
        if (at is None) == (after is None):
            raise ValidationError("give exactly one of at= and after=", "at", at)
        if at is not None:
            due = require_aware(at, "at")
        elif isinstance(after, timedelta):
            due = self._clock.now() + after
        else:
            raise ValidationError("must be a timedelta", "after", after)
        if not isinstance(message, Message):
            raise ValidationError("must be a command or event", "message", message)
        self.cancel(name)
        deadline = Deadline(
            owner_type=self.process_type,
            owner_id=self.process_id,
            name=name,
            due_at=due,
            message=caused(message, self.cause),
        )
        self.to_schedule.append(deadline)
        self._deadlines[name] = deadline.deadline_id
        return deadline

    def cancel(self, name: str) -> bool:
        """Cancel the active deadline `name`; False if there is none."""
        deadline_id = self._deadlines.pop(name, None)
        if deadline_id is None:
            return False
        unsent = [d for d in self.to_schedule if d.deadline_id != deadline_id]
        if len(unsent) == len(self.to_schedule):
            self.to_cancel.append(deadline_id)
        self.to_schedule = unsent
        return True

    def complete(self) -> None:
        """End the process: its deadlines are cancelled and later messages are ignored."""
        for name in list(self._deadlines):
            self.cancel(name)
        self.completed = True

    def forget(self, name: str) -> None:
        """Drop the deadline `name` from the active ones: it has just fired."""
        self._deadlines.pop(name, None)


__all__ = ["ProcessContext", "caused"]
