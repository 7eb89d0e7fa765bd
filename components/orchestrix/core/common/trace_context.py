"""W3C Trace Context: the `traceparent` a message carries between processes.

A trace context is four facts about the span that caused a message: its trace id, its span id,
whether it was sampled, and the vendors' `tracestate`. Brokers carry it as message headers
(`traceparent`, `tracestate`), never as a field of the message: it describes the delivery,
not the fact, so stored events keep only their `trace_id`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"

_TRACEPARENT = re.compile(
    r"(?P<version>[0-9a-f]{2})-(?P<trace_id>[0-9a-f]{32})-(?P<span_id>[0-9a-f]{16})"
    r"-(?P<flags>[0-9a-f]{2})(?P<rest>(-.*)?)"
)
_INVALID_TRACE_ID = "0" * 32
_INVALID_SPAN_ID = "0" * 16
_MAX_TRACESTATE = 512


@dataclass(frozen=True, slots=True)
class TraceContext:
    """The W3C identity of a span: enough to make it the parent of spans elsewhere."""

    trace_id: str
    span_id: str
    sampled: bool = True
    tracestate: str | None = None

    @property
    def traceparent(self) -> str:
        """The `traceparent` header value, version 00."""
        return f"00-{self.trace_id}-{self.span_id}-{'01' if self.sampled else '00'}"

    @classmethod
    def parse(cls, traceparent: str, tracestate: str | None = None) -> TraceContext | None:
        """The context a `traceparent` header names, or None when it is not valid W3C.

        Later versions are read as version 00 as the recommendation asks; an invalid
        header starts a new trace rather than failing the delivery.
        """
        found = _TRACEPARENT.fullmatch(traceparent.strip())
        if found is None:
            return None
        version, rest = found["version"], found["rest"]
        if version == "ff" or (version == "00" and rest):
            return None
        if found["trace_id"] == _INVALID_TRACE_ID or found["span_id"] == _INVALID_SPAN_ID:
            return None
        state = tracestate.strip() if tracestate else None
        return cls(
            found["trace_id"],
            found["span_id"],
            sampled=bool(int(found["flags"], 16) & 1),
            tracestate=state if state and len(state) <= _MAX_TRACESTATE else None,
        )

    def inject(self, carrier: MutableMapping[str, str]) -> None:
        """Write `traceparent` (and `tracestate` when there is one) into `carrier`."""
        carrier[TRACEPARENT] = self.traceparent
        if self.tracestate:
            carrier[TRACESTATE] = self.tracestate

    @classmethod
    def extract(cls, carrier: Mapping[str, object]) -> TraceContext | None:
        """The context in a carrier of headers (names in any case, values str or bytes)."""
        headers = {str(name).lower(): value for name, value in carrier.items()}
        traceparent = _text(headers.get(TRACEPARENT))
        if traceparent is None:
            return None
        return cls.parse(traceparent, _text(headers.get(TRACESTATE)))


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


remote_parent: ContextVar[TraceContext | None] = ContextVar(
    "orchestrix_remote_parent", default=None
)
"""The context received with the message being handled, where no tracer took it over."""


__all__ = ["TRACEPARENT", "TRACESTATE", "TraceContext", "remote_parent"]
