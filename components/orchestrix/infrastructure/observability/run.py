"""Run any Python module observed: its traces to an OTLP collector, its metrics on a port.

    python -m orchestrix.infrastructure.observability.run [options] MODULE [ARGUMENT ...]

The module runs as `python -m MODULE ARGUMENT ...` would run it, with the process-wide
observability hooks set up first: OpenTelemetry tracing exported over OTLP (the endpoint and
headers from the standard `OTEL_EXPORTER_OTLP_*` variables, else the collector on localhost),
and with `--metrics-port` the Prometheus metrics served at `http://HOST:PORT/metrics`. The
demos need no change to be seen in Jaeger and Prometheus.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import runpy
import sys
import threading
from collections.abc import Sequence
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from orchestrix.core.common.log_context import install_log_context
from orchestrix.core.common.observability import init_observability
from orchestrix.infrastructure.observability.jaeger import TracingConfig, init_tracing
from orchestrix.infrastructure.observability.prometheus import PrometheusMetrics

LOG_FORMAT = (
    "%(asctime)s %(levelname)s %(name)s "
    "[trace_id=%(trace_id)s correlation_id=%(correlation_id)s] %(message)s"
)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_metrics(metrics: PrometheusMetrics, host: str, port: int) -> WSGIServer:
    """Serve `/metrics` from a daemon thread; the server (its port may have been 0)."""
    server = make_server(host, port, metrics.wsgi_app(), handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="orchestrix-metrics", daemon=True).start()
    return server


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m orchestrix.infrastructure.observability.run",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument(
        "--service-name",
        default=os.environ.get("OTEL_SERVICE_NAME"),
        help="the traces' service.name (default: OTEL_SERVICE_NAME, else the module's name)",
    )
    parser.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port")
    parser.add_argument("--metrics-host", default="127.0.0.1", help="(default: %(default)s)")
    parser.add_argument(
        "--keep-serving",
        action="store_true",
        help="after the module ends, keep serving metrics until interrupted",
    )
    parser.add_argument(
        "--log-context",
        action="store_true",
        help="log at INFO with the trace and correlation ids of each record",
    )
    parser.add_argument("module", help="the module to run, as with python -m")
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="the module's arguments")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _arguments(sys.argv[1:] if argv is None else argv)
    tracer = init_tracing(TracingConfig(service_name=arguments.service_name or arguments.module))
    metrics = PrometheusMetrics() if arguments.metrics_port is not None else None
    server = None
    if metrics is not None:
        server = serve_metrics(metrics, arguments.metrics_host, arguments.metrics_port)
        print(
            f"Metrics at http://{arguments.metrics_host}:{server.server_port}/metrics",
            file=sys.stderr,
        )
    init_observability(metrics, tracer.as_tracing_provider())
    if arguments.log_context:
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
        install_log_context()
    sys.argv = [arguments.module, *arguments.arguments]
    status = 0
    try:
        runpy.run_module(arguments.module, run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        tracer.shutdown()  # exports the spans still waiting in the batch
    if server is not None and arguments.keep_serving:
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return status


if __name__ == "__main__":
    sys.exit(main())
