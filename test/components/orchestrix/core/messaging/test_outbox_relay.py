"""The outbox relay over the in-memory outbox and bus: order per stream, failures, shutdown."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.message import Message
from orchestrix.core.messaging.outbox import OutboxEntry, in_stream_order
from orchestrix.core.messaging.outbox_relay import OutboxRelay
from orchestrix.infrastructure.memory import InMemoryAsyncEventStore, InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.outbox import InMemoryOutbox
from test.contracts.outbox import OutboxItemAdded, added


class Recorder:
    """A real in-memory bus whose one handler logs items and fails once on chosen ones."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.bus = InMemoryAsyncMessageBus()
        self.seen: list[str] = []
        self.failing = failing or set()
        self.bus.subscribe(OutboxItemAdded, self.handle)

    def handle(self, message: Message) -> None:
        item = message.item  # type: ignore[attr-defined]
        if item in self.failing:
            self.failing.discard(item)
            raise ConnectionError(f"broker refused {item}")
        self.seen.append(item)


async def test_every_pending_event_is_published_once_in_stream_order() -> None:
    store = InMemoryAsyncEventStore()
    outbox = InMemoryOutbox(store)
    for round_ in range(3):
        for stream in "ABC":
            await store.save(stream, added(f"{stream}{round_}"))
    recorder = Recorder()
    relay = OutboxRelay(outbox, recorder.bus, batch_size=4)
    assert await relay.relay_once() == 4
    while await relay.relay_once():
        pass
    assert sorted(recorder.seen) == sorted(f"{s}{r}" for s in "ABC" for r in range(3))
    for stream in "ABC":
        assert [item for item in recorder.seen if item[0] == stream] == [
            f"{stream}{r}" for r in range(3)
        ]
    assert await outbox.pending_count() == 0


async def test_a_failed_publish_holds_back_its_stream_only() -> None:
    store = InMemoryAsyncEventStore()
    outbox = InMemoryOutbox(store)
    await store.save("A", added("a1", "a2", "a3"))
    await store.save("B", added("b1"))
    recorder = Recorder(failing={"a2"})
    relay = OutboxRelay(outbox, recorder.bus)
    assert await relay.relay_once() == 2
    assert recorder.seen == ["a1", "b1"]
    assert await outbox.pending_count() == 2
    assert await relay.relay_once() == 2
    assert recorder.seen == ["a1", "b1", "a2", "a3"]


async def test_run_relays_until_stopped_and_wakes_on_demand() -> None:
    store = InMemoryAsyncEventStore()
    outbox = InMemoryOutbox(store)
    recorder = Recorder()
    relay = OutboxRelay(outbox, recorder.bus, poll_interval=60)
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    await asyncio.sleep(0.01)
    await store.save("A", added("a1"))
    relay.wake()
    for _ in range(200):
        if recorder.seen:
            break
        await asyncio.sleep(0.01)
    assert recorder.seen == ["a1"]
    stop.set()
    await asyncio.wait_for(running, 5)


async def test_run_survives_a_failing_outbox() -> None:
    class Broken(InMemoryOutbox):
        calls = 0

        def claim(self, limit: int):  # type: ignore[no-untyped-def]
            Broken.calls += 1
            if Broken.calls < 3:
                raise OSError("database down")
            return super().claim(limit)

    store = InMemoryAsyncEventStore()
    await store.save("A", added("a1"))
    recorder = Recorder()
    relay = OutboxRelay(Broken(store), recorder.bus, error_backoff=0.01, poll_interval=0.01)
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    for _ in range(500):
        if recorder.seen:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(running, 5)
    assert recorder.seen == ["a1"] and Broken.calls >= 3


async def test_prune_follows_the_retention() -> None:
    store = InMemoryAsyncEventStore()
    outbox = InMemoryOutbox(store)
    await store.save("A", added("a1"))
    recorder = Recorder()
    await OutboxRelay(outbox, recorder.bus).relay_once()
    assert await OutboxRelay(outbox, recorder.bus, retention=None).prune() == 0
    assert await OutboxRelay(outbox, recorder.bus).prune() == 0
    assert await OutboxRelay(outbox, recorder.bus, retention=timedelta(seconds=-1)).prune() == 1


@pytest.mark.parametrize(
    "options",
    [
        {"batch_size": 0},
        {"batch_size": 1.5},
        {"poll_interval": -1},
        {"error_backoff": float("nan")},
    ],
)
def test_bad_settings_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        OutboxRelay(InMemoryOutbox(InMemoryAsyncEventStore()), InMemoryAsyncMessageBus(), **options)  # type: ignore[arg-type]


def test_in_stream_order_keeps_the_gapless_run_from_the_oldest_pending_version() -> None:
    def entry(position: int, stream: str, version: int) -> OutboxEntry:
        return OutboxEntry(position, stream, version, OutboxItemAdded(item=f"{stream}{version}"))

    candidates = [
        entry(1, "A", 2),
        entry(2, "B", 1),
        entry(3, "A", 3),
        entry(4, "C", 5),
        entry(5, "B", 3),
    ]
    kept = in_stream_order(candidates, {"A": 1, "B": 1, "C": 5})
    assert [(e.aggregate_id, e.version) for e in kept] == [("B", 1), ("C", 5)]
