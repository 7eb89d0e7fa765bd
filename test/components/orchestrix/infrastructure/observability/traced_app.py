"""A small application for the runner's tests: one command, one event, one log line each."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from orchestrix.core.messaging.message import Command, Event
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.memory.store import InMemoryEventStore


@dataclass(frozen=True, kw_only=True)
class Ring(Command, type_name="traced_app.Ring"):
    bell: str


@dataclass(frozen=True, kw_only=True)
class Rung(Event, type_name="traced_app.Rung"):
    bell: str


def main() -> None:
    bus, store = InMemoryMessageBus(), InMemoryEventStore()

    def ring(command: Ring) -> None:
        logging.getLogger("traced_app").info("ringing %s", command.bell)
        event = Rung.caused_by(command, bell=command.bell)
        store.save(command.bell, [event], expected_version=0)
        bus.publish(event)

    bus.subscribe(Ring, ring)
    bus.subscribe(Rung, lambda event: None)
    for bell in sys.argv[1:]:
        bus.publish(Ring(bell=bell))


if __name__ == "__main__":
    main()
