"""What a projection runner does when a handler fails on an event.

First it retries the event, with the delays of a core `RetryPolicy` (the read model keeps
its order: nothing after the event is processed meanwhile). If every retry fails, `STOP`
halts the projection before the event (unhealthy, reported by the runner; it resumes there
once restarted), while `SKIP` dead-letters the event with its error and goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from orchestrix.core.common.retry import ExponentialBackoff, RetryPolicy


class OnFailure(StrEnum):
    """What happens to an event once its retries are exhausted."""

    STOP = "stop"
    SKIP = "skip"


@dataclass(frozen=True)
class ErrorPolicy:
    """Retries, then stop or skip; the default retries three times over about a second,
    then stops (no event is ever skipped unless asked)."""

    retry: RetryPolicy = field(
        default_factory=lambda: ExponentialBackoff(max_retries=3, initial_delay=0.1, max_delay=2.0)
    )
    on_failure: OnFailure = OnFailure.STOP


__all__ = ["ErrorPolicy", "OnFailure"]
