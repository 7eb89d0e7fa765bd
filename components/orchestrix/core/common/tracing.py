"""The tracing port: spans the library opens around its operations, independent of a backend.

Backends (OpenTelemetry in `orchestrix.infrastructure.observability`) implement
`TracingProvider`; the default is a no-op.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import KW_ONLY, dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import Self
from uuid import uuid4

type AttributeValue = str | bool | int | float


class SpanStatus(StrEnum):
    """Outcome of a span, as in OpenTelemetry: unset until it ends."""

    UNSET = "unset"
    OK = "ok"
    ERROR = "error"


@dataclass(eq=False)
class TraceSpan:
    """A timed operation. As a context manager it ends itself and records an escaping error.

    Ending goes through `provider.end_span` exactly once, however often `end` is called.
    """

    operation: str
    _: KW_ONLY
    provider: TracingProvider | None = field(default=None, repr=False)
    trace_id: str = field(default_factory=lambda: uuid4().hex)
    span_id: str = field(default_factory=lambda: uuid4().hex[:16])
    parent_span_id: str | None = None
    start_time: float = field(default_factory=time.time)
    end_time: float | None = None
    status: SpanStatus = SpanStatus.UNSET
    attributes: dict[str, AttributeValue] = field(default_factory=dict)

    @property
    def duration(self) -> float | None:
        """Seconds between start and end, or None while the span is open."""
        return None if self.end_time is None else self.end_time - self.start_time

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        self.attributes[key] = value

    def record_exception(self, error: BaseException) -> None:
        """Mark the span failed and keep the error's type and text as attributes."""
        self.status = SpanStatus.ERROR
        self.attributes["error.type"] = type(error).__qualname__
        self.attributes["error.message"] = str(error)

    def end(self) -> None:
        if self.end_time is not None:
            return
        self.end_time = time.time()
        if self.provider is not None:
            self.provider.end_span(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is not None:
            self.record_exception(exc)
        elif self.status is SpanStatus.UNSET:
            self.status = SpanStatus.OK
        self.end()


class TracingProvider(ABC):
    """Starts spans and exports them once they end."""

    @abstractmethod
    def start_span(self, operation: str) -> TraceSpan:
        """Open a span; pass `provider=self` so that ending it reaches `end_span`."""

    @abstractmethod
    def end_span(self, span: TraceSpan) -> None:
        """Export a finished span; called once by `TraceSpan.end`."""


class NoOpTracingProvider(TracingProvider):
    """Hands out spans that go nowhere: the default when no backend is configured."""

    def start_span(self, operation: str) -> TraceSpan:
        return TraceSpan(operation, provider=self)

    def end_span(self, span: TraceSpan) -> None:
        pass


__all__ = [
    "AttributeValue",
    "NoOpTracingProvider",
    "SpanStatus",
    "TraceSpan",
    "TracingProvider",
]
