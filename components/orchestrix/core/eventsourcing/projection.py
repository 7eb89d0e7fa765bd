"""Projections: read models built by handlers that receive the events of the global log.

`ProjectionEngine` keeps the first release's API (`on`, `initialize`, `handle_event`,
`process_events`, `replay`, `get_state`, `is_healthy`) with SPEC §4's semantics: the state is
replaced, never mutated; an event at or before the checkpoint is skipped (an event given
without its place in the log is skipped when it is the last one processed); events no handler
wants still advance the checkpoint; `replay` persists its reset; a failing handler counts the
error, marks the projection unhealthy and re-raises. A handler registered for a class also
receives its subclasses. To follow a store's log continuously, run the engine with a
`ProjectionRunner` (`orchestrix.core.eventsourcing.subscription`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Iterable
from typing import Any

from orchestrix.core.common.instrumentation import projection_batch
from orchestrix.core.common.tracing import TracingProvider, as_tracing_provider
from orchestrix.core.eventsourcing.event_log import RecordedEvent
from orchestrix.core.eventsourcing.projection_handlers import (
    EventHandler,
    ProjectionContext,
    ProjectionEventHandler,
    positional_arity,
)
from orchestrix.core.eventsourcing.projection_state import (
    InMemoryProjectionStateStore,
    ProjectionState,
    ProjectionStateStore,
)
from orchestrix.core.messaging.message import Event

type ResetHook = Callable[..., Any]
"""Clears the read model before a rebuild: `()` or `(connection)`, sync or async."""


class ProjectionEngine:
    """Routes events to the handlers of one projection and keeps its checkpoint."""

    def __init__(
        self,
        projection_id: str,
        state_store: ProjectionStateStore,
        tracing: TracingProvider | None = None,
    ) -> None:
        self.projection_id = projection_id
        self.state_store = state_store
        self.tracing = tracing
        self._handlers: list[ProjectionEventHandler] = []
        self._routes: dict[type[Event], tuple[ProjectionEventHandler, ...]] = {}
        self._reset_hooks: list[ResetHook] = []
        self._state: ProjectionState | None = None

    def on[F: Callable[..., Any]](self, event_type: type[Event]) -> Callable[[F], F]:
        """Register the decorated function (sync or async) for `event_type` and subclasses.

        It is called with the event, or with the event and a `ProjectionContext` when it
        takes two positional arguments. Handlers of one event run in registration order.
        """

        def register(handler: F) -> F:
            self._handlers.append(ProjectionEventHandler.wrap(event_type, handler))
            self._routes.clear()
            return handler

        return register

    def on_reset[F: ResetHook](self, hook: F) -> F:
        """Register a function that empties the read model; rebuilds call it first.

        It takes no argument, or the connection of the transaction that also resets the
        checkpoint (exactly-once mode), so the emptied model and the reset commit together.
        """
        self._reset_hooks.append(hook)
        return hook

    async def initialize(self) -> None:
        """Load the saved state, or create and save a fresh one."""
        state = await self.state_store.load_state(self.projection_id)
        if state is None:
            state = ProjectionState(projection_id=self.projection_id)
            await self.state_store.save_state(state)
        self._state = state

    async def handle_event(self, event: Event | RecordedEvent) -> None:
        """Process one event (see `process_events`)."""
        await self.process_events((event,))

    async def process_events(self, events: Iterable[Event | RecordedEvent]) -> None:
        """Process events in order and save the state once they are done.

        Give `RecordedEvent`s (from a store's `read_all`) so that the checkpoint records
        their place in the log. The first failing handler stops the batch: the state of the
        events processed before it is saved with the error counted, and the error re-raised.
        The batch is reported to the observability hooks (`projection.batch`) as a runner's.
        """
        batch = events if isinstance(events, Collection) else tuple(events)
        with projection_batch(self.projection_id, len(batch)):
            await self._process(batch)

    async def _process(self, events: Iterable[Event | RecordedEvent]) -> None:
        state = self._state
        try:
            for item in events:
                if isinstance(item, RecordedEvent):
                    if state is not None and item.checkpoint <= state.checkpoint:
                        continue
                    await self.dispatch(item.event, item)
                    if state is not None:
                        state = state.advanced(item.event.id, item.checkpoint)
                else:
                    if state is not None and state.last_processed_event_id == item.id:
                        continue
                    await self.dispatch(item)
                    if state is not None:
                        state = state.advanced(item.id)
                self._state = state
        except Exception:
            if state is not None:
                self._state = state.failed()
                await self.state_store.save_state(self._state)
            raise
        if state is not None:
            await self.state_store.save_state(state)

    async def replay(self, events: Iterable[Event | RecordedEvent]) -> None:
        """Empty the read model (reset hooks), save a reset state, then process `events`."""
        await self.reset_read_model(None)
        if self._state is not None:
            self._state = self._state.reset()
            await self.state_store.save_state(self._state)
        await self.process_events(events)

    async def reset_read_model(self, connection: object) -> None:
        """Run the reset hooks, passing `connection` to those that take it."""
        for hook in self._reset_hooks:
            result = hook(connection) if positional_arity(hook, unknown=0) >= 1 else hook()
            if inspect.isawaitable(result):
                await result

    async def dispatch(
        self, event: Event, recorded: RecordedEvent | None = None, connection: object = None
    ) -> None:
        """Run the handlers of `event` without touching the state (runners keep it).

        `recorded` and `connection` fill the `ProjectionContext` of handlers that take one.
        """
        handlers = self._routes.get(type(event))
        if handlers is None:
            handlers = self._resolve(type(event))
        context: ProjectionContext[Any] | None = None
        for entry in handlers:
            if entry.takes_context and context is None:
                context = ProjectionContext(self.projection_id, recorded, connection)
            if self.tracing is not None:
                await self._traced(entry, event, context)
                continue
            result = entry.handler(event, context) if entry.takes_context else entry.handler(event)
            if entry.is_async or (result is not None and inspect.iscoroutine(result)):
                await result

    async def _traced(
        self, entry: ProjectionEventHandler, event: Event, context: ProjectionContext[Any] | None
    ) -> None:
        """Run one handler inside a `projection.handle.<Class>` span; a failure marks it."""
        tracing, name = as_tracing_provider(self.tracing), type(event).__name__
        span = tracing.open_span(
            f"projection.handle.{name}",
            {"projection_id": self.projection_id, "event_id": event.id, "event_type": name},
        )
        try:
            result = entry.handler(event, context) if entry.takes_context else entry.handler(event)
            if entry.is_async or inspect.iscoroutine(result):
                await result
        except BaseException as error:
            tracing.record_error(span, error)
            raise
        finally:
            tracing.end_span(span)

    def _resolve(self, event_type: type[Event]) -> tuple[ProjectionEventHandler, ...]:
        found = tuple(h for h in self._handlers if issubclass(event_type, h.event_type))
        self._routes[event_type] = found
        return found

    def handles(self, event_type: type[Event]) -> bool:
        """Whether any handler receives events of `event_type`."""
        return bool(self._routes.get(event_type) or self._resolve(event_type))

    def get_state(self) -> ProjectionState | None:
        """The current state (None before `initialize`)."""
        return self._state

    def adopt_state(self, state: ProjectionState) -> None:
        """Take `state` as current: a runner that committed it elsewhere keeps us in step."""
        self._state = state

    def is_healthy(self) -> bool:
        """False before `initialize` and after a handler failed, until an event succeeds."""
        return self._state is not None and self._state.is_healthy


__all__ = [
    "EventHandler",
    "InMemoryProjectionStateStore",
    "ProjectionContext",
    "ProjectionEngine",
    "ProjectionEventHandler",
    "ProjectionState",
    "ProjectionStateStore",
]
