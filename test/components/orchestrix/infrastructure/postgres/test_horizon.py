"""The log's horizon waits for writers only, and says who holds it back.

The first design read up to `pg_snapshot_xmin(pg_current_snapshot())`: the oldest transaction
running anywhere on the server. One long transaction in another database made `read_all()`
return nothing, silently, for as long as it ran.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import pytest

from orchestrix.core.common.observability import ObservabilityHooks
from orchestrix.core.eventsourcing.event_log import START, RecordedEvent
from orchestrix.core.eventsourcing.projection import ProjectionEngine
from orchestrix.core.eventsourcing.subscription import ProjectionRunner
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.postgres import PostgreSQLCheckpointStore, PostgreSQLLogHead
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore
from test.components.orchestrix.core.common.recorders import (
    RecordingMetrics,
    RecordingTracing,
    observing,
)
from test.components.orchestrix.infrastructure.postgres.conftest import StoreOpener

pytestmark = pytest.mark.postgres

STORE_LOGGER = "orchestrix.infrastructure.postgres.store"


@dataclass(frozen=True, kw_only=True)
class PgHorizonTick(Event):
    n: int


async def read(store: PostgreSQLEventStore) -> list[RecordedEvent]:
    return [recorded async for recorded in store.read_all(START)]


def other_database(dsn: str) -> str:
    return dsn.rsplit("/", 1)[0] + "/postgres"


async def test_a_long_transaction_in_another_database_does_not_delay_a_reader(
    open_store: StoreOpener, postgres_dsn: str, raw: asyncpg.Connection
) -> None:
    store = await open_store(commit_wait=0)
    elsewhere = await asyncpg.connect(other_database(postgres_dsn))
    try:
        async with elsewhere.transaction():  # a report, a migration, an idle session...
            started = await elsewhere.fetchval("SELECT pg_current_xact_id()::text::bigint")
            for start in range(0, 3000, 1000):
                await store.save("s", [PgHorizonTick(n=n) for n in range(start, start + 1000)])
            xmin = await raw.fetchval(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
            )
            assert xmin <= started  # the old horizon stopped before every event above
            assert [r.event.n for r in await read(store)] == list(range(3000))  # type: ignore[attr-defined]
            assert await store.log_holdback() is None
    finally:
        await elsewhere.close()


async def test_an_unrelated_writer_in_the_same_database_does_not_delay_a_reader(
    store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    await raw.execute(f'CREATE TABLE "{store.schema}".unrelated (x int)')
    async with raw.transaction():
        await raw.execute(f'INSERT INTO "{store.schema}".unrelated VALUES (1)')  # holds an id
        await store.save("s", [PgHorizonTick(n=1)])
        assert len(await read(store)) == 1


async def test_a_writer_in_flight_past_the_threshold_is_named(
    open_store: StoreOpener, raw: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    store = await open_store(commit_wait=0, holdback_warning=0)
    patient = await open_store(schema=store.schema, commit_wait=0, holdback_warning=3600)
    async with raw.transaction():
        await store.save_in_transaction(raw, "slow", [PgHorizonTick(n=1)])
        await store.save("fast", [PgHorizonTick(n=2)])
        with caplog.at_level(logging.WARNING, logger=STORE_LOGGER):
            assert await read(patient) == []
        assert not caplog.records  # below its threshold: measured, not logged
        assert patient.last_holdback is not None
        with caplog.at_level(logging.WARNING, logger=STORE_LOGGER):
            assert await read(store) == []
        holdback = store.last_holdback
        assert holdback is not None
        assert (holdback.pid, holdback.state) == (raw.get_server_pid(), "idle in transaction")
        assert holdback.seconds >= 0
        assert holdback.transaction_id == await raw.fetchval(
            "SELECT pg_current_xact_id()::text::bigint"
        )
        assert f"pid {raw.get_server_pid()}" in caplog.text
        assert "idle in transaction" in caplog.text

        caplog.clear()
        with caplog.at_level(logging.WARNING, logger=STORE_LOGGER):
            assert await read(store) == []
        assert "held back" not in caplog.text  # one warning per writer
        now = await store.log_holdback()
        assert now is not None and now.pid == raw.get_server_pid()
    assert await store.log_holdback() is None
    assert len(await read(store)) == 2
    assert store.last_holdback is None


async def test_a_writer_with_nothing_committed_after_it_holds_nothing_back(
    store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    await store.save("first", [PgHorizonTick(n=0)])
    async with raw.transaction():
        await store.save_in_transaction(raw, "slow", [PgHorizonTick(n=1)])
        assert len(await read(store)) == 1
        assert await store.log_holdback() is None


class LagGauge(RecordingMetrics):
    """Keeps the metrics it receives and wakes whoever waits for a projection lag report."""

    def __init__(self) -> None:
        super().__init__()
        self._reported = asyncio.Event()

    def gauge(self, name: str, value: float, labels: dict[str, str] | None = None) -> None:
        super().gauge(name, value, labels)
        self._reported.set()

    def lags(self) -> list[object]:
        return [call[1][1] for call in self.named("orchestrix.projection.lag")]

    async def until(self, check: Callable[[list[object]], bool]) -> None:
        """Return once the lags reported so far pass `check`."""
        while not check(self.lags()):
            self._reported.clear()
            await self._reported.wait()


async def test_a_following_projection_reports_the_events_held_back_as_its_lag(
    open_store: StoreOpener, raw: asyncpg.Connection
) -> None:
    """While a writer in flight holds the log back, the lag gauge shows the committed events
    behind it, not 0: a stalled projection does not look caught up."""
    store = await open_store(commit_wait=0)
    checkpoints = PostgreSQLCheckpointStore(store.pool, store.schema)
    head = PostgreSQLLogHead(store.pool, store.schema)
    engine, seen = ProjectionEngine("ticks", checkpoints), list[int]()
    engine.on(PgHorizonTick)(lambda event: seen.append(event.n))
    runner = ProjectionRunner(engine, store, checkpoints=checkpoints, head=head)
    metrics = LagGauge()
    with observing(ObservabilityHooks(metrics, RecordingTracing())):
        await runner.start()
        try:
            async with asyncio.timeout(30):
                await runner.wait_caught_up()
                async with raw.transaction():
                    await store.save_in_transaction(raw, "slow", [PgHorizonTick(n=1)])
                    await store.save("fast", [PgHorizonTick(n=2)])
                    await metrics.until(lambda lags: 1 in lags)  # the fast event, held back
                    assert seen == []
                await runner.wait_for(await head.head())
                assert seen == [1, 2]
                await metrics.until(lambda lags: lags[-1] == 0)
        finally:
            await runner.stop()
