"""Three shapes of one event, as three releases of a newsletter wrote it.

All three share the type name `SubscriberAdded`; the schema version tells them apart, so events
stored by an old release still decode into the class that release used. Only the newest class
keeps the plain name: it is the one today's code works with.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrix.core.messaging.message import Event


@dataclass(frozen=True, kw_only=True)
class SubscriberAddedV1(Event, type_name="SubscriberAdded", schema_version=1):
    """Release 1: one field for the whole name."""

    name: str
    email: str


@dataclass(frozen=True, kw_only=True)
class SubscriberAddedV2(Event, type_name="SubscriberAdded", schema_version=2):
    """Release 2: the name split, to greet subscribers by their first name."""

    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True, kw_only=True)
class SubscriberAdded(Event, schema_version=3):
    """Release 3, today: each subscriber's language, to send the right edition."""

    first_name: str
    last_name: str
    email: str
    language: str
