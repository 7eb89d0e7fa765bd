"""W3C trace context: parsing, headers, and passing a trace through without a tracer."""

from __future__ import annotations

import pytest

from orchestrix.core.common.propagation import (
    continue_trace,
    current_trace_context,
    current_trace_id,
    extract_trace_context,
    inject_trace_context,
)
from orchestrix.core.common.trace_context import TraceContext
from orchestrix.core.messaging.message import Event

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{SPAN_ID}-01"


def test_a_valid_traceparent_parses_and_formats_back() -> None:
    context = TraceContext.parse(TRACEPARENT, "congo=t61rcWkgMzE")

    assert context == TraceContext(TRACE_ID, SPAN_ID, sampled=True, tracestate="congo=t61rcWkgMzE")
    assert context is not None and context.traceparent == TRACEPARENT


def test_the_sampled_flag_is_the_lowest_bit() -> None:
    assert TraceContext.parse(f"00-{TRACE_ID}-{SPAN_ID}-00") == TraceContext(
        TRACE_ID, SPAN_ID, sampled=False
    )
    context = TraceContext.parse(f"00-{TRACE_ID}-{SPAN_ID}-03")
    assert context is not None and context.sampled


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        f"00-{TRACE_ID.upper()}-{SPAN_ID}-01",
        f"ff-{TRACE_ID}-{SPAN_ID}-01",
        f"00-{'0' * 32}-{SPAN_ID}-01",
        f"00-{TRACE_ID}-{'0' * 16}-01",
        f"00-{TRACE_ID}-{SPAN_ID}-01-extra",
        f"00-{TRACE_ID[:-1]}-{SPAN_ID}-01",
    ],
)
def test_an_invalid_traceparent_is_ignored(header: str) -> None:
    assert TraceContext.parse(header) is None


def test_a_later_version_is_read_as_version_00() -> None:
    assert TraceContext.parse(f"01-{TRACE_ID}-{SPAN_ID}-01-future") == TraceContext(
        TRACE_ID, SPAN_ID
    )


def test_headers_carry_the_context_in_any_case_as_text_or_bytes() -> None:
    headers: dict[str, str] = {}
    TraceContext(TRACE_ID, SPAN_ID, tracestate="a=1").inject(headers)

    assert headers == {"traceparent": TRACEPARENT, "tracestate": "a=1"}
    assert extract_trace_context({"TraceParent": TRACEPARENT.encode()}) == TraceContext(
        TRACE_ID, SPAN_ID
    )
    assert extract_trace_context({"content-type": "application/json"}) is None
    assert extract_trace_context({"traceparent": b"\xff"}) is None


def test_without_a_tracer_a_received_trace_passes_through() -> None:
    assert current_trace_id() is None

    with continue_trace({"traceparent": TRACEPARENT}) as received:
        assert received == TraceContext(TRACE_ID, SPAN_ID)
        assert current_trace_id() == TRACE_ID
        outgoing: dict[str, str] = {}
        inject_trace_context(outgoing)
        assert outgoing == {"traceparent": TRACEPARENT}

    assert current_trace_context() is None
    nothing: dict[str, str] = {}
    inject_trace_context(nothing)
    assert nothing == {}


def test_continuing_from_headers_without_a_context_changes_nothing() -> None:
    with continue_trace({"traceparent": "not w3c"}) as received:
        assert received is None
        assert current_trace_id() is None


def test_a_message_made_inside_a_trace_carries_its_trace_id() -> None:
    outside = Event()
    with continue_trace({"traceparent": TRACEPARENT}):
        inside = Event()
        caused = Event.caused_by(outside)

    assert outside.trace_id is None
    assert (inside.trace_id, caused.trace_id) == (TRACE_ID, TRACE_ID)
