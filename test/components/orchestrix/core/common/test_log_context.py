"""Log records emitted inside handlers carry the message's ids and the trace's."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from orchestrix.core.common.instrumentation import is_observed
from orchestrix.core.common.log_context import (
    FIELDS,
    MessageContextFilter,
    install_log_context,
    remove_log_context,
)
from orchestrix.core.common.logging import StructuredLogger, get_logger
from orchestrix.core.common.propagation import continue_trace
from orchestrix.core.messaging.message import Command, Event
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"
logger = logging.getLogger("test.log_context")


@dataclass(frozen=True, kw_only=True)
class Ship(Command, type_name="test_log_context.Ship"):
    parcel: str


@dataclass(frozen=True, kw_only=True)
class Shipped(Event, type_name="test_log_context.Shipped"):
    parcel: str


class Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def kept() -> Iterator[Keep]:
    handler = Keep()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    install_log_context(handler)
    yield handler
    remove_log_context(handler)
    logger.removeHandler(handler)


def fields(record: logging.LogRecord) -> dict[str, object]:
    return {name: getattr(record, name) for name in FIELDS}


def test_records_inside_handlers_name_the_message_chain(kept: Keep) -> None:
    bus = InMemoryMessageBus()

    def ship(command: Ship) -> None:
        logger.info("shipping")
        bus.publish(Shipped.caused_by(command, parcel=command.parcel))

    bus.subscribe(Ship, ship)
    bus.subscribe(Shipped, lambda event: logger.info("shipped"))
    command = Ship(parcel="p-1", actor_id="clerk")
    logger.info("before")
    bus.publish(command)

    before, shipping, shipped = kept.records
    assert fields(before) == dict.fromkeys(FIELDS)
    assert fields(shipping) == {
        "correlation_id": command.id,
        "causation_id": None,
        "actor_id": "clerk",
        "message_id": command.id,
        "message_type": "test_log_context.Ship",
        "trace_id": None,
        "span_id": None,
    }
    assert shipped.causation_id == command.id  # type: ignore[attr-defined]
    assert shipped.correlation_id == command.id  # type: ignore[attr-defined]
    assert shipped.message_type == "test_log_context.Shipped"  # type: ignore[attr-defined]


async def test_concurrent_async_handlers_each_see_their_own_message(kept: Keep) -> None:
    bus = InMemoryAsyncMessageBus()

    async def log_later(event: Shipped) -> None:
        await asyncio.sleep(0)
        logger.info("handled %s", event.parcel)

    bus.subscribe(Shipped, log_later)
    first, second = Shipped(parcel="a"), Shipped(parcel="b")
    await asyncio.gather(bus.publish(first), bus.publish(second))

    seen = {record.getMessage(): record.message_id for record in kept.records}  # type: ignore[attr-defined]
    assert seen == {"handled a": first.id, "handled b": second.id}


def test_structured_logger_records_keep_their_text_and_context_and_gain_the_fields() -> None:
    handler = Keep()
    structured = StructuredLogger(get_logger("test.log_context.structured"))
    structured.logger.addHandler(handler)
    structured.logger.setLevel(logging.INFO)
    install_log_context(handler)
    try:
        bus = InMemoryMessageBus()
        bus.subscribe(Ship, lambda command: structured.info("Shipping", parcel=command.parcel))
        command = Ship(parcel="p-2")
        bus.publish(command)
    finally:
        remove_log_context(handler)
        structured.logger.removeHandler(handler)

    (record,) = handler.records
    assert record.name == "orchestrix.test.log_context.structured"
    assert record.getMessage() == "Shipping [parcel=p-2]"
    assert record.context == {"parcel": "p-2"}  # type: ignore[attr-defined]
    assert (record.correlation_id, record.message_id) == (command.id, command.id)  # type: ignore[attr-defined]


def test_records_carry_the_trace_being_continued(kept: Keep) -> None:
    with continue_trace({"traceparent": f"00-{TRACE_ID}-{SPAN_ID}-01"}):
        logger.info("received")

    (record,) = kept.records
    assert (record.trace_id, record.span_id) == (TRACE_ID, SPAN_ID)  # type: ignore[attr-defined]


def test_fields_passed_in_extra_are_kept(kept: Keep) -> None:
    logger.info("explicit", extra={"correlation_id": "from-the-caller"})

    assert kept.records[0].correlation_id == "from-the-caller"  # type: ignore[attr-defined]


def test_installing_needs_a_handler_and_adds_one_filter() -> None:
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers.clear()
    try:
        with pytest.raises(ValueError, match="configure logging first"):
            install_log_context()
        handler = Keep()
        root.addHandler(handler)
        install_log_context()
        install_log_context()
        assert [type(f) for f in handler.filters] == [MessageContextFilter]
        assert is_observed()
        remove_log_context()
        assert handler.filters == [] and not is_observed()
    finally:
        root.handlers[:] = saved
