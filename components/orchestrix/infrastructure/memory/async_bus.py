"""The in-process asynchronous message bus: the handlers of one message run concurrently.

One handler, the common case, is awaited directly: no task, no gather. Several handlers each
get an eager task (Python 3.12), which runs the handler up to its first suspension at once, so
handlers that never suspend finish without a trip through the event loop; only the ones still
pending are then gathered.

A handler that raises `CancelledError` although nobody cancelled the publishing task (it
awaited something another task cancelled, or raised it itself) has failed like any other:
the other handlers still run and the failure is reported. A real cancellation of the
publishing task propagates at once; failures already known are logged by then.
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
from orchestrix.core.messaging.topics import TopicNaming
from orchestrix.infrastructure.memory._debug import level_cache, log_debug
from orchestrix.infrastructure.memory._failures import (
    FailedDelivery,
    handler_name,
    report,
    retry_delays,
    settle,
)
from orchestrix.infrastructure.memory._routing import HandlerRouting

_logger = get_logger(__name__)
_levels = level_cache(_logger)


async def _call(handler: AsyncMessageHandler[Any], message: Message) -> None:
    """Run a coroutine function or a plain function (which must return None) as a handler."""
    result = handler(message)
    if result is not None:
        await result


def _cancelled_from_outside() -> bool:
    """Whether the running task was asked to stop, as opposed to a handler raising
    `CancelledError` on its own."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


@instrumented_bus
class InMemoryAsyncMessageBus(HandlerRouting[AsyncMessageHandler[Any]]):
    """An `AsyncMessageBus` that runs the handlers of a message's exact class concurrently.

    Handlers may be coroutine functions or plain functions. Every handler runs to the end
    even when another failed; each final failure is logged at ERROR (`Async handler failed
    [...]`). A failing handler is retried first if `retry_policy` is set (sleeping with
    `asyncio.sleep`); a handler that still fails is dead-lettered when `dead_letter_queue` is
    set, otherwise `publish` raises one `HandlerError` naming every failed handler.
    KeyboardInterrupt, SystemExit and the cancellation of the publishing task propagate.
    Topics of classes come from `topic_naming`.
    """

    __slots__ = ("_dead_letter_queue", "_retry_policy")

    def __init__(
        self,
        retry_policy: RetryPolicy | None = None,
        dead_letter_queue: DeadLetterQueue | None = None,
        topic_naming: TopicNaming | None = None,
    ) -> None:
        self._retry_policy = retry_policy
        self._dead_letter_queue = dead_letter_queue
        super().__init__(topic_naming)

    def subscribe[T: Message](
        self, message_type: type[T] | str, handler: AsyncMessageHandler[T]
    ) -> None:
        """Deliver every later message of exactly `message_type` to `handler`, or of a topic
        matching `message_type` when it is a pattern such as `"orders.events.#"`."""
        self._add_handler(message_type, handler)
        log_debug(
            _logger,
            "Async handler subscribed",
            message_type=getattr(message_type, "__name__", message_type),
        )

    async def publish(self, message: Message) -> None:
        """Run every handler of the message's class; see the class for failures."""
        handlers: Sequence[AsyncMessageHandler[Any]] = self._delivery[type(message)]
        if not handlers:
            handlers = self._first_seen(message, handlers)
        try:
            debug = _levels[DEBUG]
        except KeyError:
            debug = _logger.isEnabledFor(DEBUG)
        if debug:
            log_debug(
                _logger,
                "Publishing message (async)",
                message_type=type(message).__name__,
                message_id=getattr(message, "id", "N/A"),
                handler_count=len(handlers),
            )
        if not handlers:
            return
        if len(handlers) == 1:
            handler = handlers[0]
            # `_deliver` inlined: this path is the one-handler benchmark, a coroutine per message.
            try:
                result = handler(message)
                if result is not None:
                    await result
            except Exception as error:
                failure = await self._retry(handler, message, error)
            except asyncio.CancelledError as error:
                if _cancelled_from_outside():
                    raise
                failure = await self._retry(handler, message, error)
            else:
                return
            if failure is not None:
                settle(message, (failure,), self._dead_letter_queue, _logger)
        else:
            await self._deliver_concurrently(tuple(handlers), message)

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
        except asyncio.CancelledError as error:
            if _cancelled_from_outside():
                raise
            return await self._retry(handler, message, error)
        return None

    async def _retry(
        self, handler: AsyncMessageHandler[Any], message: Message, error: BaseException
    ) -> FailedDelivery | None:
        """Retry a failed handler as the policy allows; the failure if no attempt succeeded."""
        attempts = 1
        for delay in retry_delays(self._retry_policy):
            log_debug(_logger, "Retrying async handler", handler=handler_name(handler), delay=delay)
            await asyncio.sleep(delay)
            attempts += 1
            try:
                await _call(handler, message)
            except Exception as retry_error:
                error = retry_error
            except asyncio.CancelledError as retry_error:
                if _cancelled_from_outside():
                    raise
                error = retry_error
            else:
                return None
        failure = FailedDelivery(handler, error, attempts)
        report(_logger, "Async handler failed", message, failure)
        return failure


__all__ = ["InMemoryAsyncMessageBus"]
