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
        attempts=1,
        handler_name="charge",
    )


def test_an_entry_keeps_the_error_as_plain_data_and_an_aware_utc_time() -> None:
    before = datetime.now(UTC)
    message = PaymentFailed()
    dead = DeadLetteredMessage.from_error(
        message,
        KeyError("account"),
        reason=DeadLetterReason.RETRIES_EXHAUSTED,
        attempts=4,
        handler_name="Billing.charge",
    )
    assert dead.message is message
    assert (dead.reason, dead.attempts, dead.handler_name) == (
        "retries_exhausted",
        4,
        "Billing.charge",
    )
    assert (dead.error_type, dead.error_message) == ("KeyError", "'account'")
    assert dead.dead_lettered_at.tzinfo is UTC
    assert before <= dead.dead_lettered_at <= datetime.now(UTC)


def test_an_entry_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry().attempts = 2  # type: ignore[misc]


@pytest.mark.parametrize("attempts", [0, -1])
def test_an_entry_needs_at_least_one_attempt(attempts: int) -> None:
    with pytest.raises(ValueError, match="attempts"):
        dataclasses.replace(entry(), attempts=attempts)


def test_an_entry_refuses_a_naive_time_but_takes_any_aware_one() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        dataclasses.replace(entry(), dead_lettered_at=datetime(2024, 1, 1))
    later = datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=2)))
    assert dataclasses.replace(entry(), dead_lettered_at=later).dead_lettered_at == later


def test_the_queue_counts_and_hands_out_entries_oldest_first() -> None:
    queue = InMemoryDeadLetterQueue()
    entries = [entry() for _ in range(3)]
    for dead in entries:
        queue.enqueue(dead)
    assert queue.count() == 3
    assert queue.dequeue_all() == entries
    assert queue.count() == 0
    assert queue.dequeue_all() == []


def test_clear_discards_everything() -> None:
    queue = InMemoryDeadLetterQueue()
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
    assert queue.get_by_message_id(message.id) == [first, second]
    assert queue.get_by_message_id("unknown") == []
    assert queue.get_by_reason("retries_exhausted") == [other, second]
    assert queue.get_by_reason(DeadLetterReason.HANDLER_FAILED) == [first]
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
