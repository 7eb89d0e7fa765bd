"""The saga runs its steps in order, compensates by SPEC §4's rules, and saves every transition."""

from __future__ import annotations

import asyncio
import copy
import threading
from decimal import Decimal
from typing import Any

import pytest

from orchestrix.core.common.retry import FixedDelay
from orchestrix.core.execution.errors import (
    SagaConcurrencyError,
    SagaDefinitionError,
    SagaStateError,
    StateEncodingError,
    StepTimeoutError,
)
from orchestrix.core.execution.saga import (
    InMemorySagaStateStore,
    Saga,
    SagaState,
    SagaStatus,
    SagaStep,
    SagaStepStatus,
)
from test.components.orchestrix.core.common.recorders import RecordingTracing, StartEndTracer


class RecordingStore(InMemorySagaStateStore):
    """Keeps a deep copy of every saved state beside the state object itself."""

    def __init__(self) -> None:
        super().__init__()
        self.saved: list[tuple[SagaState, SagaState]] = []

    async def save_state(self, state: SagaState, expected_version: int | None = None) -> None:
        await super().save_state(state, expected_version)
        self.saved.append((state, copy.deepcopy(state)))

    @property
    def statuses(self) -> list[tuple[str, dict[str, str]]]:
        return [
            (state.status.value, {name: s.status for name, s in state.step_statuses.items()})
            for state, _ in self.saved
        ]


class Ledger:
    """Records every call a step makes, with its arguments."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def step(self, name: str, result: Any = None, fail: Exception | None = None) -> Any:
        def function(**kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            if fail is not None:
                raise fail
            return result

        return function

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


def keep_result(kept: list[Any]) -> Any:
    """A compensation that records the result it is given."""

    def compensate(result: Any) -> None:
        kept.append(result)

    return compensate


async def test_steps_run_in_order_and_execute_returns_the_last_result() -> None:
    order: list[str] = []

    def reserve(order_id: str) -> str:
        order.append(f"reserve {order_id}")
        return "R-1"

    async def charge(order_id: str, amount: Decimal) -> str:
        await asyncio.sleep(0)
        order.append(f"charge {amount}")
        return "P-1"

    saga = Saga(
        "order",
        [SagaStep("reserve", reserve), SagaStep("charge", charge)],
        InMemorySagaStateStore(),
    )
    await saga.initialize()
    assert await saga.execute(order_id="O-1", amount=Decimal("9.99")) == "P-1"
    assert order == ["reserve O-1", "charge 9.99"]
    assert saga.is_completed() and saga.is_successful()
    state = saga.get_state()
    assert state is not None
    assert state.status is SagaStatus.COMPLETED and state.status == "completed"
    assert state.step_results == {"reserve": "R-1", "charge": "P-1"}
    assert state.context == {"order_id": "O-1", "amount": Decimal("9.99")}
    assert state.started_at is not None and state.completed_at is not None


async def test_each_action_gets_only_the_arguments_and_earlier_results_it_accepts() -> None:
    seen: dict[str, dict[str, Any]] = {}

    def first(order_id: str) -> str:
        seen["first"] = {"order_id": order_id}
        return "one"

    def second(first: str, *, amount: int = 0) -> str:
        seen["second"] = {"first": first, "amount": amount}
        return "two"

    def third(**everything: Any) -> None:
        seen["third"] = everything

    def fourth() -> str:
        seen["fourth"] = {}
        return "four"

    saga = Saga(
        "args",
        [
            SagaStep("first", first),
            SagaStep("second", second),
            SagaStep("third", third),
            SagaStep("fourth", fourth),
        ],
        InMemorySagaStateStore(),
    )
    assert await saga.execute(order_id="O", amount=3) == "four"
    assert seen == {
        "first": {"order_id": "O"},
        "second": {"first": "one", "amount": 3},
        "third": {"order_id": "O", "amount": 3, "first": "one", "second": "two"},
        "fourth": {},
    }


async def test_a_failure_compensates_completed_steps_in_reverse_and_reraises() -> None:
    ledger = Ledger()
    declined = RuntimeError("card declined")
    store = RecordingStore()
    saga = Saga(
        "order",
        [
            SagaStep("reserve", ledger.step("reserve", "R-1"), ledger.step("release")),
            SagaStep("notify", ledger.step("notify", "N-1")),  # nothing to undo
            SagaStep("hold", ledger.step("hold", "H-1"), ledger.step("unhold")),
            SagaStep("charge", ledger.step("charge", fail=declined), ledger.step("refund")),
            SagaStep("ship", ledger.step("ship")),
        ],
        store,
    )
    with pytest.raises(RuntimeError) as raised:
        await saga.execute(order_id="O-1")
    assert raised.value is declined
    # The failed step's own compensation is not called (first release defect #12).
    assert ledger.names == ["reserve", "notify", "hold", "charge", "unhold", "release"]
    calls = dict(ledger.calls)
    others = {"reserve": "R-1", "notify": "N-1", "hold": "H-1"}
    assert calls["unhold"] == {
        "order_id": "O-1",
        "reserve": "R-1",
        "notify": "N-1",
        "result": "H-1",
    }
    assert calls["release"] == {**{k: v for k, v in others.items() if k != "reserve"}} | {
        "order_id": "O-1",
        "result": "R-1",
    }
    state = saga.get_state()
    assert state is not None
    assert state.status is SagaStatus.FAILED and state.error == "card declined"
    assert {name: s.status for name, s in state.step_statuses.items()} == {
        "reserve": "compensated",
        "notify": "completed",
        "hold": "compensated",
        "charge": "failed",
    }
    assert state.step_statuses["charge"].error == "card declined"
    assert state.step_statuses["hold"].result == "H-1"
    assert state.current_step_index == 3
    assert state.compensation_errors == {}


async def test_compensations_receive_only_what_their_signature_accepts() -> None:
    received: list[tuple[str, Any]] = []

    def release(order_id: str, result: str) -> None:
        received.append((order_id, result))

    def fail() -> None:
        raise ValueError("no")

    saga = Saga(
        "order",
        [SagaStep("reserve", lambda: "R-9", release), SagaStep("charge", fail)],
        InMemorySagaStateStore(),
    )
    with pytest.raises(ValueError, match="no"):
        await saga.execute(order_id="O-9", amount=1)
    assert received == [("O-9", "R-9")]


async def test_every_compensation_failure_is_kept_and_the_rest_still_run() -> None:
    ledger = Ledger()
    saga = Saga(
        "order",
        [
            SagaStep("a", ledger.step("a", 1), ledger.step("undo a")),
            SagaStep("b", ledger.step("b", 2), ledger.step("undo b", fail=OSError("disk"))),
            SagaStep("c", ledger.step("c", 3), ledger.step("undo c", fail=KeyError("gone"))),
            SagaStep("d", ledger.step("d", fail=RuntimeError("boom"))),
        ],
        InMemorySagaStateStore(),
    )
    with pytest.raises(RuntimeError, match="boom") as raised:
        await saga.execute()
    assert ledger.names == ["a", "b", "c", "d", "undo c", "undo b", "undo a"]
    assert raised.value.__notes__ == [
        "Compensation of step 'c' failed: KeyError: 'gone'",
        "Compensation of step 'b' failed: OSError: disk",
    ]
    state = saga.get_state()
    assert state is not None and state.status is SagaStatus.FAILED
    assert state.error == "boom"
    assert state.compensation_errors == {"c": "'gone'", "b": "disk"}
    assert state.step_statuses["a"].status == SagaStepStatus.COMPENSATED
    assert state.step_statuses["b"].result == 2  # the action's result is kept
    assert not saga.is_successful() and saga.is_completed()


async def test_every_transition_is_saved_as_a_new_state_one_write_each() -> None:
    store = RecordingStore()
    noop = SagaStep("one", lambda: None), SagaStep("two", lambda: None)
    saga = Saga("plain", [*noop, SagaStep("three", lambda: "done")], store)
    await saga.initialize()
    await saga.execute()
    assert store.statuses == [
        ("pending", {}),
        ("in_progress", {"one": "pending"}),
        ("in_progress", {"one": "completed", "two": "pending"}),
        ("in_progress", {"one": "completed", "two": "completed", "three": "pending"}),
        ("completed", {"one": "completed", "two": "completed", "three": "completed"}),
    ]
    assert [state.version for state, _ in store.saved] == [1, 2, 3, 4, 5]
    for state, copied in store.saved:  # replaced, never mutated afterwards
        assert state == copied


async def test_compensation_transitions_are_saved_too() -> None:
    store = RecordingStore()

    def fail() -> None:
        raise RuntimeError("x")

    saga = Saga(
        "comp",
        [
            SagaStep("a", lambda: 1, lambda: None),
            SagaStep("b", lambda: 2, lambda: None),
            SagaStep("c", fail),
        ],
        store,
    )
    with pytest.raises(RuntimeError):
        await saga.execute()
    assert store.statuses[-3:] == [
        ("compensating", {"a": "completed", "b": "compensating", "c": "failed"}),
        ("compensating", {"a": "compensating", "b": "compensated", "c": "failed"}),
        ("failed", {"a": "compensated", "b": "compensated", "c": "failed"}),
    ]
    for state, copied in store.saved:
        assert state == copied


async def test_a_failing_first_step_fails_the_saga_with_nothing_to_undo() -> None:
    store = RecordingStore()

    def fail() -> None:
        raise RuntimeError("first")

    saga = Saga("first", [SagaStep("a", fail, lambda: None)], store)
    with pytest.raises(RuntimeError, match="first"):
        await saga.execute()
    assert store.statuses == [("in_progress", {"a": "pending"}), ("failed", {"a": "failed"})]


async def test_a_step_is_retried_as_its_policy_allows() -> None:
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("try again")
        return "ok"

    saga = Saga(
        "retry",
        [SagaStep("flaky", flaky, retry=FixedDelay(max_retries=2, delay=0))],
        InMemorySagaStateStore(),
    )
    assert await saga.execute() == "ok"
    assert len(attempts) == 3

    attempts.clear()
    stingy = Saga(
        "retry",
        [SagaStep("flaky", flaky, retry=FixedDelay(max_retries=1, delay=0))],
        InMemorySagaStateStore(),
    )
    with pytest.raises(ConnectionError):
        await stingy.execute()
    assert len(attempts) == 2


async def test_a_compensation_is_retried_with_the_step_policy() -> None:
    tries: list[int] = []

    def undo() -> None:
        tries.append(1)
        if len(tries) == 1:
            raise ConnectionError("once")

    def fail() -> None:
        raise RuntimeError("x")

    saga = Saga(
        "retry",
        [
            SagaStep("a", lambda: 1, undo, retry=FixedDelay(max_retries=1, delay=0)),
            SagaStep("b", fail),
        ],
        InMemorySagaStateStore(),
    )
    with pytest.raises(RuntimeError):
        await saga.execute()
    state = saga.get_state()
    assert state is not None and state.step_statuses["a"].status == "compensated"
    assert len(tries) == 2


async def test_an_async_step_that_times_out_fails_and_earlier_steps_are_undone() -> None:
    undone: list[str] = []
    never = asyncio.Event()

    async def hang() -> None:
        await never.wait()

    saga = Saga(
        "timeout",
        [
            SagaStep("a", lambda: "A", keep_result(undone)),
            SagaStep("slow", hang, timeout=0.01),
        ],
        InMemorySagaStateStore(),
    )
    with pytest.raises(StepTimeoutError) as raised:
        await saga.execute()
    assert isinstance(raised.value, TimeoutError)
    assert raised.value.step_name == "slow"
    assert undone == ["A"]
    state = saga.get_state()
    assert state is not None and state.status is SagaStatus.FAILED
    assert state.step_statuses["slow"].status == "failed"
    assert "did not finish within 0.01 s" in (state.error or "")


async def test_a_blocking_step_that_times_out_fails_too() -> None:
    release = threading.Event()

    def block() -> None:
        release.wait(30)

    saga = Saga("timeout", [SagaStep("block", block, timeout=0.01)], InMemorySagaStateStore())
    try:
        with pytest.raises(StepTimeoutError):
            await saga.execute()
    finally:
        release.set()
    assert saga.get_state() is not None and not saga.is_successful()


async def test_a_timed_attempt_is_retried() -> None:
    calls: list[int] = []

    async def slow_then_fast() -> str:
        calls.append(1)
        if len(calls) == 1:
            await asyncio.Event().wait()
        return "fast"

    step = SagaStep("s", slow_then_fast, timeout=0.01, retry=FixedDelay(max_retries=1, delay=0))
    assert await Saga("t", [step], InMemorySagaStateStore()).execute() == "fast"


@pytest.mark.parametrize("tracer_class", [RecordingTracing, StartEndTracer])
async def test_each_step_gets_a_span_and_a_failure_marks_its_span(
    tracer_class: type[StartEndTracer],
) -> None:
    tracer = tracer_class()

    def fail() -> None:
        raise RuntimeError("no")

    saga = Saga(
        "traced",
        [SagaStep("a", lambda: 1, lambda: None), SagaStep("b", fail)],
        InMemorySagaStateStore(),
        tracing=tracer,  # type: ignore[arg-type]
    )
    with pytest.raises(RuntimeError):
        await saga.execute()
    *steps, run = tracer.ended
    assert [(s.operation, s.attributes["saga.step"], s.status) for s in steps] == [
        ("saga.action", "a", "ok"),
        ("saga.action", "b", "error"),
        ("saga.compensation", "a", "ok"),
    ]
    assert tracer.ended[1].attributes["error.message"] == "no"
    assert tracer.ended[0].attributes["saga.id"] == saga.saga_id
    assert tracer.ended[0].attributes["saga.type"] == "traced"
    assert (run.operation, run.status, run.attributes["saga.id"]) == (
        "saga.execute",
        "error",
        saga.saga_id,
    )


async def test_a_result_that_cannot_be_stored_fails_its_step() -> None:
    undone: list[int] = []
    saga = Saga(
        "unstorable",
        [SagaStep("a", lambda: 1, keep_result(undone)), SagaStep("b", object)],
        InMemorySagaStateStore(),
    )
    with pytest.raises(StateEncodingError, match="object"):
        await saga.execute()
    assert undone == [1]
    state = saga.get_state()
    assert state is not None and state.step_statuses["b"].status == "failed"


async def test_arguments_that_cannot_be_stored_are_refused_before_any_step() -> None:
    ran: list[int] = []
    store = InMemorySagaStateStore()
    saga = Saga("bad", [SagaStep("a", lambda: ran.append(1))], store)
    with pytest.raises(StateEncodingError):
        await saga.execute(connection=object())
    assert ran == []
    assert await store.load_state(saga.saga_id) is None


async def test_the_saga_id_can_be_given_or_assigned() -> None:
    store = InMemorySagaStateStore()
    given = Saga("t", [SagaStep("a", lambda: 1)], store, saga_id="S-1")
    assert given.saga_id == "S-1"
    await given.execute()
    again = Saga("t", [SagaStep("a", lambda: 1)], store)
    again.saga_id = "S-1"
    await again.initialize()
    assert again.is_successful()
    with pytest.raises(SagaDefinitionError):
        again.saga_id = ""
    with pytest.raises(SagaDefinitionError, match="Saga id cannot be empty"):
        Saga("t", [SagaStep("a", lambda: 1)], store, saga_id="")


async def test_executing_a_saga_twice_is_refused() -> None:
    saga = Saga("t", [SagaStep("a", lambda: 1)], InMemorySagaStateStore())
    await saga.execute()
    with pytest.raises(SagaStateError, match="already been executed"):
        await saga.execute()


async def test_a_stale_saga_object_cannot_overwrite_newer_progress() -> None:
    store = InMemorySagaStateStore()
    late = Saga("t", [SagaStep("a", lambda: 1)], store, saga_id="S")
    await late.initialize()
    await Saga("t", [SagaStep("a", lambda: 1)], store, saga_id="S").execute()
    with pytest.raises(SagaConcurrencyError) as raised:
        await late.execute()
    assert raised.value.expected_version == 1 and raised.value.actual_version == 3


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda store: Saga("t", [], store), "at least one step"),
        (
            lambda store: Saga("t", [SagaStep("a", print), SagaStep("a", print)], store),
            "'a' is used twice",
        ),
        (lambda store: Saga("", [SagaStep("a", print)], store), "type cannot be empty"),
        (lambda store: Saga("t", ["a"], store), "must be SagaStep"),
        (lambda store: Saga("t", [SagaStep("a", print)], None), "state_store"),
        (lambda store: SagaStep("a", 42), "action must be callable, got int"),
        (lambda store: SagaStep("a", print, "undo"), "compensation must be callable"),
        (lambda store: SagaStep("", print), "Step name cannot be empty"),
        (lambda store: SagaStep("a", None), "Step action cannot be None"),
        (lambda store: SagaStep("result", print), "reserved"),
        (lambda store: SagaStep("a", print, retry=3), "retry must be a RetryPolicy"),
        (lambda store: SagaStep("a", print, timeout=0), "timeout must be a positive"),
        (lambda store: SagaStep("a", print, timeout=float("nan")), "timeout must be a positive"),
    ],
)
def test_bad_definitions_get_a_clear_error(build: Any, message: str) -> None:
    with pytest.raises(SagaDefinitionError, match=message) as raised:
        build(InMemorySagaStateStore())
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize("argument", ["a", "result"])
async def test_execute_arguments_may_not_shadow_step_results(argument: str) -> None:
    store = InMemorySagaStateStore()
    saga = Saga("t", [SagaStep("a", print)], store)
    with pytest.raises(SagaDefinitionError, match="clash"):
        await saga.execute(**{argument: 1})
    assert await store.load_state(saga.saga_id) is None


async def test_execute_without_initialize_finds_a_stored_saga() -> None:
    store = RecordingStore()
    pending = Saga("t", [SagaStep("a", lambda: 1)], store, saga_id="S")
    await pending.initialize()
    fresh = Saga("t", [SagaStep("a", lambda: 2)], store, saga_id="S")
    assert await fresh.execute() == 2  # the stored PENDING saga is started
    assert [state.version for state, _ in store.saved] == [1, 2, 3]
    again = Saga("t", [SagaStep("a", lambda: 3)], store, saga_id="S")
    with pytest.raises(SagaStateError, match="already been executed"):
        await again.execute()
    other_type = Saga("u", [SagaStep("a", lambda: 3)], store, saga_id="S")
    with pytest.raises(SagaStateError, match="'t' saga, not 'u'"):
        await other_type.execute()
