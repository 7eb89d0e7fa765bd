"""What the RabbitMQ bus reports while observability is on; nothing runs here while it is off.

The bus's `publish` opens `command.dispatch` or `event.publish` as the in-memory buses do, and
counts an event as published once the broker confirmed it. Inside, the send is the
`rabbitmq.publish` span (a producer), whose context goes out in the message's headers. A
consumer takes that context as the parent of `rabbitmq.consume` (a consumer span) around one
delivery: decoding, the handlers' `command.handle` / `event.handle` spans, the
acknowledgement or retry. A command counts as handled there, once per delivery, succeeded or
failed. The methods are swapped for these twins by the core's instrumentation switch, so an
unobserved bus runs the plain code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from orchestrix.core.common.instrumentation import (
    Call,
    instrumented,
    instrumented_broker_bus,
    message_attributes,
    probe,
)
from orchestrix.core.common.tracing import AttributeValue, SpanKind
from orchestrix.core.messaging.message import Command, Message
from orchestrix.infrastructure.rabbitmq import _headers as h
from orchestrix.infrastructure.rabbitmq.envelope import header_text

if TYPE_CHECKING:
    from aio_pika.abc import AbstractIncomingMessage

    from orchestrix.infrastructure.rabbitmq.subscriptions import Route

PUBLISH_SPAN = "rabbitmq.publish"
CONSUME_SPAN = "rabbitmq.consume"


class Outcome(Protocol):
    """What `_consume` returns: the message, if it could be rebuilt, and what failed."""

    @property
    def message(self) -> Message | None: ...

    @property
    def error(self) -> Exception | None: ...


def _begin_send(bus: object, message: Message, exchange: str, topic: str, *rest: Any) -> Call:
    attributes: dict[str, AttributeValue] = {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": "publish",
        "messaging.destination.name": exchange,
        "messaging.rabbitmq.destination.routing_key": topic,
        "messaging.message.id": message.id,
    }
    attributes.update(message_attributes(message))
    return Call(PUBLISH_SPAN, attributes, kind=SpanKind.PRODUCER)


def _end_send(call: Call, result: object, error: BaseException | None) -> None:
    call.finish(error)


def _begin_consume(deliveries: object, route: Route, incoming: AbstractIncomingMessage) -> Call:
    headers = incoming.headers or {}
    exchange = header_text(headers, h.ORIGINAL_EXCHANGE) or incoming.exchange  # retries: ""
    topic = header_text(headers, h.ORIGINAL_ROUTING_KEY) or incoming.routing_key
    attributes: dict[str, AttributeValue] = {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": "process",
        "messaging.destination.name": exchange or "",
        "messaging.rabbitmq.destination.routing_key": topic or "",
        "messaging.destination.subscription.name": route.queue,
    }
    if incoming.message_id:
        attributes["messaging.message.id"] = incoming.message_id
    return Call(CONSUME_SPAN, attributes, kind=SpanKind.CONSUMER)


def _end_consume(call: Call, outcome: Outcome | None, error: BaseException | None) -> None:
    message = outcome.message if outcome is not None else None
    failure = error if outcome is None else outcome.error
    if message is not None and call.span is not None:
        call.span.attributes.update(message_attributes(message))
    seconds = call.finish(failure)
    if isinstance(message, Command):
        call.hooks.record_command_handled(message.type, seconds, succeeded=failure is None)


def observed_bus[C: type](cls: C) -> C:
    """The bus's `publish` (dispatch span, events counted) and `_send` (producer span)."""
    observe: Callable[[C], C] = instrumented(_send=probe(_begin_send, _end_send))
    return instrumented_broker_bus(observe(cls))


def observed_deliveries[C: type](cls: C) -> C:
    """`_consume`: the consumer span around one delivery; commands counted as handled."""
    observe: Callable[[C], C] = instrumented(_consume=probe(_begin_consume, _end_consume))
    return observe(cls)


__all__ = ["CONSUME_SPAN", "PUBLISH_SPAN", "Outcome", "observed_bus", "observed_deliveries"]
