"""The registration handler and the module that wires it."""

from __future__ import annotations

from orchestrix.core.common.exceptions import AggregateNotFoundError
from orchestrix.core.eventsourcing.aggregate import AggregateRepository
from orchestrix.core.eventsourcing.event_store import EventStore
from orchestrix.core.messaging.message_bus import MessageBus
from orchestrix.validation_demo.aggregate import Conference
from orchestrix.validation_demo.models import RegisterAttendee


class RegistrationHandler:
    """Loads the conference (a new one for its first attendee), lets it decide, saves."""

    def __init__(self, store: EventStore) -> None:
        self.repository = AggregateRepository[Conference](event_store=store)

    def register_attendee(self, command: RegisterAttendee) -> None:
        try:
            conference = self.repository.load(Conference, command.conference_id)
        except AggregateNotFoundError:
            conference = Conference(aggregate_id=command.conference_id)
        conference.register(command)
        self.repository.save(conference)


class RegistrationModule:
    """Satisfies the Module protocol."""

    def register(self, bus: MessageBus, store: EventStore) -> None:
        bus.subscribe(RegisterAttendee, RegistrationHandler(store).register_attendee)
