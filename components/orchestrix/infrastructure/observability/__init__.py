"""Observability backends: Prometheus metrics and OpenTelemetry tracing over OTLP.

Needs the `observability` extra (`pip install 'orchestrix[observability]'`). Importing the
package works without it (`HAS_PROMETHEUS` and `HAS_JAEGER` then say False); building a
backend, or importing the names that exist only with the extra, raises an ImportError that
names the extra.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from orchestrix.infrastructure.observability._extra import INSTALL_HINT
from orchestrix.infrastructure.observability.jaeger import (
    HAS_JAEGER,
    JaegerTracer,
    TracingConfig,
    get_tracer,
    init_tracing,
)
from orchestrix.infrastructure.observability.prometheus import (
    HAS_PROMETHEUS,
    MetricConfig,
    MetricOperationType,
    PrometheusMetrics,
)

if TYPE_CHECKING:
    from orchestrix.infrastructure.observability.exposition import (
        metrics_asgi_app,
        metrics_wsgi_app,
    )
    from orchestrix.infrastructure.observability.tracing_provider import OpenTelemetryTracing

_NEEDING_THE_EXTRA = {
    "OpenTelemetryTracing": "tracing_provider",
    "metrics_asgi_app": "exposition",
    "metrics_wsgi_app": "exposition",
}


def __getattr__(name: str) -> Any:
    module = _NEEDING_THE_EXTRA.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        loaded = importlib.import_module(f"{__name__}.{module}")
    except ImportError as error:
        raise ImportError(f"{name} needs {error.name or 'a dependency'}. {INSTALL_HINT}") from error
    return getattr(loaded, name)


__all__ = [
    "HAS_JAEGER",
    "HAS_PROMETHEUS",
    "JaegerTracer",
    "MetricConfig",
    "MetricOperationType",
    "OpenTelemetryTracing",
    "PrometheusMetrics",
    "TracingConfig",
    "get_tracer",
    "init_tracing",
    "metrics_asgi_app",
    "metrics_wsgi_app",
]
