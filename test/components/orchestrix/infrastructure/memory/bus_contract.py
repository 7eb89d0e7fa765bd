"""The message bus contract: what every sync and async bus must do, written once.

The facts of the first release's buses (reference §5.3/5.4: exact-type lookup, subscription
order, handler names, log texts) hold, except that a failure is never swallowed (defect #3)
and per-message logging is at DEBUG (defect #14). `BusContract` holds the behaviour both kinds
share. A subclass says how to build a bus, how to
publish on it and how to turn a plain test function into one of its native handlers;
`SyncBusContract` and `AsyncBusContract` add what only one kind does, and each implementation's
test module subclasses one of them in a few lines.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, ItemsView, Iterator, KeysView, ValuesView
from typing import Any

import pytest

from orchestrix.core.common.exceptions import HandlerError
from orchestrix.core.common.retry import FixedDelay, RetryPolicy
from orchestrix.core.messaging.dead_letter_queue import DeadLetterReason, InMemoryDeadLetterQueue
from orchestrix.core.messaging.message import Command, Event, Message


class OrderPlaced(Event, type_name="bus_contract.OrderPlaced"):
    pass


class ExpressOrderPlaced(OrderPlaced, type_name="bus_contract.ExpressOrderPlaced"):
    pass


class OrderShipped(Event, type_name="bus_contract.OrderShipped"):
    pass


class PlaceOrder(Command, type_name="bus_contract.PlaceOrder"):
    pass


class Flaky:
    """A handler that fails its first `failures` calls, then succeeds."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def handle(self, message: Message) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(f"failure {self.calls}")


class Refuser:
    """A callable object that always fails."""

    def __call__(self, message: Message) -> None:
        raise PermissionError("refused")


class RecordingPolicy(RetryPolicy):
    """Allows one retry per delay in `delays` and records which attempts it was asked about."""

    def __init__(self, delays: list[float]) -> None:
        self.delays = delays
        self.asked: list[int] = []

    def should_retry(self, attempt: int) -> bool:
        return attempt <= len(self.delays)

    def get_delay(self, attempt: int) -> float:
        self.asked.append(attempt)
        return self.delays[attempt - 1]


class CountingTable(defaultdict[type[Message], list[Any]]):
    """A handler table that counts its lookups, and the passes made over all its classes."""

    def __init__(self, handlers: dict[type[Message], list[Any]]) -> None:
        super().__init__(list, handlers)
        self.reads = 0
        self.scans = 0

    def __getitem__(self, key: type[Message]) -> list[Any]:
        self.reads += 1
        return super().__getitem__(key)

    def __iter__(self) -> Iterator[type[Message]]:
        self.scans += 1
        return super().__iter__()

    def keys(self) -> KeysView[type[Message]]:
        self.scans += 1
        return super().keys()

    def values(self) -> ValuesView[list[Any]]:
        self.scans += 1
        return super().values()

    def items(self) -> ItemsView[type[Message], list[Any]]:
        self.scans += 1
        return super().items()


def messages_of(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno == level]


class BusContract(ABC):
    """Behaviour shared by every message bus."""

    @abstractmethod
    def make_bus(
        self,
        retry_policy: RetryPolicy | None = None,
        dead_letter_queue: InMemoryDeadLetterQueue | None = None,
    ) -> Any:
        """A new bus with the given failure handling."""

    @abstractmethod
    async def publish(self, bus: Any, message: Message) -> None:
        """Publish on `bus` and wait until it is done."""

    @abstractmethod
    def native(self, function: Callable[[Any], None]) -> Callable[[Any], Any]:
        """`function` as the kind of handler this bus is built for."""

    def recorder(self, log: list[tuple[str, str]], name: str) -> Callable[[Any], Any]:
        return self.native(lambda message: log.append((name, message.id)))

    async def test_delivers_a_message_to_its_handler(self) -> None:
        bus = self.make_bus()
        received: list[Message] = []
        bus.subscribe(OrderPlaced, self.native(received.append))
        message = OrderPlaced()
        await self.publish(bus, message)
        assert received == [message]

    async def test_every_handler_of_a_message_runs_once(self) -> None:
        bus = self.make_bus()
        log: list[tuple[str, str]] = []
        for name in ("a", "b", "c"):
            bus.subscribe(OrderPlaced, self.recorder(log, name))
        message = OrderPlaced()
        await self.publish(bus, message)
        assert sorted(log) == [("a", message.id), ("b", message.id), ("c", message.id)]

    async def test_handlers_of_other_types_do_not_run(self) -> None:
        bus = self.make_bus()
        log: list[tuple[str, str]] = []
        bus.subscribe(OrderShipped, self.recorder(log, "shipped"))
        bus.subscribe(PlaceOrder, self.recorder(log, "command"))
        await self.publish(bus, OrderPlaced())
        assert log == []

    async def test_handlers_are_looked_up_by_the_exact_class(self) -> None:
        bus = self.make_bus()
        log: list[tuple[str, str]] = []
        bus.subscribe(Event, self.recorder(log, "event"))
        bus.subscribe(Message, self.recorder(log, "message"))
        bus.subscribe(OrderPlaced, self.recorder(log, "orders"))
        bus.subscribe(ExpressOrderPlaced, self.recorder(log, "express"))
        bus.subscribe(Command, self.recorder(log, "commands"))
        plain, express, event = OrderPlaced(), ExpressOrderPlaced(), Event()
        await self.publish(bus, plain)
        await self.publish(bus, express)
        await self.publish(bus, event)
        assert sorted(log) == sorted(
            [("orders", plain.id), ("express", express.id), ("event", event.id)]
        )

    async def test_a_subscription_after_publishing_is_routed(self) -> None:
        bus = self.make_bus()
        log: list[tuple[str, str]] = []
        bus.subscribe(OrderPlaced, self.recorder(log, "first"))
        first = OrderPlaced()
        await self.publish(bus, first)
        bus.subscribe(OrderPlaced, self.recorder(log, "late"))
        second = OrderPlaced()
        await self.publish(bus, second)
        assert sorted(log) == sorted(
            [("first", first.id), ("first", second.id), ("late", second.id)]
        )

    async def test_the_same_handler_subscribed_twice_runs_twice(self) -> None:
        bus = self.make_bus()
        log: list[tuple[str, str]] = []
        handler = self.recorder(log, "twice")
        bus.subscribe(OrderPlaced, handler)
        bus.subscribe(OrderPlaced, handler)
        message = OrderPlaced()
        await self.publish(bus, message)
        assert log == [("twice", message.id)] * 2

    async def test_handlers_are_a_defaultdict_of_lists_by_class(self) -> None:
        bus = self.make_bus()
        log: list[tuple[str, str]] = []
        handler = self.recorder(log, "orders")
        bus.subscribe(OrderPlaced, handler)
        assert isinstance(bus._handlers, defaultdict)
        assert bus._handlers[OrderPlaced] == [handler]
        assert bus._handlers[OrderShipped] == []
        bus._handlers[OrderPlaced].clear()
        await self.publish(bus, OrderPlaced())
        assert log == []

    async def test_a_handler_can_publish_while_being_called(self) -> None:
        bus = self.make_bus()
        received: list[Message] = []
        shipped = OrderShipped()
        bus.subscribe(OrderShipped, self.native(received.append))
        bus.subscribe(OrderPlaced, self.reentrant(bus, shipped))
        await self.publish(bus, OrderPlaced())
        assert received == [shipped]

    async def test_a_subscription_during_publishing_applies_from_the_next_message(self) -> None:
        bus = self.make_bus()
        log: list[tuple[str, str]] = []
        late = self.recorder(log, "late")

        def subscribe_late(message: Message) -> None:
            log.append(("subscriber", message.id))
            if len(log) == 1:
                bus.subscribe(OrderPlaced, late)

        bus.subscribe(OrderPlaced, self.native(subscribe_late))
        first, second = OrderPlaced(), OrderPlaced()
        await self.publish(bus, first)
        await self.publish(bus, second)
        assert sorted(log) == sorted(
            [("subscriber", first.id), ("subscriber", second.id), ("late", second.id)]
        )

    async def test_publishing_without_subscribers_does_nothing(self) -> None:
        bus = self.make_bus()
        log: list[tuple[str, str]] = []
        bus.subscribe(OrderShipped, self.recorder(log, "shipped"))
        await self.publish(bus, OrderPlaced())
        await self.publish(bus, PlaceOrder())
        assert log == []

    async def test_failing_handlers_are_all_named_after_every_handler_ran(self) -> None:
        bus = self.make_bus()
        log: list[tuple[str, str]] = []

        def refuse_stock(message: Message) -> None:
            raise ValueError("out of stock")

        def refuse_payment(message: Message) -> None:
            raise RuntimeError("card declined")

        refuse_stock_handler = self.native(refuse_stock)
        refuse_payment_handler = self.native(refuse_payment)
        bus.subscribe(OrderPlaced, self.recorder(log, "before"))
        bus.subscribe(OrderPlaced, refuse_stock_handler)
        bus.subscribe(OrderPlaced, self.recorder(log, "between"))
        bus.subscribe(OrderPlaced, refuse_payment_handler)
        bus.subscribe(OrderPlaced, self.recorder(log, "after"))
        message = OrderPlaced()
        with pytest.raises(HandlerError) as raised:
            await self.publish(bus, message)
        error = raised.value
        assert sorted(log) == [
            ("after", message.id),
            ("before", message.id),
            ("between", message.id),
        ]
        names = [failure.handler_name for failure in error.failures]
        assert names == [refuse_stock_handler.__name__, refuse_payment_handler.__name__]
        assert [type(failure.error) for failure in error.failures] == [ValueError, RuntimeError]
        assert error.message_type == "OrderPlaced"
        assert error.handler_name == names[0]
        assert isinstance(error.original_error, ValueError)
        assert error.__cause__ is error.original_error
        assert "out of stock" in str(error) and "card declined" in str(error)

    async def test_one_failure_among_several_handlers_raises_the_releases_text(self) -> None:
        bus = self.make_bus()
        log: list[tuple[str, str]] = []

        def refuse_stock(message: Message) -> None:
            raise ValueError("out of stock")

        handler = self.native(refuse_stock)
        bus.subscribe(OrderPlaced, self.recorder(log, "healthy"))
        bus.subscribe(OrderPlaced, handler)
        message = OrderPlaced()
        with pytest.raises(HandlerError) as raised:
            await self.publish(bus, message)
        assert log == [("healthy", message.id)]
        assert str(raised.value) == (
            f"Handler '{handler.__name__}' failed for message type 'OrderPlaced': out of stock"
        )

    async def test_handlers_are_named_by_name_else_by_class(self) -> None:
        bus = self.make_bus()
        bus.subscribe(OrderPlaced, Flaky(failures=1).handle)
        bus.subscribe(OrderPlaced, Refuser())
        bus.subscribe(OrderPlaced, lambda message: 1 / 0)
        with pytest.raises(HandlerError) as raised:
            await self.publish(bus, OrderPlaced())
        assert [failure.handler_name for failure in raised.value.failures] == [
            "handle",
            "Refuser",
            "<lambda>",
        ]

    async def test_a_handler_with_a_wrong_signature_is_a_failure_like_any_other(self) -> None:
        bus = self.make_bus()
        log: list[tuple[str, str]] = []

        def no_arguments() -> None:
            pass

        bus.subscribe(OrderPlaced, no_arguments)  # type: ignore[arg-type]
        bus.subscribe(OrderPlaced, self.recorder(log, "healthy"))
        message = OrderPlaced()
        with pytest.raises(HandlerError) as raised:
            await self.publish(bus, message)
        assert isinstance(raised.value.original_error, TypeError)
        assert raised.value.handler_name == "no_arguments"
        assert log == [("healthy", message.id)]

    async def test_every_final_failure_is_logged_at_error_with_its_traceback(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        bus = self.make_bus()
        bus.subscribe(OrderPlaced, Refuser())
        with caplog.at_level(logging.ERROR, logger="orchestrix"), pytest.raises(HandlerError):
            await self.publish(bus, OrderPlaced())
        [record] = caplog.records
        assert record.getMessage() == (
            f"{self.failure_log} [message_type=OrderPlaced, handler=Refuser, error=refused]"
        )
        assert record.exc_info is not None and record.exc_info[0] is PermissionError
        assert record.context == {  # type: ignore[attr-defined]
            "message_type": "OrderPlaced",
            "handler": "Refuser",
            "error": record.exc_info[1],
        }

    async def test_a_retried_handler_that_succeeds_raises_nothing(self) -> None:
        bus = self.make_bus(retry_policy=FixedDelay(max_retries=3, delay=0))
        flaky = Flaky(failures=1)
        bus.subscribe(OrderPlaced, self.native(flaky.handle))
        await self.publish(bus, OrderPlaced())
        assert flaky.calls == 2

    async def test_retries_wait_as_the_policy_says(self) -> None:
        policy = RecordingPolicy(delays=[0.02, 0.04])
        bus = self.make_bus(retry_policy=policy)
        flaky = Flaky(failures=2)
        bus.subscribe(OrderPlaced, self.native(flaky.handle))
        start = time.perf_counter()
        await self.publish(bus, OrderPlaced())
        assert time.perf_counter() - start >= 0.06
        assert policy.asked == [1, 2]
        assert flaky.calls == 3

    async def test_exhausted_retries_raise_when_there_is_no_dead_letter_queue(self) -> None:
        bus = self.make_bus(retry_policy=FixedDelay(max_retries=2, delay=0))
        flaky = Flaky(failures=10)
        bus.subscribe(OrderPlaced, self.native(flaky.handle))
        with pytest.raises(HandlerError) as raised:
            await self.publish(bus, OrderPlaced())
        assert flaky.calls == 3
        assert str(raised.value.original_error) == "failure 3"

    async def test_exhausted_retries_are_dead_lettered_with_their_attempts(self) -> None:
        queue = InMemoryDeadLetterQueue()
        bus = self.make_bus(
            retry_policy=FixedDelay(max_retries=2, delay=0), dead_letter_queue=queue
        )
        log: list[tuple[str, str]] = []
        flaky_handler = self.native(Flaky(failures=10).handle)
        bus.subscribe(OrderPlaced, flaky_handler)
        bus.subscribe(OrderPlaced, self.recorder(log, "healthy"))
        message = OrderPlaced()
        await self.publish(bus, message)
        assert log == [("healthy", message.id)]
        [entry] = queue.dequeue_all()
        assert entry.message is message
        assert entry.failure_count == 3
        assert entry.reason == DeadLetterReason.RETRIES_EXHAUSTED
        assert entry.handler_name == flaky_handler.__name__
        assert (entry.error_type, entry.error_message) == ("RuntimeError", "failure 3")

    async def test_a_failure_without_retries_is_dead_lettered_after_one_attempt(self) -> None:
        queue = InMemoryDeadLetterQueue()
        bus = self.make_bus(dead_letter_queue=queue)

        def declined(message: Message) -> None:
            raise RuntimeError("declined")

        first, second = self.native(Flaky(failures=10).handle), self.native(declined)
        bus.subscribe(OrderPlaced, first)
        bus.subscribe(OrderPlaced, second)
        message = OrderPlaced()
        await self.publish(bus, message)
        entries = queue.peek_all()
        assert queue.get_by_message_id(message.id) in entries
        assert sorted(entry.handler_name or "" for entry in entries) == sorted(
            [first.__name__, second.__name__]
        )
        assert {(entry.failure_count, entry.reason) for entry in entries} == {
            (1, DeadLetterReason.HANDLER_FAILED)
        }

    @pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
    async def test_interrupts_propagate_and_are_not_retried(
        self, interrupt: type[BaseException]
    ) -> None:
        queue = InMemoryDeadLetterQueue()
        bus = self.make_bus(
            retry_policy=FixedDelay(max_retries=3, delay=0), dead_letter_queue=queue
        )
        calls: list[str] = []

        def interrupted(message: Message) -> None:
            calls.append(message.id)
            raise interrupt

        bus.subscribe(OrderPlaced, self.native(interrupted))
        with pytest.raises(interrupt):
            await self.publish(bus, OrderPlaced())
        assert len(calls) == 1
        assert queue.count() == 0

    async def test_dead_lettering_is_logged_as_a_warning(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        bus = self.make_bus(dead_letter_queue=InMemoryDeadLetterQueue())
        bus.subscribe(OrderPlaced, Refuser())
        message = OrderPlaced()
        with caplog.at_level(logging.WARNING, logger="orchestrix"):
            await self.publish(bus, message)
        [warning] = messages_of(caplog, logging.WARNING)
        assert warning == (
            f"Message dead-lettered [message_type=OrderPlaced, message_id={message.id}, "
            "handler=Refuser, reason=handler_failed, failure_count=1]"
        )
        assert len(messages_of(caplog, logging.ERROR)) == 1

    async def test_subscribing_and_publishing_are_logged_at_debug_in_the_releases_words(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        bus = self.make_bus()
        with caplog.at_level(logging.DEBUG, logger="orchestrix"):
            bus.subscribe(OrderPlaced, self.native(lambda message: None))
            bus.subscribe(OrderPlaced, self.native(lambda message: None))
            message = OrderPlaced()
            await self.publish(bus, message)
            unheard = OrderShipped()
            await self.publish(bus, unheard)
        assert [record.levelno for record in caplog.records] == [logging.DEBUG] * 4
        assert [record.getMessage() for record in caplog.records] == [
            f"{self.subscribe_log} [message_type=OrderPlaced]",
            f"{self.subscribe_log} [message_type=OrderPlaced]",
            f"{self.publish_log} [message_type=OrderPlaced, message_id={message.id}, "
            "handler_count=2]",
            f"{self.publish_log} [message_type=OrderShipped, message_id={unheard.id}, "
            "handler_count=0]",
        ]

    async def test_nothing_is_logged_at_info_on_the_publish_path(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        bus = self.make_bus()
        with caplog.at_level(logging.INFO, logger="orchestrix"):
            bus.subscribe(OrderPlaced, self.native(lambda message: None))
            await self.publish(bus, OrderPlaced())
        assert caplog.records == []

    async def test_each_message_is_logged_at_debug_only_while_debug_is_enabled(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        bus = self.make_bus()
        bus.subscribe(OrderPlaced, self.native(lambda message: None))
        quiet, loud, quiet_again = OrderPlaced(), OrderPlaced(), OrderPlaced()
        caplog.handler.setLevel(logging.DEBUG)  # capture whatever the loggers let through
        await self.publish(bus, quiet)  # the library's loggers are left at their default
        library = logging.getLogger("orchestrix")
        library.setLevel(logging.DEBUG)
        try:
            await self.publish(bus, loud)
        finally:
            library.setLevel(logging.NOTSET)
        await self.publish(bus, quiet_again)
        published = [record for record in caplog.records if "Publishing" in record.getMessage()]
        assert [record.levelno for record in published] == [logging.DEBUG]
        assert loud.id in published[0].getMessage()

    async def test_subscribing_something_else_than_a_message_class_is_refused(self) -> None:
        bus = self.make_bus()
        handler = self.native(lambda message: None)
        for bad in (OrderPlaced(), str, "OrderPlaced", None):
            with pytest.raises(TypeError):
                bus.subscribe(bad, handler)

    async def test_subscribing_a_non_callable_is_refused(self) -> None:
        bus = self.make_bus()
        with pytest.raises(TypeError):
            bus.subscribe(OrderPlaced, "not a handler")

    async def test_publishing_something_else_than_a_message_is_refused(self) -> None:
        bus = self.make_bus()
        bus.subscribe(Event, self.native(lambda message: None))
        with pytest.raises(TypeError, match="only Messages"):
            await self.publish(bus, {"type": "OrderPlaced"})  # type: ignore[arg-type]

    async def test_subscribe_and_publish_can_alternate_without_rescanning(self) -> None:
        # Publishing is one lookup in `_handlers` whatever was subscribed before: a dict that
        # counts its lookups shows one per publish, never a pass over the subscriptions.
        bus = self.make_bus()
        lookups = CountingTable(bus._handlers)
        bus._handlers = lookups
        bus.subscribe(OrderPlaced, self.native(lambda message: None))
        for _ in range(200):
            bus.subscribe(OrderShipped, self.native(lambda message: None))
            await self.publish(bus, OrderPlaced())
        assert lookups.reads == 200 + 200 + 1  # one per publish, one per subscribe
        assert lookups.scans == 0
        assert len(dict.__getitem__(lookups, OrderShipped)) == 200


class SyncBusContract(BusContract):
    """A sync bus: handlers are plain functions, called in subscription order."""

    subscribe_log = "Handler subscribed"
    publish_log = "Publishing message"
    failure_log = "Handler failed"

    async def publish(self, bus: Any, message: Message) -> None:
        bus.publish(message)

    def native(self, function: Callable[[Any], None]) -> Callable[[Any], Any]:
        return function

    def reentrant(self, bus: Any, message: Message) -> Callable[[Any], Any]:
        return lambda received: bus.publish(message)

    async def test_handlers_run_in_subscription_order(self) -> None:
        bus = self.make_bus()
        log: list[tuple[str, str]] = []
        for name in ("1", "2", "3", "4"):
            bus.subscribe(OrderPlaced, self.recorder(log, name))
        bus.publish(OrderPlaced())
        assert [name for name, _ in log] == ["1", "2", "3", "4"]

    async def test_a_handler_is_retried_before_the_next_handler_runs(self) -> None:
        bus = self.make_bus(retry_policy=FixedDelay(max_retries=1, delay=0))
        log: list[str] = []

        def flaky(message: Message) -> None:
            log.append("flaky")
            if log.count("flaky") == 1:
                raise RuntimeError("first call fails")

        bus.subscribe(OrderPlaced, flaky)
        bus.subscribe(OrderPlaced, lambda message: log.append("next"))
        bus.publish(OrderPlaced())
        assert log == ["flaky", "flaky", "next"]


class AsyncBusContract(BusContract):
    """An async bus: coroutine handlers (plain functions too), run concurrently."""

    subscribe_log = "Async handler subscribed"
    publish_log = "Publishing message (async)"
    failure_log = "Async handler failed"

    async def publish(self, bus: Any, message: Message) -> None:
        await bus.publish(message)

    def native(self, function: Callable[[Any], None]) -> Callable[[Any], Any]:
        async def handler(message: Any) -> None:
            await asyncio.sleep(0)  # suspend once, as real I/O would
            function(message)

        handler.__name__ = handler.__qualname__ = f"async {function.__name__}"
        return handler

    def reentrant(self, bus: Any, message: Message) -> Callable[[Any], Any]:
        async def publish_again(received: Message) -> None:
            await bus.publish(message)

        return publish_again

    async def test_plain_functions_are_handlers_too(self) -> None:
        bus = self.make_bus()
        log: list[tuple[str, str]] = []
        bus.subscribe(OrderPlaced, lambda message: log.append(("plain", message.id)))
        bus.subscribe(OrderPlaced, self.recorder(log, "async"))
        message = OrderPlaced()
        await bus.publish(message)
        assert sorted(log) == [("async", message.id), ("plain", message.id)]
        only_plain = self.make_bus()
        only_plain.subscribe(OrderPlaced, lambda message: log.append(("alone", message.id)))
        await only_plain.publish(message)
        assert log[-1] == ("alone", message.id)

    async def test_an_interrupt_in_one_of_several_handlers_propagates(self) -> None:
        bus = self.make_bus(dead_letter_queue=InMemoryDeadLetterQueue())

        def interrupted(message: Message) -> None:
            raise KeyboardInterrupt

        bus.subscribe(OrderPlaced, self.native(lambda message: None))
        bus.subscribe(OrderPlaced, interrupted)
        with pytest.raises(KeyboardInterrupt):
            await bus.publish(OrderPlaced())

    async def test_a_failing_plain_function_is_reported(self) -> None:
        bus = self.make_bus()

        def broken(message: Message) -> None:
            raise LookupError("no such order")

        bus.subscribe(OrderPlaced, broken)
        with pytest.raises(HandlerError) as raised:
            await bus.publish(OrderPlaced())
        assert [failure.handler_name for failure in raised.value.failures] == ["broken"]

    async def test_handlers_of_one_message_run_concurrently(self) -> None:
        bus = self.make_bus()
        first_started, second_started = asyncio.Event(), asyncio.Event()

        async def first(message: Message) -> None:
            first_started.set()
            await second_started.wait()

        async def second(message: Message) -> None:
            second_started.set()
            await first_started.wait()

        bus.subscribe(OrderPlaced, first)
        bus.subscribe(OrderPlaced, second)
        await asyncio.wait_for(bus.publish(OrderPlaced()), timeout=5)
        assert first_started.is_set() and second_started.is_set()

    async def test_a_single_handler_is_awaited_in_the_publishing_task(self) -> None:
        bus = self.make_bus()
        tasks: list[asyncio.Task[Any] | None] = []

        async def handler(message: Message) -> None:
            tasks.append(asyncio.current_task())

        bus.subscribe(OrderPlaced, handler)
        await bus.publish(OrderPlaced())
        assert tasks == [asyncio.current_task()]

    @pytest.mark.parametrize("healthy_count", [0, 2])
    async def test_a_handler_raising_cancelled_error_is_a_reported_failure(
        self, healthy_count: int, caplog: pytest.LogCaptureFixture
    ) -> None:
        bus = self.make_bus()
        log: list[tuple[str, str]] = []

        async def cancelled(message: Message) -> None:
            await asyncio.sleep(0)
            raise asyncio.CancelledError

        async def late_failure(message: Message) -> None:
            await asyncio.sleep(0.01)
            raise LookupError("no such order")

        bus.subscribe(OrderPlaced, cancelled)
        for number in range(healthy_count):
            bus.subscribe(OrderPlaced, self.recorder(log, f"healthy {number}"))
        if healthy_count:
            bus.subscribe(OrderPlaced, late_failure)
        message = OrderPlaced()
        with caplog.at_level(logging.ERROR, logger="orchestrix"):
            with pytest.raises(HandlerError) as raised:
                await bus.publish(message)
        failures = raised.value.failures
        expected = ["cancelled", "late_failure"] if healthy_count else ["cancelled"]
        assert [failure.handler_name for failure in failures] == expected
        assert isinstance(failures[0].error, asyncio.CancelledError)
        assert len(log) == healthy_count
        assert len(messages_of(caplog, logging.ERROR)) == len(expected)

    async def test_a_cancelled_error_failure_is_retried_then_dead_lettered(self) -> None:
        queue = InMemoryDeadLetterQueue()
        bus = self.make_bus(
            retry_policy=FixedDelay(max_retries=2, delay=0), dead_letter_queue=queue
        )
        calls: list[str] = []

        async def cancelled(message: Message) -> None:
            calls.append(message.id)
            raise asyncio.CancelledError

        bus.subscribe(OrderPlaced, cancelled)
        bus.subscribe(OrderPlaced, self.native(lambda message: None))
        await bus.publish(OrderPlaced())
        assert len(calls) == 3
        [entry] = queue.dequeue_all()
        assert (entry.handler_name, entry.error_type, entry.failure_count) == (
            "cancelled",
            "CancelledError",
            3,
        )

    @pytest.mark.parametrize("handler_count", [1, 2])
    async def test_a_timeout_around_publish_still_cancels_it(self, handler_count: int) -> None:
        bus = self.make_bus(dead_letter_queue=InMemoryDeadLetterQueue())
        cancelled: list[str] = []

        async def slow(message: Message) -> None:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                cancelled.append(message.id)
                raise

        for _ in range(handler_count):
            bus.subscribe(OrderPlaced, slow)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await bus.publish(OrderPlaced())
        await asyncio.sleep(0)
        assert len(cancelled) == handler_count

    async def test_failures_before_a_real_cancellation_are_logged(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        bus = self.make_bus()
        failed = asyncio.Event()

        async def fails(message: Message) -> None:
            failed.set()
            raise LookupError("no such order")

        async def waits_forever(message: Message) -> None:
            await asyncio.Event().wait()

        bus.subscribe(OrderPlaced, fails)
        bus.subscribe(OrderPlaced, waits_forever)
        with caplog.at_level(logging.ERROR, logger="orchestrix"):
            publishing = asyncio.create_task(bus.publish(OrderPlaced()))
            await asyncio.wait_for(failed.wait(), timeout=5)
            await asyncio.sleep(0)
            publishing.cancel()
            with pytest.raises(asyncio.CancelledError):
                await publishing
        [logged] = messages_of(caplog, logging.ERROR)
        assert "handler=fails" in logged and "no such order" in logged

    async def test_cancelling_publish_cancels_the_running_handlers(self) -> None:
        bus = self.make_bus()
        started: list[str] = []
        both_started = asyncio.Event()
        cancelled: list[str] = []

        async def waits_forever(message: Message) -> None:
            started.append(message.id)
            if len(started) == 2:
                both_started.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.append(message.id)
                raise

        bus.subscribe(OrderPlaced, waits_forever)
        bus.subscribe(OrderPlaced, waits_forever)
        publishing = asyncio.create_task(bus.publish(OrderPlaced()))
        await asyncio.wait_for(both_started.wait(), timeout=5)
        publishing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await publishing
        await asyncio.sleep(0)
        assert len(cancelled) == 2

    async def test_retries_of_one_handler_do_not_hold_up_the_others(self) -> None:
        bus = self.make_bus(retry_policy=RecordingPolicy(delays=[0.05]))
        flaky = Flaky(failures=1)
        finished: list[str] = []
        bus.subscribe(OrderPlaced, flaky.handle)

        async def quick(message: Message) -> None:
            await asyncio.sleep(0)
            finished.append("quick")

        async def observer(message: Message) -> None:
            await asyncio.sleep(0.01)
            # the flaky handler is still waiting for its retry, yet `quick` is already done
            finished.append(f"observer saw flaky calls={flaky.calls}")

        bus.subscribe(OrderPlaced, quick)
        bus.subscribe(OrderPlaced, observer)
        await bus.publish(OrderPlaced())
        assert finished == ["quick", "observer saw flaky calls=1"]
        assert flaky.calls == 2
