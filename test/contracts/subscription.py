"""The subscription contract: a projection runner over a store's `read_all`, for every store.

Subclass `SubscriptionContract` and provide `store_factory` (as for the event store
contract: it opens a fresh, empty store wrapped for the tests). Override the `head` and
`new_wake_up` fixtures with a backend's own; the checkpoints are kept in memory unless the
`checkpoints` fixture is overridden. Exactly-once checkpoint stores subclass
`ExactlyOnceSubscriptionContract`, which also checks that a failing handler's writes roll
back with its batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from orchestrix.core.common.retry import FixedDelay, NoRetry
from orchestrix.core.eventsourcing.event_log import Checkpoint
from orchestrix.core.eventsourcing.projection import ProjectionContext, ProjectionEngine
from orchestrix.core.eventsourcing.projection_error_policy import ErrorPolicy, OnFailure
from orchestrix.core.eventsourcing.projection_errors import (
    ProjectionStoppedError,
    ProjectionWaitTimeoutError,
)
from orchestrix.core.eventsourcing.projection_waiting import wait_for_projections
from orchestrix.core.eventsourcing.subscription import ProjectionRunner, StartFrom
from orchestrix.core.eventsourcing.subscription_lag import LogHead, ScanningLogHead
from orchestrix.core.eventsourcing.subscription_wake_up import LocalWakeUp, WakeUp
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.memory.checkpoint_store import InMemoryCheckpointStore
from test.contracts.event_store import StoreFactory, StoreUnderTest


@dataclass(frozen=True, kw_only=True)
class SubscriptionTick(Event, type_name="subscription_contract.Tick"):
    writer: int
    n: int


class Recorder:
    """A projection that records every event it is handed, with its checkpoint."""

    def __init__(self, checkpoints: Any, projection_id: str = "recorder") -> None:
        self.engine = ProjectionEngine(projection_id, checkpoints)
        self.seen: list[tuple[str, Checkpoint | None]] = []
        self.engine.on(SubscriptionTick)(self.record)

    def record(self, event: SubscriptionTick, context: ProjectionContext[Any]) -> None:
        self.seen.append((event.id, context.checkpoint))


async def save_ticks(store: StoreUnderTest, writer: int, count: int, per_save: int = 1) -> None:
    for first in range(0, count, per_save):
        batch = [
            SubscriptionTick(writer=writer, n=n) for n in range(first, min(first + per_save, count))
        ]
        await store.save(f"writer-{writer}", batch)


async def log_of(store: StoreUnderTest) -> list[tuple[str, Checkpoint]]:
    return [(recorded.event.id, recorded.checkpoint) for recorded in await store.read_all()]


class SubscriptionContract:
    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        raise NotImplementedError("subclasses open a fresh store")

    @pytest.fixture
    async def store(self, store_factory: StoreFactory) -> StoreUnderTest:
        return await store_factory()

    @pytest.fixture
    def checkpoints(self) -> Any:
        return InMemoryCheckpointStore()

    @pytest.fixture
    def head(self, store: StoreUnderTest) -> LogHead:
        return ScanningLogHead(store.store)

    @pytest.fixture
    def new_wake_up(self) -> Callable[[], WakeUp]:
        return LocalWakeUp

    @pytest.fixture
    async def runners(self) -> AsyncIterator[list[ProjectionRunner]]:
        started: list[ProjectionRunner] = []
        yield started
        for runner in started:
            await runner.stop()

    @pytest.fixture
    def runner_for(
        self,
        store: StoreUnderTest,
        checkpoints: Any,
        head: LogHead,
        new_wake_up: Callable[[], WakeUp],
    ) -> Callable[..., ProjectionRunner]:
        def make(engine: ProjectionEngine, **options: Any) -> ProjectionRunner:
            options.setdefault("wake_up", new_wake_up())
            return ProjectionRunner(
                engine, store.store, checkpoints=checkpoints, head=head, **options
            )

        return make

    async def test_catch_up_delivers_every_event_once_in_log_order(
        self, store: StoreUnderTest, checkpoints: Any, runner_for: Callable[..., ProjectionRunner]
    ) -> None:
        for writer in range(3):
            await save_ticks(store, writer, 350, per_save=50)
        recorder = Recorder(checkpoints)
        runner = runner_for(recorder.engine, batch_size=100)
        await runner.catch_up()
        assert recorder.seen == await log_of(store)
        assert len(recorder.seen) == 1050

    async def test_a_following_projection_sees_each_new_event_once(
        self,
        store: StoreUnderTest,
        checkpoints: Any,
        runners: list[ProjectionRunner],
        runner_for: Callable[..., ProjectionRunner],
    ) -> None:
        await save_ticks(store, 0, 10)
        recorder = Recorder(checkpoints)
        runner = runner_for(recorder.engine, batch_size=16)
        runners.append(runner)
        await runner.start()
        writers = [save_ticks(store, writer, 60, per_save=writer + 1) for writer in range(1, 4)]
        await asyncio.gather(*writers)
        log = await log_of(store)
        await runner.wait_for(log[-1][1], timeout=30)
        assert recorder.seen == log
        assert (await runner.lag()).events == 0

    async def test_start_at_the_head_sees_only_new_events(
        self,
        store: StoreUnderTest,
        checkpoints: Any,
        runners: list[ProjectionRunner],
        runner_for: Callable[..., ProjectionRunner],
    ) -> None:
        await save_ticks(store, 0, 5)
        recorder = Recorder(checkpoints)
        runner = runner_for(recorder.engine, start_from=StartFrom.HEAD)
        runners.append(runner)
        await runner.start()
        await asyncio.wait_for(runner.wait_caught_up(), 30)
        await save_ticks(store, 1, 3)
        log = await log_of(store)
        await runner.wait_for(log[-1][1], timeout=30)
        assert recorder.seen == log[5:]

    async def test_a_writer_waits_for_the_projections_to_read_its_save(
        self,
        store: StoreUnderTest,
        checkpoints: Any,
        runners: list[ProjectionRunner],
        runner_for: Callable[..., ProjectionRunner],
    ) -> None:
        """Read your writes through the checkpoint store, from the checkpoint the save
        returned; a projection that does not get there in time is named, where it stands."""
        recorder = Recorder(checkpoints)
        runner = runner_for(recorder.engine)
        runners.append(runner)
        await runner.start()
        first = await store.save("writer-0", [SubscriptionTick(writer=0, n=0)])
        assert first is not None
        await wait_for_projections(checkpoints, ["recorder"], first, timeout=30)
        assert recorder.seen == await log_of(store)

        await runner.stop()
        second = await store.save("writer-0", [SubscriptionTick(writer=0, n=1)])
        assert second is not None and second > first
        with pytest.raises(ProjectionWaitTimeoutError) as late:
            await wait_for_projections(checkpoints, ["recorder"], second, timeout=0.05)
        assert late.value.behind == {"recorder": first}
        assert "The write succeeded" in str(late.value)

        await runner.start()
        await wait_for_projections(checkpoints, ["recorder"], second, timeout=30)
        assert recorder.seen == await log_of(store)

    async def test_lag_counts_the_events_behind_and_their_age(
        self, store: StoreUnderTest, checkpoints: Any, runner_for: Callable[..., ProjectionRunner]
    ) -> None:
        await save_ticks(store, 0, 12, per_save=4)
        recorder = Recorder(checkpoints)
        runner = runner_for(recorder.engine)
        lag = await runner.lag()
        assert lag.events == 12 and lag.seconds >= 0.0
        await runner.catch_up()
        assert (await runner.lag()).events == 0


class ExactlyOnceSubscriptionContract(SubscriptionContract):
    """For checkpoint stores whose transactions carry the read model: provide `checkpoints`,
    `write_model(connection, value)`, `clear_model(connection)`, `read_model(checkpoints)`
    (the rows in insertion order) and a `model` fixture that creates the read model's table."""

    async def write_model(self, connection: Any, value: str) -> None:
        raise NotImplementedError("write a read-model row through the connection")

    async def clear_model(self, connection: Any) -> None:
        raise NotImplementedError("delete every read-model row through the connection")

    async def read_model(self, checkpoints: Any) -> list[str]:
        raise NotImplementedError("read the committed read-model rows")

    def failing_projection(self, checkpoints: Any, bad: int) -> ProjectionEngine:
        """Writes a row per event, then fails on the event with `n == bad`, every time."""
        engine = ProjectionEngine("model", checkpoints)

        @engine.on(SubscriptionTick)
        async def write(event: SubscriptionTick, context: ProjectionContext[Any]) -> None:
            await self.write_model(context.connection, event.id)
            if event.n == bad:
                raise ValueError(f"cannot project tick {bad}")

        return engine

    async def test_a_skipped_event_leaves_no_half_write_and_the_rest_exactly_once(
        self,
        store: StoreUnderTest,
        checkpoints: Any,
        model: None,
        runner_for: Callable[..., ProjectionRunner],
    ) -> None:
        await save_ticks(store, 0, 12, per_save=12)
        log = await log_of(store)
        policy = ErrorPolicy(retry=FixedDelay(max_retries=2, delay=0.0), on_failure=OnFailure.SKIP)
        runner = runner_for(
            self.failing_projection(checkpoints, bad=5), batch_size=10, error_policy=policy
        )
        await runner.catch_up()
        expected = [event_id for event_id, _ in log if event_id != log[5][0]]
        assert await self.read_model(checkpoints) == expected
        (dead,) = await checkpoints.dead_letters("model")
        assert (dead.event_id, dead.attempts, dead.checkpoint) == (log[5][0], 3, log[5][1])
        state = await checkpoints.load_state("model")
        assert state.checkpoint == log[-1][1] and state.error_count == 1

    async def test_a_stop_leaves_the_model_exactly_at_the_checkpoint(
        self,
        store: StoreUnderTest,
        checkpoints: Any,
        model: None,
        runner_for: Callable[..., ProjectionRunner],
    ) -> None:
        await save_ticks(store, 0, 12, per_save=12)
        log = await log_of(store)
        policy = ErrorPolicy(retry=NoRetry(), on_failure=OnFailure.STOP)
        runner = runner_for(
            self.failing_projection(checkpoints, bad=7), batch_size=10, error_policy=policy
        )
        with pytest.raises(ProjectionStoppedError):
            await runner.catch_up()
        assert await self.read_model(checkpoints) == [event_id for event_id, _ in log[:7]]
        state = await checkpoints.load_state("model")
        assert state.checkpoint == log[6][1] and not state.is_healthy

    async def test_a_rebuild_equals_incremental_processing(
        self,
        store: StoreUnderTest,
        checkpoints: Any,
        model: None,
        runners: list[ProjectionRunner],
        runner_for: Callable[..., ProjectionRunner],
    ) -> None:
        engine = ProjectionEngine("model", checkpoints)

        @engine.on(SubscriptionTick)
        async def write(event: SubscriptionTick, context: ProjectionContext[Any]) -> None:
            await self.write_model(context.connection, f"{event.writer}:{event.n}")

        engine.on_reset(self.clear_model)
        runner = runner_for(engine, batch_size=7)
        runners.append(runner)
        await runner.start()
        for round_ in range(6):  # writes interleaved with processing
            await save_ticks(store, round_, round_ + 3, per_save=2)
            if round_ % 2:
                await runner.wait_for((await log_of(store))[-1][1], timeout=30)
        last = (await log_of(store))[-1][1]
        await runner.wait_for(last, timeout=30)
        incremental = await self.read_model(checkpoints)
        assert len(incremental) == sum(n + 3 for n in range(6))
        await runner.reset()
        await runner.wait_for(last, timeout=30)
        assert await self.read_model(checkpoints) == incremental
