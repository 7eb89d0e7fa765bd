"""What the sync and async in-memory buses do with handlers that failed for good.

Both buses retry a failed handler at the delays `retry_delays` yields, log each handler whose
last attempt failed as soon as it is known (`report`), then call `settle`: with a dead-letter
queue each failure is parked there, otherwise one `HandlerError` names them all. Only the
retry loop itself differs between the buses (how they call and how they sleep).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from orchestrix.core.common.exceptions import HandlerError, HandlerFailure
from orchestrix.core.common.logging import with_context
from orchestrix.core.common.retry import RetryPolicy
from orchestrix.core.messaging.dead_letter_queue import (
    DeadLetteredMessage,
    DeadLetterQueue,
    DeadLetterReason,
)
from orchestrix.core.messaging.message import Message


@dataclass(frozen=True, slots=True)
class FailedDelivery:
    """A handler that still failed after `attempts` tries (1 when it was not retried)."""

    handler: Callable[..., object]
    error: BaseException
    attempts: int


def retry_delays(policy: RetryPolicy | None) -> Iterator[float]:
    """The delay before each retry the policy allows, in order; none without a policy."""
    if policy is None:
        return
    attempt = 1
    while policy.should_retry(attempt):
        yield policy.get_delay(attempt)
        attempt += 1


def handler_name(handler: Callable[..., object]) -> str:
    """The handler's `__name__` (`<lambda>`, a method's name), else its class name."""
    name = getattr(handler, "__name__", None)
    return name if isinstance(name, str) else type(handler).__name__


def report(logger: logging.Logger, text: str, message: Message, failure: FailedDelivery) -> None:
    """Log one final failure at ERROR with its traceback: `<text> [message_type=..., ...]`."""
    context: dict[str, object] = {
        "message_type": type(message).__name__,
        "handler": handler_name(failure.handler),
        "error": failure.error,
    }
    if failure.attempts > 1:
        context["attempts"] = failure.attempts
    logger.error(with_context(text, context), exc_info=failure.error, extra={"context": context})


def settle(
    message: Message,
    failures: Sequence[FailedDelivery],
    dead_letter_queue: DeadLetterQueue | None,
    logger: logging.Logger,
) -> None:
    """Dead-letter every failure if a queue is configured, else raise one `HandlerError`."""
    if dead_letter_queue is None:
        raise HandlerError.from_failures(
            type(message).__name__,
            [HandlerFailure(handler_name(failure.handler), failure.error) for failure in failures],
        )
    for failure in failures:
        name = handler_name(failure.handler)
        reason = (
            DeadLetterReason.RETRIES_EXHAUSTED
            if failure.attempts > 1
            else DeadLetterReason.HANDLER_FAILED
        )
        dead_letter_queue.enqueue(
            DeadLetteredMessage.from_error(
                message,
                failure.error,
                reason=reason,
                failure_count=failure.attempts,
                handler_name=name,
            )
        )
        context: dict[str, object] = {
            "message_type": type(message).__name__,
            "message_id": message.id,
            "handler": name,
            "reason": reason.value,
            "failure_count": failure.attempts,
        }
        logger.warning(with_context("Message dead-lettered", context), extra={"context": context})


__all__ = ["FailedDelivery", "handler_name", "report", "retry_delays", "settle"]
