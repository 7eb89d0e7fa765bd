"""Given stored events, when a command is published, then these events are stored (or an error).

The scenario builds a fresh in-memory bus and event store for every `then`, lets the code under
test subscribe to them (`wiring(bus, store)`, e.g. a module's `register`), stores the given
history without publishing it, publishes the `when` message and looks at what changed: the
events stored meanwhile, in commit order across all streams, and the messages published.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Self

from orchestrix.core.eventsourcing.event_log import START, Checkpoint
from orchestrix.core.eventsourcing.event_store import AsyncEventStore, EventStore
from orchestrix.core.messaging.message import Event, Message
from orchestrix.core.messaging.message_bus import AsyncMessageBus, MessageBus
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.memory.store import InMemoryEventStore
from orchestrix.testing.comparison import GENERATED_METADATA
from orchestrix.testing.errors import ScenarioUsageError
from orchestrix.testing.expectations import Outcome, expect_error, expect_events


class _HandlerScenarioSteps[W]:
    """The `given` and `when` steps both handler scenarios share; `W` is the wiring's type."""

    def __init__(self, wiring: W, *, ignoring: Iterable[str] = GENERATED_METADATA) -> None:
        if not callable(wiring):
            raise TypeError(f"wiring must be a function of (bus, store), got {wiring!r}")
        self._wiring = wiring
        self._ignoring = tuple(ignoring)
        self._history: list[tuple[str, tuple[Event, ...]]] = []
        self._message: Message | None = None

    def given(self, stream_id: str, *events: Event) -> Self:
        """History of stream `stream_id`: stored, never published. Repeat for more streams."""
        for event in events:
            if not isinstance(event, Event):
                raise TypeError(f"given() takes a stream id and events, got {event!r}")
        self._history.append((stream_id, events))
        return self

    def when(self, message: Message) -> Self:
        """The message published on the bus: usually a command."""
        if not isinstance(message, Message):
            raise TypeError(f"when() takes a command or another message, got {message!r}")
        if self._message is not None:
            raise ScenarioUsageError("when() is already set: a scenario checks one message")
        self._message = message
        return self

    def _when_message(self) -> Message:
        if self._message is None:
            raise ScenarioUsageError("call when(...) before then(...)")
        return self._message

    def _subject(self) -> str:
        return f"handling {self._when_message().type}"


class _RecordingBus(InMemoryMessageBus):
    """The in-memory bus, noting every message published on it before delivering it.

    Buses deliver by exact class, so no handler could see every message: the bus itself
    records, in the order of the `publish` calls (a message before those its handlers publish).
    """

    __slots__ = ("published",)

    def __init__(self) -> None:
        super().__init__()
        self.published: list[Message] = []

    def publish(self, message: Message) -> None:
        self.published.append(message)
        super().publish(message)


class _AsyncRecordingBus(InMemoryAsyncMessageBus):
    """The async twin of `_RecordingBus`."""

    __slots__ = ("published",)

    def __init__(self) -> None:
        super().__init__()
        self.published: list[Message] = []

    async def publish(self, message: Message) -> None:
        self.published.append(message)
        await super().publish(message)


class HandlerScenario(_HandlerScenarioSteps[Callable[[MessageBus, EventStore], object]]):
    """`HandlerScenario(module.register).given(...).when(command).then(...)` on a sync bus."""

    def then(self, *events: Event) -> list[Event]:
        """Check handling stored exactly `events`, in commit order; returns them."""
        __tracebackhide__ = True
        return expect_events(self._run()[0], events, self._ignoring)

    def then_published(self, *messages: Message) -> list[Message]:
        """Check handling published exactly `messages` (besides the `when` message itself)."""
        __tracebackhide__ = True
        outcome, published = self._run()
        return _expect_published(outcome, published, messages, self._ignoring)

    def then_raises[E: Exception](self, error_type: type[E], match: str | None = None) -> E:
        """Check handling raised an `error_type` (its text matching `match`); returns it."""
        __tracebackhide__ = True
        return expect_error(self._run()[0], error_type, match, self._ignoring)

    def _run(self) -> tuple[Outcome[Event], list[Message]]:
        message = self._when_message()
        store = InMemoryEventStore()
        bus = _RecordingBus()
        self._wiring(bus, store)
        for stream_id, events in self._history:
            store.save(stream_id, events)
        after = _last_checkpoint(recorded.checkpoint for recorded in store.read_all())
        before = len(bus.published)
        error: Exception | None = None
        try:
            bus.publish(message)
        except Exception as raised:
            error = raised
        stored = [recorded.event for recorded in store.read_all(after)]
        return Outcome(self._subject(), stored, error), bus.published[before + 1 :]


class AsyncHandlerScenario(
    _HandlerScenarioSteps[Callable[[AsyncMessageBus, AsyncEventStore], object]]
):
    """The async twin, on the in-memory async bus and store; `then` is awaited."""

    async def then(self, *events: Event) -> list[Event]:
        """Check handling stored exactly `events`, in commit order; returns them."""
        __tracebackhide__ = True
        outcome, _ = await self._run()
        return expect_events(outcome, events, self._ignoring)

    async def then_published(self, *messages: Message) -> list[Message]:
        """Check handling published exactly `messages` (besides the `when` message itself)."""
        __tracebackhide__ = True
        outcome, published = await self._run()
        return _expect_published(outcome, published, messages, self._ignoring)

    async def then_raises[E: Exception](self, error_type: type[E], match: str | None = None) -> E:
        """Check handling raised an `error_type` (its text matching `match`); returns it."""
        __tracebackhide__ = True
        outcome, _ = await self._run()
        return expect_error(outcome, error_type, match, self._ignoring)

    async def _run(self) -> tuple[Outcome[Event], list[Message]]:
        message = self._when_message()
        store = InMemoryAsyncEventStore()
        bus = _AsyncRecordingBus()
        self._wiring(bus, store)
        for stream_id, events in self._history:
            await store.save(stream_id, events)
        after = _last_checkpoint([recorded.checkpoint async for recorded in store.read_all()])
        before = len(bus.published)
        error: Exception | None = None
        try:
            await bus.publish(message)
        except Exception as raised:
            error = raised
        stored = [recorded.event async for recorded in store.read_all(after)]
        return Outcome(self._subject(), stored, error), bus.published[before + 1 :]


def _last_checkpoint(checkpoints: Iterable[Checkpoint]) -> Checkpoint:
    """Where the given history ends: what `when` stores comes after it."""
    last = START
    for checkpoint in checkpoints:
        last = checkpoint
    return last


def _expect_published(
    outcome: Outcome[Event],
    published: list[Message],
    expected: tuple[Message, ...],
    ignoring: Iterable[str],
) -> list[Message]:
    messages = Outcome(outcome.subject, published, outcome.error, noun="message")
    return expect_events(messages, expected, ignoring)


__all__ = ["AsyncHandlerScenario", "HandlerScenario"]
