"""What a scenario saw (what it recorded, or the error it raised) checked against `then`.

Shared by every scenario, sync or async, aggregate or handler: they differ only in how they
produce the outcome.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from orchestrix.core.common.exceptions import HandlerError
from orchestrix.core.messaging.message import Message
from orchestrix.testing.comparison import count, describe_events, events_difference
from orchestrix.testing.errors import ScenarioAssertionError


@dataclass(frozen=True)
class Outcome[M: Message]:
    """The result of a scenario's `when`: the messages recorded, or the error raised.

    `subject` names the step in failure messages ("handling WithdrawMoney"); `noun` names what
    was recorded ("event", or "message" for everything published).
    """

    subject: str
    recorded: Sequence[M]
    error: Exception | None = None
    noun: str = "event"


def expect_events[M: Message](
    outcome: Outcome[M], expected: Sequence[Message], ignoring: Iterable[str]
) -> list[M]:
    """The recorded messages, provided no error was raised and they match `expected`."""
    __tracebackhide__ = True
    if outcome.error is not None:
        raise ScenarioAssertionError(
            f"Expected {count(len(expected), outcome.noun)}, but {outcome.subject} raised "
            f"{_describe(outcome.error)}"
        ) from outcome.error
    difference = events_difference(expected, outcome.recorded, ignoring, noun=outcome.noun)
    if difference is not None:
        raise ScenarioAssertionError(f"After {outcome.subject}: {difference}")
    return list(outcome.recorded)


def expect_error[E: Exception](
    outcome: Outcome[Message], error_type: type[E], match: str | None, ignoring: Iterable[str]
) -> E:
    """The error raised, provided it is an `error_type` whose text matches `match`.

    A bus reports a failed handler as `HandlerError`; unless that is what is expected, the
    handler's own error is the one checked. `match` is a regular expression searched for in
    the error's text, as `pytest.raises(match=...)` does.
    """
    __tracebackhide__ = True
    expected = error_type.__name__
    error: BaseException | None = outcome.error
    if error is None:
        recorded = count(len(outcome.recorded), outcome.noun)
        listing = f":\n{describe_events(outcome.recorded, ignoring)}" if outcome.recorded else "."
        raise ScenarioAssertionError(
            f"Expected {expected}, but {outcome.subject} raised nothing and recorded "
            f"{recorded}{listing}"
        )
    if isinstance(error, HandlerError) and not issubclass(error_type, HandlerError):
        error = error.original_error
    if not isinstance(error, error_type):
        raise ScenarioAssertionError(
            f"Expected {expected}, but {outcome.subject} raised {_describe(error)}"
        ) from error
    if match is not None and re.search(match, str(error)) is None:
        raise ScenarioAssertionError(
            f"As expected, {outcome.subject} raised {expected}, but its message "
            f"{str(error)!r} does not match {match!r}"
        ) from error
    return error


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


__all__ = ["Outcome", "expect_error", "expect_events"]
