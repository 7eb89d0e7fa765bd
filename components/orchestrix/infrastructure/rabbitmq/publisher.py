"""Publishing with confirms over a robust connection, resumed across reconnects.

A publish returns only when the broker confirmed the message (it is then on disk in a durable
queue: persistent delivery mode). If the connection drops first, the publish waits for aio-pika
to re-establish it and sends again, until `timeout` seconds have passed; then it raises
`BrokerUnavailableError`. A confirm lost with the connection may hide a message the broker
did take, so a resend can duplicate it: consumers deduplicate by message id (the inbox).
Refusals that no retry can fix (no such exchange, wrong arguments) raise `BrokerError` at once.
"""

from __future__ import annotations

import asyncio
import time

import aio_pika
import aiormq.exceptions
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection

from orchestrix.core.common.exceptions import BrokerError, BrokerUnavailableError
from orchestrix.core.common.logging import get_logger

_logger = get_logger(__name__)
_PERMANENT = (
    aiormq.exceptions.ChannelAccessRefused,
    aiormq.exceptions.ChannelNotFoundEntity,
    aiormq.exceptions.ChannelPreconditionFailed,
)
_RESEND_PAUSE = 0.1


class Publisher:
    """One confirming channel on a robust connection; `send` is safe to call concurrently."""

    def __init__(self, connection: AbstractRobustConnection, timeout: float) -> None:
        self.connection = connection
        self.timeout = timeout
        self._channel: AbstractChannel | None = None
        self._exchanges: dict[str, AbstractExchange] = {}

    async def open(self) -> AbstractChannel:
        self._channel = await self.connection.channel(publisher_confirms=True)
        return self._channel

    async def _exchange(self, name: str) -> AbstractExchange:
        exchange = self._exchanges.get(name)
        if exchange is None:
            if self._channel is None:
                raise BrokerError("The message bus is not connected; call connect() first")
            if name:
                exchange = await self._channel.get_exchange(name, ensure=False)
            else:
                exchange = self._channel.default_exchange
            self._exchanges[name] = exchange
        return exchange

    async def send(self, exchange: str, routing_key: str, message: aio_pika.Message) -> None:
        """Publish and wait for the broker's confirm, resending across reconnects."""
        deadline = time.monotonic() + self.timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                target = await self._exchange(exchange)
                await target.publish(message, routing_key, mandatory=False, timeout=remaining)
                return
            except _PERMANENT as error:
                raise BrokerError(
                    f"The broker refused a publish to {exchange!r}: {error}"
                ) from error
            except (
                aiormq.exceptions.AMQPError,
                ConnectionError,
                RuntimeError,
                TimeoutError,
            ) as error:
                if time.monotonic() + _RESEND_PAUSE >= deadline:
                    raise BrokerUnavailableError(
                        f"No confirm from the broker within {self.timeout} s for a publish to "
                        f"{exchange!r} ({routing_key!r}): {error!r}"
                    ) from error
                _logger.debug("Publish to %r failed (%r); sending again", exchange, error)
                await asyncio.sleep(_RESEND_PAUSE)

    async def close(self) -> None:
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()


__all__ = ["Publisher"]
