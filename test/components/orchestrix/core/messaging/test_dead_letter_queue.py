"""Dead-lettered deliveries and the in-memory dead-letter queue."""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from orchestrix.core.messaging.dead_letter_queue import (
    DeadLetteredMessage,
    DeadLetterQueue,
    DeadLetterReason,
    InMemoryDeadLetterQueue,
)
from orchestrix.core.messaging.message import Event


class PaymentFailed(Event, type_name="test_dead_letter_queue.PaymentFailed"):
    pass


def entry(
    message: Event | None = None, reason: str = DeadLetterReason.HANDLER_FAILED
) -> DeadLetteredMessage:
    return DeadLetteredMessage.from_error(
        message or PaymentFailed(),
        ValueError("card declined"),
        reason=reason,
        failure_count=1,
        handler_name="charge",
    )


# DeadLetteredMessage (reference §1.4)


def test_an_entry_takes_message_reason_and_failure_count_positionally() -> None:
    before = datetime.now(UTC)
    message = PaymentFailed()

    dead = DeadLetteredMessage(message, "Handler failed", 3)

    assert (dead.message, dead.reason, dead.failure_count) == (message, "Handler failed", 3)
    assert dead.timestamp.tzinfo is UTC
    assert before <= dead.timestamp <= datetime.now(UTC)
    assert (dead.handler_name, dead.error_type, dead.error_message) == (None, None, None)


def test_an_entry_takes_a_timestamp_fourth() -> None:
    moment = datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=2)))

    assert DeadLetteredMessage(PaymentFailed(), "r", 0, moment).timestamp == moment


def test_field_order_is_the_releases() -> None:
    names = [field.name for field in dataclasses.fields(DeadLetteredMessage)]

    assert names[:4] == ["message", "reason", "failure_count", "timestamp"]


def test_an_entry_keeps_the_error_as_plain_data() -> None:
    message = PaymentFailed()
    dead = DeadLetteredMessage.from_error(
        message,
        KeyError("account"),
        reason=DeadLetterReason.RETRIES_EXHAUSTED,
        failure_count=4,
        handler_name="charge",
    )
    assert dead.message is message
    assert (dead.reason, dead.failure_count, dead.handler_name) == (
        "retries_exhausted",
        4,
        "charge",
    )
    assert (dead.error_type, dead.error_message) == ("KeyError", "'account'")


@pytest.mark.parametrize("name", ["message", "reason", "failure_count", "timestamp"])
def test_an_entry_is_immutable(name: str) -> None:
    with pytest.raises(AttributeError):
        setattr(entry(), name, None)


# DeadLetterQueue: a real ABC (defect #16)


def test_the_queue_base_is_abstract() -> None:
    with pytest.raises(TypeError):
        DeadLetterQueue()  # type: ignore[abstract]


def test_a_queue_must_implement_all_four_methods() -> None:
    class Partial(DeadLetterQueue):
        def enqueue(self, dead_lettered: DeadLetteredMessage) -> None:
            pass

    with pytest.raises(TypeError):
        Partial()  # type: ignore[abstract]

    class Complete(Partial):
        def dequeue_all(self) -> list[DeadLetteredMessage]:
            return []

        def clear(self) -> None:
            pass

        def count(self) -> int:
            return 0

    assert isinstance(Complete(), DeadLetterQueue)
    assert isinstance(InMemoryDeadLetterQueue(), DeadLetterQueue)


# InMemoryDeadLetterQueue


def test_the_queue_counts_and_hands_out_entries_oldest_first() -> None:
    queue = InMemoryDeadLetterQueue()
    entries = [entry() for _ in range(3)]
    for dead in entries:
        queue.enqueue(dead)
    assert queue.count() == 3
    assert queue.dequeue_all() == entries
    assert queue.count() == 0
    assert queue.dequeue_all() == []


def test_duplicates_are_kept() -> None:
    queue = InMemoryDeadLetterQueue()
    dead = entry()
    queue.enqueue(dead)
    queue.enqueue(dead)
    queue.enqueue(entry(dead.message))
    assert queue.count() == 3


def test_dequeue_all_returns_a_new_list() -> None:
    queue = InMemoryDeadLetterQueue()
    queue.enqueue(entry())
    taken = queue.dequeue_all()
    taken.clear()
    queue.enqueue(entry())
    assert len(queue.dequeue_all()) == 1


def test_peek_all_shows_entries_without_taking_them() -> None:
    queue = InMemoryDeadLetterQueue()
    entries = [entry(), entry()]
    for dead in entries:
        queue.enqueue(dead)
    seen = queue.peek_all()
    seen.clear()
    assert queue.peek_all() == entries
    assert queue.count() == 2


def test_clear_discards_everything_and_is_fine_when_empty() -> None:
    queue = InMemoryDeadLetterQueue()
    queue.clear()
    queue.enqueue(entry())
    queue.enqueue(entry())
    queue.clear()
    assert queue.count() == 0
    assert queue.dequeue_all() == []


def test_entries_are_found_by_message_id_and_by_reason() -> None:
    queue = InMemoryDeadLetterQueue()
    message = PaymentFailed()
    first = entry(message)
    other = entry(reason=DeadLetterReason.RETRIES_EXHAUSTED)
    second = entry(message, reason=DeadLetterReason.RETRIES_EXHAUSTED)
    for dead in (first, other, second):
        queue.enqueue(dead)
    assert queue.get_by_message_id(message.id) is first
    assert queue.get_by_message_id("unknown") is None
    assert queue.get_by_reason("retries_exhausted") == [other, second]
    assert queue.get_by_reason(DeadLetterReason.HANDLER_FAILED) == [first]
    assert queue.get_by_reason("RETRIES_EXHAUSTED") == []
    assert queue.get_by_reason("nothing") == []
    assert queue.count() == 3  # looking does not take anything out


def test_only_dead_lettered_messages_can_be_enqueued() -> None:
    queue = InMemoryDeadLetterQueue()
    with pytest.raises(TypeError, match="DeadLetteredMessage"):
        queue.enqueue(PaymentFailed())  # type: ignore[arg-type]
    assert queue.count() == 0


@pytest.fixture
def fast_thread_switching() -> Iterator[None]:
    """Switch threads as often as possible, so that a missing lock shows up as lost entries."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


@pytest.mark.usefixtures("fast_thread_switching")
def test_the_queue_loses_nothing_under_concurrent_writers_and_readers() -> None:
    queue = InMemoryDeadLetterQueue()
    taken: list[DeadLetteredMessage] = []
    writers, per_writer = 8, 500
    start = threading.Barrier(writers + 1)

    def write() -> None:
        start.wait()
        for _ in range(per_writer):
            queue.enqueue(entry())

    def read() -> None:
        start.wait()
        deadline = time.monotonic() + 30
        while len(taken) < writers * per_writer and time.monotonic() < deadline:
            taken.extend(queue.dequeue_all())

    threads = [threading.Thread(target=write) for _ in range(writers)]
    threads.append(threading.Thread(target=read))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(taken) == writers * per_writer
    assert len({id(dead) for dead in taken}) == writers * per_writer
    assert queue.count() == 0
