"""The metrics port: what the library reports, independent of any metrics backend.

Backends (Prometheus in `orchestrix.infrastructure.observability`) implement
`MetricsProvider.record_metric`; the default is a no-op, so metrics cost nothing until wanted.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class MetricType(StrEnum):
    """How a backend aggregates a metric's values."""

    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


@dataclass(frozen=True)
class MetricValue:
    """One measurement. Labels must have few distinct values: never an aggregate id."""

    name: str
    value: float
    metric_type: MetricType
    labels: Mapping[str, str] = field(default_factory=dict)
    unit: str = ""


class MetricsProvider(ABC):
    """Receives measurements; `counter`, `gauge` and `histogram` all go to `record_metric`."""

    @abstractmethod
    def record_metric(self, metric: MetricValue) -> None:
        """Record one measurement."""

    def counter(
        self, name: str, value: float = 1.0, labels: Mapping[str, str] | None = None
    ) -> None:
        self.record_metric(MetricValue(name, value, MetricType.COUNTER, labels or {}))

    def gauge(self, name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        self.record_metric(MetricValue(name, value, MetricType.GAUGE, labels or {}))

    def histogram(
        self, name: str, value: float, unit: str = "", labels: Mapping[str, str] | None = None
    ) -> None:
        self.record_metric(MetricValue(name, value, MetricType.HISTOGRAM, labels or {}, unit))


class NoOpMetricsProvider(MetricsProvider):
    """Discards every measurement: the default when no backend is configured."""

    def record_metric(self, metric: MetricValue) -> None:
        pass


__all__ = ["MetricType", "MetricValue", "MetricsProvider", "NoOpMetricsProvider"]
