"""Command handlers for the club, and the event handlers that turn its events into e-mails.

Commands and events travel on two buses on purpose. A refused command must reach its caller at
once, so the command bus neither retries nor parks anything. A notification that fails is no
reason to undo a membership, so the event bus retries failed handlers and parks the ones that
still fail in a dead-letter queue, to be replayed later.
"""

from __future__ import annotations

from collections.abc import Iterable

from orchestrix.core.common.exceptions import AggregateNotFoundError
from orchestrix.core.common.retry import RetryPolicy, retry_sync
from orchestrix.core.eventsourcing.aggregate import AggregateRepository
from orchestrix.core.eventsourcing.event_store import EventStore
from orchestrix.core.messaging.dead_letter_queue import DeadLetteredMessage, DeadLetterQueue
from orchestrix.core.messaging.message import Event
from orchestrix.core.messaging.message_bus import MessageBus
from orchestrix.notifications_demo.aggregate import Member
from orchestrix.notifications_demo.mail import MailServer
from orchestrix.notifications_demo.models import (
    ChangeEmail,
    EmailChanged,
    JoinClub,
    MemberJoined,
    MembershipRenewed,
    Notification,
    RenewMembership,
)


class MembershipHandler:
    """Loads the member, lets it decide, saves its events, then publishes them as news."""

    def __init__(self, events: MessageBus, store: EventStore) -> None:
        self.events = events
        self.repository = AggregateRepository[Member](event_store=store)

    def join(self, command: JoinClub) -> None:
        try:
            member = self.repository.load(Member, command.member_id)
        except AggregateNotFoundError:
            member = Member(aggregate_id=command.member_id)
        member.join(command)
        self._commit(member)

    def renew(self, command: RenewMembership) -> None:
        member = self.repository.load(Member, command.member_id)
        member.renew(command)
        self._commit(member)

    def change_email(self, command: ChangeEmail) -> None:
        member = self.repository.load(Member, command.member_id)
        member.change_email(command)
        self._commit(member)

    def _commit(self, member: Member) -> None:
        news = list(member.uncommitted_events)
        self.repository.save(member)
        for event in news:
            self.events.publish(event)


class MembershipModule:
    """Satisfies the Module protocol; the events go to `events`, the bus of the news."""

    def __init__(self, events: MessageBus) -> None:
        self.events = events

    def register(self, bus: MessageBus, store: EventStore) -> None:
        handler = MembershipHandler(self.events, store)
        bus.subscribe(JoinClub, handler.join)
        bus.subscribe(RenewMembership, handler.renew)
        bus.subscribe(ChangeEmail, handler.change_email)


class MemberDirectory:
    """A read model: each member's name and current e-mail address, kept by the events."""

    def __init__(self) -> None:
        self.members: dict[str, tuple[str, str]] = {}

    def register(self, events: MessageBus) -> None:
        events.subscribe(MemberJoined, self.on_joined)
        events.subscribe(EmailChanged, self.on_email_changed)

    def on_joined(self, event: MemberJoined) -> None:
        self.members[event.member_id] = (event.name, event.email)

    def on_email_changed(self, event: EmailChanged) -> None:
        name, _ = self.members[event.member_id]
        self.members[event.member_id] = (name, event.new_email)


class Notifier:
    """One event handler for every event worth an e-mail; subscribe it after the directory."""

    def __init__(self, mail: MailServer, directory: MemberDirectory) -> None:
        self.mail = mail
        self.directory = directory

    def register(self, events: MessageBus) -> None:
        for event_type in (MemberJoined, MembershipRenewed, EmailChanged):
            events.subscribe(event_type, self.notify)

    def notify(self, event: Event) -> None:
        """Compose the e-mail `event` deserves and send it; a failure propagates to the bus."""
        self.mail.send(self.compose(event))

    def compose(self, event: Event) -> Notification:
        match event:
            case MemberJoined(name=name, email=email):
                return Notification(event.id, email, f"Welcome to the club, {name}!")
            case MembershipRenewed(member_id=member_id, months=months):
                _, email = self.directory.members[member_id]
                return Notification(event.id, email, f"Renewed for {months} months, thank you")
            case EmailChanged(new_email=new_email):
                return Notification(event.id, new_email, "Your club address has changed")
        raise TypeError(f"No notification for {event.type}")


def replay_dead_letters(
    parked: Iterable[DeadLetteredMessage],
    notifier: Notifier,
    policy: RetryPolicy,
    dead_letters: DeadLetterQueue,
) -> int:
    """Deliver each parked event again, to the notifier only, retrying as `policy` allows.

    Only the handler that failed gets the event again: republishing it would run every
    subscriber twice (the directory, here). What still fails goes back to the queue. Returns
    how many were delivered.
    """
    delivered = 0
    for entry in parked:
        attempts = 0

        def attempt(event: Event) -> None:
            nonlocal attempts
            attempts += 1
            notifier.notify(event)

        try:
            retry_sync(attempt, entry.message, policy=policy)
        except Exception as error:
            dead_letters.enqueue(
                DeadLetteredMessage.from_error(
                    entry.message,
                    error,
                    reason=entry.reason,
                    failure_count=entry.failure_count + attempts,
                    handler_name=notifier.notify.__name__,  # as the bus names it
                )
            )
        else:
            delivered += 1
    return delivered
