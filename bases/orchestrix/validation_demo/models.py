"""A conference registration: the command checks its own fields the moment it is built."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orchestrix.core.common.validation import (
    ValidationError,
    validate_in_range,
    validate_max_length,
    validate_non_negative,
    validate_not_empty,
    validate_one_of,
)
from orchestrix.core.messaging.message import Command, Event

TICKETS = ("standard", "student", "speaker")


def validate_email(value: object, field: str) -> None:
    """A rule of our own, raising the same error, worded as the built-in ones."""
    validate_not_empty(value, field)
    if not isinstance(value, str) or "@" not in value.strip("@"):
        raise ValidationError(f"{field} must be an e-mail address", field, value)


@dataclass(frozen=True, kw_only=True)
class RegisterAttendee(Command):
    conference_id: str
    name: str
    email: str
    age: int
    ticket: str
    donation: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        validate_not_empty(self.name, "name")
        validate_max_length(self.name, 40, "name")
        validate_email(self.email, "email")
        validate_in_range(self.age, 16, 120, "age")
        validate_one_of(self.ticket, TICKETS, "ticket")
        validate_non_negative(self.donation, "donation")


@dataclass(frozen=True, kw_only=True)
class AttendeeRegistered(Event):
    conference_id: str
    name: str
    email: str
    ticket: str
    donation: Decimal
