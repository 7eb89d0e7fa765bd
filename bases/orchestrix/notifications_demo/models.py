"""Commands and events of a members' club, and the e-mail a notification becomes."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrix.core.common.validation import validate_in_range, validate_not_empty
from orchestrix.core.messaging.message import Command, Event


@dataclass(frozen=True, kw_only=True)
class JoinClub(Command):
    member_id: str
    name: str
    email: str

    def __post_init__(self) -> None:
        validate_not_empty(self.member_id, "member_id")
        validate_not_empty(self.name, "name")
        validate_not_empty(self.email, "email")


@dataclass(frozen=True, kw_only=True)
class RenewMembership(Command):
    member_id: str
    months: int

    def __post_init__(self) -> None:
        validate_in_range(self.months, 1, 36, "months")


@dataclass(frozen=True, kw_only=True)
class ChangeEmail(Command):
    member_id: str
    new_email: str

    def __post_init__(self) -> None:
        validate_not_empty(self.new_email, "new_email")


@dataclass(frozen=True, kw_only=True)
class MemberJoined(Event):
    member_id: str
    name: str
    email: str


@dataclass(frozen=True, kw_only=True)
class MembershipRenewed(Event):
    member_id: str
    months: int


@dataclass(frozen=True, kw_only=True)
class EmailChanged(Event):
    member_id: str
    old_email: str
    new_email: str


@dataclass(frozen=True)
class Notification:
    """One e-mail. `key` is the id of the event it tells about: the same event, the same mail."""

    key: str
    to: str
    subject: str
