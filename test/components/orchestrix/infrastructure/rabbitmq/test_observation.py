"""The RabbitMQ bus observed, against the real broker: spans, metrics and log context.

The spans are real OpenTelemetry spans (an SDK provider exporting into memory), so kinds and
parent links are those an exporter sends. Publisher and consumer share this process, but the
consumer's callbacks run in the connection's tasks, outside the publisher's context: the
parent link can only come from the message's headers. `test_otlp_across_rabbitmq` does the
same across two OS processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from orchestrix.core.common.instrumentation import is_observed
from orchestrix.core.common.observability import ObservabilityHooks
from orchestrix.core.common.retry import NoRetry
from orchestrix.core.messaging.message import Message
from orchestrix.infrastructure.rabbitmq import RabbitMQMessageBus
from orchestrix.infrastructure.rabbitmq.delivery import Deliveries
from test.components.orchestrix.core.common.recorders import (
    RecordingMetrics,
    RecordingTracing,
    observing,
)
from test.components.orchestrix.core.common.test_log_context import Keep, kept, logger
from test.components.orchestrix.infrastructure.observability.spans import FinishedSpans
from test.components.orchestrix.infrastructure.rabbitmq import test_bus_delivery as delivery
from test.components.orchestrix.infrastructure.rabbitmq.conftest import BusOpener
from test.components.orchestrix.infrastructure.rabbitmq.messages import (
    DepositMoney,
    MoneyDeposited,
)
from test.components.orchestrix.infrastructure.rabbitmq.test_bus import NAMING
from test.components.orchestrix.infrastructure.rabbitmq.waiting import wait_until

pytestmark = pytest.mark.rabbitmq
__all__ = ["kept"]  # the log-context fixture this module uses

OBSERVED_METHODS = (
    (RabbitMQMessageBus, "publish"),
    (RabbitMQMessageBus, "_send"),
    (Deliveries, "_consume"),
)


@pytest.fixture
def finished() -> FinishedSpans:
    return FinishedSpans()


@pytest.fixture
def metrics() -> RecordingMetrics:
    return RecordingMetrics()


@pytest.fixture
def observed(finished: FinishedSpans, metrics: RecordingMetrics) -> Iterator[None]:
    with observing(ObservabilityHooks(metrics, finished.tracer.as_tracing_provider())):
        yield


def test_unobserved_the_bus_and_its_consumer_run_their_plain_methods() -> None:
    assert not is_observed()
    for owner, name in OBSERVED_METHODS:
        assert not hasattr(getattr(owner, name), "__wrapped__"), name
    with observing(ObservabilityHooks(RecordingMetrics())):
        for owner, name in OBSERVED_METHODS:
            assert hasattr(getattr(owner, name), "__wrapped__"), name
    for owner, name in OBSERVED_METHODS:
        assert not hasattr(getattr(owner, name), "__wrapped__"), name


def counters(metrics: RecordingMetrics, name: str) -> list[dict[str, str] | None]:
    return [keywords["labels"] for kind, _, keywords in metrics.named(name) if kind == "counter"]  # type: ignore[misc]


@pytest.mark.usefixtures("observed")
async def test_a_command_flow_across_the_broker_is_one_trace_with_producer_and_consumer_spans(
    open_bus: BusOpener, finished: FinishedSpans, metrics: RecordingMetrics, kept: Keep
) -> None:
    worker = await open_bus(topic_naming=NAMING)
    api = await open_bus(topic_naming=NAMING)
    handled: list[Message] = []

    async def deposit(command: DepositMoney) -> None:
        logger.info("depositing %s", command.amount)
        event = MoneyDeposited.caused_by(
            command, account_id=command.account_id, amount=command.amount
        )
        await worker.publish(event)

    worker.subscribe(DepositMoney, deposit)
    api.subscribe(MoneyDeposited, handled.append, name="ledger")
    await worker.start()
    await api.start()
    command = DepositMoney(account_id="A", amount=Decimal(5), actor_id="teller-1")
    await api.publish(command)
    await wait_until(lambda: len(named(finished, "rabbitmq.consume")) == 2, what="both deliveries")

    spans = finished.spans()
    assert sorted((span.name, finished.parent_name(span)) for span in spans) == [
        ("command.dispatch", None),
        ("command.handle", "rabbitmq.consume"),
        ("event.handle", "rabbitmq.consume"),
        ("event.publish", "command.handle"),
        ("rabbitmq.consume", "rabbitmq.publish"),
        ("rabbitmq.consume", "rabbitmq.publish"),
        ("rabbitmq.publish", "command.dispatch"),
        ("rabbitmq.publish", "event.publish"),
    ]
    assert len({span.context.trace_id for span in spans}) == 1
    kinds = {span.name: span.kind for span in spans}
    assert kinds["rabbitmq.publish"] == SpanKind.PRODUCER
    assert kinds["rabbitmq.consume"] == SpanKind.CONSUMER
    assert kinds["command.dispatch"] == kinds["command.handle"] == SpanKind.INTERNAL
    (event,) = handled
    sent_command, sent_event = sorted(
        named(finished, "rabbitmq.publish"), key=lambda s: s.start_time or 0
    )
    assert dict(sent_command.attributes or {}) == {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": "publish",
        "messaging.destination.name": api.topology.commands,
        "messaging.rabbitmq.destination.routing_key": "rabbitmq.messages.deposit_money",
        "messaging.message.id": command.id,
        "command.type": "rabbitmq_test.DepositMoney",
        "command.id": command.id,
        "orchestrix.actor_id": "teller-1",
    }
    (consumed_event,) = [
        span
        for span in named(finished, "rabbitmq.consume")
        if span.parent is not None and span.parent.span_id == sent_event.context.span_id
    ]
    assert dict(consumed_event.attributes or {}) == {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": "process",
        "messaging.destination.name": api.topology.events,
        "messaging.rabbitmq.destination.routing_key": "rabbitmq.messages.money_deposited",
        "messaging.destination.subscription.name": api.topology.handler_queue("ledger"),
        "messaging.message.id": event.id,
        "event.type": "rabbitmq_test.MoneyDeposited",
        "event.id": event.id,
        "orchestrix.correlation_id": command.id,
        "orchestrix.causation_id": command.id,
        "orchestrix.actor_id": "teller-1",
    }
    (handle,) = named(finished, "command.handle")
    assert (handle.attributes or {})["orchestrix.handler"] == (
        "test_a_command_flow_across_the_broker_is_one_trace_with_producer_and_consumer_spans"
        ".<locals>.deposit"
    )
    assert event.trace_id == format(handle.context.trace_id, "032x")

    (record,) = kept.records
    assert record.trace_id == event.trace_id  # type: ignore[attr-defined]
    assert record.span_id == format(handle.context.span_id, "016x")  # type: ignore[attr-defined]
    assert record.correlation_id == command.id  # type: ignore[attr-defined]
    assert record.actor_id == "teller-1"  # type: ignore[attr-defined]

    assert counters(metrics, "orchestrix.commands.handled") == [
        {"command_type": "rabbitmq_test.DepositMoney", "status": "success"}
    ]
    assert counters(metrics, "orchestrix.events.published") == [
        {"event_type": "rabbitmq_test.MoneyDeposited", "status": "success"}
    ]


def named(finished: FinishedSpans, name: str) -> list[ReadableSpan]:
    return [span for span in finished.spans() if span.name == name]


@pytest.mark.usefixtures("observed")
async def test_a_failed_delivery_fails_its_spans_and_counts_the_command_as_failed(
    open_bus: BusOpener, finished: FinishedSpans, metrics: RecordingMetrics
) -> None:
    worker = await open_bus(topic_naming=NAMING, retry_policy=NoRetry())

    def refuse(command: DepositMoney) -> None:
        raise PermissionError("account frozen")

    worker.subscribe(DepositMoney, refuse)
    await worker.start()
    await worker.publish(DepositMoney(account_id="A", amount=Decimal(1)))
    await wait_until(lambda: bool(named(finished, "rabbitmq.consume")), what="the delivery")

    (consumed,) = named(finished, "rabbitmq.consume")
    (handle,) = named(finished, "command.handle")
    for span in (consumed, handle):
        assert span.status.status_code == StatusCode.ERROR
        assert [e.attributes["exception.type"] for e in span.events] == ["PermissionError"]  # type: ignore[index]
    assert counters(metrics, "orchestrix.commands.handled") == [
        {"command_type": "rabbitmq_test.DepositMoney", "status": "error"}
    ]


class TestObservedRabbitMQMessageBusDelivery(delivery.TestRabbitMQMessageBusDelivery):
    """The delivery contract again, through the observed routes and twins."""

    @pytest.fixture(autouse=True)
    def observed_by_recorders(self) -> Iterator[None]:
        with observing(ObservabilityHooks(RecordingMetrics(), RecordingTracing())):
            yield
