"""Events compared as tests mean them, and a failure that reads as a diff."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from orchestrix.core.messaging.message import Event
from orchestrix.testing import GENERATED_METADATA, ScenarioAssertionError, assert_events_equal
from test.components.orchestrix.testing.tab import DrinkOrdered, TabClosed, TabOpened

NOT_COMPARED = "Not compared: id, timestamp, correlation_id, causation_id, trace_id, actor_id."


def drink(name: str, price: str) -> DrinkOrdered:
    return DrinkOrdered(tab_id="T-1", drink=name, price=Decimal(price))


def failure(expected: list[Event], actual: list[Event], **options: object) -> str:
    with pytest.raises(ScenarioAssertionError) as caught:
        assert_events_equal(expected, actual, **options)  # type: ignore[arg-type]
    return str(caught.value)


def test_generated_metadata_is_not_compared_by_default() -> None:
    produced = TabOpened.caused_by(TabOpened(tab_id="x", table=1), tab_id="T-1", table=4)
    assert produced.correlation_id is not None
    assert_events_equal([TabOpened(tab_id="T-1", table=4)], [produced])


def test_a_failure_is_an_assertion_error() -> None:
    with pytest.raises(AssertionError):
        assert_events_equal([drink("tea", "2")], [drink("tea", "3")])


def test_a_different_field_shows_the_diff_and_the_field() -> None:
    opened = TabOpened(tab_id="T-1", table=4)
    message = failure([opened, drink("tea", "2.50")], [opened, drink("tea", "3.00")])
    assert message == "\n".join(
        [
            "Events differ: expected 2 events, got 2 events.",
            "(- expected but missing, + recorded but not expected)",
            "  TabOpened(tab_id='T-1', table=4)",
            "- DrinkOrdered(tab_id='T-1', drink='tea', price=Decimal('2.50'))",
            "+ DrinkOrdered(tab_id='T-1', drink='tea', price=Decimal('3.00'))",
            "Field by field:",
            "  event 2 (DrinkOrdered): price: expected Decimal('2.50'), got Decimal('3.00')",
            NOT_COMPARED,
        ]
    )


def test_a_missing_and_an_unexpected_event_are_marked() -> None:
    opened = TabOpened(tab_id="T-1", table=4)
    message = failure([opened, drink("tea", "2")], [drink("tea", "2"), drink("coffee", "3")])
    assert message.splitlines()[:6] == [
        "Events differ: expected 2 events, got 2 events.",
        "(- expected but missing, + recorded but not expected)",
        "- TabOpened(tab_id='T-1', table=4)",
        "  DrinkOrdered(tab_id='T-1', drink='tea', price=Decimal('2'))",
        "+ DrinkOrdered(tab_id='T-1', drink='coffee', price=Decimal('3'))",
        NOT_COMPARED,
    ]


def test_nothing_recorded_and_a_wrong_class() -> None:
    assert failure([drink("tea", "2")], []).splitlines()[:3] == [
        "Events differ: expected 1 event, got no events.",
        "(- expected but missing, + recorded but not expected)",
        "- DrinkOrdered(tab_id='T-1', drink='tea', price=Decimal('2'))",
    ]
    closed = TabClosed(tab_id="T-1", paid=Decimal(5), tip=Decimal(0))
    assert "  event 1: expected a DrinkOrdered, got a TabClosed" in failure(
        [drink("tea", "2")], [closed]
    )


def test_order_matters() -> None:
    opened = TabOpened(tab_id="T-1", table=4)
    message = failure([opened, drink("tea", "2")], [drink("tea", "2"), opened])
    assert message.splitlines()[2:5] == [
        "+ DrinkOrdered(tab_id='T-1', drink='tea', price=Decimal('2'))",
        "  TabOpened(tab_id='T-1', table=4)",
        "- DrinkOrdered(tab_id='T-1', drink='tea', price=Decimal('2'))",
    ]


def test_equal_values_match_even_when_written_differently() -> None:
    assert_events_equal([drink("tea", "2")], [drink("tea", "2.00")])


def test_ignoring_nothing_compares_ids_too() -> None:
    first = drink("tea", "2")
    assert_events_equal([first], [first], ignoring=())
    message = failure([first], [drink("tea", "2")], ignoring=())
    assert "id: expected '" in message
    assert "timestamp: expected datetime.datetime(" in message
    assert message.endswith("Every field compared.")


def test_ignoring_a_domain_field_too() -> None:
    closed = TabClosed(tab_id="T-1", paid=Decimal(5), tip=Decimal(1))
    other_tip = TabClosed(tab_id="T-1", paid=Decimal(5), tip=Decimal(2))
    assert_events_equal([closed], [other_tip], ignoring=(*GENERATED_METADATA, "tip"))
    assert failure([closed], [other_tip], ignoring=iter(["id", "timestamp"])).endswith(
        "Not compared: id, timestamp."
    )


def test_envelope_fields_appear_only_when_set() -> None:
    billed = TabOpened(tab_id="T-1", table=4, source="billing", subject="T-1")
    message = failure([TabOpened(tab_id="T-1", table=4)], [billed])
    assert "+ TabOpened(source='billing', subject='T-1', tab_id='T-1', table=4)" in message
    assert "source: expected 'orchestrix', got 'billing'; subject: expected None, got 'T-1'" in (
        message
    )


@dataclass(frozen=True, kw_only=True)
class TabSplit(Event):
    tab_id: str
    shares: list[Decimal]


def test_unhashable_field_values_compare_fine() -> None:
    split = TabSplit(tab_id="T-1", shares=[Decimal(1), Decimal(2)])
    assert_events_equal([split], [TabSplit(tab_id="T-1", shares=[Decimal(1), Decimal(2)])])
    assert "shares: expected [Decimal('1'), Decimal('2')], got [Decimal('3')]" in failure(
        [split], [TabSplit(tab_id="T-1", shares=[Decimal(3)])]
    )
