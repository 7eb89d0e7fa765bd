"""Retry policies and helpers that re-run a failing call with a delay between attempts.

`attempt` is the number of the attempt that just failed, starting at 1: `should_retry(1)`
asks whether a second attempt may follow the first, `get_delay(1)` how long to wait before it.
Any `attempt <= 0` gets a delay of `0`. So a call that keeps failing runs `max_retries + 1`
times.
"""

from __future__ import annotations

import asyncio
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# The first release's deterministic spread, by `attempt % 3`: delays of successive attempts
# differ without any randomness, so the documented values (1.0, 2.2, 3.6, 8.0, ...) hold.
_SPREAD = (0.9, 1.0, 1.1)


class RetryPolicy(ABC):
    """Decides whether a failed call is tried again, and after how long."""

    @abstractmethod
    def should_retry(self, attempt: int) -> bool:
        """Whether another attempt may follow failed attempt number `attempt` (1-based)."""

    @abstractmethod
    def get_delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` before the next one."""


@dataclass(eq=False)
class ExponentialBackoff(RetryPolicy):
    """Delays of `initial_delay * multiplier**(attempt - 1)`, capped at `max_delay`.

    `jitter=True` (the default) spreads the delays of successive attempts deterministically
    (x1.0, x1.1, x0.9 by `attempt % 3`), as the first release did, but never beyond
    `max_delay`. A float `jitter` between 0.0 and 1.0 draws each delay at random within that
    fraction around the base delay (`0.25` is +-25 %), still capped: use it where many clients
    retry at once and must not retry in step. `jitter=False` gives the bare doubling; any other
    value counts by its truth, as in the release.
    """

    max_retries: int = 3
    initial_delay: float = 1.0
    max_delay: float = 60.0
    multiplier: float = 2.0
    jitter: bool | float = True

    def __post_init__(self) -> None:
        _check_max_retries(self.max_retries)
        if self.initial_delay <= 0:
            raise ValueError("initial_delay must be > 0")
        if self.max_delay < self.initial_delay:
            raise ValueError("max_delay must be >= initial_delay")
        if self.multiplier <= 0:
            raise ValueError("multiplier must be > 0")
        if isinstance(self.jitter, float) and not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be True, False or a fraction between 0.0 and 1.0")

    def should_retry(self, attempt: int) -> bool:
        return attempt <= self.max_retries

    def get_delay(self, attempt: int) -> float:
        if attempt <= 0:
            return 0
        try:
            delay = min(self.initial_delay * self.multiplier ** (attempt - 1), self.max_delay)
        except OverflowError:  # a long-running retry loop outgrows float range: stay capped
            delay = self.max_delay
        if isinstance(self.jitter, float):
            delay *= 1 + self.jitter * (2 * random.random() - 1)
        elif self.jitter:
            delay *= _SPREAD[attempt % 3]
        return min(delay, self.max_delay)


@dataclass(eq=False)
class LinearBackoff(RetryPolicy):
    """Delays growing by `increment` each attempt, capped at `max_delay`."""

    max_retries: int = 3
    initial_delay: float = 1.0
    increment: float = 1.0
    max_delay: float = 60.0

    def __post_init__(self) -> None:
        _check_max_retries(self.max_retries)
        if self.initial_delay <= 0:
            raise ValueError("initial_delay must be > 0")
        if self.increment < 0:
            raise ValueError("increment must be >= 0")

    def should_retry(self, attempt: int) -> bool:
        return attempt <= self.max_retries

    def get_delay(self, attempt: int) -> float:
        if attempt <= 0:
            return 0
        return min(self.initial_delay + self.increment * (attempt - 1), self.max_delay)


@dataclass(eq=False)
class FixedDelay(RetryPolicy):
    """The same delay before every retry."""

    max_retries: int = 3
    delay: float = 1.0

    def __post_init__(self) -> None:
        _check_max_retries(self.max_retries)
        if self.delay < 0:
            raise ValueError("delay must be >= 0")

    def should_retry(self, attempt: int) -> bool:
        return attempt <= self.max_retries

    def get_delay(self, attempt: int) -> float:
        return self.delay if attempt > 0 else 0


@dataclass(eq=False)
class NoRetry(RetryPolicy):
    """Never retry: the first failure is final."""

    def should_retry(self, attempt: int) -> bool:
        return False

    def get_delay(self, attempt: int) -> float:
        return 0


def _check_max_retries(max_retries: int) -> None:
    if max_retries < 0:
        raise ValueError("max_retries must be >= 0")


def retry_sync[R](
    func: Callable[..., R],
    *args: object,
    policy: RetryPolicy | None = None,
    retry_on: tuple[type[Exception], ...] = (Exception,),
    **kwargs: object,
) -> R:
    """Call `func(*args, **kwargs)` until it succeeds or `policy` gives up; return its result.

    `policy=None` means a fresh `ExponentialBackoff()`. When the policy gives up, the last
    error is re-raised unchanged. Errors outside `retry_on`, and BaseExceptions such as
    KeyboardInterrupt, propagate at once.
    """
    policy = ExponentialBackoff() if policy is None else policy
    attempt = 1
    while True:
        try:
            return func(*args, **kwargs)
        except retry_on:
            if not policy.should_retry(attempt):
                raise
            delay = policy.get_delay(attempt)
            if delay > 0:
                time.sleep(delay)
            attempt += 1


async def retry_async[R](
    func: Callable[..., Awaitable[R]],
    *args: object,
    policy: RetryPolicy | None = None,
    retry_on: tuple[type[Exception], ...] = (Exception,),
    **kwargs: object,
) -> R:
    """The async twin of `retry_sync`: awaits `func` and sleeps without blocking the loop.

    Cancellation (`asyncio.CancelledError`) is never retried.
    """
    policy = ExponentialBackoff() if policy is None else policy
    attempt = 1
    while True:
        try:
            return await func(*args, **kwargs)
        except retry_on:
            if not policy.should_retry(attempt):
                raise
            delay = policy.get_delay(attempt)
            if delay > 0:
                await asyncio.sleep(delay)
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
