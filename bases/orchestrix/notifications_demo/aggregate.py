"""The club member aggregate: the rules of a membership, its state changed only by events."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrix.core.eventsourcing.aggregate import AggregateRoot
from orchestrix.notifications_demo.models import (
    ChangeEmail,
    EmailChanged,
    JoinClub,
    MemberJoined,
    MembershipRenewed,
    RenewMembership,
)


class MembershipError(ValueError):
    """A command the membership's rules refuse."""


@dataclass
class Member(AggregateRoot):
    name: str = ""
    email: str = ""
    months_paid: int = 0

    def join(self, command: JoinClub) -> None:
        if self.name:
            raise MembershipError(f"{self.aggregate_id} is already a member")
        self._apply_event(
            MemberJoined.caused_by(
                command, member_id=command.member_id, name=command.name, email=command.email
            )
        )

    def renew(self, command: RenewMembership) -> None:
        self._require_member()
        self._apply_event(
            MembershipRenewed.caused_by(command, member_id=self.aggregate_id, months=command.months)
        )

    def change_email(self, command: ChangeEmail) -> None:
        self._require_member()
        if command.new_email == self.email:
            return  # nothing changes, so nothing happened
        self._apply_event(
            EmailChanged.caused_by(
                command,
                member_id=self.aggregate_id,
                old_email=self.email,
                new_email=command.new_email,
            )
        )

    def _require_member(self) -> None:
        if not self.name:
            raise MembershipError(f"{self.aggregate_id} is not a member")

    def _when_member_joined(self, event: MemberJoined) -> None:
        self.name = event.name
        self.email = event.email

    def _when_membership_renewed(self, event: MembershipRenewed) -> None:
        self.months_paid += event.months

    def _when_email_changed(self, event: EmailChanged) -> None:
        self.email = event.new_email
