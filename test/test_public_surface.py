"""Every public name of SPEC.md §3 (in what is built so far) lives at its exact import path."""

from __future__ import annotations

import importlib

import pytest

SPEC_NAMES: dict[str, list[str]] = {
    "orchestrix.core.messaging.message": ["Message", "Command", "Event"],
    "orchestrix.core.messaging.message_bus": [
        "MessageBus",
        "AsyncMessageBus",
        "MessageHandler",
        "AsyncMessageHandler",
    ],
    "orchestrix.core.messaging.command_handler": ["CommandHandler"],
    "orchestrix.core.messaging.dead_letter_queue": [
        "DeadLetteredMessage",
        "DeadLetterQueue",
        "InMemoryDeadLetterQueue",
    ],
    "orchestrix.core.eventsourcing.event_store": ["EventStore", "AsyncEventStore"],
    "orchestrix.core.eventsourcing.aggregate": ["AggregateRoot", "AggregateRepository"],
    "orchestrix.core.eventsourcing.snapshot": ["Snapshot"],
    "orchestrix.core.eventsourcing.projection": [
        "ProjectionEngine",
        "ProjectionState",
        "ProjectionStateStore",
        "InMemoryProjectionStateStore",
        "ProjectionEventHandler",
        "EventHandler",
    ],
    "orchestrix.core.eventsourcing.versioning": [
        "EventUpcast",
        "EventUpcaster",
        "UpcasterRegistry",
        "VersionedEvent",
        "UpcasterException",
    ],
    "orchestrix.core.execution.saga": [
        "Saga",
        "SagaStep",
        "SagaState",
        "SagaStatus",
        "SagaStepStatus",
        "SagaStateStore",
        "InMemorySagaStateStore",
    ],
    "orchestrix.core.common.validation": [
        "ValidationError",
        "validate_not_empty",
        "validate_positive",
        "validate_non_negative",
        "validate_min_length",
        "validate_max_length",
        "validate_in_range",
        "validate_one_of",
    ],
    "orchestrix.core.common.retry": [
        "RetryPolicy",
        "ExponentialBackoff",
        "LinearBackoff",
        "FixedDelay",
        "NoRetry",
        "retry_sync",
        "retry_async",
    ],
    "orchestrix.core.common.module": ["Module"],
    "orchestrix.core.common.observability": [
        "ObservabilityHooks",
        "init_observability",
        "get_observability",
        "set_observability",
        "MetricsProvider",
        "TracingProvider",
        "NoOpMetricsProvider",
        "NoOpTracingProvider",
        "MetricValue",
        "MetricType",
        "TraceSpan",
    ],
    "orchestrix.core.common.logging": ["get_logger", "StructuredLogger"],
    "orchestrix.core.common.exceptions": ["OrchestrixError", "HandlerError", "ConcurrencyError"],
    "orchestrix.infrastructure.memory.bus": ["InMemoryMessageBus"],
    "orchestrix.infrastructure.memory.async_bus": ["InMemoryAsyncMessageBus"],
    "orchestrix.infrastructure.memory.store": ["InMemoryEventStore"],
    "orchestrix.infrastructure.memory.async_store": ["InMemoryAsyncEventStore"],
    "orchestrix.infrastructure.postgres.store": ["PostgreSQLEventStore"],
    "orchestrix.infrastructure.postgres.connection_pool": [
        "ConnectionPool",
        "PoolConfig",
        "PoolMetrics",
    ],
}


@pytest.mark.parametrize("module_name", sorted(SPEC_NAMES))
def test_names_live_at_their_path_and_are_exported(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in SPEC_NAMES[module_name]:
        assert hasattr(module, name), f"{module_name}.{name} is missing"
        assert name in getattr(module, "__all__", ()), f"{name} not in {module_name}.__all__"


def test_common_package_reexports_its_spec_names() -> None:
    common = importlib.import_module("orchestrix.core.common")
    for module_name, names in SPEC_NAMES.items():
        if module_name.startswith("orchestrix.core.common."):
            assert set(names) <= set(common.__all__), module_name


def test_postgres_store_takes_the_seed_constructor_arguments() -> None:
    store_module = importlib.import_module("orchestrix.infrastructure.postgres.store")
    store = store_module.PostgreSQLEventStore(
        connection_string="postgresql://user:pass@localhost:5432/db",
        pool_min_size=5,
        pool_max_size=20,
        pool_timeout=3.0,
    )
    for name in ("initialize", "close", "save", "load", "ping"):
        assert callable(getattr(store, name)), name
    for name in ("save_snapshot_async", "load_snapshot_async"):
        assert callable(getattr(store, name)), name


def test_async_store_keeps_the_snapshot_methods_of_the_seed() -> None:
    store_module = importlib.import_module("orchestrix.infrastructure.memory.async_store")
    store = store_module.InMemoryAsyncEventStore
    for name in ("save_snapshot", "load_snapshot", "save_snapshot_async", "load_snapshot_async"):
        assert callable(getattr(store, name)), name
