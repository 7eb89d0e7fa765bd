"""Validation demo, top to bottom: a command checks its own fields when it is built, the
aggregate checks the rules that need history, and nothing invalid is ever written.

Run it with `python -m orchestrix.validation_demo`.
"""

from __future__ import annotations

import argparse
import reprlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from orchestrix.core.common.exceptions import HandlerError
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.memory.store import InMemoryEventStore
from orchestrix.validation_demo.handlers import RegistrationModule
from orchestrix.validation_demo.models import RegisterAttendee

CONFERENCE = "PYCON-42"
VALID_FORM: dict[str, Any] = {
    "conference_id": CONFERENCE,
    "name": "Ada Lovelace",
    "email": "ada@example.org",
    "age": 36,
    "ticket": "standard",
}
# Web forms with one bad field each, as a browser or an API client might send them.
BAD_FIELDS: list[dict[str, Any]] = [
    {"name": "   "},
    {"name": "Augusta Ada King, Countess of Lovelace, née Byron"},
    {"email": "ada-at-home"},
    {"age": 12},
    {"age": "thirty-six"},
    {"ticket": "vip"},
    {"donation": Decimal("-5")},
]
_short = reprlib.Repr(maxstring=24, maxother=24).repr


@dataclass(frozen=True)
class Outcome:
    """What the demo ends with: every error it showed, and what the store holds."""

    refused: list[ValidationError]
    duplicate: BaseException | None
    stored: list[Event]


def run() -> Outcome:
    """Play the demo; returns the errors and the stored events."""
    print("Validation demo: bad input gets a typed error naming the field and the value.\n")
    store = InMemoryEventStore()
    bus = InMemoryMessageBus()
    RegistrationModule().register(bus, store)

    # 1. A valid registration goes through the bus to the conference's stream.
    bus.publish(RegisterAttendee(**VALID_FORM))
    print(f"Registered {VALID_FORM['name']} <{VALID_FORM['email']}> for {CONFERENCE}.")

    # 2. A command validates itself when built: an invalid one never exists, so it never
    #    reaches the bus, a handler or the store.
    print(f"\n{len(BAD_FIELDS)} forms with one bad field each, refused as the command is built:")
    print(f"  {'field':<9} {'value':<28} message")
    refused: list[ValidationError] = []
    for bad in BAD_FIELDS:
        try:
            RegisterAttendee(**{**VALID_FORM, **bad})
        except ValidationError as error:
            refused.append(error)
            print(f"  {error.field:<9} {_short(error.value):<28} {error.message}")
    age = refused[3]
    print("The error's text, as it reaches a log or an HTTP response, and its attributes:")
    print(f"  {age}")
    print(f"  field={age.field!r} value={age.value!r} message={age.message!r}")

    # 3. A rule that needs history is the aggregate's; the bus reports it as a HandlerError
    #    naming the handler (by its `__name__`), with the aggregate's error inside.
    print("\nRegistering ADA@example.org again is a rule only the conference's history knows:")
    duplicate: BaseException | None = None
    try:
        bus.publish(RegisterAttendee(**{**VALID_FORM, "email": "ADA@example.org"}))
    except HandlerError as error:
        duplicate = error.original_error
        print(f"  the bus raised HandlerError: handler {error.handler_name!r} failed")
        print(f"  its original error: {duplicate}")

    # 4. Nothing invalid was written.
    stored = store.load(CONFERENCE)
    print(f"\nThe store holds {len(stored)} event for {CONFERENCE}: the valid registration.")
    return Outcome(refused, duplicate, stored)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    run()


if __name__ == "__main__":
    main()
