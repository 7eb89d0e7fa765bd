"""The outbox contract: every backend's outbox behaves the same for a relay.

Subclass `OutboxContract` and provide `backend`, a fixture returning an `OutboxUnderTest`: the
outbox and a `save` that writes events through the backend's real event store (so the test
proves the store fills the outbox in its own transaction).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orchestrix.core.common.exceptions import ConcurrencyError
from orchestrix.core.messaging.message import Event
from orchestrix.core.messaging.outbox import Outbox, OutboxEntry
from orchestrix.core.messaging.outbox_relay import OutboxRelay
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus


@dataclass(frozen=True, kw_only=True)
class OutboxItemAdded(Event, type_name="contract.OutboxItemAdded"):
    item: str


type Save = Callable[[str, Sequence[Event], int | None], Awaitable[None]]


@dataclass
class OutboxUnderTest:
    outbox: Outbox
    save: Save


def added(*items: str) -> list[Event]:
    return [OutboxItemAdded(item=item) for item in items]


def where(entries: Sequence[OutboxEntry]) -> list[tuple[str, int]]:
    return [(entry.aggregate_id, entry.version) for entry in entries]


class OutboxContract:
    @pytest.fixture
    def backend(self) -> Any:
        raise NotImplementedError("subclasses provide a backend fixture")

    async def test_saved_events_are_pending_in_save_order(self, backend: OutboxUnderTest) -> None:
        a = added("a1", "a2")
        b = added("b1")
        await backend.save("A", a, 0)
        await backend.save("B", b, None)
        assert await backend.outbox.pending_count() == 3
        async with backend.outbox.claim(10) as batch:
            entries = list(batch.entries)
        assert where(entries) == [("A", 1), ("A", 2), ("B", 1)]
        assert [entry.event for entry in entries] == [*a, *b]
        positions = [entry.position for entry in entries]
        assert positions == sorted(positions) and len(set(positions)) == 3

    async def test_an_empty_outbox_claims_nothing(self, backend: OutboxUnderTest) -> None:
        async with backend.outbox.claim(10) as batch:
            assert list(batch.entries) == []
        assert await backend.outbox.pending_count() == 0

    async def test_claims_respect_the_limit(self, backend: OutboxUnderTest) -> None:
        await backend.save("A", added("1", "2", "3"), None)
        async with backend.outbox.claim(2) as batch:
            assert where(batch.entries) == [("A", 1), ("A", 2)]

    async def test_sent_entries_are_no_longer_pending(self, backend: OutboxUnderTest) -> None:
        await backend.save("A", added("1", "2"), None)
        await backend.save("B", added("1"), None)
        async with backend.outbox.claim(10) as batch:
            await batch.mark_sent(batch.entries[:2])
        assert await backend.outbox.pending_count() == 1
        async with backend.outbox.claim(10) as batch:
            assert where(batch.entries) == [("B", 1)]

    async def test_unsent_entries_return_to_pending(self, backend: OutboxUnderTest) -> None:
        await backend.save("A", added("1", "2"), None)
        with pytest.raises(RuntimeError, match="publish failed"):
            async with backend.outbox.claim(10) as batch:
                await batch.mark_sent(batch.entries[:1])
                raise RuntimeError("publish failed")
        async with backend.outbox.claim(10) as batch:
            assert where(batch.entries) == [("A", 2)]
        async with backend.outbox.claim(10) as batch:
            assert where(batch.entries) == [("A", 2)]

    async def test_concurrent_claims_share_nothing_and_keep_streams_in_order(
        self, backend: OutboxUnderTest
    ) -> None:
        await backend.save("A", added("1"), None)
        await backend.save("B", added("1"), None)
        await backend.save("A", added("2"), None)
        await backend.save("C", added("1", "2"), None)
        async with backend.outbox.claim(1) as first:
            assert where(first.entries) == [("A", 1)]
            async with backend.outbox.claim(10) as second:
                # A2 waits: publishing it before A1 is confirmed would reorder stream A
                assert where(second.entries) == [("B", 1), ("C", 1), ("C", 2)]
                await second.mark_sent(second.entries)
            await first.mark_sent(first.entries)
        async with backend.outbox.claim(10) as third:
            assert where(third.entries) == [("A", 2)]

    async def test_claims_from_two_tasks_at_once_never_overlap(
        self, backend: OutboxUnderTest
    ) -> None:
        for stream in "ABCDEFGH":
            await backend.save(stream, added("1", "2"), None)
        claimed: list[OutboxEntry] = []
        both_inside = asyncio.Barrier(2)

        async def relay() -> None:
            async with backend.outbox.claim(6) as batch:
                claimed.extend(batch.entries)
                await both_inside.wait()
                await batch.mark_sent(batch.entries)

        await asyncio.wait_for(asyncio.gather(relay(), relay()), 30)
        positions = [entry.position for entry in claimed]
        assert len(positions) == len(set(positions)) > 6
        streams = {entry.aggregate_id for entry in claimed}
        for stream in streams:
            versions = [entry.version for entry in claimed if entry.aggregate_id == stream]
            assert versions in ([1, 2], [1]), (stream, versions)

    async def test_a_stream_resumes_at_its_oldest_pending_entry(
        self, backend: OutboxUnderTest
    ) -> None:
        await backend.save("A", added("1", "2", "3"), None)
        async with backend.outbox.claim(10) as batch:
            await batch.mark_sent(batch.entries[:1])
        async with backend.outbox.claim(10) as batch:
            assert where(batch.entries) == [("A", 2), ("A", 3)]

    async def test_a_failed_save_adds_nothing(self, backend: OutboxUnderTest) -> None:
        await backend.save("A", added("1"), 0)
        with pytest.raises(ConcurrencyError):
            await backend.save("A", added("2", "3"), 0)
        assert await backend.outbox.pending_count() == 1

    async def test_prune_deletes_sent_entries_only(self, backend: OutboxUnderTest) -> None:
        await backend.save("A", added("1", "2"), None)
        async with backend.outbox.claim(10) as batch:
            await batch.mark_sent(batch.entries[:1])
        assert await backend.outbox.prune(datetime.now(UTC) - timedelta(hours=1)) == 0
        assert await backend.outbox.prune(datetime.now(UTC) + timedelta(seconds=1)) == 1
        assert await backend.outbox.prune(datetime.now(UTC) + timedelta(seconds=1)) == 0
        assert await backend.outbox.pending_count() == 1
        async with backend.outbox.claim(10) as batch:
            assert where(batch.entries) == [("A", 2)]


class LeasedOutboxContract(OutboxContract):
    """Durable outboxes lease their claims, so a relay that died leaves no entry stuck.

    Subclasses also provide `short_lease`, a fixture returning an async callable that opens
    a second outbox over the same store whose claims last `seconds`.
    """

    @pytest.fixture
    def short_lease(self) -> Any:
        raise NotImplementedError("subclasses provide a short_lease fixture")

    async def test_an_expired_claim_is_taken_over(
        self, backend: OutboxUnderTest, short_lease: Callable[[float], Awaitable[Outbox]]
    ) -> None:
        stalled_relay = await short_lease(0.2)
        await backend.save("A", added("1"), None)
        async with stalled_relay.claim(10) as stalled:
            assert where(stalled.entries) == [("A", 1)]
            async with backend.outbox.claim(10) as batch:
                assert where(batch.entries) == []
            await asyncio.sleep(0.5)
            async with backend.outbox.claim(10) as batch:
                assert where(batch.entries) == [("A", 1)]
                await batch.mark_sent(batch.entries)
            await stalled.mark_sent(stalled.entries)  # too late: it is someone else's now
        assert await backend.outbox.pending_count() == 0

    async def test_several_relays_at_once_publish_each_event_once_in_stream_order(
        self, backend: OutboxUnderTest, short_lease: Callable[[float], Awaitable[Outbox]]
    ) -> None:
        streams, per_stream = "ABCDEFGHIJ", 12
        for version in range(per_stream):
            for stream in streams:
                await backend.save(stream, added(f"{stream}{version:02d}"), version)
        published: list[str] = []
        bus = InMemoryAsyncMessageBus()

        async def publish(message: OutboxItemAdded) -> None:
            await asyncio.sleep(0)  # let the other relays run meanwhile
            published.append(message.item)

        bus.subscribe(OutboxItemAdded, publish)
        outboxes = [backend.outbox, await short_lease(30.0), await short_lease(30.0)]
        relays = [OutboxRelay(outbox, bus, batch_size=7, poll_interval=0.01) for outbox in outboxes]
        stop = asyncio.Event()
        running = [asyncio.create_task(relay.run(stop)) for relay in relays]
        try:
            for _ in range(3000):
                if await backend.outbox.pending_count() == 0:
                    break
                await asyncio.sleep(0.01)
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*running), 30)
        assert await backend.outbox.pending_count() == 0
        assert sorted(published) == sorted(
            f"{stream}{version:02d}" for stream in streams for version in range(per_stream)
        )
        for stream in streams:
            in_order = [item for item in published if item[0] == stream]
            assert in_order == sorted(in_order)
