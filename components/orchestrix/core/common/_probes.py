"""The instrumented twins of bus, handler, store and repository methods.

Each probe turns a plain method into a twin that opens a span (while a tracer listens), times
the call, reports its outcome through the hooks (while metrics or callbacks listen) and
returns or raises exactly what the plain method did. Reporting never fails the operation:
a provider or callback that raises is logged and the result goes back to the caller.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any, cast

from orchestrix.core.common import metric_names as names
from orchestrix.core.common._observation import Method, state
from orchestrix.core.common.message_context import handled_message
from orchestrix.core.common.observability import (
    LOGGER_NAME,
    ObservabilityHooks,
    get_observability,
)
from orchestrix.core.common.tracing import (
    AttributeValue,
    SpanKind,
    TraceSpan,
    TracingProvider,
    as_tracing_provider,
)
from orchestrix.core.messaging.message import Command, Message

_logger = logging.getLogger(LOGGER_NAME)


class Call:
    """One observed call in flight: its span, its start and what its end must report."""

    __slots__ = ("detail", "hooks", "reset", "span", "started", "tracing")

    def __init__(
        self,
        operation: str,
        attributes: Mapping[str, AttributeValue],
        detail: object = None,
        tracing: TracingProvider | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
    ) -> None:
        """`tracing`, when given, receives the span instead of the process-wide tracer;
        `kind` is the span's role (a broker's producer and consumer spans)."""
        self.hooks = hooks = get_observability()
        self.detail = detail
        self.reset: Callable[[], None] | None = None
        self.span: TraceSpan | None = None
        if tracing is not None:
            tracing = as_tracing_provider(tracing)
        elif state.tracing:
            tracing = hooks.tracing
        self.tracing = tracing
        if tracing is not None:
            try:
                self.span = tracing.open_span(operation, attributes, kind)
            except Exception:
                _logger.exception("Tracing provider failed to open %s", operation)
        self.started = time.perf_counter()

    def finish(self, error: BaseException | None) -> float:
        """End the span (failed when `error`); the seconds the call took."""
        seconds = time.perf_counter() - self.started
        span = self.span
        if span is not None:
            tracing = cast(TracingProvider, self.tracing)
            try:
                if error is not None:
                    tracing.record_error(span, error)
                tracing.end_span(span)
            except Exception:
                _logger.exception("Tracing provider failed to end %s", span.operation)
        if self.reset is not None:
            self.reset()
        return seconds


type Begin = Callable[..., Call | None]
type End = Callable[[Call, Any, BaseException | None], None]


def twin(plain: Method, begin: Begin, end: End) -> Method:
    """`plain` between `begin` (given its arguments) and `end` (given its outcome).

    Arguments `begin` cannot read (bad input) skip the observation: `plain` then raises
    its own error about them, as it does unobserved.
    """
    if inspect.iscoroutinefunction(plain):

        @wraps(plain)
        async def observed_async(*args: Any, **kwargs: Any) -> Any:
            call = _begin(begin, args, kwargs)
            if call is None:
                return await plain(*args, **kwargs)
            try:
                result = await plain(*args, **kwargs)
            except BaseException as error:
                _end(end, call, None, error)
                raise
            _end(end, call, result, None)
            return result

        return observed_async

    @wraps(plain)
    def observed(*args: Any, **kwargs: Any) -> Any:
        call = _begin(begin, args, kwargs)
        if call is None:
            return plain(*args, **kwargs)
        try:
            result = plain(*args, **kwargs)
        except BaseException as error:
            _end(end, call, None, error)
            raise
        _end(end, call, result, None)
        return result

    return observed


def probe(begin: Begin, end: End) -> Callable[[Method], Method]:
    """The probe that twins a method with `begin` and `end`."""
    return lambda plain: twin(plain, begin, end)


def _begin(begin: Begin, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
    try:
        return begin(*args, **kwargs)
    except Exception:
        return None


def _end(end: End, call: Call, result: Any, error: BaseException | None) -> None:
    report(end, call, result, error)


def report(function: Callable[..., None], *args: Any) -> None:
    """Call a reporting function; its failure is logged, never raised into the operation."""
    try:
        function(*args)
    except Exception:
        _logger.exception("Reporting to the observability hooks failed")


# Messages: buses and handlers.


@dataclass(frozen=True, slots=True)
class Kind:
    """The span names and attribute keys of commands, and of every other message."""

    dispatch: str
    handle: str
    type_key: str
    id_key: str
    is_command: bool


COMMAND = Kind("command.dispatch", "command.handle", "command.type", "command.id", True)
EVENT = Kind("event.publish", "event.handle", "event.type", "event.id", False)
_kinds: dict[type, Kind] = {}


def kind_of(message: Message) -> Kind:
    cls = type(message)
    kind = _kinds.get(cls)
    if kind is None:
        kind = _kinds[cls] = COMMAND if issubclass(cls, Command) else EVENT
    return kind


def message_attributes(kind: Kind, message: Message) -> dict[str, AttributeValue]:
    """Type, id, and the correlation, causation and actor ids the message carries."""
    attributes: dict[str, AttributeValue] = {
        kind.type_key: message.type,
        kind.id_key: message.id,
    }
    for key, value in (
        ("orchestrix.correlation_id", message.correlation_id),
        ("orchestrix.causation_id", message.causation_id),
        ("orchestrix.actor_id", message.actor_id),
    ):
        if value is not None:
            attributes[key] = value
    return attributes


_NO_ATTRIBUTES: Mapping[str, AttributeValue] = {}


def _begin_publish(bus: object, message: Message) -> Call:
    kind = kind_of(message)
    attributes = message_attributes(kind, message) if state.tracing else _NO_ATTRIBUTES
    return Call(kind.dispatch, attributes, (kind, message))


def _end_publish(call: Call, result: object, error: BaseException | None) -> None:
    seconds = call.finish(error)
    if state.reports:
        kind, message = cast(tuple[Kind, Message], call.detail)
        if kind.is_command:
            call.hooks.record_command_handled(message.type, seconds, succeeded=error is None)
        else:
            call.hooks.record_event_published(message.type, seconds, succeeded=error is None)


publish_probe = probe(_begin_publish, _end_publish)
"""A bus's `publish`: span `command.dispatch` or `event.publish`, and its metrics."""


def _begin_handover(bus: object, message: Message, **options: object) -> Call:
    return _begin_publish(bus, message)


def _end_handover(call: Call, result: object, error: BaseException | None) -> None:
    seconds = call.finish(error)
    kind, message = cast(tuple[Kind, Message], call.detail)
    if state.reports and not kind.is_command:
        call.hooks.record_event_published(message.type, seconds, succeeded=error is None)


broker_publish_probe = probe(_begin_handover, _end_handover)
"""A broker bus's `publish`: the same span; an event counts as published once the broker has
it, a command counts where a consumer handles it."""


def handler_name(handler: Callable[..., object]) -> str:
    """`OrderHandler.handle` for a method, the class name for a callable object."""
    name = getattr(handler, "__qualname__", None)
    return name if isinstance(name, str) else type(handler).__qualname__


def _begin_handle(name: str, message: Message) -> Call:
    kind = kind_of(message)
    if state.tracing:
        attributes = message_attributes(kind, message)
        attributes["orchestrix.handler"] = name
        call = Call(kind.handle, attributes)
    else:
        call = Call(kind.handle, _NO_ATTRIBUTES)
    token = handled_message.set(message)
    call.reset = lambda: handled_message.reset(token)
    return call


def observed_handler[H: Callable[..., object]](handler: H) -> H:
    """`handler` inside a `command.handle` or `event.handle` span, with the message in context.

    The twin keeps the handler's name (errors and dead letters name the handler, not the
    twin) and is a coroutine function exactly when the handler is one.
    """
    name = handler_name(handler)

    def finish(call: Call, error: BaseException | None) -> None:
        call.finish(error)

    if inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(type(handler).__call__):
        run_async = cast(Callable[[Message], Awaitable[object]], handler)

        async def handle_async(message: Message) -> object:
            call = _begin_handle(name, message)
            try:
                result = await run_async(message)
            except BaseException as error:
                finish(call, error)
                raise
            finish(call, None)
            return result

        twin_handler: Callable[..., object] = handle_async
    else:

        def handle(message: Message) -> object:
            call = _begin_handle(name, message)
            try:
                result = handler(message)
            except BaseException as error:
                finish(call, error)
                raise
            finish(call, None)
            return result

        twin_handler = handle
    twin_handler.__qualname__ = name
    twin_handler.__name__ = getattr(handler, "__name__", type(handler).__name__)
    twin_handler.__module__ = getattr(handler, "__module__", __name__)
    twin_handler.__wrapped__ = handler  # type: ignore[attr-defined]
    return cast(H, twin_handler)


# Event stores: one span per public operation, never a nested one for a store that
# delegates to another (the async twins call the sync stores).

_in_store: ContextVar[bool] = ContextVar("orchestrix_in_store_operation", default=False)


def _store_call(
    store: object, operation: str, attributes: dict[str, AttributeValue], detail: object
) -> Call | None:
    if _in_store.get():
        return None
    attributes["event_store.type"] = type(store).__name__
    call = Call(f"event_store.{operation}", attributes, detail)
    token = _in_store.set(True)
    call.reset = lambda: _in_store.reset(token)
    return call


def _begin_save(
    store: object, aggregate_id: str, events: Any, expected_version: int | None = None
) -> Call | None:
    if not events:
        return None
    attributes: dict[str, AttributeValue] = {
        "aggregate.id": str(aggregate_id),
        "event_store.events": len(events),
    }
    return _store_call(store, "save", attributes, (aggregate_id, events, expected_version))


def _end_save(call: Call, result: object, error: BaseException | None) -> None:
    seconds = call.finish(error)
    if not state.reports:
        return
    hooks = call.hooks
    hooks.record_storage_operation(names.APPEND, seconds, succeeded=error is None)
    if error is None:
        aggregate_id, events, expected = cast(tuple[str, Any, int | None], call.detail)
        for offset, event in enumerate(events, start=1):
            version = -1 if expected is None else expected + offset
            hooks.record_event_stored(aggregate_id, version, event_type=event.type)


def _begin_load(store: object, aggregate_id: str, from_version: int | None = 0) -> Call | None:
    attributes: dict[str, AttributeValue] = {
        "aggregate.id": str(aggregate_id),
        "event_store.from_version": 0 if from_version is None else from_version,
    }
    return _store_call(store, "load", attributes, aggregate_id)


def _end_load(call: Call, result: Any, error: BaseException | None) -> None:
    if call.span is not None and error is None:
        call.span.attributes["event_store.events"] = len(result)
    seconds = call.finish(error)
    if state.reports:
        call.hooks.record_storage_operation(names.LOAD, seconds, succeeded=error is None)
        if error is None:
            call.hooks.record_event_loaded(cast(str, call.detail), len(result))


def _begin_save_snapshot(store: object, snapshot: Any) -> Call | None:
    attributes: dict[str, AttributeValue] = {"aggregate.id": str(snapshot.aggregate_id)}
    return _store_call(store, "save_snapshot", attributes, snapshot)


def _end_save_snapshot(call: Call, result: object, error: BaseException | None) -> None:
    call.finish(error)
    if state.reports and error is None:
        snapshot: Any = call.detail
        call.hooks.record_snapshot_saved(
            snapshot.aggregate_id, snapshot.version, aggregate_type=snapshot.aggregate_type
        )


def _begin_load_snapshot(store: object, aggregate_id: str) -> Call | None:
    return _store_call(store, "load_snapshot", {"aggregate.id": str(aggregate_id)}, aggregate_id)


def _end_load_snapshot(call: Call, result: Any, error: BaseException | None) -> None:
    call.finish(error)
    if state.reports and result is not None:
        call.hooks.record_snapshot_loaded(
            cast(str, call.detail), result.version, aggregate_type=result.aggregate_type
        )


STORE_PROBES: dict[str, Callable[[Method], Method]] = {
    "save": probe(_begin_save, _end_save),
    "load": probe(_begin_load, _end_load),
    "save_snapshot": probe(_begin_save_snapshot, _end_save_snapshot),
    "load_snapshot": probe(_begin_load_snapshot, _end_load_snapshot),
}
STORE_PROBES.update({f"{name}_async": made for name, made in list(STORE_PROBES.items())})


# The repository: a span around each load and save, with the aggregate's type.


def _begin_repository_load(repository: object, aggregate_type: type, aggregate_id: str) -> Call:
    type_name = aggregate_type.__name__
    attributes: dict[str, AttributeValue] = {
        "aggregate.type": type_name,
        "aggregate.id": str(aggregate_id),
    }
    return Call("repository.load", attributes, (type_name, aggregate_id))


def _end_repository_load(call: Call, result: object, error: BaseException | None) -> None:
    seconds = call.finish(error)
    if state.reports:
        type_name, aggregate_id = cast(tuple[str, str], call.detail)
        if error is None:
            call.hooks.record_aggregate_loaded(type_name, seconds)
        else:
            _aggregate_error(call.hooks, aggregate_id, error, type_name)


def _begin_repository_save(repository: object, aggregate: Any) -> Call:
    type_name = type(aggregate).__name__
    attributes: dict[str, AttributeValue] = {
        "aggregate.type": type_name,
        "aggregate.id": str(aggregate.aggregate_id),
        "aggregate.events": len(aggregate.uncommitted_events),
    }
    return Call("repository.save", attributes, (type_name, aggregate.aggregate_id))


def _end_repository_save(call: Call, result: object, error: BaseException | None) -> None:
    call.finish(error)
    if state.reports and error is not None:
        type_name, aggregate_id = cast(tuple[str, str], call.detail)
        _aggregate_error(call.hooks, aggregate_id, error, type_name)


def _aggregate_error(
    hooks: ObservabilityHooks, aggregate_id: str, error: BaseException, type_name: str
) -> None:
    if isinstance(error, Exception):
        hooks.record_aggregate_error(aggregate_id, error, aggregate_type=type_name)


REPOSITORY_PROBES: dict[str, Callable[[Method], Method]] = {
    "load": probe(_begin_repository_load, _end_repository_load),
    "save": probe(_begin_repository_save, _end_repository_save),
}
REPOSITORY_PROBES.update({f"{name}_async": made for name, made in list(REPOSITORY_PROBES.items())})

__all__ = [
    "REPOSITORY_PROBES",
    "STORE_PROBES",
    "Call",
    "Kind",
    "broker_publish_probe",
    "handler_name",
    "kind_of",
    "message_attributes",
    "observed_handler",
    "probe",
    "publish_probe",
    "report",
    "twin",
]
