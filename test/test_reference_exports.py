"""The packages re-export what the first release's `__init__` files did (reference §0), and the
names it kept at module level stay importable from their modules."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

RELEASE_EXPORTS: dict[str, set[str]] = {
    "orchestrix.core.messaging": {
        "AsyncMessageBus",
        "AsyncMessageHandler",
        "Command",
        "CommandHandler",
        "DeadLetterQueue",
        "Event",
        "Message",
        "MessageBus",
        "MessageHandler",
    },
    "orchestrix.core.eventsourcing": {
        "AggregateRepository",
        "AggregateRoot",
        "EventStore",
        "EventUpcast",
        "EventUpcaster",
        "ProjectionEngine",
        "Snapshot",
        "UpcasterRegistry",
        "VersionedEvent",
    },
    "orchestrix.core.execution": {"Saga"},
    "orchestrix.core.common": {
        "ExponentialBackoff",
        "FixedDelay",
        "LinearBackoff",
        "MetricType",
        "MetricValue",
        "MetricsProvider",
        "Module",
        "NoRetry",
        "ObservabilityHooks",
        "OrchestrixError",
        "RetryPolicy",
        "StructuredLogger",
        "TraceSpan",
        "TracingProvider",
        "ValidationError",
        "retry_sync",
        "validate_in_range",
        "validate_max_length",
        "validate_min_length",
        "validate_non_negative",
        "validate_not_empty",
        "validate_one_of",
        "validate_positive",
    },
    "orchestrix.infrastructure.memory": {
        "InMemoryAsyncEventStore",
        "InMemoryAsyncMessageBus",
        "InMemoryEventStore",
        "InMemoryMessageBus",
    },
    "orchestrix.infrastructure.postgres": {"ConnectionPool", "PoolConfig", "PostgreSQLEventStore"},
    "orchestrix.infrastructure.observability": {
        "JaegerTracer",
        "MetricConfig",
        "PrometheusMetrics",
        "TracingConfig",
    },
}

MODULE_LEVEL: dict[str, set[str]] = {
    "orchestrix.core.eventsourcing.event_store": {"AsyncEventStore"},
    "orchestrix.core.eventsourcing.versioning": {"UpcasterException"},
    "orchestrix.core.eventsourcing.projection": {
        "ProjectionState",
        "ProjectionStateStore",
        "InMemoryProjectionStateStore",
        "ProjectionEventHandler",
        "EventHandler",
    },
    "orchestrix.core.messaging.dead_letter_queue": {
        "DeadLetteredMessage",
        "InMemoryDeadLetterQueue",
    },
    "orchestrix.core.common.exceptions": {"HandlerError", "ConcurrencyError"},
    "orchestrix.core.common.logging": {"get_logger"},
    "orchestrix.core.common.observability": {
        "NoOpMetricsProvider",
        "NoOpTracingProvider",
        "get_observability",
        "set_observability",
        "init_observability",
    },
    "orchestrix.infrastructure.postgres.connection_pool": {"PoolMetrics"},
    "orchestrix.infrastructure.memory.utils": {"InMemoryEventStore", "InMemoryMessageBus"},
    "orchestrix.infrastructure.memory.async_bus": {"AsyncMessageHandler"},
    "orchestrix.core.eventsourcing.snapshot": {"EventStore"},
    "orchestrix.core.messaging.message_bus": {"T"},
}


@pytest.mark.parametrize("package", sorted(RELEASE_EXPORTS))
def test_each_package_exports_the_releases_names(package: str) -> None:
    expected = RELEASE_EXPORTS[package]
    module = importlib.import_module(package)
    for name in expected:
        assert name in module.__all__, f"{name} missing from {package}.__all__"
        assert getattr(module, name) is not None
    namespace: dict[str, object] = {}
    exec(f"from {package} import *", namespace)
    assert expected <= namespace.keys()


@pytest.mark.parametrize("module_name", sorted(MODULE_LEVEL))
def test_module_level_names_of_the_release_are_importable(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in MODULE_LEVEL[module_name]:
        assert hasattr(module, name), f"{module_name}.{name}"


def test_the_memory_package_exports_the_sync_classes_under_the_plain_names() -> None:
    from orchestrix.infrastructure import memory
    from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
    from orchestrix.infrastructure.memory.store import InMemoryEventStore

    assert memory.InMemoryMessageBus is InMemoryMessageBus
    assert memory.InMemoryEventStore is InMemoryEventStore


def test_the_bus_module_keeps_its_message_type_variable() -> None:
    from orchestrix.core.messaging.message import Message
    from orchestrix.core.messaging.message_bus import T

    assert T.__bound__ is Message


def test_the_snapshot_module_keeps_its_own_store_protocol() -> None:
    """The release's `snapshot.EventStore` (snapshots beside events) is not the package's
    `EventStore`; the memory store satisfies it."""
    from orchestrix.core.eventsourcing import EventStore, snapshot
    from orchestrix.infrastructure.memory.store import InMemoryEventStore

    assert snapshot.EventStore is not EventStore
    store: snapshot.EventStore = InMemoryEventStore()
    for name in ("save", "load", "save_snapshot", "load_snapshot"):
        assert callable(getattr(snapshot.EventStore, name))
        assert callable(getattr(store, name))


def test_the_top_level_package_stays_a_namespace_package() -> None:
    """Polylith's rule: no `__init__.py` directly in `components/orchestrix` (so
    `from orchestrix import X` cannot work; docs/differences.md says why)."""
    components = Path(__file__).resolve().parent.parent / "components" / "orchestrix"

    assert not (components / "__init__.py").exists()
    orchestrix = importlib.import_module("orchestrix")
    assert getattr(orchestrix, "__file__", None) is None
