"""What a consumer does with one delivery: decode, handle, then ack, retry or dead-letter.

A body that cannot be rebuilt into a message (not JSON, not CloudEvents, an unknown type,
fields that do not fit the class) is dead-lettered at once with the reason: retrying cannot
fix it, and it must not stop the queue. A handler that fails is retried after the retry
policy's delay (a copy with `x-retry-count` + 1 goes to the queue's retry queue and the
original is acked); once the policy (or the message's `x-max-retries`) says no more, the
message is dead-lettered with the error. Settling never raises: if the broker is gone, the
unacked delivery comes back after the reconnect, and the inbox absorbs the repeat.

The handlers run in the trace whose context the message's headers carry (`continue_trace`),
so what they publish continues it, observed or not; observed, `_consume` is twinned with
the `rabbitmq.consume` span (see `observation`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from orchestrix.core.common.exceptions import EventDecodingError
from orchestrix.core.common.logging import get_logger
from orchestrix.core.common.propagation import continue_trace
from orchestrix.core.common.retry import RetryPolicy
from orchestrix.core.messaging.dead_letter_queue import DeadLetterReason
from orchestrix.core.messaging.message import Message
from orchestrix.infrastructure.rabbitmq import _headers as h
from orchestrix.infrastructure.rabbitmq.envelope import UnknownMessageTypeError, decode
from orchestrix.infrastructure.rabbitmq.observation import observed_deliveries
from orchestrix.infrastructure.rabbitmq.publisher import Publisher
from orchestrix.infrastructure.rabbitmq.subscriptions import Route
from orchestrix.infrastructure.rabbitmq.topology import Topology

_logger = get_logger(__name__)

MALFORMED_MESSAGE = "malformed_message"
"""The body is not a CloudEvents message this library can read, or its fields do not fit."""
UNKNOWN_MESSAGE_TYPE = "unknown_message_type"
"""No class in the consuming process is registered for the message's type."""


@dataclass(frozen=True, slots=True)
class Consumed:
    """What became of one delivery: the message, if it could be rebuilt, and what failed."""

    message: Message | None
    error: Exception | None = None


@observed_deliveries
class Deliveries:
    """Handles the deliveries of a bus's queues with its retry policy and publisher."""

    def __init__(self, topology: Topology, publisher: Publisher, retry_policy: RetryPolicy) -> None:
        self.topology = topology
        self.publisher = publisher
        self.retry_policy = retry_policy

    async def handle(self, route: Route, incoming: AbstractIncomingMessage) -> None:
        """Run the route's handlers on one delivery, in the trace its headers carry, and
        settle it; never raises."""
        with continue_trace(incoming.headers or {}):
            await self._consume(route, incoming)

    async def _consume(self, route: Route, incoming: AbstractIncomingMessage) -> Consumed:
        try:
            message = decode(incoming.body)
        except UnknownMessageTypeError as error:
            await self._dead_letter(route, incoming, UNKNOWN_MESSAGE_TYPE, error)
            return Consumed(None, error)
        except EventDecodingError as error:
            await self._dead_letter(route, incoming, MALFORMED_MESSAGE, error)
            return Consumed(None, error)
        try:
            for handler in route.handlers_for(message):
                result = handler(message)
                if result is not None:
                    await result
        except Exception as error:
            await self._failed(route, incoming, message, error)
            return Consumed(message, error)
        await _settle(incoming.ack)
        return Consumed(message)

    async def _failed(
        self, route: Route, incoming: AbstractIncomingMessage, message: Message, error: Exception
    ) -> None:
        retries = h.retries_so_far(incoming.headers, route.queue)
        attempt = retries + 1  # the attempt that just failed, as retry policies count
        limit = h.max_retries(incoming.headers)  # the message's own limit wins
        policy = self.retry_policy
        may_retry = policy.should_retry(attempt) if limit is None else retries < limit
        if may_retry:
            delay = max(0.0, policy.get_delay(attempt))
            _logger.warning(
                "Handler of %s failed on %s %s (retry %d in %.3fs): %r",
                route.queue,
                message.type,
                message.id,
                attempt,
                delay,
                error,
            )
            headers = {**self._origin(incoming), h.RETRY_COUNT: attempt}
            copy = copy_of(incoming, headers, expiration=delay)
            await self._publish_then_ack(incoming, "", self.topology.retry_queue(route.queue), copy)
            return
        reason = DeadLetterReason.RETRIES_EXHAUSTED if retries else DeadLetterReason.HANDLER_FAILED
        await self._dead_letter(route, incoming, reason, error)

    async def _dead_letter(
        self, route: Route, incoming: AbstractIncomingMessage, reason: str, error: Exception
    ) -> None:
        retries = h.retries_so_far(incoming.headers, route.queue)
        _logger.error(
            "Dead-lettering %s from %s after %d attempt(s): %s: %r",
            incoming.message_id,
            route.queue,
            retries + 1,
            reason,
            error,
        )
        origin = self._origin(incoming)
        headers = {
            **origin,
            h.REASON: str(reason),
            h.ERROR: f"{type(error).__name__}: {error}"[: h.MAX_ERROR_TEXT],
            h.QUEUE: route.queue,
            h.FAILURE_COUNT: retries + 1,
            h.DEAD_LETTERED_AT: datetime.now(UTC).isoformat(),
        }
        copy = copy_of(incoming, headers)
        routing_key = str(origin[h.ORIGINAL_ROUTING_KEY] or route.queue)
        await self._publish_then_ack(incoming, self.topology.deadletter, routing_key, copy)

    @staticmethod
    def _origin(incoming: AbstractIncomingMessage) -> dict[str, Any]:
        """The headers plus where the message was first published (kept across retries)."""
        headers = dict(incoming.headers or {})
        if incoming.exchange:  # a first delivery; retries come back by the default exchange
            headers[h.ORIGINAL_EXCHANGE] = incoming.exchange
            headers[h.ORIGINAL_ROUTING_KEY] = incoming.routing_key
        headers.setdefault(h.ORIGINAL_EXCHANGE, "")
        headers.setdefault(h.ORIGINAL_ROUTING_KEY, "")
        return headers

    async def _publish_then_ack(
        self,
        incoming: AbstractIncomingMessage,
        exchange: str,
        routing_key: str,
        copy: aio_pika.Message,
    ) -> None:
        try:
            await self.publisher.send(exchange, routing_key, copy)
        except Exception as error:
            # Not moved: hand it back to the queue rather than lose it or hold it forever.
            _logger.error("Could not move %s to %r: %r", incoming.message_id, routing_key, error)
            await _settle(lambda: incoming.nack(requeue=True))
            return
        await _settle(incoming.ack)


def copy_of(
    incoming: AbstractIncomingMessage, headers: dict[str, Any], expiration: float | None = None
) -> aio_pika.Message:
    """A persistent copy of a delivery with other headers (and an expiry, in seconds)."""
    return aio_pika.Message(
        incoming.body,
        headers=headers,
        content_type=incoming.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=incoming.message_id,
        correlation_id=incoming.correlation_id,
        timestamp=incoming.timestamp,
        type=incoming.type,
        app_id=incoming.app_id,
        expiration=expiration,
    )


async def _settle(settle: Callable[[], Awaitable[None]]) -> None:
    try:
        await settle()
    except Exception as error:  # the channel closed: the broker redelivers after reconnect
        _logger.warning("Could not settle a delivery (it will be redelivered): %r", error)


__all__ = ["MALFORMED_MESSAGE", "UNKNOWN_MESSAGE_TYPE", "Consumed", "Deliveries", "copy_of"]
