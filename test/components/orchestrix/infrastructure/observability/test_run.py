"""The runner observes an unmodified module: traces over OTLP, metrics over HTTP, log ids."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

from test.components.orchestrix.infrastructure.observability.otlp_receiver import (
    otlp_http_receiver,
)

RUNNER = [sys.executable, "-m", "orchestrix.infrastructure.observability.run"]
APP = "test.components.orchestrix.infrastructure.observability.traced_app"


def environment(endpoint: str) -> dict[str, str]:
    return {**os.environ, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint}


def test_a_module_runs_traced_with_its_arguments_and_log_context() -> None:
    with otlp_http_receiver() as (endpoint, received):
        finished = subprocess.run(
            [*RUNNER, "--service-name", "bells", "--log-context", APP, "big-ben", "st-paul"],
            env=environment(endpoint),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert finished.returncode == 0, finished.stderr
    roots = [span for span in received.spans if not span.parent_span_id]
    assert [span.name for span in roots] == ["command.dispatch", "command.dispatch"]
    assert {span.service_name for span in received.spans} == {"bells"}
    assert len(received.spans) == 10  # per command: dispatch, handle, save, publish, handle
    logged = [line for line in finished.stderr.splitlines() if "ringing" in line]
    assert len(logged) == 2
    for line, root in zip(logged, roots, strict=True):
        assert f"trace_id={root.trace_id}" in line
        assert f"correlation_id={root.attributes['command.id']}" in line


def test_the_banking_demo_runs_traced_unchanged(tmp_path: object) -> None:
    with otlp_http_receiver() as (endpoint, received):
        finished = subprocess.run(
            [*RUNNER, "orchestrix.banking_demo"],
            env=environment(endpoint),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert finished.returncode == 0, finished.stderr
    assert "  Projection lag: 0 events" in finished.stdout.splitlines()
    names = {span.name for span in received.spans}
    assert {"command.dispatch", "command.handle", "event_store.save", "repository.load"} <= names
    assert {span.service_name for span in received.spans} == {"orchestrix.banking_demo"}


def test_metrics_are_served_while_the_runner_keeps_serving() -> None:
    with otlp_http_receiver() as (endpoint, _):
        process = subprocess.Popen(
            [*RUNNER, "--metrics-port", "0", "--keep-serving", APP, "bow"],
            env=environment(endpoint),
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stderr is not None
            line = process.stderr.readline()
            url = line.strip().removeprefix("Metrics at ")
            assert url.startswith("http://127.0.0.1:") and url.endswith("/metrics"), line
            deadline, body = time.monotonic() + 30, ""
            while time.monotonic() < deadline and "traced_app.Ring" not in body:
                with urllib.request.urlopen(url, timeout=5) as response:
                    body = response.read().decode()
                time.sleep(0.1)
        finally:
            process.terminate()
            process.wait(timeout=15)

    assert (
        'orchestrix_core_commands_total{command_type="traced_app.Ring",status="success"} 1.0'
        in (body)
    )
