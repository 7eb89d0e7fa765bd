"""One step of a saga: an action, the compensation that undoes it, and how to call them."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from orchestrix.core.common.retry import RetryPolicy
from orchestrix.core.execution.errors import SagaDefinitionError
from orchestrix.core.execution.invocation import Accepted, accepted_names

RESERVED_NAME = "result"
"""Compensations receive their own step's result under this keyword, so no step may use it."""


@dataclass(frozen=True)
class SagaStep:
    """`SagaStep("reserve", reserve, compensation=release, retry=FixedDelay(2), timeout=5)`.

    `action` and `compensation` may be plain or async callables. `retry` re-runs a failing
    action or compensation as the policy allows; `timeout` (seconds) bounds each attempt, and
    an attempt that exceeds it fails with `StepTimeoutError`.
    """

    name: str
    action: Callable[..., Any]
    compensation: Callable[..., Any] | None = None
    _: KW_ONLY
    retry: RetryPolicy | None = None
    timeout: float | None = None
    action_accepts: Accepted = field(init=False, repr=False, compare=False)
    compensation_accepts: Accepted = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SagaDefinitionError("Step name cannot be empty")
        if self.name == RESERVED_NAME:
            raise SagaDefinitionError(
                f"Step name {RESERVED_NAME!r} is reserved: compensations receive their own "
                "step's result under it"
            )
        if self.action is None:
            raise SagaDefinitionError("Step action cannot be None")
        for role, function in (("action", self.action), ("compensation", self.compensation)):
            if function is not None and not callable(function):
                raise SagaDefinitionError(
                    f"Step {self.name!r}: {role} must be callable, "
                    f"got {type(function).__qualname__}"
                )
        if self.retry is not None and not isinstance(self.retry, RetryPolicy):
            raise SagaDefinitionError(
                f"Step {self.name!r}: retry must be a RetryPolicy, "
                f"got {type(self.retry).__qualname__}"
            )
        if self.timeout is not None and not _positive_seconds(self.timeout):
            raise SagaDefinitionError(
                f"Step {self.name!r}: timeout must be a positive number of seconds, "
                f"got {self.timeout!r}"
            )
        object.__setattr__(self, "action_accepts", accepted_names(self.action))
        accepts = None if self.compensation is None else accepted_names(self.compensation)
        object.__setattr__(self, "compensation_accepts", accepts)


def _positive_seconds(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < math.inf


__all__ = ["RESERVED_NAME", "SagaStep"]
