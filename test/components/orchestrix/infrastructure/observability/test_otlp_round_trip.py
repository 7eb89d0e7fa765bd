"""One command, traced end to end and exported over real OTLP to a receiver on loopback.

The command's handler saves an aggregate through the repository into a SQLite store and
publishes the events; two event handlers react. The receiver decodes the protobuf payload
and the test reads the span tree from it: names, parent links and attributes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrix.core.common.observability import init_observability
from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.messaging.message import Command, Event
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.observability import JaegerTracer, TracingConfig, init_tracing
from orchestrix.infrastructure.sqlite.store import SQLiteEventStore
from test.components.orchestrix.infrastructure.observability.otlp_receiver import (
    Received,
    ReceivedSpan,
    otlp_grpc_receiver,
    otlp_http_receiver,
)

SERVER_KIND_INTERNAL = 1  # opentelemetry.proto.trace.v1.Span.SPAN_KIND_INTERNAL
STATUS_UNSET = 0


@dataclass(frozen=True, kw_only=True)
class OpenAccount(Command, type_name="otlp_round_trip.OpenAccount"):
    account_id: str
    owner: str


@dataclass(frozen=True, kw_only=True)
class AccountOpened(Event, type_name="otlp_round_trip.AccountOpened"):
    owner: str


@dataclass
class Account(AggregateRoot):
    owner: str = ""

    def open(self, command: OpenAccount) -> None:
        self._apply_event(AccountOpened.caused_by(command, owner=command.owner))

    def _when_account_opened(self, event: AccountOpened) -> None:
        self.owner = event.owner


def welcome(event: AccountOpened) -> None:
    """An event handler: sends a welcome message."""


def audit(event: AccountOpened) -> None:
    """An event handler: writes the audit trail."""


def run_one_command(tracer: JaegerTracer, database: Path) -> OpenAccount:
    init_observability(tracing_provider=tracer.as_tracing_provider())
    bus = InMemoryMessageBus()
    with SQLiteEventStore(database) as store:
        repository = AggregateRepository[Account](store)

        def open_account(command: OpenAccount) -> None:
            account = Account(aggregate_id=command.account_id)
            account.open(command)
            events = list(account.uncommitted_events)
            repository.save(account)
            for event in events:
                bus.publish(event)

        bus.subscribe(OpenAccount, open_account)
        bus.subscribe(AccountOpened, welcome)
        bus.subscribe(AccountOpened, audit)
        command = OpenAccount(account_id="ACC-7", owner="Ada", actor_id="teller-1")
        bus.publish(command)
    assert tracer.force_flush(10_000)
    return command


def check_the_tree(received: Received, command: OpenAccount) -> None:
    spans = received.spans
    by_id = received.by_id()

    def parent(span: ReceivedSpan) -> str | None:
        return by_id[span.parent_span_id].name if span.parent_span_id else None

    def one(name: str) -> ReceivedSpan:
        (span,) = [span for span in spans if span.name == name]
        return span

    assert sorted((span.name, parent(span)) for span in spans) == [
        ("command.dispatch", None),
        ("command.handle", "command.dispatch"),
        ("event.handle", "event.publish"),
        ("event.handle", "event.publish"),
        ("event.publish", "command.handle"),
        ("event_store.save", "repository.save"),
        ("repository.save", "command.handle"),
    ]
    assert len({span.trace_id for span in spans}) == 1
    assert {span.service_name for span in spans} == {"accounts-test"}
    assert {span.scope for span in spans} == {"orchestrix"}
    assert {(span.kind, span.status_code) for span in spans} == {
        (SERVER_KIND_INTERNAL, STATUS_UNSET)
    }
    event_id = one("event.publish").attributes["event.id"]
    assert one("command.dispatch").attributes == {
        "command.type": "otlp_round_trip.OpenAccount",
        "command.id": command.id,
        "orchestrix.actor_id": "teller-1",
    }
    assert (
        one("command.handle")
        .attributes["orchestrix.handler"]
        .endswith(  # type: ignore[union-attr]
            "run_one_command.<locals>.open_account"
        )
    )
    assert one("repository.save").attributes == {
        "aggregate.type": "Account",
        "aggregate.id": "ACC-7",
        "aggregate.events": 1,
    }
    assert one("event_store.save").attributes == {
        "aggregate.id": "ACC-7",
        "event_store.events": 1,
        "event_store.type": "SQLiteEventStore",
    }
    handlers = sorted(
        span.attributes.pop("orchestrix.handler")  # type: ignore[misc]
        for span in spans
        if span.name == "event.handle"
    )
    assert handlers == ["audit", "welcome"]
    for span in spans:
        if span.name in ("event.publish", "event.handle"):
            assert span.attributes == {
                "event.type": "otlp_round_trip.AccountOpened",
                "event.id": event_id,
                "orchestrix.correlation_id": command.id,
                "orchestrix.causation_id": command.id,
                "orchestrix.actor_id": "teller-1",
            }


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "accounts.db"


def test_a_command_flow_arrives_over_otlp_http_as_one_span_tree(database: Path) -> None:
    with otlp_http_receiver() as (url, received):
        config = TracingConfig(
            service_name="accounts-test",
            otlp_endpoint=url,
            otlp_headers={"x-tenant": "blue"},
        )
        tracer = init_tracing(config)
        try:
            command = run_one_command(tracer, database)
        finally:
            tracer.shutdown()

    check_the_tree(received, command)
    assert received.headers[0]["content-type"] == "application/x-protobuf"
    assert received.headers[0]["x-tenant"] == "blue"


def test_the_standard_variables_point_the_exporter_at_the_receiver(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with otlp_http_receiver() as (url, received):
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-team=accounts")
        tracer = init_tracing(TracingConfig(service_name="accounts-test"))
        try:
            command = run_one_command(tracer, database)
        finally:
            tracer.shutdown()

    check_the_tree(received, command)
    assert received.headers[0]["x-team"] == "accounts"


def test_the_same_tree_arrives_over_otlp_grpc(database: Path) -> None:
    with otlp_grpc_receiver() as (endpoint, received):
        config = TracingConfig(
            service_name="accounts-test",
            otlp_endpoint=endpoint,
            otlp_protocol="grpc",
            otlp_headers={"x-tenant": "green"},
        )
        tracer = init_tracing(config)
        try:
            command = run_one_command(tracer, database)
        finally:
            tracer.shutdown()

    check_the_tree(received, command)
    assert received.headers[0]["x-tenant"] == "green"
