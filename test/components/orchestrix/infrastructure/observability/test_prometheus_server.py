"""A real Prometheus server scrapes a service's `/metrics` and answers queries about it.

The server is the Debian package's binary, run with a configuration of the test's own on a
free loopback port and stopped by its pid. Without the binary the test skips, except in CI.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from orchestrix.core.common.observability import init_observability
from orchestrix.core.messaging.message import Command, Event
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.memory.store import InMemoryEventStore
from orchestrix.infrastructure.observability import PrometheusMetrics
from test.conftest import running_in_ci

BINARY = shutil.which("prometheus") or "/usr/bin/prometheus"


@dataclass(frozen=True, kw_only=True)
class PlaceOrder(Command, type_name="prometheus_server.PlaceOrder"):
    order_id: str


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(Event, type_name="prometheus_server.OrderPlaced"):
    order_id: str


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def prometheus_binary() -> str:
    if not Path(BINARY).exists():
        reason = "the prometheus binary is not installed (apt-get install -y prometheus)"
        if running_in_ci():
            pytest.fail(f"{reason}; integration tests must not skip in CI", pytrace=False)
        pytest.skip(reason)
    return BINARY


@pytest.fixture
def service() -> Iterator[tuple[int, PrometheusMetrics]]:
    """A service whose commands are observed, with its metrics served over HTTP."""
    metrics = PrometheusMetrics()
    init_observability(metrics_provider=metrics)
    server = make_server("127.0.0.1", 0, metrics.wsgi_app(), handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, metrics
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def prometheus(
    prometheus_binary: str, service: tuple[int, PrometheusMetrics], tmp_path: Path
) -> Iterator[str]:
    """A Prometheus server scraping the service every second; its base URL."""
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n"
        "  scrape_interval: 1s\n"
        "scrape_configs:\n"
        "  - job_name: orchestrix\n"
        "    static_configs:\n"
        f"      - targets: ['127.0.0.1:{service[0]}']\n"
    )
    port = free_port()
    process = subprocess.Popen(
        [
            prometheus_binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "prometheus.log").open("w"),
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def query(base: str, promql: str) -> list[dict[str, Any]]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            answer = json.load(response)
    except OSError:
        return []  # not listening yet
    assert answer["status"] == "success", answer
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


def wait_for(
    base: str, promql: str, expected: float, timeout: float = 60.0
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    result: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        result = query(base, promql)
        if result and float(result[0]["value"][1]) == expected:
            return result
        time.sleep(0.5)
    pytest.fail(f"Prometheus did not answer {promql!r} with {expected} in time: {result}")


def test_prometheus_scrapes_the_service_and_answers_queries(
    service: tuple[int, PrometheusMetrics], prometheus: str
) -> None:
    bus, store = InMemoryMessageBus(), InMemoryEventStore()

    def place(command: PlaceOrder) -> None:
        event = OrderPlaced.caused_by(command, order_id=command.order_id)
        store.save(command.order_id, [event], expected_version=0)
        bus.publish(event)

    bus.subscribe(PlaceOrder, place)
    bus.subscribe(OrderPlaced, lambda event: None)
    for number in range(3):
        bus.publish(PlaceOrder(order_id=f"ORD-{number}"))

    wait_for(prometheus, 'up{job="orchestrix"}', 1)
    (commands,) = wait_for(
        prometheus,
        'orchestrix_core_commands_total{command_type="prometheus_server.PlaceOrder"}',
        3,
    )
    assert commands["metric"]["status"] == "success"
    assert commands["metric"]["job"] == "orchestrix"
    wait_for(
        prometheus,
        'sum(orchestrix_core_events_stored_total{event_type="prometheus_server.OrderPlaced"})',
        3,
    )
    wait_for(
        prometheus,
        'orchestrix_core_storage_operations_total{operation_type="append",status="success"}',
        3,
    )
    latency = query(
        prometheus,
        "orchestrix_core_commands_latency_seconds_count"
        '{command_type="prometheus_server.PlaceOrder"}',
    )
    assert float(latency[0]["value"][1]) == 3
    series = query(prometheus, 'count({job="orchestrix", __name__=~"orchestrix_core_.*"})')
    assert int(series[0]["value"][1]) > 0
