"""The store under concurrent writers and readers, and the catch-up race of SPEC §4."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

import asyncpg
import pytest

from orchestrix.core.common.exceptions import ConcurrencyError
from orchestrix.core.eventsourcing.event_log import START, Checkpoint, RecordedEvent
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore
from test.components.orchestrix.infrastructure.postgres.conftest import StoreOpener

pytestmark = pytest.mark.postgres


@dataclass(frozen=True, kw_only=True)
class PgTicked(Event):
    writer: int
    round: int


async def append_in_transaction(
    connection: asyncpg.Connection,
    store: PostgreSQLEventStore,
    stream: str,
    version: int,
    event: Event,
) -> None:
    """Append as a writer that controls its own transaction (it commits when the test says)."""
    await store.save_in_transaction(connection, stream, [event], expected_version=version - 1)


async def read_from(store: PostgreSQLEventStore, after: Checkpoint) -> list[RecordedEvent]:
    return [recorded async for recorded in store.read_all(after, batch_size=7)]


async def test_twenty_writers_on_one_stream_each_version_exactly_once(
    open_store: StoreOpener,
) -> None:
    writers, rounds = 20, 50
    store = await open_store(pool_min_size=writers, pool_max_size=writers)
    barrier = asyncio.Barrier(writers)
    winners: list[PgTicked] = []
    losers: list[ConcurrencyError] = []

    async def writer(number: int) -> None:
        version = 0
        for round_ in range(rounds):
            version += len(await store.load("hot", from_version=version))
            await barrier.wait()  # everyone has read the same version: now all try at once
            event = PgTicked(writer=number, round=round_)
            try:
                await store.save("hot", [event], expected_version=version)
                winners.append(event)
            except ConcurrencyError as error:
                assert (error.expected_version, error.actual_version) == (version, version + 1)
                losers.append(error)
            await barrier.wait()  # the round is over before anyone reads again

    await asyncio.gather(*(writer(number) for number in range(writers)))
    stored = await store.load("hot")
    assert stored == winners  # every winner kept, in commit order, nothing else
    assert [event.round for event in stored] == list(range(rounds))  # type: ignore[attr-defined]
    assert len(losers) == (writers - 1) * rounds
    log = [(recorded.aggregate_id, recorded.version) async for recorded in store.read_all()]
    assert log == [("hot", version) for version in range(1, rounds + 1)]


async def test_reader_running_throughout_sees_every_event_once_in_a_stable_order(
    open_store: StoreOpener, postgres_dsn: str
) -> None:
    writers, per_writer = 8, 60
    store = await open_store(pool_min_size=4, pool_max_size=writers + 2)
    written: list[Event] = []
    done = asyncio.Event()

    async def writer(number: int) -> None:
        rng, version = random.Random(number), 0
        while version < per_writer:
            batch = [PgTicked(writer=number, round=version + i) for i in range(rng.randint(1, 4))]
            await store.save(f"w{number}", batch, expected_version=version)
            written.extend(batch)
            version += len(batch)
            await asyncio.sleep(rng.random() / 500)

    async def slow_writer() -> None:
        """Commits late on purpose: its rows take positions, then wait before committing."""
        connection = await asyncpg.connect(postgres_dsn)
        try:
            for version in range(1, 16):
                event = PgTicked(writer=-1, round=version)
                async with connection.transaction():
                    if version % 2:  # half of them write something else first
                        await connection.fetchval("SELECT pg_current_xact_id()")
                    await append_in_transaction(connection, store, "slow", version, event)
                    await asyncio.sleep(0.01)
                written.append(event)
        finally:
            await connection.close()

    seen: list[RecordedEvent] = []

    async def reader() -> None:
        checkpoint = START
        while True:
            finished = done.is_set()  # read once more after the writers stop
            batch = await read_from(store, checkpoint)
            if batch:
                checkpoint = batch[-1].checkpoint
                seen.extend(batch)
            if finished:
                return
            await asyncio.sleep(0.002)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(number) for number in range(writers)), slow_writer())
    done.set()
    await reading

    assert sorted(r.event.id for r in seen) == sorted(event.id for event in written)
    checkpoints = [recorded.checkpoint for recorded in seen]
    assert checkpoints == sorted(set(checkpoints))  # strictly increasing: never twice
    assert [r.event.id for r in await read_from(store, START)] == [r.event.id for r in seen]
    for stream in {recorded.aggregate_id for recorded in seen}:
        versions = [r.version for r in seen if r.aggregate_id == stream]
        assert versions == list(range(1, len(versions) + 1))


async def test_an_event_that_commits_late_is_not_skipped(
    store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    await store.save("before", [PgTicked(writer=0, round=0)])
    checkpoint = (await read_from(store, START))[-1].checkpoint
    slow, fast = PgTicked(writer=1, round=1), PgTicked(writer=2, round=2)

    async with raw.transaction():
        await append_in_transaction(raw, store, "slow", 1, slow)
        await store.save("fast", [fast])  # a later transaction, committed first
        # A reader now must not move past the open transaction's place in the log.
        assert await read_from(store, checkpoint) == []

    caught_up = await read_from(store, checkpoint)
    assert [r.event for r in caught_up] == [slow, fast]
    assert await read_from(store, caught_up[-1].checkpoint) == []
    # A reader keyed on position alone would have passed `fast` and skipped `slow`.
    assert caught_up[0].position < caught_up[1].position


async def test_a_transaction_that_wrote_before_appending_is_not_skipped(
    store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    """A user's transaction that already holds a transaction id when it appends: readers
    were free to pass its id meanwhile, so its events must land after what they passed."""
    slow, fast = PgTicked(writer=1, round=1), PgTicked(writer=2, round=2)
    async with raw.transaction():
        own_id = await raw.fetchval("SELECT pg_current_xact_id()::text::bigint")
        await store.save("fast", [fast])  # later transaction id, committed first
        passed = await read_from(store, START)  # not held back: nobody writes events yet
        assert [r.event for r in passed] == [fast]
        assert passed[-1].tx_id > own_id
        await append_in_transaction(raw, store, "slow", 1, slow)
        assert await read_from(store, passed[-1].checkpoint) == []  # in flight: held back
    (late,) = await read_from(store, passed[-1].checkpoint)
    assert late.event == slow
    assert late.checkpoint > passed[-1].checkpoint
    assert [r.event for r in await read_from(store, START)] == [fast, slow]


async def test_read_all_waits_briefly_for_a_writer_in_flight(
    open_store: StoreOpener, raw: asyncpg.Connection
) -> None:
    patient = await open_store(commit_wait=5.0)
    hasty = await open_store(schema=patient.schema, commit_wait=0)
    async with raw.transaction():
        await append_in_transaction(raw, patient, "older", 1, PgTicked(writer=1, round=0))
        await patient.save("s", [PgTicked(writer=0, round=0)])
        assert await read_from(hasty, START) == []  # held back behind the open writer
        reading = asyncio.create_task(read_from(patient, START))
        await asyncio.sleep(0.2)
        assert not reading.done()
    assert len(await reading) == 2  # delivered as soon as the writer committed
    assert len(await read_from(hasty, START)) == 2


async def test_read_all_gives_up_waiting_after_commit_wait(
    open_store: StoreOpener, raw: asyncpg.Connection
) -> None:
    store = await open_store(commit_wait=0.3)
    async with raw.transaction():
        await append_in_transaction(raw, store, "older", 1, PgTicked(writer=1, round=0))
        await store.save("s", [PgTicked(writer=0, round=0)])
        started = asyncio.get_running_loop().time()
        assert await read_from(store, START) == []
        assert asyncio.get_running_loop().time() - started >= 0.3
