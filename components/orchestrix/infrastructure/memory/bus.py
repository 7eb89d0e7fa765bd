"""The in-process synchronous message bus: handlers run one after the other, in order.

Publishing is on every command's and event's path, so it is one dict lookup plus the handler
calls; per-message logging is at DEBUG behind a level check.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from logging import DEBUG
from typing import Any

from orchestrix.core.common.instrumentation import instrumented_bus
from orchestrix.core.common.logging import get_logger
from orchestrix.core.common.retry import RetryPolicy
from orchestrix.core.messaging.dead_letter_queue import DeadLetterQueue
from orchestrix.core.messaging.message import Message
from orchestrix.core.messaging.message_bus import MessageHandler
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


@instrumented_bus
class InMemoryMessageBus(HandlerRouting[MessageHandler[Any]]):
    """A `MessageBus` that calls the handlers of a message's exact class in subscription order.

    Every handler runs even when an earlier one failed; each final failure is logged at ERROR
    (`Handler failed [...]`). A failing handler is retried first if `retry_policy` is set; a
    handler that still fails is dead-lettered when `dead_letter_queue` is set, otherwise
    `publish` raises one `HandlerError` naming every failed handler. Only `Exception` is
    caught: KeyboardInterrupt and SystemExit stop publishing at once. A handler may publish
    further messages (re-entrant publishing). Topics of classes come from `topic_naming`.
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
        self, message_type: type[T] | str, handler: MessageHandler[T]
    ) -> None:
        """Call `handler` with every later message of exactly `message_type`, or whose topic
        matches `message_type` when it is a pattern such as `"orders.events.#"`."""
        self._add_handler(message_type, handler)
        log_debug(
            _logger,
            "Handler subscribed",
            message_type=getattr(message_type, "__name__", message_type),
        )

    def publish(self, message: Message) -> None:
        """Call every handler of the message's class; see the class for failures."""
        handlers: Sequence[MessageHandler[Any]] = self._delivery[type(message)]
        if not handlers:
            handlers = self._first_seen(message, handlers)
        try:
            debug = _levels[DEBUG]
        except KeyError:
            debug = _logger.isEnabledFor(DEBUG)
        if debug:
            log_debug(
                _logger,
                "Publishing message",
                message_type=type(message).__name__,
                message_id=message.id,
                handler_count=len(handlers),
            )
        if len(handlers) == 1:  # the common case, without copying the list
            handler = handlers[0]
            try:
                handler(message)
            except Exception as error:
                failure = self._retry(handler, message, error)
                if failure is not None:
                    settle(message, (failure,), self._dead_letter_queue, _logger)
        elif handlers:
            failures: list[FailedDelivery] | None = None
            # A copy: a handler that subscribes another one does not change this delivery.
            for handler in tuple(handlers):
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
            log_debug(_logger, "Retrying handler", handler=handler_name(handler), delay=delay)
            if delay > 0:
                time.sleep(delay)
            attempts += 1
            try:
                handler(message)
            except Exception as retry_error:
                error = retry_error
            else:
                return None
        failure = FailedDelivery(handler, error, attempts)
        report(_logger, "Handler failed", message, failure)
        return failure


__all__ = ["InMemoryMessageBus"]
