"""Event-driven process managers: react to events, keep state durably, issue commands, end.

A subclass declares its `process_type`, its `state_type` (a dataclass the event codec can
store) and handler methods marked with `@handles(EventType, ...)`. Each message is correlated
to one instance by an id taken from it; the handler gets the message and a `ProcessContext`,
whose decisions (new state, commands, deadlines, completion) are saved in one write, guarded
by the instance's version, and then carried out. A message whose id the instance has already
handled is ignored, so redelivery (a bus retry, a subscription replaying after a crash) never
issues a command twice. Commands are sent at least once: a crash after the write and before
the send sends them on the next delivery or `recover()`, with the same message ids.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from orchestrix.core.common.logging import StructuredLogger, get_logger
from orchestrix.core.eventsourcing.event_log import RecordedEvent
from orchestrix.core.execution.clock import SYSTEM_CLOCK, Clock
from orchestrix.core.execution.deadline import Deadline, DeadlineStore
from orchestrix.core.execution.errors import ProcessConcurrencyError, ProcessDefinitionError
from orchestrix.core.execution.process_context import ProcessContext
from orchestrix.core.execution.process_instance import (
    ProcessInstance,
    ProcessStateStore,
    ProcessStatus,
)
from orchestrix.core.messaging.codec import from_data, to_data
from orchestrix.core.messaging.message import Message

_log = StructuredLogger(get_logger(__name__))
_ATTEMPTS = 10  # deliveries racing for one instance retry this often before giving up
_MARK = "__orchestrix_handles__"

type Correlation = str | Callable[[Any], object] | None
type Send = Callable[[Message], object]


@dataclass(frozen=True, slots=True)
class _Handler:
    message_type: type[Message]
    method: str
    starts: bool
    correlate: Correlation


def handles[F: Callable[..., Any]](
    message_type: type[Message], *, starts: bool = False, correlate: Correlation = None
) -> Callable[[F], F]:
    """Mark a method `(self, message, context)` as the handler of `message_type`.

    `starts=True` lets the message create the instance; otherwise a message for an instance
    that does not exist is ignored. `correlate` names the message attribute holding the
    instance id, or is a function returning it; by default the class's `correlate_by`
    attribute is used. A handler without any correlation receives only its deadlines.
    """
    if not (isinstance(message_type, type) and issubclass(message_type, Message)):
        raise ProcessDefinitionError(f"@handles needs a message class, got {message_type!r}")

    def mark(method: F) -> F:
        marks = getattr(method, _MARK, ())
        setattr(method, _MARK, (*marks, (message_type, starts, correlate)))
        return method

    return mark


class ProcessManager[S]:
    """Base of process managers; see the module docstring and docs/sagas.md.

    `send` is an `AsyncMessageBus`, a `MessageBus` (anything with `publish`) or a callable
    taking a message (async or not). `deadlines` is needed only by a manager that schedules.
    """

    process_type: ClassVar[str]
    state_type: ClassVar[type[Any]]
    correlate_by: ClassVar[str | None] = None
    _handlers: ClassVar[dict[type[Message], _Handler]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handlers = dict(cls._handlers)
        for name, member in cls.__dict__.items():
            for message_type, starts, correlate in getattr(member, _MARK, ()):
                if message_type in handlers and handlers[message_type].method != name:
                    raise ProcessDefinitionError(
                        f"{cls.__qualname__}: {message_type.__qualname__} has two handlers, "
                        f"{handlers[message_type].method} and {name}"
                    )
                handlers[message_type] = _Handler(message_type, name, starts, correlate)
        cls._handlers = handlers

    def __init__(
        self,
        store: ProcessStateStore,
        send: Send | Any,
        deadlines: DeadlineStore | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        process_type = getattr(type(self), "process_type", None)
        if not isinstance(process_type, str) or not process_type:
            raise ProcessDefinitionError(f"{type(self).__qualname__} needs a process_type")
        state_type = getattr(type(self), "state_type", None)
        if not (isinstance(state_type, type) and dataclasses.is_dataclass(state_type)):
            raise ProcessDefinitionError(
                f"{type(self).__qualname__} needs a state_type that is a dataclass"
            )
        if not self._handlers:
            raise ProcessDefinitionError(f"{type(self).__qualname__} has no @handles methods")
        self.store = store
        self.deadlines = deadlines
        self.clock = clock
        self._send = _sender(send)
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._in_flight: set[tuple[str, str]] = set()  # decisions being carried out here

    @property
    def event_types(self) -> tuple[type[Message], ...]:
        """The message classes this manager takes from a bus or subscription."""
        return tuple(
            handler.message_type
            for handler in self._handlers.values()
            if (handler.correlate or self.correlate_by) is not None
        )

    def subscribe_to(self, bus: Any, *, name: str | None = None) -> None:
        """Subscribe `handle` on an `AsyncMessageBus` to every type in `event_types`.

        A bus that names each handler's queue (RabbitMQ's `subscribe(..., name=)`) gets
        `name`, by default `process.<process_type>`: every process manager subscribes the same
        method, whose own name would put every kind of process manager on one queue.
        """
        takes_name = "name" in inspect.signature(bus.subscribe).parameters
        options = {"name": name or f"process.{self.process_type}"} if takes_name else {}
        if name is not None and not takes_name:
            raise ProcessDefinitionError(f"{type(bus).__qualname__} does not name its queues")
        for message_type in self.event_types:
            bus.subscribe(message_type, self.handle, **options)

    async def handle(self, message: Message) -> None:
        """Deliver `message` to the instance it correlates to (a bus handler)."""
        handler = self._handler_for(type(message))
        if handler is None:
            return
        await self._process(self._correlate(handler, message), message, handler, None)

    async def handle_recorded(self, recorded: RecordedEvent) -> None:
        """Deliver a stored event from a subscription; its id makes redelivery harmless, so
        the subscription's checkpoint may lag behind what was handled."""
        await self.handle(recorded.event)

    async def fire(self, deadline: Deadline) -> None:
        """Deliver a due deadline to its instance (called by the `DeadlineScheduler`).

        Nothing happens if the instance has ended or no longer waits for this deadline.
        """
        if deadline.owner_type != self.process_type:
            raise ProcessDefinitionError(
                f"Deadline for {deadline.owner_type!r} given to {self.process_type!r}"
            )
        handler = self._handler_for(type(deadline.message))
        if handler is None:
            raise ProcessDefinitionError(
                f"{type(self).__qualname__} has no handler for its deadline message "
                f"{type(deadline.message).__qualname__}"
            )
        await self._process(deadline.owner_id, deadline.message, handler, deadline)

    async def recover(self) -> int:
        """Carry out the decisions a crash left pending; returns how many instances had some."""
        pending = await self.store.list_with_pending(self.process_type)
        for instance in pending:
            await self._carry_out(instance)
        return len(pending)

    async def get_instance(self, process_id: str) -> ProcessInstance | None:
        return await self.store.load_instance(self.process_type, process_id)

    async def get_state(self, process_id: str) -> S | None:
        """The instance's state as the state dataclass, or None."""
        instance = await self.get_instance(process_id)
        return None if instance is None else self._state(instance)

    def _handler_for(self, message_type: type[Message]) -> _Handler | None:
        for kind in message_type.__mro__:
            handler = self._handlers.get(kind)
            if handler is not None:
                return handler
        return None

    def _correlate(self, handler: _Handler, message: Message) -> str:
        rule = handler.correlate if handler.correlate is not None else self.correlate_by
        if rule is None:
            raise ProcessDefinitionError(
                f"{type(self).__qualname__} receives {type(message).__qualname__} only from "
                "its deadlines: give @handles a correlate= to take it from a bus"
            )
        value = getattr(message, rule, None) if isinstance(rule, str) else rule(message)
        if value is None or value == "":
            raise ProcessDefinitionError(
                f"Cannot correlate {type(message).__qualname__} {message.id} to a "
                f"{self.process_type} instance: no id in it"
            )
        return str(value)

    def _lock(self, process_id: str) -> asyncio.Lock:
        lock = self._locks.get(process_id)
        if lock is None:
            lock = self._locks[process_id] = asyncio.Lock()
        return lock

    def _state(self, instance: ProcessInstance) -> S | None:
        if instance.state is None:
            return None
        state: S = from_data(self.state_type, instance.state)
        return state

    async def _process(
        self, process_id: str, message: Message, handler: _Handler, deadline: Deadline | None
    ) -> None:
        """Decide and save under the instance's lock; carry the decisions out after it, so a
        command whose handler delivers back to this instance (an in-memory bus) cannot
        deadlock it."""
        async with self._lock(process_id):
            for _ in range(_ATTEMPTS):
                instance = await self.store.load_instance(self.process_type, process_id)
                if instance is None:
                    if deadline is not None or not handler.starts:
                        _log.debug("No instance for message", process_id=process_id)
                        return
                    now = self.clock.now()
                    instance = ProcessInstance(
                        process_type=self.process_type,
                        process_id=process_id,
                        created_at=now,
                        updated_at=now,
                    )
                if not self._wants(instance, message, deadline):
                    outcome = instance
                    break
                outcome = await self._decide(instance, message, handler, deadline)
                try:
                    await self.store.save_instance(outcome, expected_version=instance.version)
                except ProcessConcurrencyError:
                    continue
                break
            else:
                raise ProcessConcurrencyError(
                    f"{self.process_type}/{process_id}", outcome.version - 1, outcome.version
                )
        await self._carry_out(outcome)

    def _wants(
        self, instance: ProcessInstance, message: Message, deadline: Deadline | None
    ) -> bool:
        if instance.status is ProcessStatus.COMPLETED:
            _log.debug("Message for an ended process", process_id=instance.process_id)
            return False
        if message.id in instance.handled:
            _log.debug("Message already handled", process_id=instance.process_id)
            return False
        if deadline is not None and instance.deadlines.get(deadline.name) != deadline.deadline_id:
            _log.debug("Deadline cancelled or replaced", process_id=instance.process_id)
            return False
        return True

    async def _decide(
        self,
        instance: ProcessInstance,
        message: Message,
        handler: _Handler,
        deadline: Deadline | None,
    ) -> ProcessInstance:
        """Run the handler and return the instance as it decided, not yet saved."""
        context: ProcessContext[S] = ProcessContext(
            process_type=self.process_type,
            process_id=instance.process_id,
            state=self._state(instance),
            deadlines=instance.deadlines,
            cause=message,
            clock=self.clock,
        )
        if deadline is not None:
            context.forget(deadline.name)
        outcome = getattr(self, handler.method)(message, context)
        if inspect.isawaitable(outcome):
            await outcome
        if (context.to_schedule or context.to_cancel) and self.deadlines is None:
            raise ProcessDefinitionError(
                f"{type(self).__qualname__} schedules deadlines but has no deadline store"
            )
        state = context.state
        if state is not None and not isinstance(state, self.state_type):
            raise ProcessDefinitionError(
                f"{handler.method} set the state to a {type(state).__qualname__}, "
                f"not a {self.state_type.__qualname__}"
            )
        return replace(
            instance,
            status=ProcessStatus.COMPLETED if context.completed else instance.status,
            state=None if state is None else to_data(state),
            handled=(*instance.handled, message.id),
            deadlines=context.deadlines,
            outbox=(*instance.outbox, *context.outbox),
            to_schedule=(*instance.to_schedule, *context.to_schedule),
            to_cancel=(*instance.to_cancel, *context.to_cancel),
            version=instance.version + 1,
            updated_at=self.clock.now(),
        )

    async def _carry_out(self, instance: ProcessInstance) -> None:
        """Cancel, schedule and send what `instance` has pending, then clear what was done.

        Decisions this process is already carrying out are left to it. Another process may
        carry out the same ones meanwhile: a command is then sent twice, with the same id.
        """
        pending = [item for item in _pending(instance) if item[0] not in self._in_flight]
        if not pending:
            return
        keys = {key for key, _ in pending}
        self._in_flight |= keys
        done: set[tuple[str, str]] = set()
        try:
            for key, item in pending:
                if isinstance(item, Message):
                    await self._send(item)
                else:
                    await self._apply_deadline(item)
                done.add(key)
        finally:
            self._in_flight -= keys
            if done:
                await self._clear(instance.process_id, done)

    async def _apply_deadline(self, change: Deadline | str) -> None:
        """Schedule a deadline, or cancel the one with this id (checked when decided)."""
        assert self.deadlines is not None, "_decide refuses deadlines without a store"
        if isinstance(change, Deadline):
            await self.deadlines.schedule(change)
        else:
            await self.deadlines.cancel(change)

    async def _clear(self, process_id: str, done: set[tuple[str, str]]) -> None:
        """Remove the decisions in `done` from the stored instance."""
        for _ in range(_ATTEMPTS):
            async with self._lock(process_id):
                instance = await self.store.load_instance(self.process_type, process_id)
                if instance is None or not any(key in done for key, _ in _pending(instance)):
                    return
                cleared = replace(
                    instance,
                    outbox=tuple(m for m in instance.outbox if ("send", m.id) not in done),
                    to_schedule=tuple(
                        d for d in instance.to_schedule if ("schedule", d.deadline_id) not in done
                    ),
                    to_cancel=tuple(i for i in instance.to_cancel if ("cancel", i) not in done),
                    version=instance.version + 1,
                    updated_at=self.clock.now(),
                )
                try:
                    await self.store.save_instance(cleared, expected_version=instance.version)
                except ProcessConcurrencyError:
                    continue
                return


def _pending(instance: ProcessInstance) -> list[tuple[tuple[str, str], Message | Deadline | str]]:
    """Each pending decision under a key naming it: deadlines first, then the commands, so
    that a command whose handler delivers back to the instance finds its deadlines set."""
    return [
        *((("cancel", deadline_id), deadline_id) for deadline_id in instance.to_cancel),
        *((("schedule", d.deadline_id), d) for d in instance.to_schedule),
        *((("send", message.id), message) for message in instance.outbox),
    ]


def _sender(send: Any) -> Callable[[Message], Any]:
    publish = getattr(send, "publish", None)
    target = publish if callable(publish) else send
    if not callable(target):
        raise ProcessDefinitionError(
            f"send must be a message bus or a callable, got {type(send).__qualname__}"
        )

    async def sending(message: Message) -> None:
        outcome = target(message)
        if inspect.isawaitable(outcome):
            await outcome

    return sending


__all__ = ["ProcessContext", "ProcessManager", "handles"]
