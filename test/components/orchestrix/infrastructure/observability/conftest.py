"""Every test here leaves the process as it found it: OpenTelemetry's global provider (which
OpenTelemetry lets a process set only once), the tracer `init_tracing` built, and the
process-wide observability hooks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace

from orchestrix.core.common.observability import get_observability, set_observability
from orchestrix.infrastructure.observability import jaeger


@pytest.fixture(autouse=True)
def untouched_globals() -> Iterator[None]:
    provider, done = trace._TRACER_PROVIDER, trace._TRACER_PROVIDER_SET_ONCE._done
    initialized, hooks = jaeger._initialized, get_observability()
    yield
    trace._TRACER_PROVIDER, trace._TRACER_PROVIDER_SET_ONCE._done = provider, done
    jaeger._initialized = initialized
    set_observability(hooks)
