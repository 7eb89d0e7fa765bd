"""The membership command handlers, the notifier and the replay of dead letters."""

from __future__ import annotations

import pytest

from orchestrix.core.common.exceptions import AggregateNotFoundError, HandlerError
from orchestrix.core.common.retry import FixedDelay, NoRetry
from orchestrix.core.eventsourcing.event_store import EventStore
from orchestrix.core.messaging.dead_letter_queue import (
    DeadLetteredMessage,
    DeadLetterReason,
    InMemoryDeadLetterQueue,
)
from orchestrix.core.messaging.message_bus import MessageBus
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.notifications_demo.aggregate import MembershipError
from orchestrix.notifications_demo.handlers import (
    MemberDirectory,
    MembershipModule,
    Notifier,
    replay_dead_letters,
)
from orchestrix.notifications_demo.mail import (
    FlakyMailServer,
    GreylistedError,
    ServerUnreachableError,
)
from orchestrix.notifications_demo.models import (
    ChangeEmail,
    EmailChanged,
    JoinClub,
    MemberJoined,
    MembershipRenewed,
    Notification,
    RenewMembership,
)
from orchestrix.testing import HandlerScenario

JOINED = MemberJoined(member_id="M-1", name="Ada", email="ada@example.org")


def one_bus(bus: MessageBus, store: EventStore) -> None:
    """Commands and news on the scenario's one bus, so it sees what is published."""
    MembershipModule(events=bus).register(bus, store)


def test_joining_stores_and_announces_the_member() -> None:
    scenario = HandlerScenario(one_bus).when(
        JoinClub(member_id="M-1", name="Ada", email="ada@example.org")
    )
    (stored,) = scenario.then(JOINED)
    scenario.then_published(JOINED)
    assert stored.causation_id is not None


def test_commands_on_other_members_leave_the_stream_alone() -> None:
    HandlerScenario(one_bus).given("M-1", JOINED).when(
        RenewMembership(member_id="M-1", months=12)
    ).then(MembershipRenewed(member_id="M-1", months=12))
    HandlerScenario(one_bus).given("M-1", JOINED).when(
        ChangeEmail(member_id="M-1", new_email="ada@lovelace.example")
    ).then_published(
        EmailChanged(member_id="M-1", old_email="ada@example.org", new_email="ada@lovelace.example")
    )


def test_refused_commands_reach_the_caller() -> None:
    HandlerScenario(one_bus).given("M-1", JOINED).when(
        JoinClub(member_id="M-1", name="Ada", email="ada@example.org")
    ).then_raises(MembershipError, match="already a member")
    HandlerScenario(one_bus).when(RenewMembership(member_id="M-9", months=1)).then_raises(
        AggregateNotFoundError, match="M-9"
    )


def wired(mail: FlakyMailServer) -> tuple[Notifier, InMemoryMessageBus]:
    bus = InMemoryMessageBus()
    directory = MemberDirectory()
    notifier = Notifier(mail, directory)
    directory.register(bus)
    notifier.register(bus)
    return notifier, bus


def test_the_notifier_writes_to_the_current_address() -> None:
    lines: list[str] = []
    mail = FlakyMailServer(say=lines.append)
    notifier, bus = wired(mail)
    with pytest.raises(HandlerError, match=r"^Handler 'notify' failed .*: greylisted"):
        bus.publish(JOINED)  # this bus does not retry; the directory ran first all the same
    notifier.notify(JOINED)
    assert mail.delivered == [
        Notification(JOINED.id, "ada@example.org", "Welcome to the club, Ada!")
    ]
    assert lines[0].endswith("greylisted") and lines[1].endswith("delivered")
    assert mail.attempts == {JOINED.id: 2}

    renewed = MembershipRenewed(member_id="M-1", months=3)
    assert notifier.compose(renewed) == Notification(
        renewed.id, "ada@example.org", "Renewed for 3 months, thank you"
    )
    changed = EmailChanged(member_id="M-1", old_email="ada@example.org", new_email="a@l.example")
    with pytest.raises(HandlerError):
        bus.publish(changed)
    assert notifier.compose(renewed).to == "a@l.example"


def test_the_server_refuses_first_attempts_and_everything_while_down() -> None:
    mail = FlakyMailServer(say=lambda line: None)
    first = Notification("k-1", "a@example.org", "hello")
    with pytest.raises(GreylistedError):
        mail.send(first)
    mail.go_down()
    with pytest.raises(ServerUnreachableError):
        mail.send(first)
    mail.come_back()
    mail.send(first)
    assert mail.delivered == [first]


def parked(message: MemberJoined, failure_count: int) -> DeadLetteredMessage:
    return DeadLetteredMessage.from_error(
        message,
        ServerUnreachableError("connection refused"),
        reason=DeadLetterReason.RETRIES_EXHAUSTED,
        failure_count=failure_count,
        handler_name="notify",
    )


def test_replay_delivers_to_the_notifier_only_and_reparks_what_still_fails() -> None:
    mail = FlakyMailServer(say=lambda line: None)
    notifier, _ = wired(mail)
    grace = MemberJoined(member_id="M-2", name="Grace", email="grace@example.org")
    queue = InMemoryDeadLetterQueue()

    mail.go_down()
    assert replay_dead_letters([parked(grace, 4)], notifier, FixedDelay(2, 0), queue) == 0
    (again,) = queue.dequeue_all()
    assert (again.message, again.failure_count, again.reason) == (grace, 7, "retries_exhausted")
    assert again.handler_name == "notify"
    assert again.error_type == "ServerUnreachableError"

    mail.come_back()
    assert replay_dead_letters([again], notifier, NoRetry(), queue) == 0  # greylisted once
    assert replay_dead_letters(queue.dequeue_all(), notifier, NoRetry(), queue) == 1
    assert queue.count() == 0
    assert [n.to for n in mail.delivered] == ["grace@example.org"]
