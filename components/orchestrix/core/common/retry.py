"""Retry policies and helpers that re-run a failing call with a delay between attempts.

`attempt` counts the retries already made: the first retry is asked for with `attempt=0`.
"""

from __future__ import annotations

import asyncio
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


class RetryPolicy(ABC):
    """Decides whether a failed call is tried again, and after how long."""

    @abstractmethod
    def should_retry(self, attempt: int) -> bool:
        """Whether retry number `attempt` (0 for the first retry) may run."""

    @abstractmethod
    def get_delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt`."""


@dataclass(frozen=True)
class ExponentialBackoff(RetryPolicy):
    """Delays of `initial_delay * multiplier**attempt`, capped, with optional jitter.

    Jitter draws the delay uniformly from its upper half so that many clients retrying at
    once spread out without ever waiting less than half the computed delay.
    """

    max_retries: int = 3
    initial_delay: float = 1.0
    max_delay: float = 60.0
    multiplier: float = 2.0
    jitter: bool = True

    def __post_init__(self) -> None:
        _check_non_negative(max_retries=self.max_retries, initial_delay=self.initial_delay)
        _check_non_negative(max_delay=self.max_delay, multiplier=self.multiplier)

    def should_retry(self, attempt: int) -> bool:
        return attempt < self.max_retries

    def get_delay(self, attempt: int) -> float:
        try:
            delay = min(self.initial_delay * self.multiplier**attempt, self.max_delay)
        except OverflowError:  # a long-running retry loop outgrows float range: stay capped
            delay = self.max_delay
        if self.jitter:
            delay *= 0.5 + random.random() / 2
        return delay


@dataclass(frozen=True)
class LinearBackoff(RetryPolicy):
    """Delays growing by `increment` each retry, capped at `max_delay`."""

    max_retries: int = 3
    initial_delay: float = 1.0
    increment: float = 1.0
    max_delay: float = 60.0

    def __post_init__(self) -> None:
        _check_non_negative(max_retries=self.max_retries, initial_delay=self.initial_delay)
        _check_non_negative(increment=self.increment, max_delay=self.max_delay)

    def should_retry(self, attempt: int) -> bool:
        return attempt < self.max_retries

    def get_delay(self, attempt: int) -> float:
        return min(self.initial_delay + self.increment * attempt, self.max_delay)


@dataclass(frozen=True)
class FixedDelay(RetryPolicy):
    """The same delay before every retry."""

    max_retries: int = 3
    delay: float = 1.0

    def __post_init__(self) -> None:
        _check_non_negative(max_retries=self.max_retries, delay=self.delay)

    def should_retry(self, attempt: int) -> bool:
        return attempt < self.max_retries

    def get_delay(self, attempt: int) -> float:
        return self.delay


@dataclass(frozen=True)
class NoRetry(RetryPolicy):
    """Never retry: the first failure is final."""

    def should_retry(self, attempt: int) -> bool:
        return False

    def get_delay(self, attempt: int) -> float:
        return 0.0


def _check_non_negative(**values: float) -> None:
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{name} must not be negative, got {value!r}")


def retry_sync[R](
    func: Callable[..., R],
    *args: object,
    policy: RetryPolicy | None = None,
    retry_on: tuple[type[Exception], ...] = (Exception,),
    **kwargs: object,
) -> R:
    """Call `func(*args, **kwargs)`, retrying on `retry_on` errors as `policy` allows.

    The last error is re-raised when the policy gives up. Errors outside `retry_on`, and
    BaseExceptions such as KeyboardInterrupt, propagate at once.
    """
    policy = policy or ExponentialBackoff()
    attempt = 0
    while True:
        try:
            return func(*args, **kwargs)
        except retry_on:
            if not policy.should_retry(attempt):
                raise
            time.sleep(policy.get_delay(attempt))
            attempt += 1


async def retry_async[R](
    func: Callable[..., Awaitable[R]],
    *args: object,
    policy: RetryPolicy | None = None,
    retry_on: tuple[type[Exception], ...] = (Exception,),
    **kwargs: object,
) -> R:
    """The async twin of `retry_sync`: awaits `func` and sleeps without blocking the loop."""
    policy = policy or ExponentialBackoff()
    attempt = 0
    while True:
        try:
            return await func(*args, **kwargs)
        except retry_on:
            if not policy.should_retry(attempt):
                raise
            await asyncio.sleep(policy.get_delay(attempt))
            attempt += 1


__all__ = [
    "ExponentialBackoff",
    "FixedDelay",
    "LinearBackoff",
    "NoRetry",
    "RetryPolicy",
    "retry_async",
    "retry_sync",
]
