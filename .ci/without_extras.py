"""The observability package in an environment without its extra, for real.

CI runs this with the interpreter of the fresh virtual environment that has nothing but the
`orchestrix` wheel: the package imports, says what is missing, and each backend raises an
ImportError that names the extra to install.
"""

import importlib.util

from orchestrix.infrastructure import observability

for dependency in ("prometheus_client", "opentelemetry"):
    assert importlib.util.find_spec(dependency) is None, f"{dependency} is installed here"
assert (observability.HAS_PROMETHEUS, observability.HAS_JAEGER) == (False, False)

EXTRA = "pip install 'orchestrix[observability]'"
for name, call in [
    ("PrometheusMetrics", True),
    ("JaegerTracer", True),
    ("init_tracing", True),
    ("metrics_wsgi_app", False),
    ("OpenTelemetryTracing", False),
]:
    try:
        found = getattr(observability, name)
        if call:
            found()
    except ImportError as error:
        assert EXTRA in str(error), f"{name}: {error}"
        print(f"{name}: {error}")
    else:
        raise AssertionError(f"{name} worked without the observability extra")
