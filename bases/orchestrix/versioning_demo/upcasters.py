"""One upcaster per step; the registry chains them, so a v1 event reaches v3 through v2.

An upcaster returns the same fact in a newer shape, so it keeps the event's identity and
metadata (id, timestamp, correlation, ...): only the domain fields change.
"""

from __future__ import annotations

from typing import Any

from orchestrix.core.eventsourcing.versioning import EventUpcaster, UpcasterRegistry
from orchestrix.core.messaging.message import Event
from orchestrix.versioning_demo.models import (
    SubscriberAdded,
    SubscriberAddedV1,
    SubscriberAddedV2,
)

_METADATA = (
    "id",
    "source",
    "timestamp",
    "subject",
    "correlation_id",
    "causation_id",
    "trace_id",
    "actor_id",
)


def same_fact(event: Event) -> dict[str, Any]:
    """The metadata an upcast event keeps from the stored one."""
    return {name: getattr(event, name) for name in _METADATA}


class SplitName(EventUpcaster[SubscriberAddedV1, SubscriberAddedV2]):
    """v1 → v2: "Ada Lovelace" becomes first name "Ada", last name "Lovelace"."""

    def __init__(self) -> None:
        super().__init__(source_version=1, target_version=2)

    async def upcast(self, event: SubscriberAddedV1) -> SubscriberAddedV2:
        first_name, _, last_name = event.name.strip().partition(" ")
        return SubscriberAddedV2(
            first_name=first_name, last_name=last_name, email=event.email, **same_fact(event)
        )


class AddLanguage(EventUpcaster[SubscriberAddedV2, SubscriberAdded]):
    """v2 → v3: subscribers from before release 3 all read the English edition."""

    def __init__(self) -> None:
        super().__init__(source_version=2, target_version=3)

    async def upcast(self, event: SubscriberAddedV2) -> SubscriberAdded:
        return SubscriberAdded(
            first_name=event.first_name,
            last_name=event.last_name,
            email=event.email,
            language="en",
            **same_fact(event),
        )


def newsletter_upcasters() -> UpcasterRegistry:
    """The registry today's release opens its store with."""
    registry = UpcasterRegistry()
    registry.register("SubscriberAdded", SplitName())
    registry.register("SubscriberAdded", AddLanguage())
    return registry
