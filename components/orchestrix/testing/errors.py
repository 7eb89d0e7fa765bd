"""The two ways a scenario stops: its expectation was not met, or it was written wrongly."""

from __future__ import annotations

from orchestrix.core.common.exceptions import OrchestrixError


class ScenarioAssertionError(OrchestrixError, AssertionError):
    """What happened is not what the scenario expected; the message says how it differs.

    An `AssertionError`, so test runners report it as a failed test rather than a crash.
    """


class ScenarioUsageError(OrchestrixError, ValueError):
    """The scenario cannot run as written, e.g. `then` without a `when`."""


__all__ = ["ScenarioAssertionError", "ScenarioUsageError"]
