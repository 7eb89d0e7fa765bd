"""JaegerTracer keeps the first release's span names and attributes, on OpenTelemetry."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from orchestrix.infrastructure.observability._otlp import endpoint, protocol, sampler
from orchestrix.infrastructure.observability.jaeger import (
    HAS_JAEGER,
    JaegerTracer,
    TracingConfig,
    get_tracer,
    init_tracing,
)
from test.components.orchestrix.infrastructure.observability.spans import FinishedSpans


@pytest.fixture
def finished() -> FinishedSpans:
    return FinishedSpans()


def test_opentelemetry_is_installed_here() -> None:
    assert HAS_JAEGER


def test_config_defaults() -> None:
    config = TracingConfig(service_name="orders")
    assert (
        config.jaeger_agent_host,
        config.jaeger_agent_port,
        config.jaeger_sampler_type,
        config.jaeger_sampler_param,
    ) == ("localhost", 6831, "const", 1.0)
    assert (config.otlp_endpoint, config.otlp_protocol, config.otlp_headers) == (None, None, None)


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"service_name": ""}, "service_name must be non-empty string"),
        ({"service_name": 5}, "service_name must be non-empty string"),
        ({"jaeger_agent_host": ""}, "jaeger_agent_host must be non-empty string"),
        ({"jaeger_agent_port": 0}, "jaeger_agent_port must be between 1 and 65535"),
        ({"jaeger_agent_port": 65536}, "jaeger_agent_port must be between 1 and 65535"),
        ({"otlp_protocol": "http/json"}, "otlp_protocol must be 'http/protobuf' or 'grpc'"),
        ({"otlp_endpoint": ""}, "otlp_endpoint must be non-empty string"),
    ],
)
def test_config_rejects_bad_values_with_the_release_texts(
    fields: dict[str, object], text: str
) -> None:
    arguments: dict[str, object] = {"service_name": "orders", **fields}
    with pytest.raises(ValueError, match=f"^{text}$"):
        TracingConfig(**arguments)  # type: ignore[arg-type]


def test_sampler_fields_stay_unchecked_as_in_the_release() -> None:
    TracingConfig(service_name="s", jaeger_sampler_type="remote", jaeger_sampler_param=-3)


def test_span_records_primitive_attributes_and_drops_others(finished: FinishedSpans) -> None:
    with finished.tracer.span("work", {"a": "x", "b": 2, "c": 1.5, "d": True, "e": [1], "f": None}):
        pass

    (span,) = finished.spans()
    assert span.name == "work"
    assert dict(span.attributes or {}) == {"a": "x", "b": 2, "c": 1.5, "d": True}


def test_an_escaping_exception_marks_the_span_and_propagates(finished: FinishedSpans) -> None:
    with pytest.raises(ValueError, match="bad amount"), finished.tracer.span("work"):
        raise ValueError("bad amount")

    (span,) = finished.spans()
    attributes = dict(span.attributes or {})
    assert (attributes["error"], attributes["error.type"], attributes["error.message"]) == (
        True,
        "ValueError",
        "bad amount",
    )
    assert span.status.status_code is StatusCode.ERROR
    assert [event.name for event in span.events] == ["exception"]


@pytest.mark.parametrize(
    ("method", "arguments", "name", "attributes"),
    [
        (
            "span_event",
            ("OrderPlaced", "evt-1", "ORD-1"),
            "process_event:OrderPlaced",
            {"event.type": "OrderPlaced", "event.id": "evt-1", "aggregate.id": "ORD-1"},
        ),
        (
            "span_command",
            ("PlaceOrder", "ORD-1"),
            "handle_command:PlaceOrder",
            {"command.type": "PlaceOrder", "aggregate.id": "ORD-1"},
        ),
        (
            "span_saga",
            ("Checkout", "saga-1"),
            "execute_saga:Checkout",
            {"saga.type": "Checkout", "saga.id": "saga-1"},
        ),
    ],
)
async def test_named_spans_sync_and_async(
    finished: FinishedSpans,
    method: str,
    arguments: tuple[str, ...],
    name: str,
    attributes: dict[str, str],
) -> None:
    with getattr(finished.tracer, method)(*arguments):
        pass
    async with getattr(finished.tracer, f"async_{method}")(*arguments):
        pass

    assert [(s.name, dict(s.attributes or {})) for s in finished.spans()] == [
        (name, attributes),
        (name, attributes),
    ]


async def test_nested_spans_are_parented_sync_and_async(finished: FinishedSpans) -> None:
    tracer = finished.tracer
    with tracer.span("outer"):
        async with tracer.async_span("inner"):
            pass

    inner, outer = finished.spans()
    assert inner.parent is not None and inner.parent.span_id == outer.context.span_id
    assert inner.context.trace_id == outer.context.trace_id


def test_current_span_helpers(finished: FinishedSpans) -> None:
    tracer = finished.tracer
    assert tracer.get_trace_id() is None
    tracer.set_attribute("ignored", "outside any span")
    tracer.add_event("ignored")
    with tracer.span("work"):
        trace_id = tracer.get_trace_id()
        tracer.set_attribute("order.count", 3)
        tracer.set_attribute("dropped", {"not": "primitive"})
        tracer.add_event("reserved", {"sku": "A-1"})
        tracer.add_event("paid")

    (span,) = finished.spans()
    assert trace_id == format(span.context.trace_id, "032x") and len(trace_id) == 32
    assert dict(span.attributes or {}) == {"order.count": 3}
    assert [(e.name, dict(e.attributes or {})) for e in span.events] == [
        ("reserved", {"sku": "A-1"}),
        ("paid", {}),
    ]


def test_without_a_configured_provider_spans_do_not_record() -> None:
    trace._TRACER_PROVIDER, trace._TRACER_PROVIDER_SET_ONCE._done = None, False  # none set yet
    tracer = JaegerTracer("untraced")
    with tracer.span("work"):
        assert tracer.get_trace_id() is None


def test_the_exporter_goes_to_the_collector_on_the_jaeger_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    ):
        monkeypatch.delenv(variable, raising=False)
    default = TracingConfig(service_name="s")
    jaeger = TracingConfig(service_name="s", jaeger_agent_host="jaeger", otlp_protocol="grpc")
    explicit = TracingConfig(service_name="s", otlp_endpoint="https://otel.example:4318/v1/traces")

    assert (protocol(default), endpoint(default, "http/protobuf")) == (
        "http/protobuf",
        "http://localhost:4318/v1/traces",
    )
    assert endpoint(jaeger, protocol(jaeger)) == "http://jaeger:4317"
    assert endpoint(explicit, "http/protobuf") == "https://otel.example:4318/v1/traces"


def test_the_standard_variables_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    config = TracingConfig(service_name="s")

    assert protocol(config) == "grpc"
    assert endpoint(config, "grpc") is None  # the exporter reads the variable itself
    assert protocol(TracingConfig(service_name="s", otlp_protocol="http/protobuf")) == (
        "http/protobuf"
    )


def test_sampler_fields_map_to_opentelemetry_samplers() -> None:
    def described(kind: str, param: float) -> str | None:
        chosen = sampler(TracingConfig("s", jaeger_sampler_type=kind, jaeger_sampler_param=param))
        return None if chosen is None else chosen.get_description()

    assert described("const", 1) is None  # the SDK's default: parent-based, always on
    assert "AlwaysOffSampler" in (described("const", 0) or "")
    assert "TraceIdRatioBased{0.25}" in (described("probabilistic", 0.25) or "")
    assert "AlwaysOnSampler" in (described("ratelimiting", 2) or "")


def test_init_tracing_uses_its_arguments_and_get_tracer_follows_it() -> None:
    tracer = init_tracing(service_name="billing", jaeger_agent_host="127.0.0.1")
    try:
        assert tracer.tracer_name == "orchestrix" and tracer.tracer_provider is not None
        resource = tracer.tracer_provider.resource.attributes
        assert resource["service.name"] == "billing"
        assert get_tracer().tracer_provider is tracer.tracer_provider
        assert get_tracer() is not get_tracer()
    finally:
        tracer.shutdown()
