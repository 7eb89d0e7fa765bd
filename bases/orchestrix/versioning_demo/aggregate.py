"""The newsletter aggregate. It knows only today's event shape: upcasting does the rest."""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrix.core.eventsourcing.aggregate import AggregateRoot
from orchestrix.versioning_demo.models import SubscriberAdded


class AlreadySubscribedError(ValueError):
    """An address subscribes once."""


@dataclass
class Newsletter(AggregateRoot):
    subscribers: dict[str, str] = field(default_factory=dict)  # e-mail → "Ada Lovelace (en)"

    def subscribe(self, first_name: str, last_name: str, email: str, language: str) -> None:
        if email in self.subscribers:
            raise AlreadySubscribedError(f"{email} is already subscribed")
        self._apply_event(
            SubscriberAdded(
                first_name=first_name, last_name=last_name, email=email, language=language
            )
        )

    def _when_subscriber_added(self, event: SubscriberAdded) -> None:
        self.subscribers[event.email] = f"{event.first_name} {event.last_name} ({event.language})"
