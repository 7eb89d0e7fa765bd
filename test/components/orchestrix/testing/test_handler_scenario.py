"""Given stored events, when a command is published, then stored events, published messages or
an error: on a fresh in-memory bus and store, sync and async."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orchestrix.core.common.exceptions import AggregateNotFoundError, HandlerError
from orchestrix.core.eventsourcing.event_store import EventStore
from orchestrix.core.messaging.message_bus import MessageBus
from orchestrix.testing import (
    AsyncHandlerScenario,
    HandlerScenario,
    ScenarioAssertionError,
    ScenarioUsageError,
)
from test.components.orchestrix.testing.tab import (
    CloseTab,
    DrinkOrdered,
    OpenTab,
    OrderDrink,
    TabClosed,
    TabOpened,
    UnderpaidError,
    register,
    register_async,
)

OPENED = TabOpened(tab_id="T-1", table=4)
TEA = DrinkOrdered(tab_id="T-1", drink="tea", price=Decimal("2.50"))
ORDER_TEA = OrderDrink(tab_id="T-1", drink="tea", price=Decimal("2.50"))


def test_then_checks_what_was_stored_and_returns_it() -> None:
    (stored,) = HandlerScenario(register).given("T-1", OPENED).when(ORDER_TEA).then(TEA)
    assert stored.causation_id == ORDER_TEA.id  # the real event, with its metadata


def test_given_events_are_history_not_news() -> None:
    published = (
        HandlerScenario(register)
        .given("T-1", OPENED)
        .given("T-2", TabOpened(tab_id="T-2", table=5))
        .when(ORDER_TEA)
        .then_published(TEA)
    )
    assert [message.type for message in published] == ["DrinkOrdered"]


def test_then_published_sees_follow_up_commands_too() -> None:
    def wiring(bus: MessageBus, store: EventStore) -> None:
        register(bus, store)
        bus.subscribe(
            TabOpened, lambda opened: bus.publish(OrderDrink.caused_by(opened, **TEA_FIELDS))
        )

    scenario = HandlerScenario(wiring).when(OpenTab(tab_id="T-1", table=4))
    scenario.then_published(OPENED, ORDER_TEA, TEA)
    scenario.then(OPENED, TEA)
    with pytest.raises(ScenarioAssertionError) as caught:
        scenario.then_published(OPENED, TEA)
    assert str(caught.value).splitlines()[:5] == [
        "After handling OpenTab: Messages differ: expected 2 messages, got 3 messages.",
        "(- expected but missing, + recorded but not expected)",
        "  TabOpened(tab_id='T-1', table=4)",
        "+ OrderDrink(tab_id='T-1', drink='tea', price=Decimal('2.50'))",
        "  DrinkOrdered(tab_id='T-1', drink='tea', price=Decimal('2.50'))",
    ]


TEA_FIELDS = {"tab_id": "T-1", "drink": "tea", "price": Decimal("2.50")}


def test_then_fails_with_a_diff_naming_the_command() -> None:
    scenario = HandlerScenario(register).given("T-1", OPENED).when(ORDER_TEA)
    with pytest.raises(ScenarioAssertionError) as caught:
        scenario.then(TEA, TabClosed(tab_id="T-1", paid=Decimal(3), tip=Decimal("0.50")))
    assert str(caught.value) == "\n".join(
        [
            "After handling OrderDrink: Events differ: expected 2 events, got 1 event.",
            "(- expected but missing, + recorded but not expected)",
            "  DrinkOrdered(tab_id='T-1', drink='tea', price=Decimal('2.50'))",
            "- TabClosed(tab_id='T-1', paid=Decimal('3'), tip=Decimal('0.50'))",
            "Not compared: id, timestamp, correlation_id, causation_id, trace_id, actor_id.",
        ]
    )


def test_then_raises_checks_the_handlers_own_error() -> None:
    scenario = (
        HandlerScenario(register)
        .given("T-1", OPENED, TEA)
        .when(CloseTab(tab_id="T-1", paid=Decimal(2)))
    )
    error = scenario.then_raises(UnderpaidError, match="owes 2.50")
    assert str(error) == "Tab T-1 owes 2.50, paid 2"
    wrapped = scenario.then_raises(HandlerError)  # what the bus raised, when that is wanted
    assert wrapped.handler_name == "close"


def test_then_fails_when_a_handler_failed() -> None:
    scenario = HandlerScenario(register).when(ORDER_TEA)
    with pytest.raises(ScenarioAssertionError) as caught:
        scenario.then(TEA)
    assert str(caught.value) == (
        "Expected 1 event, but handling OrderDrink raised HandlerError: Handler 'order' failed "
        "for message type 'OrderDrink': Aggregate T-1 not found"
    )
    with pytest.raises(ScenarioAssertionError) as wrong:
        scenario.then_raises(UnderpaidError)
    assert str(wrong.value) == (
        "Expected UnderpaidError, but handling OrderDrink raised AggregateNotFoundError: "
        "Aggregate T-1 not found"
    )
    assert isinstance(wrong.value.__cause__, AggregateNotFoundError)


def test_then_raises_fails_when_the_command_succeeded() -> None:
    scenario = HandlerScenario(register).given("T-1", OPENED).when(ORDER_TEA)
    with pytest.raises(ScenarioAssertionError) as caught:
        scenario.then_raises(UnderpaidError)
    assert str(caught.value) == (
        "Expected UnderpaidError, but handling OrderDrink raised nothing and recorded 1 event:\n"
        "  DrinkOrdered(tab_id='T-1', drink='tea', price=Decimal('2.50'))"
    )


def test_ignoring_is_configurable() -> None:
    scenario = HandlerScenario(register, ignoring=("id", "timestamp")).given("T-1", OPENED)
    scenario.when(ORDER_TEA).then(DrinkOrdered.caused_by(ORDER_TEA, **TEA_FIELDS))
    with pytest.raises(ScenarioAssertionError, match=r"causation_id: expected None, got '"):
        scenario.then(TEA)


def test_scenarios_that_cannot_run_say_why() -> None:
    with pytest.raises(ScenarioUsageError, match="before then"):
        HandlerScenario(register).then()
    with pytest.raises(ScenarioUsageError, match="already set"):
        HandlerScenario(register).when(ORDER_TEA).when(ORDER_TEA)
    with pytest.raises(TypeError, match="takes a command"):
        HandlerScenario(register).when(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="stream id and events"):
        HandlerScenario(register).given("T-1", ORDER_TEA)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"function of \(bus, store\)"):
        HandlerScenario("register")  # type: ignore[arg-type]


async def test_async_handlers() -> None:
    scenario = AsyncHandlerScenario(register_async).given("T-1", OPENED).when(ORDER_TEA)
    (stored,) = await scenario.then(TEA)
    assert stored.causation_id == ORDER_TEA.id
    await scenario.then_published(TEA)
    with pytest.raises(ScenarioAssertionError, match="expected 2 events, got 1 event"):
        await scenario.then(TEA, TEA)


async def test_async_handler_errors() -> None:
    scenario = AsyncHandlerScenario(register_async).when(ORDER_TEA)
    error = await scenario.then_raises(AggregateNotFoundError, match="not found")
    assert error.aggregate_id == "T-1"
    with pytest.raises(ScenarioAssertionError, match="raised HandlerError"):
        await scenario.then(TEA)
