"""What the sync and async in-memory buses do with handlers that failed for good.

Both buses retry a failed handler at the delays `retry_delays` yields, collect one
`FailedDelivery` per handler whose last attempt failed, then call `settle`: with a dead-letter
queue each failure is parked there, otherwise one `HandlerError` names them all. Only the
retry loop itself differs between the buses (how they call and how they sleep).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from orchestrix.core.common.exceptions import HandlerError, HandlerFailure
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
    error: Exception
    attempts: int


def retry_delays(policy: RetryPolicy | None) -> Iterator[float]:
    """The delay before each retry the policy allows, in order; none without a policy."""
    if policy is None:
        return
    attempt = 0
    while policy.should_retry(attempt):
        yield policy.get_delay(attempt)
        attempt += 1


def handler_name(handler: Callable[..., object]) -> str:
    """A readable name for errors and logs: `OrderHandler.handle` rather than a repr."""
    name = getattr(handler, "__qualname__", None)
    return name if isinstance(name, str) else type(handler).__qualname__


def settle(
    message: Message,
    failures: Sequence[FailedDelivery],
    dead_letter_queue: DeadLetterQueue | None,
    logger: logging.Logger,
) -> None:
    """Dead-letter every failure if a queue is configured, else raise one `HandlerError`."""
    if dead_letter_queue is None:
        raise HandlerError.from_failures(
            message.type,
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
                message, failure.error, reason=reason, attempts=failure.attempts, handler_name=name
            )
        )
        logger.warning(
            "Dead-lettered %s %s: handler %s failed %d time(s): %r",
            message.type,
            message.id,
            name,
            failure.attempts,
            failure.error,
        )


__all__ = ["FailedDelivery", "handler_name", "retry_delays", "settle"]
