"""The metrics port: what the library measures, independent of any metrics backend.

Backends (Prometheus in `orchestrix.infrastructure.observability`) implement the four methods
of `MetricsProvider`; the default is a no-op, so metrics cost nothing until wanted.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime


class MetricType:
    """How a backend aggregates a metric's values (plain strings, as `MetricValue` holds)."""

    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"
    DURATION = "duration"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class MetricValue:
    """One measurement. Labels must have few distinct values: type names, never an id."""

    name: str
    value: float
    unit: str = ""
    timestamp: datetime = field(default_factory=_now)
    labels: dict[str, str] = field(default_factory=dict)
    metric_type: str = MetricType.COUNTER


class MetricsProvider(ABC):
    """Receives measurements; the library calls exactly these four methods."""

    @abstractmethod
    def record_metric(self, metric: MetricValue) -> None:
        """Record one measurement."""

    @abstractmethod
    def counter(self, name: str, value: float = 1.0, labels: dict[str, str] | None = None) -> None:
        """Add `value` to a monotonically increasing count."""

    @abstractmethod
    def gauge(self, name: str, value: float, labels: dict[str, str] | None = None) -> None:
        """Set a value that goes up and down."""

    @abstractmethod
    def histogram(
        self, name: str, value: float, unit: str = "", labels: dict[str, str] | None = None
    ) -> None:
        """Observe one value of a distribution (durations in seconds)."""


class NoOpMetricsProvider(MetricsProvider):
    """Discards every measurement: the default when no backend is configured."""

    def record_metric(self, metric: MetricValue) -> None:
        pass

    def counter(self, name: str, value: float = 1.0, labels: dict[str, str] | None = None) -> None:
        pass

    def gauge(self, name: str, value: float, labels: dict[str, str] | None = None) -> None:
        pass

    def histogram(
        self, name: str, value: float, unit: str = "", labels: dict[str, str] | None = None
    ) -> None:
        pass


__all__ = ["MetricType", "MetricValue", "MetricsProvider", "NoOpMetricsProvider"]
