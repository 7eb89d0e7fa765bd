"""Without the `observability` extra the package imports, and using it names the extra.

Each check runs in a fresh interpreter where importing `prometheus_client` and
`opentelemetry` fails, as it does where the extra is not installed (or only the OTLP gRPC
exporter, as with the extra but without `observability-grpc`).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

BLOCK = """
import importlib.abc, sys

class Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == gone or name.startswith(gone + ".") for gone in {missing!r}):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Missing())
"""
THE_EXTRA = ("prometheus_client", "opentelemetry")


def run(code: str, missing: tuple[str, ...] = THE_EXTRA) -> str:
    block = BLOCK.format(missing=missing)
    finished = subprocess.run(
        [sys.executable, "-c", block + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout.strip()


def test_the_package_and_the_core_import_and_say_what_is_missing() -> None:
    output = run(
        """
        import orchestrix.core.common.observability
        import orchestrix.infrastructure.memory
        from orchestrix.infrastructure.observability import HAS_JAEGER, HAS_PROMETHEUS
        from orchestrix.infrastructure.observability.prometheus import generate_latest
        print(HAS_PROMETHEUS, HAS_JAEGER, generate_latest(None))
        """
    )
    assert output == "False False b''"


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (
            "from orchestrix.infrastructure.observability import PrometheusMetrics\n"
            "PrometheusMetrics()",
            "prometheus-client not installed. "
            "Install with: pip install 'orchestrix[observability]'",
        ),
        (
            "from orchestrix.infrastructure.observability import JaegerTracer\nJaegerTracer()",
            "OpenTelemetry not installed. Install with: pip install 'orchestrix[observability]'",
        ),
        (
            "from orchestrix.infrastructure.observability import init_tracing\ninit_tracing()",
            "OpenTelemetry not installed. Install with: pip install 'orchestrix[observability]'",
        ),
        (
            "from orchestrix.infrastructure.observability import OpenTelemetryTracing",
            "Install with: pip install 'orchestrix[observability]'",
        ),
        (
            "from orchestrix.infrastructure.observability import metrics_wsgi_app",
            "Install with: pip install 'orchestrix[observability]'",
        ),
    ],
)
def test_using_it_raises_an_import_error_naming_the_extra(code: str, text: str) -> None:
    output = run(
        f"""
        try:
{textwrap.indent(code, " " * 12)}
        except ImportError as error:
            print(str(error))
        """
    )
    assert text in output


def test_grpc_without_its_exporter_names_the_grpc_extra_and_http_still_works() -> None:
    output = run(
        """
        from orchestrix.infrastructure.observability import TracingConfig, init_tracing
        http = init_tracing(TracingConfig(service_name="s", otlp_endpoint="http://127.0.0.1:9"))
        http.shutdown()
        try:
            init_tracing(TracingConfig(service_name="s", otlp_protocol="grpc"))
        except ImportError as error:
            print(str(error))
        """,
        missing=("opentelemetry.exporter.otlp.proto.grpc",),
    )
    assert output == (
        "The OTLP gRPC exporter is not installed. "
        "Install with: pip install 'orchestrix[observability-grpc]'"
    )
