"""Given / when / then helpers for testing aggregates and command handlers.

Import them in your own tests; they work with any test runner, since a failed expectation is an
`AssertionError` (`ScenarioAssertionError`) whose message shows what differs. Their own frames
set `__tracebackhide__`, so pytest points at the line of the test, not inside the helpers.

- `AggregateScenario(Account, "ACC-1").given(*history).when(action).then(*events)` or
  `.then_raises(Error, match=...)`; `AsyncAggregateScenario` for async actions.
- `HandlerScenario(module.register).given(stream_id, *history).when(command).then(*events)`,
  `.then_published(*messages)` or `.then_raises(...)`, on a fresh in-memory bus and store;
  `AsyncHandlerScenario` on the async bus and store.
- `assert_events_equal(expected, actual)` for events obtained any other way.

Events are compared without `GENERATED_METADATA` (ids, timestamps, correlation...); every
helper takes `ignoring=` to change that.
"""

from orchestrix.testing.aggregate import AggregateScenario, AsyncAggregateScenario
from orchestrix.testing.comparison import GENERATED_METADATA, assert_events_equal
from orchestrix.testing.errors import ScenarioAssertionError, ScenarioUsageError
from orchestrix.testing.handler import AsyncHandlerScenario, HandlerScenario

__all__ = [
    "GENERATED_METADATA",
    "AggregateScenario",
    "AsyncAggregateScenario",
    "AsyncHandlerScenario",
    "HandlerScenario",
    "ScenarioAssertionError",
    "ScenarioUsageError",
    "assert_events_equal",
]
