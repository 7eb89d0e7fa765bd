"""Given history, when the aggregate acts, then events or an error: sync and async."""

from __future__ import annotations

import warnings
from decimal import Decimal

import pytest

from orchestrix.testing import (
    AggregateScenario,
    AsyncAggregateScenario,
    ScenarioAssertionError,
    ScenarioUsageError,
)
from test.components.orchestrix.testing.tab import (
    CloseTab,
    DrinkOrdered,
    OrderDrink,
    Tab,
    TabClosed,
    TabNotOpenError,
    TabOpened,
    UnderpaidError,
)

OPENED = TabOpened(tab_id="T-1", table=4)
TEA = DrinkOrdered(tab_id="T-1", drink="tea", price=Decimal("2.50"))


def order(drink: str, price: str) -> OrderDrink:
    return OrderDrink(tab_id="T-1", drink=drink, price=Decimal(price))


def scenario() -> AggregateScenario[Tab]:
    return AggregateScenario(Tab, "T-1")


def test_then_checks_the_new_events_and_returns_the_aggregate() -> None:
    tab = (
        scenario()
        .given(OPENED, TEA)
        .when(lambda tab: tab.close(CloseTab(tab_id="T-1", paid=Decimal(3))))
        .then(TabClosed(tab_id="T-1", paid=Decimal(3), tip=Decimal("0.50")))
    )
    assert not tab.is_open
    assert tab.version == 3
    assert tab.total == Decimal("2.50")


def test_then_with_no_events_expects_none() -> None:
    scenario().given(OPENED).when(lambda tab: None).then()


def test_then_fails_with_a_diff_naming_the_aggregate() -> None:
    checked = scenario().given(OPENED).when(lambda tab: tab.order(order("tea", "3.00")))
    with pytest.raises(ScenarioAssertionError) as caught:
        checked.then(TEA)
    assert str(caught.value) == "\n".join(
        [
            "After the action on Tab 'T-1': Events differ: expected 1 event, got 1 event.",
            "(- expected but missing, + recorded but not expected)",
            "- DrinkOrdered(tab_id='T-1', drink='tea', price=Decimal('2.50'))",
            "+ DrinkOrdered(tab_id='T-1', drink='tea', price=Decimal('3.00'))",
            "Field by field:",
            "  event 1 (DrinkOrdered): price: expected Decimal('2.50'), got Decimal('3.00')",
            "Not compared: id, timestamp, correlation_id, causation_id, trace_id, actor_id.",
        ]
    )


def test_then_fails_when_the_action_raised() -> None:
    checked = scenario().when(lambda tab: tab.order(order("tea", "2.50")))
    with pytest.raises(ScenarioAssertionError) as caught:
        checked.then(TEA)
    assert str(caught.value) == (
        "Expected 1 event, but the action on Tab 'T-1' raised TabNotOpenError: Tab T-1 is not open"
    )
    assert isinstance(caught.value.__cause__, TabNotOpenError)


def test_then_raises_returns_the_error() -> None:
    error = (
        scenario()
        .given(OPENED, TEA)
        .when(lambda tab: tab.close(CloseTab(tab_id="T-1", paid=Decimal(1))))
        .then_raises(UnderpaidError, match=r"owes 2\.50, paid 1")
    )
    assert str(error) == "Tab T-1 owes 2.50, paid 1"


def test_then_raises_accepts_a_base_class() -> None:
    scenario().when(lambda tab: tab.order(order("tea", "1"))).then_raises(ValueError)


def test_then_raises_fails_when_nothing_was_raised() -> None:
    checked = scenario().given(OPENED).when(lambda tab: tab.order(order("tea", "2.50")))
    with pytest.raises(ScenarioAssertionError) as caught:
        checked.then_raises(TabNotOpenError)
    assert str(caught.value) == (
        "Expected TabNotOpenError, but the action on Tab 'T-1' raised nothing and recorded "
        "1 event:\n  DrinkOrdered(tab_id='T-1', drink='tea', price=Decimal('2.50'))"
    )
    with pytest.raises(ScenarioAssertionError, match=r"raised nothing and recorded no events\.$"):
        scenario().when(lambda tab: None).then_raises(TabNotOpenError)


def test_then_raises_fails_on_another_error() -> None:
    checked = scenario().when(lambda tab: tab.order(order("tea", "1")))
    with pytest.raises(ScenarioAssertionError) as caught:
        checked.then_raises(UnderpaidError)
    assert str(caught.value) == (
        "Expected UnderpaidError, but the action on Tab 'T-1' raised TabNotOpenError: "
        "Tab T-1 is not open"
    )
    assert isinstance(caught.value.__cause__, TabNotOpenError)


def test_then_raises_fails_on_another_message() -> None:
    checked = scenario().when(lambda tab: tab.order(order("tea", "1")))
    with pytest.raises(ScenarioAssertionError) as caught:
        checked.then_raises(TabNotOpenError, match="closed")
    assert str(caught.value) == (
        "As expected, the action on Tab 'T-1' raised TabNotOpenError, but its message "
        "'Tab T-1 is not open' does not match 'closed'"
    )


def test_each_then_runs_the_scenario_afresh() -> None:
    calls: list[int] = []

    def order_tea(tab: Tab) -> None:
        calls.append(tab.version)
        tab.order(order("tea", "2.50"))

    checked = scenario().given(OPENED).when(order_tea)
    checked.then(TEA)
    checked.then(TEA)
    assert calls == [1, 1]


def test_scenarios_that_cannot_run_say_why() -> None:
    with pytest.raises(ScenarioUsageError, match=r"call when\(\.\.\.\) before then"):
        scenario().given(OPENED).then()
    with pytest.raises(ScenarioUsageError, match="already set"):
        scenario().when(lambda tab: None).when(lambda tab: None)
    with pytest.raises(TypeError, match="given"):
        scenario().given(order("tea", "1"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="function of the aggregate"):
        scenario().when(order("tea", "1"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="AggregateRoot subclass"):
        AggregateScenario(dict, "T-1")  # type: ignore[type-var]


async def menu(drink: str) -> Decimal:
    prices = {"tea": Decimal("2.50")}
    return prices[drink]


def test_a_sync_scenario_refuses_an_async_action_without_warnings() -> None:
    checked = scenario().given(OPENED).when(lambda tab: tab.order_from_menu("tea", menu))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "coroutine was never awaited" would be an error
        with pytest.raises(ScenarioUsageError, match="AsyncAggregateScenario"):
            checked.then(TEA)


async def test_async_scenario_awaits_the_action() -> None:
    checked = AsyncAggregateScenario(Tab, "T-1").given(OPENED)
    tab = await checked.when(lambda tab: tab.order_from_menu("tea", menu)).then(TEA)
    assert tab.total == Decimal("2.50")


async def test_async_scenario_errors() -> None:
    unknown = AsyncAggregateScenario(Tab, "T-1").given(OPENED)
    error = await unknown.when(lambda tab: tab.order_from_menu("gin", menu)).then_raises(KeyError)
    assert error.args == ("gin",)
    closed = AsyncAggregateScenario(Tab, "T-1").when(lambda tab: tab.order_from_menu("tea", menu))
    with pytest.raises(ScenarioAssertionError, match="raised TabNotOpenError"):
        await closed.then(TEA)
    sync_action = AsyncAggregateScenario(Tab, "T-1").given(OPENED)
    await sync_action.when(lambda tab: tab.order(order("tea", "2.50"))).then(TEA)
