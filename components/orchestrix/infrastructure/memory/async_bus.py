"""The in-process asynchronous message bus: the handlers of one message run concurrently.

One handler, the common case, is awaited directly: no task, no gather. Several handlers each
get an eager task (Python 3.12), which runs the handler up to its first suspension at once, so
handlers that never suspend finish without a trip through the event loop; only the ones still
pending are then gathered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from logging import DEBUG
from typing import Any

from orchestrix.core.common.instrumentation import instrumented_bus
from orchestrix.core.common.logging import get_logger
from orchestrix.core.common.retry import RetryPolicy
from orchestrix.core.messaging.dead_letter_queue import DeadLetterQueue
from orchestrix.core.messaging.message import Message
from orchestrix.core.messaging.message_bus import AsyncMessageHandler
from orchestrix.infrastructure.memory._debug import level_cache
from orchestrix.infrastructure.memory._failures import (
    FailedDelivery,
    handler_name,
    retry_delays,
    settle,
)
from orchestrix.infrastructure.memory._routing import Subscriptions

_logger = get_logger(__name__)
_levels = level_cache(_logger)


async def _call(handler: AsyncMessageHandler[Any], message: Message) -> None:
    """Run a coroutine function or a plain function (which must return None) as a handler."""
    result = handler(message)
    if result is not None:
        await result


@instrumented_bus
class InMemoryAsyncMessageBus:
    """An `AsyncMessageBus` that runs each message's handlers concurrently.

    Handlers may be coroutine functions or plain functions. Every handler runs to the end
    even when another failed. A failing handler is retried first if `retry_policy` is set
    (sleeping with `asyncio.sleep`); a handler that still fails is dead-lettered when
    `dead_letter_queue` is set, otherwise `publish` raises one `HandlerError` naming every
    failed handler. Only `Exception` is caught: KeyboardInterrupt, SystemExit and
    `asyncio.CancelledError` propagate.
    """

    __slots__ = ("_dead_letter_queue", "_retry_policy", "_routes", "_subscriptions")

    def __init__(
        self,
        retry_policy: RetryPolicy | None = None,
        dead_letter_queue: DeadLetterQueue | None = None,
    ) -> None:
        self._retry_policy = retry_policy
        self._dead_letter_queue = dead_letter_queue
        self._subscriptions: Subscriptions[AsyncMessageHandler[Any]] = Subscriptions()
        self._routes = self._subscriptions.routes

    def subscribe[T: Message](self, message_type: type[T], handler: AsyncMessageHandler[T]) -> None:
        """Deliver every later message of `message_type` or a subclass to `handler`."""
        self._subscriptions.add(message_type, handler)

    async def publish(self, message: Message) -> None:
        """Run every handler of the message's class; see the class for failures."""
        try:
            handlers = self._routes[type(message)]
        except KeyError:
            handlers = self._subscriptions.resolve(type(message))
        try:
            debug = _levels[DEBUG]
        except KeyError:
            debug = _logger.isEnabledFor(DEBUG)
        if debug:
            _logger.debug(
                "Publishing %s %s to %d handler(s)", message.type, message.id, len(handlers)
            )
        if len(handlers) == 1:
            handler = handlers[0]
            # `_call` inlined: this path is the one-handler benchmark, a coroutine per message.
            try:
                result = handler(message)
                if result is not None:
                    await result
            except Exception as error:
                failure = await self._retry(handler, message, error)
                if failure is not None:
                    settle(message, (failure,), self._dead_letter_queue, _logger)
        elif handlers:
            await self._deliver_concurrently(handlers, message)

    async def _deliver_concurrently(
        self, handlers: Sequence[AsyncMessageHandler[Any]], message: Message
    ) -> None:
        """Start every handler as an eager task; gather only the ones that suspended."""
        loop = asyncio.get_running_loop()
        tasks = [
            asyncio.Task(self._deliver(handler, message), loop=loop, eager_start=True)
            for handler in handlers
        ]
        pending = [task for task in tasks if not task.done()]
        if pending:
            await asyncio.gather(*pending)
        failures = [failure for task in tasks if (failure := task.result()) is not None]
        if failures:
            settle(message, failures, self._dead_letter_queue, _logger)

    async def _deliver(
        self, handler: AsyncMessageHandler[Any], message: Message
    ) -> FailedDelivery | None:
        """Run one handler with retries; the failure if no attempt succeeded."""
        try:
            await _call(handler, message)
        except Exception as error:
            return await self._retry(handler, message, error)
        return None

    async def _retry(
        self, handler: AsyncMessageHandler[Any], message: Message, error: Exception
    ) -> FailedDelivery | None:
        """Retry a failed handler as the policy allows; the failure if no attempt succeeded."""
        attempts = 1
        for delay in retry_delays(self._retry_policy):
            _logger.debug("Retrying %s for %s in %.3fs", handler_name(handler), message.id, delay)
            await asyncio.sleep(delay)
            attempts += 1
            try:
                await _call(handler, message)
            except Exception as retry_error:
                error = retry_error
            else:
                return None
        return FailedDelivery(handler, error, attempts)


__all__ = ["InMemoryAsyncMessageBus"]
