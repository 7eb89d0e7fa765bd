"""One trace across two OS processes and the broker, exported by both over real OTLP/HTTP.

This process publishes a command on the RabbitMQ bus; a worker process handles it and
publishes the event it causes, which a handler here receives. Both export to the receiver
on loopback, which decodes the protobuf: one trace id, the producer span of each process the
parent of the consumer span in the other, and the worker's log line carrying the ids of the
span it was written in.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from orchestrix.core.common.observability import init_observability
from orchestrix.core.messaging.message import Message
from orchestrix.infrastructure.observability import TracingConfig, init_tracing
from orchestrix.infrastructure.rabbitmq import RabbitMQMessageBus
from test.components.orchestrix.infrastructure.observability.otlp_receiver import (
    ReceivedSpan,
    otlp_http_receiver,
)
from test.components.orchestrix.infrastructure.observability.traced_worker import NAMING
from test.components.orchestrix.infrastructure.rabbitmq.conftest import (
    RUN_PREFIX,
    delete_topology,
)
from test.components.orchestrix.infrastructure.rabbitmq.messages import (
    DepositMoney,
    MoneyDeposited,
)
from test.components.orchestrix.infrastructure.rabbitmq.waiting import start_ready, wait_until

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]

WORKER = "test.components.orchestrix.infrastructure.observability.traced_worker"
KIND_INTERNAL, KIND_PRODUCER, KIND_CONSUMER = 1, 4, 5  # opentelemetry.proto.trace.v1.Span


@pytest.fixture
def namespace(rabbitmq_url: str) -> Iterator[str]:
    name = f"{RUN_PREFIX}.otlp{uuid.uuid4().hex[:8]}"
    yield name
    asyncio.run(delete_topology(rabbitmq_url, f"{name}."))


async def test_a_command_handled_in_another_process_continues_its_trace(
    rabbitmq_url: str, namespace: str, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    with otlp_http_receiver() as (otlp_url, received):
        tracer = init_tracing(TracingConfig(service_name="accounts-api", otlp_endpoint=otlp_url))
        init_observability(tracing_provider=tracer.as_tracing_provider())
        worker = start_ready(WORKER, rabbitmq_url, namespace, otlp_url, str(log))
        try:
            handled: list[Message] = []
            async with RabbitMQMessageBus(
                rabbitmq_url, namespace=namespace, topic_naming=NAMING
            ) as bus:
                bus.subscribe(MoneyDeposited, handled.append, name="ledger")
                await bus.start()
                command = DepositMoney(account_id="A", amount=Decimal(7), actor_id="teller-1")
                await bus.publish(command)
                await wait_until(lambda: bool(handled), 60, "the worker's event")
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(30) == 0
            tracer.shutdown()  # exports what is still batched

    spans = received.spans
    by_id = received.by_id()

    def parent(span: ReceivedSpan) -> tuple[str, object] | None:
        above = by_id.get(span.parent_span_id)
        return None if above is None else (above.name, above.service_name)

    api, worker_side = "accounts-api", "accounts-worker"
    assert sorted(((s.name, s.service_name), parent(s)) for s in spans) == sorted(
        [
            (("command.dispatch", api), None),
            (("rabbitmq.publish", api), ("command.dispatch", api)),
            (("rabbitmq.consume", worker_side), ("rabbitmq.publish", api)),
            (("command.handle", worker_side), ("rabbitmq.consume", worker_side)),
            (("event.publish", worker_side), ("command.handle", worker_side)),
            (("rabbitmq.publish", worker_side), ("event.publish", worker_side)),
            (("rabbitmq.consume", api), ("rabbitmq.publish", worker_side)),
            (("event.handle", api), ("rabbitmq.consume", api)),
        ]
    )
    (trace_id,) = {span.trace_id for span in spans}
    assert {(s.name, s.kind) for s in spans if s.name.startswith("rabbitmq.")} == {
        ("rabbitmq.publish", KIND_PRODUCER),
        ("rabbitmq.consume", KIND_CONSUMER),
    }
    assert {s.kind for s in spans if not s.name.startswith("rabbitmq.")} == {KIND_INTERNAL}
    (event,) = handled
    assert event.trace_id == trace_id
    for span in spans:
        message_id = command.id if span.name.startswith("command.") else event.id
        if span.name.startswith(("command.", "event.")):
            assert message_id in span.attributes.values(), span
            assert span.attributes["orchestrix.actor_id"] == "teller-1"

    (handle,) = [span for span in spans if span.name == "command.handle"]
    (line,) = log.read_text().splitlines()
    assert line == f"{trace_id} {handle.span_id} {command.id} depositing 7"
