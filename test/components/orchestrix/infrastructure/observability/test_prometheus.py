"""PrometheusMetrics: the first release's metrics and context managers, and a hooks backend."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from orchestrix.core.common.metrics import MetricsProvider, MetricValue
from orchestrix.core.common.observability import ObservabilityHooks
from orchestrix.infrastructure.observability.prometheus import (
    HAS_PROMETHEUS,
    MetricConfig,
    MetricOperationType,
    PrometheusMetrics,
)

# attribute, kind, labels, help text (the prefix is orchestrix_core_)
DECLARED = [
    ("events_total", "counter", ("event_type", "status"), "Total events published"),
    ("events_processing_seconds", "histogram", ("event_type",), "Event processing time in seconds"),
    ("commands_total", "counter", ("command_type", "status"), "Total commands processed"),
    (
        "commands_latency_seconds",
        "histogram",
        ("command_type",),
        "Command processing latency in seconds",
    ),
    ("aggregates_loaded_total", "counter", ("aggregate_type",), "Total aggregates loaded"),
    (
        "aggregates_load_time_seconds",
        "histogram",
        ("aggregate_type",),
        "Time to load aggregate in seconds",
    ),
    (
        "aggregates_in_memory",
        "gauge",
        ("aggregate_type",),
        "Number of aggregates currently in memory",
    ),
    (
        "storage_operations_total",
        "counter",
        ("operation_type", "status"),
        "Total storage operations",
    ),
    (
        "storage_operation_seconds",
        "histogram",
        ("operation_type",),
        "Storage operation duration in seconds",
    ),
    (
        "projection_events_behind",
        "gauge",
        ("projection_name",),
        "Number of unprocessed events in projections",
    ),
    (
        "projection_update_seconds",
        "histogram",
        ("projection_name",),
        "Projection update latency in seconds",
    ),
    ("saga_executions_total", "counter", ("saga_type", "status"), "Total saga executions"),
    ("saga_duration_seconds", "histogram", ("saga_type",), "Saga execution duration in seconds"),
]


def samples(metrics: PrometheusMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = PrometheusMetrics.generate_exposition(metrics.registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(metrics: PrometheusMetrics, name: str, **labels: str) -> float | None:
    return samples(metrics).get((name, tuple(sorted(labels.items()))))


def test_the_client_is_installed_here() -> None:
    assert HAS_PROMETHEUS


def test_operation_types_are_string_enum_members_in_order() -> None:
    assert [member.value for member in MetricOperationType] == [
        "append",
        "load",
        "delete",
        "update",
        "query",
    ]
    assert isinstance(MetricOperationType.APPEND, str)
    assert str(MetricOperationType.APPEND) == "MetricOperationType.APPEND"


def test_config_defaults_and_checks() -> None:
    config = MetricConfig()
    assert (config.namespace, config.subsystem, config.registry) == ("orchestrix", "core", None)
    assert config.enable_summary_metrics is True
    for field, text in (("namespace", "namespace"), ("subsystem", "subsystem")):
        for bad in ("", 3):
            with pytest.raises(ValueError, match=f"^{text} must be non-empty string$"):
                MetricConfig(**{field: bad})  # type: ignore[arg-type]


def test_every_instance_has_a_registry_of_its_own() -> None:
    first, second = PrometheusMetrics(), PrometheusMetrics()
    assert first.registry is not second.registry
    assert first.get_prometheus_registry() is first.registry
    shared = CollectorRegistry()
    assert PrometheusMetrics(MetricConfig(registry=shared)).registry is shared


@pytest.mark.parametrize(("attribute", "kind", "labels", "help_text"), DECLARED)
def test_declared_metrics_have_the_release_names_labels_and_help(
    attribute: str, kind: str, labels: tuple[str, ...], help_text: str
) -> None:
    metrics = PrometheusMetrics()
    metric = getattr(metrics, attribute)
    assert metric._labelnames == labels
    assert metric._type == kind
    text = PrometheusMetrics.generate_exposition(metrics.registry).decode()
    assert f"# HELP orchestrix_core_{attribute} {help_text}\n" in text
    assert f"# TYPE orchestrix_core_{attribute} {kind}\n" in text


def test_counters_are_exposed_once_with_the_total_suffix() -> None:
    metrics = PrometheusMetrics()
    with metrics.track_event_publish("OrderPlaced"):
        pass
    text = PrometheusMetrics.generate_exposition(metrics.registry).decode()

    assert 'orchestrix_core_events_total{event_type="OrderPlaced",status="success"} 1.0' in text
    assert "orchestrix_core_events_created{" in text
    assert "_total_total" not in text


def test_a_custom_namespace_and_subsystem_prefix_every_metric() -> None:
    metrics = PrometheusMetrics(MetricConfig(namespace="myservice", subsystem="domain"))
    text = PrometheusMetrics.generate_exposition(metrics.registry).decode()
    assert "myservice_domain_commands_total" in text and "orchestrix_core" not in text


@pytest.mark.parametrize(
    ("track", "histogram", "counter", "label"),
    [
        ("track_event_publish", "events_processing_seconds", "events_total", "event_type"),
        ("track_command_handle", "commands_latency_seconds", "commands_total", "command_type"),
        ("track_saga_execution", "saga_duration_seconds", "saga_executions_total", "saga_type"),
    ],
)
def test_trackers_time_and_count_successes_and_errors(
    track: str, histogram: str, counter: str, label: str
) -> None:
    metrics = PrometheusMetrics()
    with getattr(metrics, track)("Thing"):
        pass
    with pytest.raises(ZeroDivisionError), getattr(metrics, track)("Thing"):
        _ = 1 / 0
    with getattr(metrics, track)():
        pass

    prefix = "orchestrix_core_"
    assert value(metrics, prefix + counter, **{label: "Thing", "status": "success"}) == 1
    assert value(metrics, prefix + counter, **{label: "Thing", "status": "error"}) == 1
    assert value(metrics, prefix + counter, **{label: "unknown", "status": "success"}) == 1
    assert value(metrics, f"{prefix}{histogram}_count", **{label: "Thing"}) == 2


async def test_async_trackers_behave_as_the_sync_ones() -> None:
    metrics = PrometheusMetrics()
    async with metrics.track_async_event_publish("Paid"):
        pass
    with pytest.raises(KeyError):
        async with metrics.track_async_command_handle("Pay"):
            raise KeyError("x")

    assert value(metrics, "orchestrix_core_events_total", event_type="Paid", status="success") == 1
    assert value(metrics, "orchestrix_core_commands_total", command_type="Pay", status="error") == 1
    assert value(metrics, "orchestrix_core_commands_latency_seconds_count", command_type="Pay") == 1


def test_aggregate_loads_count_successes_and_hold_the_in_memory_gauge() -> None:
    metrics = PrometheusMetrics()
    with metrics.track_aggregate_load("Account"):
        pass
    with pytest.raises(LookupError), metrics.track_aggregate_load("Account"):
        raise LookupError("gone")

    assert value(metrics, "orchestrix_core_aggregates_loaded_total", aggregate_type="Account") == 1
    assert value(metrics, "orchestrix_core_aggregates_in_memory", aggregate_type="Account") == 1
    assert (
        value(
            metrics, "orchestrix_core_aggregates_load_time_seconds_count", aggregate_type="Account"
        )
        == 2
    )
    metrics.release_aggregate("Account")
    assert value(metrics, "orchestrix_core_aggregates_in_memory", aggregate_type="Account") == 0


def test_storage_operations_are_labelled_by_the_enum_value() -> None:
    metrics = PrometheusMetrics()
    with metrics.track_storage_operation():
        pass
    with metrics.track_storage_operation(MetricOperationType.QUERY):
        pass
    ran = False
    with pytest.raises(AttributeError), metrics.track_storage_operation("load"):  # type: ignore[arg-type]
        ran = True

    assert not ran
    name = "orchestrix_core_storage_operations_total"
    assert value(metrics, name, operation_type="append", status="success") == 1
    assert value(metrics, name, operation_type="query", status="success") == 1
    assert value(metrics, name, operation_type="load", status="success") is None


def test_projection_updates_and_lag() -> None:
    metrics = PrometheusMetrics()
    with pytest.raises(RuntimeError), metrics.track_projection_update("balances"):
        raise RuntimeError("boom")
    metrics.record_projection_lag("balances", 17)

    assert (
        value(
            metrics, "orchestrix_core_projection_update_seconds_count", projection_name="balances"
        )
        == 1
    )
    assert (
        value(metrics, "orchestrix_core_projection_events_behind", projection_name="balances") == 17
    )


def test_it_is_a_metrics_provider_feeding_its_own_metrics_from_the_hooks() -> None:
    metrics = PrometheusMetrics()
    assert isinstance(metrics, MetricsProvider)
    hooks = ObservabilityHooks(metrics_provider=metrics)

    hooks.record_command_handled("PlaceOrder", 0.01)
    hooks.record_event_published("OrderPlaced", 0.002, succeeded=False)
    hooks.record_storage_operation("append", 0.003)
    hooks.record_aggregate_loaded("Order", 0.004)
    hooks.record_projection_lag("orders", 3)
    hooks.record_saga_execution("Checkout", 1.5, succeeded=True)
    hooks.record_event_stored("ORD-1", 1, event_type="OrderPlaced")
    hooks.record_event_loaded("ORD-1", 12)
    hooks.record_aggregate_error("ORD-1", ValueError("x"), aggregate_type="Order")

    found = samples(metrics)
    expected = {
        (
            "orchestrix_core_commands_total",
            (("command_type", "PlaceOrder"), ("status", "success")),
        ): 1,
        ("orchestrix_core_commands_latency_seconds_sum", (("command_type", "PlaceOrder"),)): 0.01,
        ("orchestrix_core_events_total", (("event_type", "OrderPlaced"), ("status", "error"))): 1,
        (
            "orchestrix_core_storage_operations_total",
            (("operation_type", "append"), ("status", "success")),
        ): 1,
        ("orchestrix_core_aggregates_loaded_total", (("aggregate_type", "Order"),)): 1,
        ("orchestrix_core_projection_events_behind", (("projection_name", "orders"),)): 3,
        (
            "orchestrix_core_saga_executions_total",
            (("saga_type", "Checkout"), ("status", "success")),
        ): 1,
        ("orchestrix_core_events_stored_total", (("event_type", "OrderPlaced"),)): 1,
        ("orchestrix_core_events_loaded_count_sum", ()): 12,
        (
            "orchestrix_core_aggregate_errors_total",
            (("aggregate_type", "Order"), ("error_type", "ValueError")),
        ): 1,
    }
    for key, number in expected.items():
        assert found.get(key) == pytest.approx(number), key
    assert not any("ORD-1" in str(labels) for _, labels in found)


def test_record_metric_dispatches_on_the_metric_type() -> None:
    metrics = PrometheusMetrics()
    metrics.record_metric(MetricValue("jobs.done", 2, labels={"queue": "mail"}))
    metrics.record_metric(MetricValue("jobs.waiting", 5, metric_type="gauge"))
    metrics.record_metric(MetricValue("job.time", 0.5, unit="seconds", metric_type="duration"))

    assert value(metrics, "jobs_done_total", queue="mail") == 2
    assert value(metrics, "jobs_waiting") == 5
    assert value(metrics, "job_time_seconds_count") == 1


def test_a_name_keeps_its_kind_and_label_names() -> None:
    metrics = PrometheusMetrics()
    metrics.counter("orchestrix.widgets", labels={"kind": "a"})
    metrics.counter("orchestrix.widgets")  # a missing label reads "unknown"

    with pytest.raises(ValueError, match="has the labels"):
        metrics.counter("orchestrix.widgets", labels={"colour": "red"})
    with pytest.raises(ValueError, match="is a Counter, not a gauge"):
        metrics.gauge("orchestrix.widgets", 1)
    assert value(metrics, "orchestrix_core_widgets_total", kind="unknown") == 1
