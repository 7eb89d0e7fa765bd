"""The number of exposed series does not grow with the number of aggregates."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from orchestrix.core.common.observability import init_observability
from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.memory.store import InMemoryEventStore
from orchestrix.infrastructure.observability import PrometheusMetrics

AGGREGATES = 10_000


@dataclass(frozen=True, kw_only=True)
class SensorRead(Event, type_name="cardinality.SensorRead"):
    celsius: float


@dataclass
class Sensor(AggregateRoot):
    celsius: float = 0.0

    def _when_sensor_read(self, event: SensorRead) -> None:
        self.celsius = event.celsius


def series(metrics: PrometheusMetrics) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    text = PrometheusMetrics.generate_exposition(metrics.registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items())))
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_ten_thousand_aggregates_add_no_series() -> None:
    metrics = PrometheusMetrics()
    init_observability(metrics_provider=metrics)
    bus, store = InMemoryMessageBus(), InMemoryEventStore()
    repository = AggregateRepository[Sensor](store)
    bus.subscribe(SensorRead, lambda event: None)

    def publish(number: int) -> None:
        aggregate_id = f"sensor-{number:05d}"
        event = SensorRead(celsius=float(number), subject=aggregate_id)
        store.save(aggregate_id, [event], expected_version=0)
        bus.publish(event)
        repository.load(Sensor, aggregate_id)

    for number in range(100):
        publish(number)
    early = series(metrics)
    for number in range(100, AGGREGATES):
        publish(number)
    late = series(metrics)

    assert late == early
    assert len(late) < 200
    assert not any("sensor-" in value for _, labels in late for _, value in labels)
    stored = ("orchestrix_core_events_stored_total", (("event_type", "cardinality.SensorRead"),))
    values = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(
            PrometheusMetrics.generate_exposition(metrics.registry).decode()
        )
        for sample in family.samples
    }
    assert values[stored] == AGGREGATES
