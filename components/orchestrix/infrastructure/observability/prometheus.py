"""Prometheus metrics for Orchestrix: the first release's metrics, and a hooks backend.

`PrometheusMetrics` declares the release's metrics (names, labels, help texts) in a registry
of its own and offers its context managers to time work by hand. It is also a
`MetricsProvider`: `init_observability(metrics_provider=PrometheusMetrics())` makes the
library's buses, stores, repository, projections and sagas feed the same metrics, labelled by
type only. `wsgi_app()` and `asgi_app()` serve them at `/metrics`.

Importing this module never fails; without `prometheus-client`, `HAS_PROMETHEUS` is False
and constructing `PrometheusMetrics` raises an ImportError naming the extra to install.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from orchestrix.core.common import metric_names as names
from orchestrix.core.common.metrics import MetricsProvider, MetricType, MetricValue
from orchestrix.infrastructure.observability._extra import INSTALL_HINT

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

    from orchestrix.infrastructure.observability.exposition import AsgiApp, WsgiApp

try:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
except ImportError:
    HAS_PROMETHEUS = False
    CollectorRegistry = Counter = Gauge = Histogram = object  # type: ignore[misc,assignment]

    def generate_latest(registry: Any = None) -> bytes:  # type: ignore[misc]
        return b""
else:
    HAS_PROMETHEUS = True

_MISSING = f"prometheus-client not installed. {INSTALL_HINT}"
_SUCCESS, _ERROR = names.SUCCESS, names.ERROR


class MetricOperationType(str, Enum):  # noqa: UP042 - str() is "MetricOperationType.APPEND"
    """The storage operations `track_storage_operation` labels (by `.value`)."""

    APPEND = "append"
    LOAD = "load"
    DELETE = "delete"
    UPDATE = "update"
    QUERY = "query"


@dataclass(frozen=True)
class MetricConfig:
    """Metric names are `<namespace>_<subsystem>_<metric>`; `registry` None means a new one.

    `enable_summary_metrics` is kept for compatibility; no summary metric exists.
    """

    namespace: str = "orchestrix"
    subsystem: str = "core"
    registry: CollectorRegistry | None = None
    enable_summary_metrics: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.namespace, str) or not self.namespace:
            raise ValueError("namespace must be non-empty string")
        if not isinstance(self.subsystem, str) or not self.subsystem:
            raise ValueError("subsystem must be non-empty string")


class PrometheusMetrics(MetricsProvider):
    """The Orchestrix metrics in one Prometheus registry (a private one by default)."""

    def __init__(self, config: MetricConfig | None = None) -> None:
        if not HAS_PROMETHEUS:
            raise ImportError(_MISSING)
        from orchestrix.infrastructure.observability._hook_metrics import HookMetrics

        self.config = MetricConfig() if config is None else config
        self.registry = (
            CollectorRegistry() if self.config.registry is None else self.config.registry
        )
        prefix = f"{self.config.namespace}_{self.config.subsystem}"

        def declare[M](kind: Callable[..., M], name: str, help_text: str, *labels: str) -> M:
            return kind(f"{prefix}_{name}", help_text, labels, registry=self.registry)

        self.events_total = declare(
            Counter, "events_total", "Total events published", "event_type", "status"
        )
        self.events_processing_seconds = declare(
            Histogram,
            "events_processing_seconds",
            "Event processing time in seconds",
            "event_type",
        )
        self.commands_total = declare(
            Counter, "commands_total", "Total commands processed", "command_type", "status"
        )
        self.commands_latency_seconds = declare(
            Histogram,
            "commands_latency_seconds",
            "Command processing latency in seconds",
            "command_type",
        )
        self.aggregates_loaded_total = declare(
            Counter, "aggregates_loaded_total", "Total aggregates loaded", "aggregate_type"
        )
        self.aggregates_load_time_seconds = declare(
            Histogram,
            "aggregates_load_time_seconds",
            "Time to load aggregate in seconds",
            "aggregate_type",
        )
        self.aggregates_in_memory = declare(
            Gauge,
            "aggregates_in_memory",
            "Number of aggregates currently in memory",
            "aggregate_type",
        )
        self.storage_operations_total = declare(
            Counter,
            "storage_operations_total",
            "Total storage operations",
            "operation_type",
            "status",
        )
        self.storage_operation_seconds = declare(
            Histogram,
            "storage_operation_seconds",
            "Storage operation duration in seconds",
            "operation_type",
        )
        self.projection_events_behind = declare(
            Gauge,
            "projection_events_behind",
            "Number of unprocessed events in projections",
            "projection_name",
        )
        self.projection_update_seconds = declare(
            Histogram,
            "projection_update_seconds",
            "Projection update latency in seconds",
            "projection_name",
        )
        self.saga_executions_total = declare(
            Counter, "saga_executions_total", "Total saga executions", "saga_type", "status"
        )
        self.saga_duration_seconds = declare(
            Histogram,
            "saga_duration_seconds",
            "Saga execution duration in seconds",
            "saga_type",
        )
        self._hooks = HookMetrics(
            prefix,
            self.registry,
            {
                names.EVENTS_PUBLISHED: self.events_total,
                names.EVENT_PROCESSING: self.events_processing_seconds,
                names.COMMANDS_HANDLED: self.commands_total,
                names.COMMAND_LATENCY: self.commands_latency_seconds,
                names.AGGREGATES_LOADED: self.aggregates_loaded_total,
                names.AGGREGATE_LOAD_TIME: self.aggregates_load_time_seconds,
                names.STORAGE_OPERATIONS: self.storage_operations_total,
                names.STORAGE_DURATION: self.storage_operation_seconds,
                names.PROJECTION_LAG: self.projection_events_behind,
                names.PROJECTION_UPDATE: self.projection_update_seconds,
                names.SAGA_EXECUTIONS: self.saga_executions_total,
                names.SAGA_DURATION: self.saga_duration_seconds,
            },
        )

    # Timing work by hand.

    @contextmanager
    def track_event_publish(self, event_type: str = "unknown") -> Iterator[None]:
        with self._tracked(self.events_processing_seconds, self.events_total, event_type):
            yield

    @contextmanager
    def track_command_handle(self, command_type: str = "unknown") -> Iterator[None]:
        with self._tracked(self.commands_latency_seconds, self.commands_total, command_type):
            yield

    @asynccontextmanager
    async def track_async_event_publish(self, event_type: str = "unknown") -> AsyncIterator[None]:
        with self._tracked(self.events_processing_seconds, self.events_total, event_type):
            yield

    @asynccontextmanager
    async def track_async_command_handle(
        self, command_type: str = "unknown"
    ) -> AsyncIterator[None]:
        with self._tracked(self.commands_latency_seconds, self.commands_total, command_type):
            yield

    @contextmanager
    def track_aggregate_load(self, aggregate_type: str = "unknown") -> Iterator[None]:
        """Times a load; the in-memory gauge goes up by one unless the load fails.

        Call `release_aggregate` when such an aggregate leaves memory.
        """
        in_memory = self.aggregates_in_memory.labels(aggregate_type)
        in_memory.inc()
        started = time.perf_counter()
        try:
            yield
        except Exception:
            in_memory.dec()
            raise
        finally:
            self.aggregates_load_time_seconds.labels(aggregate_type).observe(
                time.perf_counter() - started
            )
        self.aggregates_loaded_total.labels(aggregate_type).inc()

    def release_aggregate(self, aggregate_type: str = "unknown") -> None:
        """One aggregate of the type is no longer held in memory."""
        self.aggregates_in_memory.labels(aggregate_type).dec()

    @contextmanager
    def track_storage_operation(
        self, operation_type: MetricOperationType = MetricOperationType.APPEND
    ) -> Iterator[None]:
        label = operation_type.value
        with self._tracked(self.storage_operation_seconds, self.storage_operations_total, label):
            yield

    @contextmanager
    def track_projection_update(self, projection_name: str = "unknown") -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.projection_update_seconds.labels(projection_name).observe(
                time.perf_counter() - started
            )

    @contextmanager
    def track_saga_execution(self, saga_type: str = "unknown") -> Iterator[None]:
        with self._tracked(self.saga_duration_seconds, self.saga_executions_total, saga_type):
            yield

    def record_projection_lag(self, projection_name: str, events_behind: int) -> None:
        self.projection_events_behind.labels(projection_name).set(events_behind)

    @contextmanager
    def _tracked(self, histogram: Histogram, counter: Counter, label: str) -> Iterator[None]:
        """Time the block into `histogram`, then count it in `counter` by outcome."""
        started = time.perf_counter()
        try:
            yield
        except Exception:
            histogram.labels(label).observe(time.perf_counter() - started)
            counter.labels(label, _ERROR).inc()
            raise
        histogram.labels(label).observe(time.perf_counter() - started)
        counter.labels(label, _SUCCESS).inc()

    # Exposition.

    def get_prometheus_registry(self) -> CollectorRegistry:
        return self.registry

    @staticmethod
    def generate_exposition(registry: CollectorRegistry) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(registry)

    def wsgi_app(self) -> WsgiApp:
        """A WSGI application serving these metrics at `/metrics`."""
        from orchestrix.infrastructure.observability.exposition import metrics_wsgi_app

        return metrics_wsgi_app(self.registry)

    def asgi_app(self) -> AsgiApp:
        """An ASGI application serving these metrics at `/metrics`."""
        from orchestrix.infrastructure.observability.exposition import metrics_asgi_app

        return metrics_asgi_app(self.registry)

    # The MetricsProvider the observability hooks call.

    def record_metric(self, metric: MetricValue) -> None:
        if metric.metric_type == MetricType.COUNTER:
            self.counter(metric.name, metric.value, metric.labels)
        elif metric.metric_type == MetricType.GAUGE:
            self.gauge(metric.name, metric.value, metric.labels)
        else:
            self.histogram(metric.name, metric.value, metric.unit, metric.labels)

    def counter(self, name: str, value: float = 1.0, labels: dict[str, str] | None = None) -> None:
        self._hooks.child(name, MetricType.COUNTER, "", labels).inc(value)

    def gauge(self, name: str, value: float, labels: dict[str, str] | None = None) -> None:
        self._hooks.child(name, MetricType.GAUGE, "", labels).set(value)

    def histogram(
        self, name: str, value: float, unit: str = "", labels: dict[str, str] | None = None
    ) -> None:
        self._hooks.child(name, MetricType.HISTOGRAM, unit, labels).observe(value)


__all__ = [
    "HAS_PROMETHEUS",
    "MetricConfig",
    "MetricOperationType",
    "PrometheusMetrics",
    "generate_latest",
]
