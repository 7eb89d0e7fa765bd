"""The conference: rules that need what happened before, checked by the aggregate."""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.aggregate import AggregateRoot
from orchestrix.validation_demo.models import AttendeeRegistered, RegisterAttendee


@dataclass
class Conference(AggregateRoot):
    emails: set[str] = field(default_factory=set)

    def register(self, command: RegisterAttendee) -> None:
        email = command.email.lower()
        if email in self.emails:  # a command cannot know this: only the history can
            raise ValidationError("email is already registered", "email", command.email)
        self._apply_event(
            AttendeeRegistered.caused_by(
                command,
                conference_id=self.aggregate_id,
                name=command.name,
                email=email,
                ticket=command.ticket,
                donation=command.donation,
            )
        )

    def _when_attendee_registered(self, event: AttendeeRegistered) -> None:
        self.emails.add(event.email)
