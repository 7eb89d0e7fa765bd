"""Prometheus series for the metrics the observability hooks report by dotted name.

The library's hook names map onto the metrics `PrometheusMetrics` declares (commands,
events, storage, aggregates, projections, sagas); any other name gets a metric of its own,
created on first use: `orchestrix.events.stored` becomes `<namespace>_<subsystem>_events_stored`
(a counter, so exposed as `..._total`). A name keeps the label names of its first use.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from orchestrix.core.common.metric_names import UNKNOWN
from orchestrix.core.common.metrics import MetricType

_LIBRARY_PREFIX = "orchestrix."
_INVALID = re.compile(r"[^a-zA-Z0-9_:]")
COUNT_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, float("inf"))
"""Buckets of histograms without a unit (counts such as events per load)."""

_KINDS: dict[str, type[Any]] = {
    MetricType.COUNTER: Counter,
    MetricType.GAUGE: Gauge,
    MetricType.HISTOGRAM: Histogram,
    MetricType.DURATION: Histogram,
}


class HookMetrics:
    """Resolves a hook metric (name, type, labels) to its labelled Prometheus child."""

    def __init__(
        self,
        prefix: str,
        registry: CollectorRegistry,
        declared: Mapping[str, Counter | Gauge | Histogram],
    ) -> None:
        self._prefix = prefix
        self._registry = registry
        self._metrics: dict[str, Any] = dict(declared)
        self._children: dict[tuple[str, str, tuple[tuple[str, str], ...]], Any] = {}
        self._lock = threading.Lock()

    def child(self, name: str, kind: str, unit: str, labels: Mapping[str, str] | None) -> Any:
        """The series for `name` with `labels`, declaring the metric on first use."""
        key = (name, kind, tuple(sorted(labels.items())) if labels else ())
        found = self._children.get(key)
        if found is not None:
            return found
        with self._lock:
            metric = self._metrics.get(name)
            if metric is None:
                metric = self._metrics[name] = self._declare(name, kind, unit, labels)
            expected = _KINDS.get(kind, Histogram)
            if not isinstance(metric, expected):
                raise ValueError(f"metric {name!r} is a {type(metric).__name__}, not a {kind}")
            label_names: tuple[str, ...] = metric._labelnames
            extra = set(labels or ()) - set(label_names)
            if extra:
                raise ValueError(
                    f"metric {name!r} has the labels {sorted(label_names)}, not {sorted(extra)}"
                )
            values = [(labels or {}).get(label, UNKNOWN) for label in label_names]
            child = metric.labels(*values) if label_names else metric
            self._children[key] = child
            return child

    def _declare(self, name: str, kind: str, unit: str, labels: Mapping[str, str] | None) -> Any:
        series = self._series_name(name)
        label_names = sorted(labels or ())
        documentation = f"{name}, as reported through the Orchestrix observability hooks"
        metric_class = _KINDS.get(kind, Histogram)
        if metric_class is Histogram:
            if unit == "seconds" and not series.endswith("_seconds"):
                series += "_seconds"
            buckets = Histogram.DEFAULT_BUCKETS if unit else COUNT_BUCKETS
            return Histogram(
                series, documentation, label_names, registry=self._registry, buckets=buckets
            )
        return metric_class(series, documentation, label_names, registry=self._registry)

    def _series_name(self, name: str) -> str:
        if name.startswith(_LIBRARY_PREFIX):
            name = f"{self._prefix}_{name.removeprefix(_LIBRARY_PREFIX)}"
        series = _INVALID.sub("_", name)
        return f"_{series}" if series[:1].isdigit() else series


__all__ = ["COUNT_BUCKETS", "HookMetrics"]
