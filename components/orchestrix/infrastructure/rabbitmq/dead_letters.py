"""The dead-letter queue from code: list (`peek`) what is parked there, re-publish or discard it.

Messages are read with `basic.get` and put back (`nack` with requeue) unless they are being
re-published or discarded, so listing changes nothing. Re-publishing sends a message to the
queue it failed in (by the default exchange), not to its exchange: the other handlers of an
event already handled it. It starts with a fresh retry count, and is acked from the
dead-letter queue only once the broker confirmed the copy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from aio_pika.abc import AbstractIncomingMessage

from orchestrix.infrastructure.rabbitmq import _headers as h
from orchestrix.infrastructure.rabbitmq.bus import RabbitMQMessageBus
from orchestrix.infrastructure.rabbitmq.delivery import copy_of
from orchestrix.infrastructure.rabbitmq.envelope import header_text


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One parked message: what it is, where and why it failed, and its raw body."""

    message_id: str | None
    type: str | None
    reason: str
    error: str | None
    queue: str | None
    failure_count: int | None
    topic: str | None
    dead_lettered_at: str | None
    body: bytes
    headers: dict[str, Any]


def _dead_letter(incoming: AbstractIncomingMessage) -> DeadLetter:
    headers = dict(incoming.headers or {})
    failure_count = headers.get(h.FAILURE_COUNT)
    deaths = headers.get("x-death")
    broker_queue = None
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        broker_queue = header_text(deaths[0], "queue")
    return DeadLetter(
        message_id=incoming.message_id,
        type=incoming.type,
        reason=header_text(headers, h.REASON) or h.broker_reason(headers) or "unknown",
        error=header_text(headers, h.ERROR),
        queue=header_text(headers, h.QUEUE) or broker_queue,
        failure_count=failure_count if type(failure_count) is int else None,
        topic=header_text(headers, h.ORIGINAL_ROUTING_KEY) or incoming.routing_key,
        dead_lettered_at=header_text(headers, h.DEAD_LETTERED_AT),
        body=incoming.body,
        headers=headers,
    )


class DeadLetters:
    """The dead-letter queue of a connected `RabbitMQMessageBus` (same namespace)."""

    def __init__(self, bus: RabbitMQMessageBus) -> None:
        self.bus = bus

    async def peek(self, limit: int = 100) -> list[DeadLetter]:
        """Up to `limit` parked messages, oldest first; the queue is left as it was."""
        return await self._visit(limit, lambda letter: None)

    async def republish(self, message_ids: Collection[str] | None = None, limit: int = 1000) -> int:
        """Send parked messages back to the queues they failed in (all of them, or those
        with these ids, among the first `limit`); returns how many were re-published."""
        return await self._take(message_ids, limit, republish=True)

    async def discard(self, message_ids: Collection[str] | None = None, limit: int = 1000) -> int:
        """Delete parked messages (all, or those with these ids); returns how many."""
        return await self._take(message_ids, limit, republish=False)

    async def _take(self, message_ids: Collection[str] | None, limit: int, republish: bool) -> int:
        chosen = None if message_ids is None else set(message_ids)
        taken: list[DeadLetter] = []

        def pick(letter: DeadLetter) -> str | None:
            if chosen is not None and letter.message_id not in chosen:
                return None
            if republish and not letter.queue:
                return None  # nowhere to send it: leave it parked
            taken.append(letter)
            return "republish" if republish else "discard"

        await self._visit(limit, pick)
        return len(taken)

    async def _visit(
        self, limit: int, decide: Callable[[DeadLetter], str | None]
    ) -> list[DeadLetter]:
        connection = self.bus.publisher.connection
        channel = await connection.channel()
        seen: list[DeadLetter] = []
        held: list[AbstractIncomingMessage] = []
        try:
            queue = await channel.get_queue(self.bus.topology.deadletter, ensure=False)
            while len(seen) < limit:
                incoming = await queue.get(no_ack=False, fail=False)
                if incoming is None:
                    break
                letter = _dead_letter(incoming)
                seen.append(letter)
                action = decide(letter)
                if action == "republish":
                    copy = copy_of(incoming, h.without_delivery_state(letter.headers))
                    await self.bus.publisher.send("", str(letter.queue), copy)
                    await incoming.ack()
                elif action == "discard":
                    await incoming.ack()
                else:
                    held.append(incoming)
            for incoming in held:
                await incoming.nack(requeue=True)
        finally:
            with contextlib.suppress(Exception):
                await channel.close()  # anything still unacked goes back to the queue
        return seen


__all__ = ["DeadLetter", "DeadLetters"]
