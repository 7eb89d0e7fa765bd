"""The names and labels of the metrics Orchestrix reports through `ObservabilityHooks`.

Labels are type names, operation names and outcomes: a handful of values each, never an
aggregate or message id, so the number of series a backend keeps does not grow with the data.
Every name is dotted and starts with `orchestrix.`; the Prometheus backend maps the first
twelve onto the metrics of `PrometheusMetrics` and derives the others' names from the dots.
"""

from __future__ import annotations

from typing import Final

# Reported by buses, stores, the repository, projections and sagas (label names in comments).
COMMANDS_HANDLED: Final = "orchestrix.commands.handled"  # command_type, status
COMMAND_LATENCY: Final = "orchestrix.commands.latency"  # command_type (seconds)
EVENTS_PUBLISHED: Final = "orchestrix.events.published"  # event_type, status
EVENT_PROCESSING: Final = "orchestrix.events.processing"  # event_type (seconds)
STORAGE_OPERATIONS: Final = "orchestrix.storage.operations"  # operation_type, status
STORAGE_DURATION: Final = "orchestrix.storage.duration"  # operation_type (seconds)
AGGREGATES_LOADED: Final = "orchestrix.aggregates.loaded"  # aggregate_type
AGGREGATE_LOAD_TIME: Final = "orchestrix.aggregates.load_time"  # aggregate_type (seconds)
PROJECTION_LAG: Final = "orchestrix.projection.lag"  # projection_name (events behind)
PROJECTION_UPDATE: Final = "orchestrix.projection.update"  # projection_name (seconds)
SAGA_EXECUTIONS: Final = "orchestrix.saga.executions"  # saga_type, status
SAGA_DURATION: Final = "orchestrix.saga.duration"  # saga_type (seconds)

# The first release's hook metrics, now labelled by type instead of by aggregate id.
EVENTS_STORED: Final = "orchestrix.events.stored"  # event_type
EVENTS_LOADED_COUNT: Final = "orchestrix.events.loaded.count"  # no label (events per load)
EVENTS_REPLAYED: Final = "orchestrix.events.replayed"  # event_type
SNAPSHOTS_SAVED: Final = "orchestrix.snapshots.saved"  # aggregate_type
SNAPSHOTS_LOADED: Final = "orchestrix.snapshots.loaded"  # aggregate_type
AGGREGATE_ERRORS: Final = "orchestrix.aggregate.errors"  # aggregate_type, error_type

SUCCESS: Final = "success"
ERROR: Final = "error"
UNKNOWN: Final = "unknown"
"""The value of a type label when the caller could not name the type."""

# `operation_type` values, those of `MetricOperationType` in the Prometheus backend.
APPEND: Final = "append"
LOAD: Final = "load"

__all__ = [
    "AGGREGATES_LOADED",
    "AGGREGATE_ERRORS",
    "AGGREGATE_LOAD_TIME",
    "APPEND",
    "COMMANDS_HANDLED",
    "COMMAND_LATENCY",
    "ERROR",
    "EVENTS_LOADED_COUNT",
    "EVENTS_PUBLISHED",
    "EVENTS_REPLAYED",
    "EVENTS_STORED",
    "EVENT_PROCESSING",
    "LOAD",
    "PROJECTION_LAG",
    "PROJECTION_UPDATE",
    "SAGA_DURATION",
    "SAGA_EXECUTIONS",
    "SNAPSHOTS_LOADED",
    "SNAPSHOTS_SAVED",
    "STORAGE_DURATION",
    "STORAGE_OPERATIONS",
    "SUCCESS",
    "UNKNOWN",
]
