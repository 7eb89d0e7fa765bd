"""The demo end to end: real spans in the hierarchy the library promises (command.dispatch →
command.handle → event.publish → event.handle), the failure marked on its span and every span
above it, log records carrying the trace and correlation ids, and the same spans over OTLP
when a collector is configured."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from orchestrix.core.common.observability import get_observability
from orchestrix.tracing_demo.main import run
from test.bases.orchestrix.demo_docs import assert_page_shows_real_output
from test.components.orchestrix.infrastructure.observability.otlp_receiver import (
    otlp_http_receiver,
)

TREE = [
    ("command.dispatch", None),
    ("command.handle", "command.dispatch"),
    ("repository.save", "command.handle"),
    ("event_store.save", "repository.save"),
    ("event.publish", "command.handle"),
    ("event.handle", "event.publish"),
    ("event.handle", "event.publish"),
]


def tree(spans: list[ReadableSpan]) -> list[tuple[str, str | None]]:
    names = {span.context.span_id: span.name for span in spans if span.context}
    ordered = sorted(spans, key=lambda span: span.start_time or 0)
    return [(s.name, names.get(s.parent.span_id) if s.parent else None) for s in ordered]


async def test_two_traces_from_command_to_event_handlers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    hooks = get_observability()
    outcome = await run()
    assert get_observability() is hooks  # put back as it was

    ada, linus = outcome.orders
    traces: dict[int, list[ReadableSpan]] = {}
    for span in outcome.spans:
        assert span.context is not None
        traces.setdefault(span.context.trace_id, []).append(span)
    first, second = sorted(traces.values(), key=lambda spans: min(s.start_time or 0 for s in spans))
    assert tree(first) == TREE and tree(second) == TREE
    roots = [next(s for s in spans if s.parent is None) for spans in (first, second)]
    assert [root.attributes["command.id"] for root in roots] == [ada.id, linus.id]  # type: ignore[index]
    assert all(span.status.status_code is not StatusCode.ERROR for span in first)
    failed = {s.name for s in second if s.status.status_code is StatusCode.ERROR}
    assert failed == {"command.dispatch", "command.handle", "event.publish", "event.handle"}
    handlers = {
        s.attributes["orchestrix.handler"]: s.status.status_code
        for s in second
        if s.name == "event.handle"
    }  # type: ignore[index]
    assert [code for name, code in handlers.items() if str(name).endswith("reserve_stock")] == [
        StatusCode.ERROR
    ]
    assert outcome.refused is not None and "only 1 x monitor in stock" in str(outcome.refused)
    assert outcome.stock == {"keyboard": 8, "monitor": 1}

    story = capsys.readouterr().out
    logged = [line for line in story.splitlines() if line.startswith("  log: ")]
    assert len(logged) == 5  # placing, confirmation, reserved; placing, confirmation
    for line in logged:
        trace, correlation = re.findall(r"\[trace (\w+), correlation ([\w-]+)\]", line)[0]
        order, root = (
            (ada, roots[0]) if ("Ada" in line or "keyboard" in line) else (linus, roots[1])
        )
        assert root.context is not None
        assert (trace, correlation) == (format(root.context.trace_id, "032x")[:8], order.id)
    ended = [line for line in story.splitlines() if " ended: " in line]
    assert len(ended) == len(outcome.spans) == 14
    assert_page_shows_real_output("tracing.md", story)


def test_with_an_otlp_endpoint_the_spans_go_to_the_collector() -> None:
    with otlp_http_receiver() as (traces_url, received):
        endpoint = traces_url.removesuffix("/v1/traces")
        finished = subprocess.run(
            [sys.executable, "-m", "orchestrix.tracing_demo"],
            env={**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert finished.returncode == 0, finished.stderr
    assert f"Spans: sent over OTLP to {endpoint}, and drawn here at the end." in finished.stdout
    assert " ended: " not in finished.stdout  # not printed: sent
    assert len(received.spans) == 14
    assert {span.service_name for span in received.spans} == {"tracing-demo"}
    by_id = received.by_id()
    pairs = sorted(
        (span.name, by_id[span.parent_span_id].name if span.parent_span_id else None)
        for span in received.spans
    )
    assert pairs == sorted(TREE * 2)
