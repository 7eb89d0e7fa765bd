"""The in-process synchronous message bus: handlers run one after the other, in order.

Publishing is on every command's and event's path, so it is one dict lookup plus the handler
calls; per-message logging is at DEBUG behind a level check.
"""

from __future__ import annotations

import time
from logging import DEBUG
from typing import Any

from orchestrix.core.common.instrumentation import instrumented_bus
from orchestrix.core.common.logging import get_logger
from orchestrix.core.common.retry import RetryPolicy
from orchestrix.core.messaging.dead_letter_queue import DeadLetterQueue
from orchestrix.core.messaging.message import Message
from orchestrix.core.messaging.message_bus import MessageHandler
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


@instrumented_bus
class InMemoryMessageBus:
    """A `MessageBus` that calls each message's handlers in subscription order.

    Every handler runs even when an earlier one failed. A failing handler is retried first if
    `retry_policy` is set; a handler that still fails is dead-lettered when `dead_letter_queue`
    is set, otherwise `publish` raises one `HandlerError` naming every failed handler. Only
    `Exception` is caught: KeyboardInterrupt and SystemExit stop publishing at once.
    """

    __slots__ = ("_dead_letter_queue", "_retry_policy", "_routes", "_subscriptions")

    def __init__(
        self,
        retry_policy: RetryPolicy | None = None,
        dead_letter_queue: DeadLetterQueue | None = None,
    ) -> None:
        self._retry_policy = retry_policy
        self._dead_letter_queue = dead_letter_queue
        self._subscriptions: Subscriptions[MessageHandler[Any]] = Subscriptions()
        self._routes = self._subscriptions.routes

    def subscribe[T: Message](self, message_type: type[T], handler: MessageHandler[T]) -> None:
        """Call `handler` with every later message of `message_type` or a subclass."""
        self._subscriptions.add(message_type, handler)

    def publish(self, message: Message) -> None:
        """Call every handler of the message's class; see the class for failures."""
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
        failures: list[FailedDelivery] | None = None
        for handler in handlers:
            try:
                handler(message)
            except Exception as error:
                failure = self._retry(handler, message, error)
                if failure is not None:
                    if failures is None:
                        failures = []
                    failures.append(failure)
        if failures is not None:
            settle(message, failures, self._dead_letter_queue, _logger)

    def _retry(
        self, handler: MessageHandler[Any], message: Message, error: Exception
    ) -> FailedDelivery | None:
        """Retry a failed handler as the policy allows; the failure if no attempt succeeded."""
        attempts = 1
        for delay in retry_delays(self._retry_policy):
            _logger.debug("Retrying %s for %s in %.3fs", handler_name(handler), message.id, delay)
            time.sleep(delay)
            attempts += 1
            try:
                handler(message)
            except Exception as retry_error:
                error = retry_error
            else:
                return None
        return FailedDelivery(handler, error, attempts)


__all__ = ["InMemoryMessageBus"]
