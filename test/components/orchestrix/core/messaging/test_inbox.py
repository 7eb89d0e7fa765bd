"""`deduplicated`: a handler wrapped with an inbox runs once per message id."""

from __future__ import annotations

import pytest

from orchestrix.core.messaging.inbox import deduplicated
from orchestrix.core.messaging.message import Event, Message
from orchestrix.infrastructure.memory.inbox import InMemoryInbox


async def test_a_redelivered_message_is_skipped() -> None:
    inbox = InMemoryInbox()
    seen: list[str] = []

    async def on_event(message: Message) -> None:
        seen.append(message.id)

    handler = deduplicated(inbox, "audit", on_event)
    event = Event()
    for _ in range(3):
        await handler(event)  # type: ignore[misc]
    assert seen == [event.id]
    assert handler.__qualname__ == on_event.__qualname__


async def test_a_failure_lets_the_redelivery_run_again_and_plain_functions_work() -> None:
    inbox = InMemoryInbox()
    attempts: list[str] = []

    def flaky(message: Message) -> None:
        attempts.append(message.id)
        if len(attempts) == 1:
            raise RuntimeError("first try fails")

    handler = deduplicated(inbox, "audit", flaky)
    event = Event()
    with pytest.raises(RuntimeError):
        await handler(event)  # type: ignore[misc]
    await handler(event)  # type: ignore[misc]
    await handler(event)  # type: ignore[misc]
    assert attempts == [event.id, event.id]
