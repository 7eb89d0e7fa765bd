"""OpenTelemetry as the hooks' tracing provider: the library's spans form one trace."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind as OtelSpanKind
from opentelemetry.trace import StatusCode

from orchestrix.core.common.exceptions import HandlerError
from orchestrix.core.common.log_context import install_log_context, remove_log_context
from orchestrix.core.common.observability import init_observability
from orchestrix.core.common.propagation import (
    continue_trace,
    current_trace_context,
    current_trace_id,
    inject_trace_context,
)
from orchestrix.core.common.tracing import SpanKind
from orchestrix.core.messaging.message import Command, Event
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.observability import OpenTelemetryTracing
from test.components.orchestrix.infrastructure.observability.spans import FinishedSpans

REMOTE_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
REMOTE_SPAN = "00f067aa0ba902b7"


@dataclass(frozen=True, kw_only=True)
class Reserve(Command, type_name="test_tracing_provider.Reserve"):
    seat: str


@dataclass(frozen=True, kw_only=True)
class Reserved(Event, type_name="test_tracing_provider.Reserved"):
    seat: str


@pytest.fixture
def finished() -> FinishedSpans:
    finished = FinishedSpans()
    init_observability(tracing_provider=finished.tracer.as_tracing_provider())
    return finished


def tree(finished: FinishedSpans) -> set[tuple[str, str | None]]:
    return {(span.name, finished.parent_name(span)) for span in finished.spans()}


def attributes(span: ReadableSpan) -> dict[str, object]:
    return dict(span.attributes or {})


async def test_an_async_command_flow_is_one_trace_with_the_seed_hierarchy(
    finished: FinishedSpans,
) -> None:
    bus, store = InMemoryAsyncMessageBus(), InMemoryAsyncEventStore()
    seen_trace_ids: list[str | None] = []

    async def reserve(command: Reserve) -> None:
        event = Reserved.caused_by(command, seat=command.seat)
        await store.save(command.seat, [event], expected_version=0)
        await bus.publish(event)

    async def notify(event: Reserved) -> None:
        await asyncio.sleep(0)
        seen_trace_ids.append(current_trace_id())

    bus.subscribe(Reserve, reserve)
    bus.subscribe(Reserved, notify)
    bus.subscribe(Reserved, notify)
    command = Reserve(seat="12A", actor_id="agent-3")
    await bus.publish(command)

    assert tree(finished) == {
        ("command.dispatch", None),
        ("command.handle", "command.dispatch"),
        ("event_store.save", "command.handle"),
        ("event.publish", "command.handle"),
        ("event.handle", "event.publish"),
    }
    assert len(finished.spans()) == 6  # two event.handle spans, one per handler
    assert len({span.context.trace_id for span in finished.spans()}) == 1
    trace_id = format(finished.spans()[0].context.trace_id, "032x")
    assert seen_trace_ids == [trace_id, trace_id]
    handle = attributes(finished.named("command.handle"))
    assert handle == {
        "command.type": "test_tracing_provider.Reserve",
        "command.id": command.id,
        "orchestrix.actor_id": "agent-3",
        "orchestrix.handler": "test_an_async_command_flow_is_one_trace_with_the_seed_hierarchy"
        ".<locals>.reserve",
    }
    published = attributes(finished.named("event.publish"))
    assert published["orchestrix.correlation_id"] == command.id
    assert published["orchestrix.causation_id"] == command.id
    assert published["event.type"] == "test_tracing_provider.Reserved"


def test_a_failing_handler_marks_its_spans_failed(finished: FinishedSpans) -> None:
    bus = InMemoryMessageBus()

    def refuse(command: Reserve) -> None:
        raise LookupError("no such seat")

    bus.subscribe(Reserve, refuse)
    with pytest.raises(HandlerError):
        bus.publish(Reserve(seat="99Z"))

    handle = finished.named("command.handle")
    assert handle.status.status_code is StatusCode.ERROR
    assert handle.status.description == "no such seat"
    assert attributes(handle)["error.type"] == "LookupError"
    assert [event.name for event in handle.events] == ["exception"]
    assert finished.named("command.dispatch").status.status_code is StatusCode.ERROR


def test_spans_have_the_kind_they_are_opened_with(finished: FinishedSpans) -> None:
    provider = finished.tracer.as_tracing_provider()
    span = provider.open_span(
        "rabbitmq.publish", {"messaging.system": "rabbitmq"}, SpanKind.PRODUCER
    )
    provider.end_span(span)

    (exported,) = finished.spans()
    assert exported.kind is OtelSpanKind.PRODUCER
    assert attributes(exported) == {"messaging.system": "rabbitmq"}
    assert span.trace_id == format(exported.context.trace_id, "032x")
    assert span.span_id == format(exported.context.span_id, "016x")
    assert span.status == "ok" and span.duration_ms > 0


def test_a_received_traceparent_becomes_the_parent_and_goes_on(finished: FinishedSpans) -> None:
    bus = InMemoryMessageBus()
    outgoing: dict[str, str] = {}
    bus.subscribe(Reserved, lambda event: inject_trace_context(outgoing))

    with continue_trace({"traceparent": f"00-{REMOTE_TRACE}-{REMOTE_SPAN}-01"}):
        bus.publish(Reserved(seat="1A"))

    publish = finished.named("event.publish")
    assert format(publish.context.trace_id, "032x") == REMOTE_TRACE
    assert publish.parent is not None and format(publish.parent.span_id, "016x") == REMOTE_SPAN
    assert publish.parent.is_remote
    handle = finished.named("event.handle")
    assert (
        outgoing["traceparent"] == f"00-{REMOTE_TRACE}-{format(handle.context.span_id, '016x')}-01"
    )
    assert current_trace_context() is None


def test_log_records_carry_the_active_span(finished: FinishedSpans) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("test.tracing_provider")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    install_log_context(handler)
    try:
        bus = InMemoryMessageBus()
        bus.subscribe(Reserved, lambda event: logger.info("handling"))
        bus.publish(Reserved(seat="2B"))
    finally:
        remove_log_context(handler)
        logger.removeHandler(handler)

    handle = finished.named("event.handle")
    (record,) = records
    assert record.trace_id == format(handle.context.trace_id, "032x")  # type: ignore[attr-defined]
    assert record.span_id == format(handle.context.span_id, "016x")  # type: ignore[attr-defined]


def test_the_default_provider_uses_the_tracer_of_init_tracing() -> None:
    from orchestrix.infrastructure.observability import init_tracing

    tracer = init_tracing(service_name="defaults", jaeger_agent_host="127.0.0.1")
    try:
        assert OpenTelemetryTracing().tracer.tracer_provider is tracer.tracer_provider
    finally:
        tracer.shutdown()
