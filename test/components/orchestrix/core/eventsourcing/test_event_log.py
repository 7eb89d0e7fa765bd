from collections.abc import AsyncIterator
from itertools import repeat

from orchestrix.core.eventsourcing.event_log import (
    Checkpoint,
    RecordedEvent,
    each_event,
    recorded_events,
)
from orchestrix.core.messaging.message import Event


def test_recorded_events_from_columns_are_the_named_tuples_the_constructor_makes() -> None:
    events = [Event(), Event()]
    built = recorded_events(events, ["a", "b"], [1, 1], [7, 8], [30, 31])
    assert built == [
        RecordedEvent(events[0], "a", 1, 7, 30),
        RecordedEvent(events[1], "b", 1, 8, 31),
    ]
    assert all(type(recorded) is RecordedEvent for recorded in built)
    assert built[1].checkpoint == Checkpoint(31, 8)


def test_stores_without_transaction_ids_pass_an_endless_zero() -> None:
    built = recorded_events([Event()], ["a"], [1], [1], repeat(0))
    assert built[0].tx_id == 0
    assert built[0].checkpoint == Checkpoint(0, 1)


async def test_each_event_yields_the_batches_in_order_and_closes_them_when_left_early() -> None:
    events = [RecordedEvent(Event(), "a", n, n) for n in range(1, 6)]
    closed: list[bool] = []

    async def batches() -> AsyncIterator[list[RecordedEvent]]:
        try:
            yield events[:2]
            yield events[2:]
        finally:
            closed.append(True)

    assert [recorded async for recorded in each_event(batches())] == events
    assert closed == [True]
    reader = each_event(batches())
    assert await anext(reader) == events[0]
    await reader.aclose()  # a reader that stops early, as a page read does
    assert closed == [True, True]
