"""How Orchestrix's own code reports to the observability hooks: the API for its developers.

Hot paths are instrumented by class decorators, which cost nothing while nobody listens (see
`_observation`): `instrumented_bus` (its `publish`), `instrumented_store` (`save`, `load`,
`save_snapshot`, `load_snapshot` and their `*_async` names) and `instrumented_repository`
(`load`, `save` and their `*_async` twins). A bus also passes its resolved handlers through
`observed_handlers` and registers its cache of them with `track_routes` (the in-memory buses
register themselves, and deliver from the cache only while observability is on).

A bus that hands messages to a broker uses `instrumented_broker_bus`, and `instrumented`
with twins built by `probe` around a `Call` for its producer and consumer spans; the trace
context crosses the broker through `propagation` (`inject_trace_context`, `continue_trace`).

Less frequent work reports through functions that check the switch first:
`projection_batch` and `record_projection_lag` for projections, `saga_execution` and
`saga_step` for sagas. All of them go through the process-wide `ObservabilityHooks`; a saga
given a tracing provider of its own opens its spans there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from orchestrix.core.common import _probes
from orchestrix.core.common._observation import (
    Probe,
    RouteTable,
    instrument,
    state,
    track_routes,
)
from orchestrix.core.common._probes import Call, probe
from orchestrix.core.common.observability import get_observability
from orchestrix.core.common.tracing import AttributeValue, TracingProvider

if TYPE_CHECKING:
    from orchestrix.core.messaging.message import Message

_UNOBSERVED: AbstractContextManager[None] = nullcontext()


def instrumented_bus[C: type](cls: C) -> C:
    """Observe `publish`: a `command.dispatch` or `event.publish` span, and its metrics."""
    return instrument(cls, {"publish": _probes.publish_probe})


def instrumented_broker_bus[C: type](cls: C) -> C:
    """Observe the `publish` of a bus that hands messages to a broker: the same span as
    `instrumented_bus`; an event counts as published once the broker has it, a command counts
    as handled where a consumer handles it (that consumer reports `record_command_handled`)."""
    return instrument(cls, {"publish": _probes.broker_publish_probe})


def instrumented[C: type](**probes: Probe) -> Callable[[C], C]:
    """Observe the methods named by `probes` through the twins their probes build: for the
    operations the decorators above do not cover, such as a broker's producer and consumer."""
    return lambda cls: instrument(cls, probes)


def message_attributes(message: Message) -> dict[str, AttributeValue]:
    """The attributes the buses give a message's spans: its type and id (`command.*` or
    `event.*`), and the correlation, causation and actor ids it carries."""
    return _probes.message_attributes(_probes.kind_of(message), message)


def instrumented_store[C: type](cls: C) -> C:
    """Observe the event-store operations: `event_store.<operation>` spans and metrics."""
    return instrument(cls, _probes.STORE_PROBES)


def instrumented_repository[C: type](cls: C) -> C:
    """Observe aggregate loads and saves: `repository.load`/`repository.save` spans."""
    return instrument(cls, _probes.REPOSITORY_PROBES)


def observed_handlers[H: Callable[..., Any]](handlers: tuple[H, ...]) -> tuple[H, ...]:
    """The handlers a bus resolved, each in its `*.handle` span while observability is on.

    Call it where the resolution is cached, and register that cache with `track_routes`:
    the cache is emptied whenever observability is switched on or off.
    """
    if not state.on:
        return handlers
    return tuple(_probes.observed_handler(handler) for handler in handlers)


def is_observed() -> bool:
    """Whether anything listens: a tracer, metrics, callbacks or the log context."""
    return state.on


def projection_batch(projection_name: str, events: int) -> AbstractContextManager[None]:
    """Around one batch a projection processes: span `projection.batch`, update time."""
    if not state.on:
        return _UNOBSERVED
    attributes: dict[str, AttributeValue] = {
        "projection.name": projection_name,
        "projection.events": events,
    }
    return _observed(
        "projection.batch",
        attributes,
        lambda seconds, succeeded: get_observability().record_projection_update(
            projection_name, seconds
        ),
    )


def record_projection_lag(projection_name: str, events_behind: int) -> None:
    """How far a projection is behind the log, after each batch or poll."""
    if state.reports:
        _probes.report(get_observability().record_projection_lag, projection_name, events_behind)


def saga_execution(
    saga_type: str, saga_id: str, *, tracing: TracingProvider | None = None
) -> AbstractContextManager[None]:
    """Around a saga's run: span `saga.execute`; success or error, and its duration.

    `tracing` (a saga's own provider) receives the span instead of the process-wide tracer,
    whether observability is on or not; the metrics still go to the process-wide hooks.
    """
    if tracing is None and not state.on:
        return _UNOBSERVED
    return _observed(
        "saga.execute",
        {"saga.type": saga_type, "saga.id": saga_id},
        lambda seconds, succeeded: get_observability().record_saga_execution(
            saga_type, seconds, succeeded=succeeded
        ),
        tracing,
    )


def saga_step(
    saga_type: str,
    saga_id: str,
    step: str,
    *,
    compensation: bool = False,
    tracing: TracingProvider | None = None,
) -> AbstractContextManager[None]:
    """Around one step's action (span `saga.action`) or compensation (`saga.compensation`);
    `tracing` as for `saga_execution`."""
    if tracing is None and not state.on:
        return _UNOBSERVED
    attributes = {"saga.type": saga_type, "saga.id": saga_id, "saga.step": step}
    operation = "saga.compensation" if compensation else "saga.action"
    return _observed(operation, attributes, None, tracing)


@contextmanager
def _observed(
    operation: str,
    attributes: Mapping[str, AttributeValue],
    report: Callable[[float, bool], None] | None,
    tracing: TracingProvider | None = None,
) -> Iterator[None]:
    call = _probes.Call(operation, attributes, tracing=tracing)
    try:
        yield
    except BaseException as error:
        seconds = call.finish(error)
        if report is not None and state.reports:
            _probes.report(report, seconds, False)
        raise
    seconds = call.finish(None)
    if report is not None and state.reports:
        _probes.report(report, seconds, True)


__all__ = [
    "Call",
    "Probe",
    "RouteTable",
    "instrumented",
    "instrumented_broker_bus",
    "instrumented_bus",
    "instrumented_repository",
    "instrumented_store",
    "is_observed",
    "message_attributes",
    "observed_handlers",
    "probe",
    "projection_batch",
    "record_projection_lag",
    "saga_execution",
    "saga_step",
    "track_routes",
]
