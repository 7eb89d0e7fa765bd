"""Given events, when the aggregate is asked to do something, then these events or this error.

The aggregate is rebuilt from the given events exactly as the repository rebuilds it, then the
`when` action runs on it (usually one call of a command method); the events it records are
compared with the expected ones. Each `then` runs the scenario afresh, so one scenario can be
checked several times.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Self

from orchestrix.core.eventsourcing.aggregate import AggregateRoot
from orchestrix.core.messaging.message import Event
from orchestrix.testing.comparison import GENERATED_METADATA
from orchestrix.testing.errors import ScenarioUsageError
from orchestrix.testing.expectations import Outcome, expect_error, expect_events


class _AggregateScenarioSteps[T: AggregateRoot]:
    """The `given` and `when` steps both aggregate scenarios share."""

    def __init__(
        self,
        aggregate_type: type[T],
        aggregate_id: str,
        *,
        ignoring: Iterable[str] = GENERATED_METADATA,
    ) -> None:
        if not (isinstance(aggregate_type, type) and issubclass(aggregate_type, AggregateRoot)):
            raise TypeError(f"aggregate_type must be an AggregateRoot subclass: {aggregate_type!r}")
        self._aggregate_type = aggregate_type
        self._aggregate_id = aggregate_id
        self._ignoring = tuple(ignoring)
        self._history: list[Event] = []
        self._action: Callable[[T], object] | None = None

    def given(self, *events: Event) -> Self:
        """The aggregate's history: events it has already recorded, oldest first."""
        for event in events:
            if not isinstance(event, Event):
                raise TypeError(f"given() takes events, got {event!r}")
        self._history.extend(events)
        return self

    def when(self, action: Callable[[T], object]) -> Self:
        """What the aggregate is asked to do, e.g. `lambda account: account.withdraw(...)`."""
        if not callable(action):
            raise TypeError(f"when() takes a function of the aggregate, got {action!r}")
        if self._action is not None:
            raise ScenarioUsageError("when() is already set: a scenario checks one action")
        self._action = action
        return self

    def _start(self) -> tuple[T, Callable[[T], object]]:
        if self._action is None:
            raise ScenarioUsageError("call when(...) before then(...)")
        aggregate = self._aggregate_type(aggregate_id=self._aggregate_id)
        aggregate._replay_events(self._history)
        return aggregate, self._action

    def _outcome(self, aggregate: T, error: Exception | None) -> Outcome[Event]:
        subject = f"the action on {self._aggregate_type.__name__} {self._aggregate_id!r}"
        return Outcome(subject, list(aggregate.uncommitted_events), error)


class AggregateScenario[T: AggregateRoot](_AggregateScenarioSteps[T]):
    """`AggregateScenario(Account, "ACC-1").given(...).when(...).then(...)` for sync actions."""

    def then(self, *events: Event) -> T:
        """Check the action recorded exactly `events`, in order; returns the aggregate after."""
        __tracebackhide__ = True
        aggregate, error = self._run()
        expect_events(self._outcome(aggregate, error), events, self._ignoring)
        return aggregate

    def then_raises[E: Exception](self, error_type: type[E], match: str | None = None) -> E:
        """Check the action raised an `error_type` (its text matching `match`); returns it."""
        __tracebackhide__ = True
        aggregate, error = self._run()
        return expect_error(self._outcome(aggregate, error), error_type, match, self._ignoring)

    def _run(self) -> tuple[T, Exception | None]:
        aggregate, action = self._start()
        try:
            result = action(aggregate)
        except Exception as error:
            return aggregate, error
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()  # never run: say so instead of warning "never awaited"
            raise ScenarioUsageError(
                "the action returned an awaitable: use AsyncAggregateScenario for async actions"
            )
        return aggregate, None


class AsyncAggregateScenario[T: AggregateRoot](_AggregateScenarioSteps[T]):
    """The async twin: the action may be a coroutine function; `then` is awaited."""

    async def then(self, *events: Event) -> T:
        """Check the action recorded exactly `events`, in order; returns the aggregate after."""
        __tracebackhide__ = True
        aggregate, error = await self._run()
        expect_events(self._outcome(aggregate, error), events, self._ignoring)
        return aggregate

    async def then_raises[E: Exception](self, error_type: type[E], match: str | None = None) -> E:
        """Check the action raised an `error_type` (its text matching `match`); returns it."""
        __tracebackhide__ = True
        aggregate, error = await self._run()
        return expect_error(self._outcome(aggregate, error), error_type, match, self._ignoring)

    async def _run(self) -> tuple[T, Exception | None]:
        aggregate, action = self._start()
        try:
            result = action(aggregate)
            if inspect.isawaitable(result):
                await result
        except Exception as error:
            return aggregate, error
        return aggregate, None


__all__ = ["AggregateScenario", "AsyncAggregateScenario"]
