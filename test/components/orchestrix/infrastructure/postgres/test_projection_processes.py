"""Projection processes on PostgreSQL: killed with SIGKILL in the middle of a batch and
restarted, each event is applied exactly once (the read model commits with the checkpoint),
or at least once (a read model outside the checkpoint's transaction never misses one);
two processes race for one projection, only the advisory-lock holder projects, and the
standby takes over once the holder is killed."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from orchestrix.infrastructure.postgres import PostgreSQLEventStore
from test.components.orchestrix.infrastructure._projector import (
    PROJECTION,
    STANDBY_INTERVAL,
    Projector,
    ProjectorTick,
    holder_and_standby,
    project_at_least_once_with_kills,
)
from test.components.orchestrix.infrastructure.postgres.conftest import StoreOpener

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def append(store: PostgreSQLEventStore, count: int, first: int = 0) -> None:
    for start in range(first, first + count, 100):
        stop = min(start + 100, first + count)
        await store.save(f"ticks-{start}", [ProjectorTick(n=n) for n in range(start, stop)])


async def log_ids(store: PostgreSQLEventStore) -> list[str]:
    return [recorded.event.id async for recorded in store.read_all()]


@pytest.fixture
async def store(open_store: StoreOpener) -> AsyncIterator[PostgreSQLEventStore]:
    store = await open_store()
    await append(store, 1500)
    async with store.pool.acquire() as connection:
        await connection.execute(
            f'CREATE TABLE "{store.schema}".applied (event_id text, position bigint, pid int,'
            " applied_at timestamptz DEFAULT clock_timestamp())"
        )
    yield store


async def committed_position(raw: asyncpg.Connection, schema: str) -> int:
    found = await raw.fetchval(
        f'SELECT last_position FROM "{schema}".projection_states WHERE projection_id = $1',
        PROJECTION,
    )
    return int(found or 0)


async def wait_committed(raw: asyncpg.Connection, schema: str, position: int) -> None:
    deadline = time.monotonic() + 120
    while await committed_position(raw, schema) < position:
        assert time.monotonic() < deadline, f"the checkpoint never reached {position}"
        await asyncio.sleep(0.01)


async def applied(raw: asyncpg.Connection, schema: str) -> list[asyncpg.Record]:
    return await raw.fetch(
        f'SELECT event_id, pid FROM "{schema}".applied ORDER BY applied_at, position'
    )


async def test_killed_mid_batch_and_restarted_applies_each_event_exactly_once(
    store: PostgreSQLEventStore,
    raw: asyncpg.Connection,
    postgres_dsn: str,
    pytestconfig: pytest.Config,
) -> None:
    target, root, killed_inside_a_batch = f"{postgres_dsn}|{store.schema}", pytestconfig.rootpath, 0
    for round_ in range(4):
        with Projector(root, "postgres", target, "exactly-once", lock=False) as projector:
            goal = len(projector.handled) + 120 + 37 * round_
            projector.wait_until("some progress", lambda p, g=goal: len(p.handled) >= g)
            projector.kill()
            last_handled = projector.handled[-1]
        if last_handled > await committed_position(raw, store.schema):
            killed_inside_a_batch += 1
        await append(store, 200, first=1500 + 200 * round_)
    assert killed_inside_a_batch >= 1, "no kill landed inside a batch"
    expected = await log_ids(store)
    with Projector(root, "postgres", target, "exactly-once", lock=False) as projector:
        projector.wait_until("the end of the log", lambda p: p.status == "live")
    rows = await applied(raw, store.schema)
    assert Counter(row["event_id"] for row in rows) == Counter(expected)
    assert await committed_position(raw, store.schema) == max(
        [recorded.position async for recorded in store.read_all()]
    )


async def test_at_least_once_never_skips_an_event(
    store: PostgreSQLEventStore, postgres_dsn: str, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    target, model = f"{postgres_dsn}|{store.schema}", tmp_path / "model.txt"
    applied = project_at_least_once_with_kills(pytestconfig.rootpath, "postgres", target, model)
    assert applied == set(await log_ids(store))  # every event, some perhaps twice


async def test_two_processes_race_and_the_standby_takes_over_after_a_kill(
    store: PostgreSQLEventStore,
    raw: asyncpg.Connection,
    postgres_dsn: str,
    pytestconfig: pytest.Config,
) -> None:
    target, root = f"{postgres_dsn}|{store.schema}", pytestconfig.rootpath
    with (
        Projector(root, "postgres", target, "exactly-once", lock=True) as first,
        Projector(root, "postgres", target, "exactly-once", lock=True) as second,
    ):
        active, standby = holder_and_standby(first, second)
        rows = await applied(raw, store.schema)
        assert {row["pid"] for row in rows} == {active.pid}  # only the holder projects

        active.kill()
        killed_at = time.monotonic()
        standby.wait_until("the takeover", lambda p: p.is_active(), timeout=10)
        took_over_in = time.monotonic() - killed_at
        await append(store, 300, first=1500)
        expected = await log_ids(store)
        last = max([recorded.position async for recorded in store.read_all()])
        standby.wait_until("the new events", lambda p: last in p.handled, timeout=120)
        await wait_committed(raw, store.schema, last)  # a handler returns before its commit
    rows = await applied(raw, store.schema)
    assert Counter(row["event_id"] for row in rows) == Counter(expected)  # each exactly once
    assert {row["pid"] for row in rows} == {active.pid, standby.pid}
    print(
        f"standby took over {took_over_in:.2f} s after the kill (tries every {STANDBY_INTERVAL} s)"
    )
