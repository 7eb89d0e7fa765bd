"""W3C trace context (`traceparent`) in message headers, so a trace crosses the broker.

A local adapter until the observability package offers inject/extract helpers: the publisher
writes `traceparent` from the message's `trace_id` (a 32-hex-digit W3C trace id) with a fresh
span id; the consumer reads the trace id back. Anything that is not a valid W3C value is left
out rather than forwarded half-broken.
"""

from __future__ import annotations

import re
import secrets

TRACEPARENT = "traceparent"
_TRACE_ID = re.compile(r"[0-9a-f]{32}")
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_INVALID_TRACE_ID = "0" * 32


def inject(trace_id: str | None, headers: dict[str, object]) -> None:
    """Add `traceparent` for `trace_id` to `headers` when it is a valid W3C trace id."""
    if trace_id is None:
        return
    trace_id = trace_id.replace("-", "").lower()
    if _TRACE_ID.fullmatch(trace_id) and trace_id != _INVALID_TRACE_ID:
        headers[TRACEPARENT] = f"00-{trace_id}-{secrets.token_hex(8)}-01"


def extract(headers: dict[str, object] | None) -> str | None:
    """The trace id carried by a `traceparent` header, if there is a valid one."""
    value = (headers or {}).get(TRACEPARENT)
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    match = _TRACEPARENT.fullmatch(value.strip())
    if match is None or match[1] == _INVALID_TRACE_ID:
        return None
    return match[1]


__all__ = ["TRACEPARENT", "extract", "inject"]
