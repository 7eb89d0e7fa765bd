"""Shared building blocks: errors, validation, retries, logging, observability, modules."""

from orchestrix.core.common.exceptions import (
    AggregateNotFoundError,
    ConcurrencyError,
    DuplicateEventError,
    EventDecodingError,
    EventEncodingError,
    HandlerError,
    HandlerFailure,
    MessageTypeError,
    OrchestrixError,
    StoreError,
    StoreUsageError,
)
from orchestrix.core.common.logging import ContextFormatter, StructuredLogger, get_logger
from orchestrix.core.common.metrics import (
    MetricsProvider,
    MetricType,
    MetricValue,
    NoOpMetricsProvider,
)
from orchestrix.core.common.module import Module
from orchestrix.core.common.observability import (
    ObservabilityHooks,
    get_observability,
    init_observability,
    set_observability,
)
from orchestrix.core.common.retry import (
    ExponentialBackoff,
    FixedDelay,
    LinearBackoff,
    NoRetry,
    RetryPolicy,
    retry_async,
    retry_sync,
)
from orchestrix.core.common.tracing import (
    NoOpTracingProvider,
    SpanStatus,
    TraceSpan,
    TracingProvider,
)
from orchestrix.core.common.validation import (
    ValidationError,
    validate_in_range,
    validate_max_length,
    validate_min_length,
    validate_non_negative,
    validate_not_empty,
    validate_one_of,
    validate_positive,
)

__all__ = [
    "AggregateNotFoundError",
    "ConcurrencyError",
    "ContextFormatter",
    "DuplicateEventError",
    "EventDecodingError",
    "EventEncodingError",
    "ExponentialBackoff",
    "FixedDelay",
    "HandlerError",
    "HandlerFailure",
    "LinearBackoff",
    "MessageTypeError",
    "MetricType",
    "MetricValue",
    "MetricsProvider",
    "Module",
    "NoOpMetricsProvider",
    "NoOpTracingProvider",
    "NoRetry",
    "ObservabilityHooks",
    "OrchestrixError",
    "RetryPolicy",
    "SpanStatus",
    "StoreError",
    "StoreUsageError",
    "StructuredLogger",
    "TraceSpan",
    "TracingProvider",
    "ValidationError",
    "get_logger",
    "get_observability",
    "init_observability",
    "retry_async",
    "retry_sync",
    "set_observability",
    "validate_in_range",
    "validate_max_length",
    "validate_min_length",
    "validate_non_negative",
    "validate_not_empty",
    "validate_one_of",
    "validate_positive",
]
