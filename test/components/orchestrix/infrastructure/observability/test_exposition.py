"""The ready `/metrics` applications: WSGI over a real HTTP server, ASGI by its protocol."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from orchestrix.infrastructure.observability import PrometheusMetrics


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def metrics() -> PrometheusMetrics:
    metrics = PrometheusMetrics()
    with metrics.track_command_handle("PlaceOrder"):
        pass
    return metrics


@pytest.fixture
def served(metrics: PrometheusMetrics) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, metrics.wsgi_app(), handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def get(url: str, method: str = "GET", accept: str = "") -> tuple[int, str, str]:
    request = urllib.request.Request(url, method=method, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def test_the_wsgi_app_serves_the_registry_at_metrics(served: str) -> None:
    status, content_type, body = get(f"{served}/metrics")

    assert (status, content_type) == (200, "text/plain; version=0.0.4; charset=utf-8")
    assert 'orchestrix_core_commands_total{command_type="PlaceOrder",status="success"} 1.0' in body


def test_the_wsgi_app_negotiates_openmetrics(served: str) -> None:
    status, content_type, body = get(
        f"{served}/metrics", accept="application/openmetrics-text; version=1.0.0"
    )

    assert status == 200 and content_type.startswith("application/openmetrics-text")
    assert body.endswith("# EOF\n")


def test_the_wsgi_app_answers_nothing_else(served: str) -> None:
    assert get(f"{served}/")[0] == 404
    assert get(f"{served}/metrics/extra")[0] == 404
    assert get(f"{served}/metrics", method="POST")[0] == 405
    assert get(f"{served}/metrics", method="HEAD")[:2] == (
        200,
        "text/plain; version=0.0.4; charset=utf-8",
    )


async def call_asgi(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def http_scope(path: str, root_path: str = "", method: str = "GET") -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": root_path,
        "headers": [(b"accept", b"text/plain")],
    }


async def test_the_asgi_app_serves_the_registry_at_metrics(metrics: PrometheusMetrics) -> None:
    start, body = await call_asgi(metrics.asgi_app(), http_scope("/metrics"))

    assert start["status"] == 200
    assert (b"content-type", b"text/plain; version=0.0.4; charset=utf-8") in start["headers"]
    assert b'orchestrix_core_commands_total{command_type="PlaceOrder"' in body["body"]


@pytest.mark.parametrize(
    ("path", "root_path", "status"),
    [
        ("/metrics", "/metrics", 200),  # mounted at /metrics, full path in scope
        ("/", "/metrics", 200),  # mounted at /metrics, path relative to the mount
        ("/ops/metrics", "/ops", 200),
        ("/other", "", 404),
        ("/ops/other", "/ops", 404),
    ],
)
async def test_the_asgi_app_answers_where_it_is_mounted(
    metrics: PrometheusMetrics, path: str, root_path: str, status: int
) -> None:
    start, _ = await call_asgi(metrics.asgi_app(), http_scope(path, root_path))
    assert start["status"] == status


async def test_the_asgi_app_takes_part_in_the_lifespan(metrics: PrometheusMetrics) -> None:
    incoming = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(incoming)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await metrics.asgi_app()({"type": "lifespan"}, receive, send)
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
