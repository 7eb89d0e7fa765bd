"""The projection runner over the in-memory stores (sync and async) and checkpoint store."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from orchestrix.core.common.exceptions import StoreUnavailableError
from orchestrix.core.common.observability import ObservabilityHooks
from orchestrix.core.common.retry import FixedDelay
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.event_log import (
    START,
    AsyncBatchedEventLog,
    Checkpoint,
    RecordedEvent,
)
from orchestrix.core.eventsourcing.projection import ProjectionEngine
from orchestrix.core.eventsourcing.projection_error_policy import ErrorPolicy, OnFailure
from orchestrix.core.eventsourcing.projection_errors import (
    ProjectionLockedError,
    ProjectionStoppedError,
    ProjectionWaitTimeoutError,
)
from orchestrix.core.eventsourcing.projection_state import InMemoryProjectionStateStore
from orchestrix.core.eventsourcing.projection_waiting import wait_for_projections
from orchestrix.core.eventsourcing.subscription import ProjectionRunner, RunnerStatus, StartFrom
from orchestrix.core.eventsourcing.subscription_lag import Backlog
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.checkpoint_store import InMemoryCheckpointStore
from orchestrix.infrastructure.memory.store import InMemoryEventStore
from test.components.orchestrix.core.common.recorders import (
    RecordingMetrics,
    RecordingTracing,
    observing,
)

type Store = InMemoryEventStore | InMemoryAsyncEventStore


@dataclass(frozen=True, kw_only=True)
class Deposited(Event, type_name="subscription_tests.Deposited"):
    account: str
    amount: int


@dataclass(frozen=True, kw_only=True)
class Audited(Event, type_name="subscription_tests.Audited"):
    pass


async def save(store: Store, *events: Event, stream: str = "acc") -> Checkpoint:
    """Save and return the checkpoint of the last event written (what `save` returns)."""
    result = store.save(stream, list(events))
    checkpoint = await result if inspect.isawaitable(result) else result
    assert checkpoint is not None
    return checkpoint


async def deposit(store: Store, count: int, amount: int = 1, first: int = 0) -> Checkpoint:
    events = [Deposited(account=f"a{(first + n) % 3}", amount=amount) for n in range(count)]
    return await save(store, *events)


class Balances:
    """A read model and the engine that builds it."""

    def __init__(self, checkpoints: InMemoryCheckpointStore, name: str = "balances") -> None:
        self.engine = ProjectionEngine(name, checkpoints)
        self.balances: dict[str, int] = {}
        self.seen: list[str] = []
        self.engine.on(Deposited)(self.apply)
        self.engine.on_reset(self.clear)

    def apply(self, event: Deposited) -> None:
        self.balances[event.account] = self.balances.get(event.account, 0) + event.amount
        self.seen.append(event.id)

    def clear(self) -> None:
        self.balances.clear()
        self.seen.clear()


@pytest.fixture(params=["sync", "async"])
def store(request: pytest.FixtureRequest) -> Store:
    return InMemoryEventStore() if request.param == "sync" else InMemoryAsyncEventStore()


@pytest.fixture
def checkpoints() -> InMemoryCheckpointStore:
    return InMemoryCheckpointStore()


@pytest.fixture
async def running() -> AsyncIterator[list[ProjectionRunner]]:
    """Runners a test starts; all are stopped afterwards."""
    runners: list[ProjectionRunner] = []
    yield runners
    for runner in runners:
        await runner.stop()


async def started(running: list[ProjectionRunner], runner: ProjectionRunner) -> ProjectionRunner:
    running.append(runner)
    await runner.start()
    return runner


async def eventually(condition: Any) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the condition did not come true within 10 s")


async def test_catch_up_processes_the_whole_log_in_batches(
    store: Store, checkpoints: InMemoryCheckpointStore
) -> None:
    last = await deposit(store, 1234)
    model = Balances(checkpoints)
    commits: list[Checkpoint] = []
    original = checkpoints.transaction

    def counting() -> Any:
        transaction = original()
        save_state = transaction.save_state

        async def spy(state: Any, expected: Checkpoint) -> None:
            commits.append(state.checkpoint)
            await save_state(state, expected)

        transaction.save_state = spy  # type: ignore[method-assign]
        return transaction

    checkpoints.transaction = counting  # type: ignore[method-assign]
    runner = ProjectionRunner(model.engine, store, batch_size=100)
    await runner.catch_up()
    assert len(model.seen) == 1234 and len(set(model.seen)) == 1234
    assert sum(model.balances.values()) == 1234
    assert runner.state is not None and runner.state.checkpoint == last
    assert model.engine.get_state() == runner.state
    assert commits[-1] == last and len(commits) <= 1 + 13  # the initial state, then per batch
    assert runner.status is RunnerStatus.STOPPED


class EventByEventLog:
    """An async log without `read_batches`, such as an application's own wrapper."""

    def __init__(self, store: InMemoryAsyncEventStore) -> None:
        self.store = store
        self.passes = 0

    def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        self.passes += 1
        return self.store.read_all(after, batch_size)


async def test_an_async_log_is_taken_a_batch_at_a_time_where_it_offers_batches(
    checkpoints: InMemoryCheckpointStore,
) -> None:
    store = InMemoryAsyncEventStore()
    last = await deposit(store, 250)
    taken: list[int] = []
    read_batches = store.read_batches

    async def counted(after: Checkpoint, batch_size: int) -> AsyncIterator[list[RecordedEvent]]:
        async for batch in read_batches(after, batch_size):
            taken.append(len(batch))
            yield batch

    store.read_batches = counted  # type: ignore[method-assign]
    assert isinstance(store, AsyncBatchedEventLog)
    model = Balances(checkpoints)
    runner = ProjectionRunner(model.engine, store, batch_size=100)
    await runner.catch_up()
    assert sum(model.balances.values()) == 250 and len(set(model.seen)) == 250
    assert runner.state is not None and runner.state.checkpoint == last
    assert taken == [100, 100, 50]


async def test_an_async_log_without_batches_is_taken_event_by_event(
    checkpoints: InMemoryCheckpointStore,
) -> None:
    store = InMemoryAsyncEventStore()
    last = await deposit(store, 250)
    log = EventByEventLog(store)
    assert not isinstance(log, AsyncBatchedEventLog)
    model = Balances(checkpoints)
    runner = ProjectionRunner(model.engine, log, batch_size=100)
    await runner.catch_up()
    assert sum(model.balances.values()) == 250 and len(set(model.seen)) == 250
    assert runner.state is not None and runner.state.checkpoint == last
    assert log.passes >= 1


async def test_a_running_projection_follows_new_events(
    store: Store, checkpoints: InMemoryCheckpointStore, running: list[ProjectionRunner]
) -> None:
    await deposit(store, 10)
    model = Balances(checkpoints)
    runner = await started(running, ProjectionRunner(model.engine, store, batch_size=4))
    await asyncio.wait_for(runner.wait_caught_up(), 10)
    assert runner.status is RunnerStatus.LIVE
    for round_ in range(5):
        checkpoint = await deposit(store, 3, amount=10, first=round_)
        await runner.wait_for(checkpoint, timeout=10)
    assert sum(model.balances.values()) == 10 + 5 * 3 * 10
    assert await runner.lag() == (await runner.lag()).__class__(0, 0.0)


async def test_start_from_the_head_skips_the_past(
    store: Store, checkpoints: InMemoryCheckpointStore, running: list[ProjectionRunner]
) -> None:
    await deposit(store, 5)
    model = Balances(checkpoints)
    runner = await started(
        running, ProjectionRunner(model.engine, store, start_from=StartFrom.HEAD)
    )
    await asyncio.wait_for(runner.wait_caught_up(), 10)
    assert model.seen == []
    checkpoint = await deposit(store, 2, amount=7)
    await runner.wait_for(checkpoint, timeout=10)
    assert sum(model.balances.values()) == 14


async def test_start_from_a_checkpoint_and_a_stored_checkpoint_wins(
    store: Store, checkpoints: InMemoryCheckpointStore
) -> None:
    await deposit(store, 10)
    model = Balances(checkpoints)
    await ProjectionRunner(model.engine, store, start_from=Checkpoint(0, 6)).catch_up()
    assert len(model.seen) == 4
    await deposit(store, 1)
    await ProjectionRunner(model.engine, store, start_from=StartFrom.ORIGIN).catch_up()
    assert len(model.seen) == 5  # resumed from the stored checkpoint, not the origin


async def test_pause_holds_new_batches_until_resumed(
    store: Store, checkpoints: InMemoryCheckpointStore, running: list[ProjectionRunner]
) -> None:
    model = Balances(checkpoints)
    runner = await started(running, ProjectionRunner(model.engine, store))
    await asyncio.wait_for(runner.wait_caught_up(), 10)
    runner.pause()
    await eventually(lambda: runner.status is RunnerStatus.PAUSED)
    checkpoint = await deposit(store, 3)
    with pytest.raises(ProjectionWaitTimeoutError):
        await runner.wait_for(checkpoint, timeout=0.2)
    assert model.seen == []
    runner.resume()
    await runner.wait_for(checkpoint, timeout=10)
    assert len(model.seen) == 3
    assert runner.status is RunnerStatus.LIVE


async def test_reset_of_a_paused_runner_empties_the_model_and_it_stays_paused(
    store: Store, checkpoints: InMemoryCheckpointStore, running: list[ProjectionRunner]
) -> None:
    model = Balances(checkpoints)
    checkpoint = await deposit(store, 4)
    runner = await started(running, ProjectionRunner(model.engine, store))
    await runner.wait_for(checkpoint, timeout=10)
    runner.pause()
    await eventually(lambda: runner.status is RunnerStatus.PAUSED)
    await asyncio.wait_for(runner.reset(), 10)
    assert model.balances == {}
    assert runner.state is not None and runner.state.checkpoint == START
    await asyncio.sleep(0.05)  # time enough to rebuild, if it were not paused
    assert (runner.status, model.balances) == (RunnerStatus.PAUSED, {})
    runner.resume()
    await runner.wait_for(checkpoint, timeout=10)
    assert sum(model.balances.values()) == 4


async def test_stop_finishes_the_batch_in_progress(
    store: Store, checkpoints: InMemoryCheckpointStore, running: list[ProjectionRunner]
) -> None:
    last = await deposit(store, 10)
    entered, release = asyncio.Event(), asyncio.Event()
    engine = ProjectionEngine("slow", checkpoints)
    seen: list[str] = []

    @engine.on(Deposited)
    async def slow(event: Deposited) -> None:
        if len(seen) == 3:
            entered.set()
            await release.wait()
        seen.append(event.id)

    runner = await started(running, ProjectionRunner(engine, store, batch_size=10))
    await asyncio.wait_for(entered.wait(), 10)
    stopping = asyncio.create_task(runner.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert len(seen) == 10
    assert runner.status is RunnerStatus.STOPPED
    state = await checkpoints.load_state("slow")
    assert state is not None and state.checkpoint == last


async def test_lag_counts_events_and_the_age_of_the_oldest(
    store: Store, checkpoints: InMemoryCheckpointStore
) -> None:
    await deposit(store, 7)
    model = Balances(checkpoints)
    runner = ProjectionRunner(model.engine, store)
    lag = await runner.lag()
    assert lag.events == 7 and lag.seconds >= 0
    await runner.catch_up()
    assert (await runner.lag()).events == 0
    assert (await runner.lag()).seconds == 0.0


async def test_a_handler_failing_for_good_stops_the_projection_before_the_event(
    store: Store, checkpoints: InMemoryCheckpointStore
) -> None:
    await deposit(store, 3)
    await save(store, Deposited(account="bad", amount=0))
    await deposit(store, 2)
    engine = ProjectionEngine("strict", checkpoints)
    attempts: list[str] = []
    applied: list[str] = []

    @engine.on(Deposited)
    def apply(event: Deposited) -> None:
        if event.account == "bad":
            attempts.append(event.id)
            raise ValueError("cannot project a zero deposit")
        applied.append(event.account)

    policy = ErrorPolicy(retry=FixedDelay(max_retries=2, delay=0.0), on_failure=OnFailure.STOP)
    runner = ProjectionRunner(engine, store, error_policy=policy, batch_size=100)
    with pytest.raises(ProjectionStoppedError) as stopped:
        await runner.catch_up()
    assert len(attempts) == 3  # the first try and two retries
    assert isinstance(stopped.value.__cause__, ValueError)
    assert runner.status is RunnerStatus.FAILED and not runner.is_healthy()
    assert runner.error is stopped.value
    state = await checkpoints.load_state("strict")
    assert state is not None
    assert (state.checkpoint, state.is_healthy, state.error_count) == (Checkpoint(0, 3), False, 1)
    assert len(applied) == 3

    fixed = ProjectionEngine("strict", checkpoints)
    fixed.on(Deposited)(lambda event: applied.append(event.account))
    await ProjectionRunner(fixed, store).catch_up()
    assert applied[3:] == ["bad", "a0", "a1"]
    assert fixed.is_healthy()


async def test_a_transient_failure_is_retried_and_nothing_is_dead_lettered(
    store: Store, checkpoints: InMemoryCheckpointStore
) -> None:
    await deposit(store, 4)
    engine = ProjectionEngine("flaky", checkpoints)
    failures, applied = [2], []

    @engine.on(Deposited)
    def apply(event: Deposited) -> None:
        if len(applied) == 2 and failures[0]:
            failures[0] -= 1
            raise ConnectionError("read model briefly down")
        applied.append(event.id)

    policy = ErrorPolicy(retry=FixedDelay(max_retries=3, delay=0.0), on_failure=OnFailure.SKIP)
    runner = ProjectionRunner(engine, store, error_policy=policy)
    await runner.catch_up()
    assert len(applied) == 4 and len(set(applied)) == 4
    assert await runner.dead_letters() == []
    assert runner.is_healthy()


async def test_skip_dead_letters_bad_input_and_replays_it_once_fixed(
    store: Store, checkpoints: InMemoryCheckpointStore
) -> None:
    await deposit(store, 2)
    odd = Audited()  # the projection's code expects every event to carry an amount
    await save(store, odd)
    await deposit(store, 2)
    engine = ProjectionEngine("totals", checkpoints)
    total: list[int] = []
    fixed = False

    @engine.on(Event)
    def add(event: Event) -> None:
        amount = getattr(event, "amount", 0) if fixed else event.amount  # type: ignore[attr-defined]
        total.append(amount)

    policy = ErrorPolicy(retry=FixedDelay(max_retries=1, delay=0.0), on_failure=OnFailure.SKIP)
    runner = ProjectionRunner(engine, store, error_policy=policy)
    await runner.catch_up()
    assert len(total) == 4
    (entry,) = await runner.dead_letters()
    assert (entry.event_id, entry.event_type, entry.attempts) == (odd.id, odd.type, 2)
    assert entry.error_type == "AttributeError" and "amount" in entry.error_message
    assert entry.checkpoint == Checkpoint(0, 3)
    state = runner.state
    assert state is not None and state.error_count == 1 and state.is_healthy

    assert [e.event_id for e in await runner.replay_dead_letters()] == [odd.id]  # not fixed yet
    assert (await runner.dead_letters())[0].attempts == 3
    fixed = True
    assert await runner.replay_dead_letters() == []
    assert await runner.dead_letters() == []
    assert len(total) == 5


async def test_a_rebuild_equals_incremental_processing(
    store: Store, checkpoints: InMemoryCheckpointStore, running: list[ProjectionRunner]
) -> None:
    model = Balances(checkpoints)
    runner = await started(running, ProjectionRunner(model.engine, store, batch_size=7))
    for round_ in range(20):
        checkpoint = await deposit(store, round_ % 5 + 1, amount=round_, first=round_)
        if round_ % 3 == 0:
            await runner.wait_for(checkpoint, timeout=10)
    await runner.wait_for(checkpoint, timeout=10)
    incremental = dict(model.balances)
    incremental_order = list(model.seen)
    await runner.reset()
    await runner.wait_for(checkpoint, timeout=10)
    assert model.balances == incremental
    assert model.seen == incremental_order

    offline = Balances(InMemoryCheckpointStore())
    await ProjectionRunner(offline.engine, store, batch_size=1000).catch_up()
    assert offline.balances == incremental


async def test_reset_of_a_stopped_runner_rebuilds_on_the_next_catch_up(
    store: Store, checkpoints: InMemoryCheckpointStore
) -> None:
    await deposit(store, 5)
    model = Balances(checkpoints)
    runner = ProjectionRunner(model.engine, store)
    await runner.catch_up()
    before = dict(model.balances)
    await runner.reset()
    assert model.balances == {}
    state = await checkpoints.load_state("balances")
    assert state is not None and state.checkpoint == START
    await runner.catch_up()
    assert model.balances == before


async def test_only_the_lock_holder_projects_and_a_standby_takes_over(
    store: Store, checkpoints: InMemoryCheckpointStore, running: list[ProjectionRunner]
) -> None:
    first, second = Balances(checkpoints), Balances(checkpoints)
    runners = [
        await started(
            running,
            ProjectionRunner(
                model.engine,
                store,
                lock=checkpoints.lock("balances"),
                standby_interval=0.01,
            ),
        )
        for model in (first, second)
    ]
    checkpoint = await deposit(store, 20)
    await eventually(lambda: any(r.state and r.state.checkpoint == checkpoint for r in runners))
    active = 0 if first.seen else 1
    assert [first, second][1 - active].seen == []
    assert runners[1 - active].status is RunnerStatus.STANDBY
    await runners[active].stop()
    later = await deposit(store, 5)
    standby = runners[1 - active]
    await standby.wait_for(later, timeout=10)
    assert len([first, second][1 - active].seen) == 5  # resumed at the shared checkpoint


async def test_catch_up_refuses_to_run_beside_the_lock_holder(
    store: Store, checkpoints: InMemoryCheckpointStore
) -> None:
    holder = checkpoints.lock("balances")
    assert await holder.acquire()
    model = Balances(checkpoints)
    runner = ProjectionRunner(model.engine, store, lock=checkpoints.lock("balances"))
    with pytest.raises(ProjectionLockedError):
        await runner.catch_up()
    assert runner.status is RunnerStatus.STOPPED and runner.error is None


async def test_a_store_outage_is_waited_out_and_nothing_is_lost(
    store: Store, checkpoints: InMemoryCheckpointStore
) -> None:
    await deposit(store, 30)
    model = Balances(checkpoints)
    outages = [3]
    original = checkpoints.transaction

    def unreliable() -> Any:
        if outages[0]:
            outages[0] -= 1
            raise StoreUnavailableError("the database is restarting")
        return original()

    checkpoints.transaction = unreliable  # type: ignore[method-assign]
    runner = ProjectionRunner(model.engine, store, batch_size=7)
    await runner.catch_up()
    assert outages == [0]
    assert sum(model.balances.values()) == 30 and len(set(model.seen)) == 30
    assert runner.is_healthy()


async def test_wait_for_projections_polls_the_checkpoint_store(
    store: Store, checkpoints: InMemoryCheckpointStore, running: list[ProjectionRunner]
) -> None:
    one, two = Balances(checkpoints, "one"), Balances(checkpoints, "two")
    for model in (one, two):
        await started(running, ProjectionRunner(model.engine, store))
    checkpoint = await deposit(store, 3)
    await wait_for_projections(checkpoints, ["one", "two"], checkpoint, timeout=10)
    assert len(one.seen) == len(two.seen) == 3


async def test_a_wait_that_times_out_says_the_write_succeeded(
    store: Store, checkpoints: InMemoryCheckpointStore
) -> None:
    checkpoint = await deposit(store, 1)
    with pytest.raises(ProjectionWaitTimeoutError) as raised:
        await wait_for_projections(checkpoints, ["never-run"], checkpoint, timeout=0.05)
    assert isinstance(raised.value, TimeoutError)
    assert "The write succeeded" in str(raised.value) and "'never-run'" in str(raised.value)
    assert raised.value.behind == {"never-run": None}


def test_the_runner_needs_a_checkpoint_store(store: Store) -> None:
    engine = ProjectionEngine("p", InMemoryProjectionStateStore())
    with pytest.raises(ValidationError):
        ProjectionRunner(engine, store)
    with pytest.raises(ValidationError):
        ProjectionRunner(engine, store, checkpoints=InMemoryCheckpointStore(), batch_size=0)


async def test_batches_and_lag_reach_the_observability_hooks(
    store: Store, checkpoints: InMemoryCheckpointStore
) -> None:
    await deposit(store, 25)
    model = Balances(checkpoints)
    runner = ProjectionRunner(model.engine, store, checkpoints=checkpoints, batch_size=10)
    metrics, tracing = RecordingMetrics(), RecordingTracing()
    with observing(ObservabilityHooks(metrics, tracing)):
        await runner.catch_up()
    batches = [span for span in tracing.ended if span.operation == "projection.batch"]
    sizes = [span.attributes["projection.events"] for span in batches]
    assert sum(sizes) == 25 and all(span.status == "ok" for span in batches)
    assert {span.attributes["projection.name"] for span in batches} == {"balances"}
    assert len(metrics.named("orchestrix.projection.update")) == len(batches)
    lags = [call[1][1] for call in metrics.named("orchestrix.projection.lag")]
    assert lags[0] == 25 - sizes[0]  # measured after the first batch
    assert lags[-1] == 0  # caught up
    assert lags == sorted(lags, reverse=True)


class UnmeasurableHead:
    """A log head that must not be asked."""

    async def head(self) -> Checkpoint:
        raise AssertionError("the head was asked")

    async def backlog(self, after: Checkpoint) -> Backlog:
        raise AssertionError("the lag was measured")


@pytest.mark.parametrize("listening", [False, True], ids=["unobserved", "observed"])
async def test_the_lag_is_measured_only_for_listeners_and_a_failure_stops_nothing(
    store: Store, checkpoints: InMemoryCheckpointStore, listening: bool
) -> None:
    await deposit(store, 25)
    model = Balances(checkpoints)
    runner = ProjectionRunner(
        model.engine, store, checkpoints=checkpoints, batch_size=10, head=UnmeasurableHead()
    )
    metrics = RecordingMetrics()
    if listening:
        with observing(ObservabilityHooks(metrics, RecordingTracing())):
            await runner.catch_up()  # the measure fails: logged, not raised
    else:
        await runner.catch_up()  # the head raises if asked
    assert len(model.seen) == 25
    reported = [call[1][1] for call in metrics.named("orchestrix.projection.lag")]
    assert reported == ([0] if listening else [])
