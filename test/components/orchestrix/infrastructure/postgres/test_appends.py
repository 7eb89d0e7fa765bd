"""What an append returns (the checkpoint of its last event), and appends inside the
caller's own transaction."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import pytest

from orchestrix.core.common.exceptions import (
    ConcurrencyError,
    DuplicateEventError,
    StoreUsageError,
)
from orchestrix.core.eventsourcing.event_log import START, Checkpoint
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore

pytestmark = pytest.mark.postgres


@dataclass(frozen=True, kw_only=True)
class PgAppended(Event):
    n: int


def ticks(*numbers: int) -> list[PgAppended]:
    return [PgAppended(n=n) for n in numbers]


async def checkpoints(store: PostgreSQLEventStore) -> dict[str, Checkpoint]:
    return {recorded.event.id: recorded.checkpoint async for recorded in store.read_all(START)}


@pytest.mark.parametrize(
    ("count", "expected_version"),
    [(1, 0), (1, 2), (1, None), (3, 0), (3, 2), (3, None)],
    ids=["create one", "one after 2", "one anywhere", "batch", "batch after 2", "batch anywhere"],
)
async def test_save_returns_the_checkpoint_of_its_last_event(
    store: PostgreSQLEventStore, count: int, expected_version: int | None
) -> None:
    if expected_version:
        await store.save("s", ticks(*range(expected_version)))
    events = ticks(*range(10, 10 + count))
    checkpoint = await store.save("s", events, expected_version=expected_version)
    assert checkpoint == (await checkpoints(store))[events[-1].id]


async def test_an_empty_save_returns_none_and_a_refused_one_raises(
    store: PostgreSQLEventStore,
) -> None:
    assert await store.save("s", []) is None
    assert await store.save("s", [], expected_version=7) is None
    with pytest.raises(ConcurrencyError):
        await store.save("s", ticks(1), expected_version=3)
    assert await checkpoints(store) == {}


async def test_checkpoints_grow_with_each_save(store: PostgreSQLEventStore) -> None:
    first = await store.save("a", ticks(1))
    second = await store.save("b", ticks(2, 3))
    assert first is not None and second is not None and first < second


async def test_save_in_transaction_commits_and_rolls_back_with_the_caller(
    store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    await raw.execute(f'CREATE TABLE "{store.schema}".read_model (event_id text)')
    kept, dropped = ticks(1), ticks(2)
    async with raw.transaction():
        await raw.execute(f'INSERT INTO "{store.schema}".read_model VALUES ($1)', kept[0].id)
        checkpoint = await store.save_in_transaction(raw, "s", kept)
    with pytest.raises(RuntimeError, match="rolled back on purpose"):
        async with raw.transaction():
            await store.save_in_transaction(raw, "s", dropped, expected_version=1)
            raise RuntimeError("rolled back on purpose")
    assert await store.load("s") == kept
    assert checkpoint == (await checkpoints(store))[kept[0].id]
    assert await raw.fetchval(f'SELECT count(*) FROM "{store.schema}".read_model') == 1


async def test_save_in_transaction_reports_conflicts(
    store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    await store.save("s", ticks(1, 2))
    with pytest.raises(ConcurrencyError) as stale:
        async with raw.transaction():
            await store.save_in_transaction(raw, "s", ticks(3), expected_version=1)
    assert (stale.value.expected_version, stale.value.actual_version) == (1, 2)
    existing = (await store.load("s"))[0]
    with pytest.raises(DuplicateEventError):
        async with raw.transaction():
            await store.save_in_transaction(raw, "t", [existing])
    async with raw.transaction():  # without an expected version: after the head it reads
        await store.save_in_transaction(raw, "s", ticks(3))
        await store.save_in_transaction(raw, "s", ticks(4))  # sees its own first append
    assert [event.n for event in await store.load("s")] == [1, 2, 3, 4]  # type: ignore[attr-defined]


async def test_save_in_transaction_needs_a_transaction(
    store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    with pytest.raises(StoreUsageError, match="transaction"):
        await store.save_in_transaction(raw, "s", ticks(1))
    assert await store.load("s") == []


@pytest.mark.parametrize("isolation", ["repeatable_read", "serializable"])
async def test_under_snapshot_isolation_events_must_be_the_first_write(
    store: PostgreSQLEventStore, raw: asyncpg.Connection, isolation: str
) -> None:
    await raw.execute(f'CREATE TABLE "{store.schema}".other (x int)')
    with pytest.raises(StoreUsageError, match="first"):
        async with raw.transaction(isolation=isolation):
            await raw.execute(f'INSERT INTO "{store.schema}".other VALUES (1)')
            await store.save_in_transaction(raw, "s", ticks(1))
    async with raw.transaction(isolation=isolation):
        await store.save_in_transaction(raw, "s", ticks(2))
        await raw.execute(f'INSERT INTO "{store.schema}".other VALUES (2)')
    assert [event.n for event in await store.load("s")] == [2]  # type: ignore[attr-defined]
