"""The RabbitMQ message bus: `AsyncMessageBus` across processes and machines.

`publish` sends a command to the commands exchange or an event to the events exchange,
routed by its topic, and returns once the broker confirmed it. `subscribe` records handlers;
`start()` declares their queues and consumes them with `prefetch` unacknowledged deliveries
at most; `run()` consumes until stopped (SIGINT/SIGTERM or an event), then lets the handlers
in flight finish. See `topology` for the exchanges and queues, `delivery` for retries and
dead letters, `publisher` for confirms across reconnects.

Unlike the in-process buses, `publish` does not run the handlers: a handler's failure is the
consumer's business (retried, then dead-lettered), never the publisher's.

The active trace context travels in each message's headers (W3C `traceparent`) and the
consumer continues it; with observability on, the bus opens the same spans as the in-memory
buses plus a producer and a consumer span (see `observation`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from types import TracebackType
from typing import Any, Self

import aio_pika
import aiormq.exceptions
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)

from orchestrix.core.common.exceptions import BrokerError, BrokerUnavailableError
from orchestrix.core.common.logging import get_logger
from orchestrix.core.common.propagation import inject_trace_context
from orchestrix.core.common.retry import ExponentialBackoff, RetryPolicy
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.message import Command, Message
from orchestrix.core.messaging.message_bus import AsyncMessageHandler
from orchestrix.core.messaging.topics import TopicNaming
from orchestrix.infrastructure.rabbitmq import _headers as h
from orchestrix.infrastructure.rabbitmq import envelope
from orchestrix.infrastructure.rabbitmq.delivery import Deliveries
from orchestrix.infrastructure.rabbitmq.observation import observed_bus
from orchestrix.infrastructure.rabbitmq.publisher import Publisher
from orchestrix.infrastructure.rabbitmq.subscriptions import Route, Subscriptions
from orchestrix.infrastructure.rabbitmq.topology import Topology

_logger = get_logger(__name__)

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/"


@observed_bus
class RabbitMQMessageBus:
    """An `AsyncMessageBus` on RabbitMQ (aio-pika, robust connection, publisher confirms).

    `async with RabbitMQMessageBus(url) as bus:` connects and declares the exchanges;
    `namespace` prefixes every exchange and queue name; `topic_naming` strips the
    application's package from topics; `retry_policy` decides retries and their delays
    (default: 3 retries, exponential from 1 s); `publish_timeout` bounds how long a publish
    waits for the broker, reconnects included.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        namespace: str = "orchestrix",
        topic_naming: TopicNaming | None = None,
        prefetch: int = 32,
        retry_policy: RetryPolicy | None = None,
        publish_timeout: float = 30.0,
        reconnect_interval: float = 1.0,
        shutdown_timeout: float = 30.0,
    ) -> None:
        if type(prefetch) is not int or prefetch < 1:
            raise ValidationError("must be a positive integer", "prefetch", prefetch)
        for name, value in (
            ("publish_timeout", publish_timeout),
            ("reconnect_interval", reconnect_interval),
            ("shutdown_timeout", shutdown_timeout),
        ):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValidationError("must be a positive number of seconds", name, value)
        self.url = url
        self.topology = Topology(namespace)
        self.topic_naming = topic_naming or TopicNaming()
        self.prefetch = prefetch
        self.retry_policy = retry_policy or ExponentialBackoff(max_retries=3, initial_delay=1.0)
        self.publish_timeout = float(publish_timeout)
        self.reconnect_interval = float(reconnect_interval)
        self.shutdown_timeout = float(shutdown_timeout)
        self.subscriptions = Subscriptions(self.topology, self.topic_naming)
        self.connection: AbstractRobustConnection | None = None
        self._publisher: Publisher | None = None
        self._consumer_channel: AbstractChannel | None = None
        self._consumers: list[tuple[AbstractQueue, str]] = []
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._command_queues: set[str] = set()

    # --- connection ---------------------------------------------------------------------

    async def connect(self) -> None:
        """Open the robust connection and a confirming channel; declare the exchanges."""
        if self.connection is not None:
            return
        try:
            self.connection = await aio_pika.connect_robust(
                self.url, reconnect_interval=self.reconnect_interval, timeout=self.publish_timeout
            )
            self._publisher = Publisher(self.connection, self.publish_timeout)
            channel = await self._publisher.open()
            await self._declare_exchanges(channel)
        except BaseException as error:
            await self.close()
            if isinstance(error, aiormq.exceptions.AMQPError | OSError):
                raise BrokerUnavailableError(f"Cannot connect to RabbitMQ: {error!r}") from error
            raise

    async def _declare_exchanges(self, channel: AbstractChannel) -> None:
        topology = self.topology
        for name in (topology.commands, topology.events, topology.deadletter):
            await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
        catch_all = await channel.declare_queue(topology.deadletter, durable=True)
        await catch_all.bind(topology.deadletter, routing_key="#")

    async def close(self) -> None:
        """Stop consuming (handlers in flight finish) and close the connection; idempotent."""
        await self.stop()
        connection, self.connection = self.connection, None
        if self._publisher is not None:
            with contextlib.suppress(Exception):
                await self._publisher.close()
            self._publisher = None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def publisher(self) -> Publisher:
        if self._publisher is None:
            raise BrokerError("The message bus is not connected; call connect() first")
        return self._publisher

    # --- publishing ---------------------------------------------------------------------

    async def publish(self, message: Message, *, max_retries: int | None = None) -> None:
        """Send `message` and wait for the broker's confirm.

        Commands go to the commands exchange (their queue is declared first, so a command
        waits for a worker that is not running yet), events to the events exchange, where
        an event nobody subscribed to is dropped. `max_retries` overrides the consumers'
        retry policy for this message (the `x-max-retries` header).
        """
        if not isinstance(message, Message):
            raise TypeError(f"only Messages can be published, got a {type(message).__name__}")
        topic = self.topic_naming.topic(type(message))
        encoded = envelope.encode(message)
        if max_retries is not None:
            if type(max_retries) is not int or max_retries < 0:
                raise ValidationError("must be zero or more", "max_retries", max_retries)
            encoded.headers[h.MAX_RETRIES] = max_retries
        if isinstance(message, Command):
            exchange = self.topology.commands
            await self._ensure_command_queue(topic)
        else:
            exchange = self.topology.events
        await self._send(message, exchange, topic, encoded)

    async def _send(
        self, message: Message, exchange: str, topic: str, encoded: envelope.Encoded
    ) -> None:
        """Send with the active trace context in the headers; wait for the broker's confirm."""
        inject_trace_context(encoded.headers)
        amqp = aio_pika.Message(
            encoded.body,
            headers=encoded.headers,
            content_type=envelope.CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message.id,
            correlation_id=message.correlation_id,
            timestamp=message.timestamp,
            type=message.type,
            app_id=message.source,
        )
        await self.publisher.send(exchange, topic, amqp)

    async def _ensure_command_queue(self, topic: str) -> None:
        queue = self.topology.command_queue(topic)
        if queue in self._command_queues:
            return
        route = Route(queue, self.topology.commands, {topic})
        channel = await self.publisher.connection.channel()
        try:
            await self._declare_route(channel, route)
        finally:
            await channel.close()
        self._command_queues.add(queue)

    # --- consuming ----------------------------------------------------------------------

    def subscribe[T: Message](
        self,
        message_type: type[T] | str,
        handler: AsyncMessageHandler[T],
        *,
        name: str | None = None,
    ) -> None:
        """Handle messages of exactly `message_type`, or events whose topic matches it when
        it is a pattern such as `"orders.events.#"`, with `handler`.

        An event handler's queue is named after `name`, by default the handler's
        `module.qualname`: processes that subscribe the same handler share its queue.
        Subscriptions made after `start()` take effect at the next `start()`.
        """
        self.subscriptions.add(message_type, handler, name)

    async def start(self) -> None:
        """Declare every subscribed queue with its bindings and start consuming them."""
        if self._consumer_channel is not None:
            return
        connection = self.publisher.connection
        channel = await connection.channel(publisher_confirms=False)
        await channel.set_qos(prefetch_count=self.prefetch)
        self._consumer_channel = channel
        deliveries = Deliveries(self.topology, self.publisher, self.retry_policy)
        for route in self.subscriptions.routes.values():
            queue = await self._declare_route(channel, route)
            consume = self._consumer(deliveries, route)
            self._consumers.append((queue, await queue.consume(consume, no_ack=False)))

    def _consumer(self, deliveries: Deliveries, route: Route) -> Any:
        async def on_message(incoming: AbstractIncomingMessage) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._in_flight.add(task)
            try:
                await deliveries.handle(route, incoming)
            finally:
                if task is not None:
                    self._in_flight.discard(task)

        return on_message

    async def _declare_route(self, channel: AbstractChannel, route: Route) -> AbstractQueue:
        topology = self.topology
        try:
            queue = await channel.declare_queue(
                route.queue, durable=True, arguments=topology.work_queue_arguments()
            )
            await channel.declare_queue(
                topology.retry_queue(route.queue),
                durable=True,
                arguments=topology.retry_queue_arguments(route.queue),
            )
            for topic in sorted(route.topics):
                await queue.bind(route.exchange, routing_key=topic)
        except aiormq.exceptions.ChannelPreconditionFailed as error:
            raise BrokerError(
                f"Queue {route.queue!r} exists with other arguments; delete it or pick another "
                f"namespace: {error}"
            ) from error
        return queue

    async def stop(self) -> None:
        """Stop consuming; wait up to `shutdown_timeout` for the handlers in flight.

        Deliveries prefetched but not started go back to their queue when the channel closes.
        """
        channel, self._consumer_channel = self._consumer_channel, None
        if channel is None:
            return
        consumers, self._consumers = self._consumers, []
        for queue, tag in consumers:
            with contextlib.suppress(Exception):
                await queue.cancel(tag)
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=self.shutdown_timeout)
        with contextlib.suppress(Exception):
            await channel.close()

    async def run(self, stop: asyncio.Event | None = None, *, handle_signals: bool = True) -> None:
        """Consume until `stop` is set (or SIGINT/SIGTERM arrives), then `stop()` gracefully."""
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        signals = (signal.SIGINT, signal.SIGTERM) if handle_signals else ()
        for number in signals:
            loop.add_signal_handler(number, stop.set)
        try:
            await self.start()
            await stop.wait()
        finally:
            for number in signals:
                loop.remove_signal_handler(number)
            await self.stop()


__all__ = ["DEFAULT_URL", "RabbitMQMessageBus"]
