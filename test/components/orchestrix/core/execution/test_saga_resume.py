"""A saga interrupted mid-way (the process died) is resumed from its stored state.

Here the "crash" is a BaseException raised inside a step: like a killed process, it leaves
the stored state as it was, with no compensation. The real-process SIGKILL tests live beside
the SQLite and PostgreSQL stores.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from orchestrix.core.execution.clock import ManualClock
from orchestrix.core.execution.errors import (
    SagaConcurrencyError,
    SagaDefinitionError,
    SagaNotFoundError,
    SagaStateError,
)
from orchestrix.core.execution.saga import (
    InMemorySagaStateStore,
    ResumePolicy,
    Saga,
    SagaStatus,
    SagaStep,
)
from orchestrix.core.execution.saga_recovery import recover_sagas


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs."""


class World:
    """The effects of the steps, and a switch that makes one call crash."""

    def __init__(self) -> None:
        self.effects: Counter[str] = Counter()
        self.crash_at: str | None = None

    def effect(self, name: str, result: Any = None) -> Any:
        def function(**kwargs: Any) -> Any:
            if self.crash_at == name:
                self.crash_at = None
                raise Crash
            self.effects[name] += 1
            return result

        return function

    def saga(
        self,
        store: InMemorySagaStateStore,
        policy: ResumePolicy = ResumePolicy.CONTINUE,
        saga_type: str = "transfer",
    ) -> Saga:
        return Saga(
            saga_type,
            [
                SagaStep("debit", self.effect("debit", "D"), self.effect("undo debit")),
                SagaStep("credit", self.effect("credit", "C"), self.effect("undo credit")),
                SagaStep("notify", self.effect("notify", "N")),
            ],
            store,
            saga_id="T-1",
            on_interrupted=policy,
        )


async def crashed_in(world: World, store: InMemorySagaStateStore, call: str) -> None:
    world.crash_at = call
    with pytest.raises(Crash):
        await world.saga(store).execute(amount=10)


async def test_resume_continues_with_the_interrupted_step() -> None:
    world, store = World(), InMemorySagaStateStore()
    await crashed_in(world, store, "credit")
    interrupted = await store.load_state("T-1")
    assert interrupted is not None and interrupted.status is SagaStatus.IN_PROGRESS
    assert interrupted.current_step_index == 1

    state = await world.saga(store).resume("T-1")
    assert state.status is SagaStatus.COMPLETED
    assert world.effects == Counter(debit=1, credit=1, notify=1)
    assert state.step_results == {"debit": "D", "credit": "C", "notify": "N"}
    assert state.context == {"amount": 10}


async def test_resume_compensates_when_the_saga_says_so() -> None:
    world, store = World(), InMemorySagaStateStore()
    await crashed_in(world, store, "credit")
    state = await world.saga(store, ResumePolicy.COMPENSATE).resume("T-1")
    assert state.status is SagaStatus.FAILED
    assert state.error == "Step 'credit' was interrupted"
    assert world.effects == Counter({"debit": 1, "undo debit": 1})
    assert state.step_statuses["credit"].status == "failed"
    assert state.step_statuses["debit"].status == "compensated"


async def test_resume_finishes_an_interrupted_compensation() -> None:
    world, store = World(), InMemorySagaStateStore()
    world.crash_at = "undo credit"

    def refuse(**kwargs: Any) -> None:
        raise RuntimeError("refused")

    saga = Saga(
        "transfer",
        [
            SagaStep("debit", world.effect("debit", "D"), world.effect("undo debit")),
            SagaStep("credit", world.effect("credit", "C"), world.effect("undo credit")),
            SagaStep("notify", refuse),
        ],
        store,
        saga_id="T-1",
    )
    with pytest.raises(Crash):
        await saga.execute()
    stored = await store.load_state("T-1")
    assert stored is not None and stored.status is SagaStatus.COMPENSATING

    state = await saga.resume()
    assert state.status is SagaStatus.FAILED and state.error == "refused"
    assert world.effects == Counter({"debit": 1, "credit": 1, "undo credit": 1, "undo debit": 1})


async def test_resuming_an_ended_saga_changes_nothing() -> None:
    world, store = World(), InMemorySagaStateStore()
    saga = world.saga(store)
    await saga.execute()
    done = await store.load_state("T-1")
    assert await world.saga(store).resume("T-1") == done
    assert world.effects == Counter(debit=1, credit=1, notify=1)


async def test_resume_refuses_what_it_cannot_continue() -> None:
    world, store = World(), InMemorySagaStateStore()
    with pytest.raises(SagaNotFoundError, match="'nope'") as missing:
        await world.saga(store).resume("nope")
    assert isinstance(missing.value, LookupError)

    pending = world.saga(store)
    await pending.initialize()
    with pytest.raises(SagaStateError, match="never executed"):
        await world.saga(store).resume("T-1")

    await crashed_in(World(), other := InMemorySagaStateStore(), "credit")
    with pytest.raises(SagaStateError, match="'transfer' saga, not 'refund'"):
        await world.saga(other, saga_type="refund").resume("T-1")
    renamed = Saga("transfer", [SagaStep("take", print)], other)
    with pytest.raises(SagaStateError, match="do not match"):
        await renamed.resume("T-1")


async def test_two_resumers_cannot_both_run_the_interrupted_step() -> None:
    world, store = World(), InMemorySagaStateStore()
    await crashed_in(world, store, "credit")
    first, second = world.saga(store), world.saga(store)
    stale = await store.load_state("T-1")
    await first.resume("T-1")

    class Stale(InMemorySagaStateStore):
        async def load_state(self, saga_id: str) -> Any:
            return stale

        async def save_state(self, state: Any, expected_version: int | None = None) -> None:
            await store.save_state(state, expected_version)

    second.state_store = Stale()
    with pytest.raises(SagaConcurrencyError):
        await second.resume("T-1")
    assert world.effects == Counter(debit=1, credit=1, notify=1)


async def test_recovery_resumes_every_unfinished_saga_it_knows() -> None:
    world, store = World(), InMemorySagaStateStore()
    await crashed_in(world, store, "credit")
    other = Saga("other", [SagaStep("a", world.effect("a"))], store, saga_id="O-1")
    await other.execute()
    unknown = Saga("unknown", [SagaStep("x", world.effect("x"))], store, saga_id="U-1")
    world.crash_at = "x"
    with pytest.raises(Crash):
        await unknown.execute()

    recovered = await recover_sagas([world.saga(store), other])
    assert [(state.saga_id, state.status) for state in recovered] == [("T-1", SagaStatus.COMPLETED)]
    assert world.effects["credit"] == 1 and world.effects["x"] == 0
    unfinished = await store.load_state("U-1")
    assert unfinished is not None and unfinished.status is SagaStatus.IN_PROGRESS


async def test_recovery_leaves_sagas_saved_recently_alone() -> None:
    world, store = World(), InMemorySagaStateStore()
    await crashed_in(world, store, "credit")
    stored = await store.load_state("T-1")
    assert stored is not None
    clock = ManualClock(stored.updated_at)
    later = timedelta(minutes=5)
    assert await recover_sagas([world.saga(store)], older_than=later, clock=clock) == []
    clock.advance(later)
    (state,) = await recover_sagas([world.saga(store)], older_than=later, clock=clock)
    assert state.status is SagaStatus.COMPLETED


async def test_recovery_refuses_two_definitions_of_one_type() -> None:
    world, store = World(), InMemorySagaStateStore()
    with pytest.raises(SagaDefinitionError, match="Two sagas"):
        await recover_sagas([world.saga(store), world.saga(store)])


async def test_recovery_skips_a_saga_it_cannot_continue_and_resumes_the_rest() -> None:
    store = InMemorySagaStateStore()
    old, new = World(), World()
    old_shape = Saga(
        "transfer",
        [SagaStep("take", old.effect("take")), SagaStep("give", old.effect("give"))],
        store,
        saga_id="OLD",
    )
    old.crash_at = "give"
    with pytest.raises(Crash):
        await old_shape.execute()
    await crashed_in(new, store, "credit")
    (state,) = await recover_sagas([new.saga(store)])
    assert state.saga_id == "T-1" and state.status is SagaStatus.COMPLETED
    stuck = await store.load_state("OLD")
    assert stuck is not None and stuck.status is SagaStatus.IN_PROGRESS
