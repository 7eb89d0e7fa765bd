"""Trace context across processes: what a broker calls on publish and on delivery.

On publish, `inject_trace_context(headers)` writes the active span's W3C `traceparent` (and
`tracestate`) into the outgoing message's headers. On delivery, `with continue_trace(headers):`
around the local publish makes the sender's span the parent of the spans opened inside, so a
trace runs on across the broker. Both go through the process-wide tracing provider: with
OpenTelemetry they use its context and propagators; without a tracer the received context is
passed through unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager

from orchestrix.core.common._observation import state
from orchestrix.core.common.observability import LOGGER_NAME, get_observability
from orchestrix.core.common.trace_context import TraceContext, remote_parent

_logger = logging.getLogger(LOGGER_NAME)


def current_trace_context() -> TraceContext | None:
    """The W3C context of the active span (or of the trace passed through), if any."""
    try:
        return get_observability().tracing.current_context()
    except Exception:
        _logger.exception("Tracing provider failed to tell the current context")
        return None


def current_trace_id() -> str | None:
    """The active trace's id as 32 lowercase hex digits (what `Message.trace_id` holds).

    Cheap enough for a default factory: without a tracer it is one context-variable read.
    """
    context = remote_parent.get() if not state.tracing else current_trace_context()
    return None if context is None else context.trace_id


def inject_trace_context(carrier: MutableMapping[str, str]) -> None:
    """Write the active context into `carrier` (message headers); nothing when there is none."""
    try:
        get_observability().tracing.inject(carrier)
    except Exception:
        _logger.exception("Tracing provider failed to inject the trace context")


def extract_trace_context(carrier: Mapping[str, object]) -> TraceContext | None:
    """The context a received message's headers carry, or None (absent or not valid W3C)."""
    return TraceContext.extract(carrier)


@contextmanager
def continue_trace(carrier: Mapping[str, object]) -> Iterator[TraceContext | None]:
    """Within the block, spans continue the trace of the message whose headers are `carrier`."""
    context = extract_trace_context(carrier)
    if context is None:
        yield None
        return
    with get_observability().tracing.activate(context):
        yield context


__all__ = [
    "continue_trace",
    "current_trace_context",
    "current_trace_id",
    "extract_trace_context",
    "inject_trace_context",
]
