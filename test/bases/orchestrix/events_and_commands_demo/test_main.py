"""The demo end to end: the metadata it shows, the causation chain, the concurrent handlers."""

from __future__ import annotations

import pytest

from orchestrix.events_and_commands_demo.main import run
from test.bases.orchestrix.demo_docs import assert_page_shows_real_output


def test_the_chain_and_the_concurrent_handlers(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run()
    chain = outcome.chain
    assert [message.type for message in chain] == [
        "OrderCoffee",
        "CoffeeOrdered",
        "BrewCoffee",
        "CoffeeBrewed",
    ]
    first = chain[0]
    assert first.correlation_id is None and first.causation_id is None
    assert all(message.correlation_id == first.id for message in chain[1:])
    assert [message.causation_id for message in chain[1:]] == [m.id for m in chain[:-1]]
    assert {message.actor_id for message in chain} == {"ada"}
    assert outcome.base_class_seen == []  # subscribed to Event: buses deliver by exact class
    assert outcome.pickup_steps == [
        "call customer for O-1: start",
        "update the board for O-1: start",
        "call customer for O-1: done",
        "update the board for O-1: done",
    ]

    story = capsys.readouterr().out
    assert f"  id           {first.id}\n" in story
    assert "  source       coffee-bar\n" in story
    assert "FrozenInstanceError: cannot assign to field 'drink'" in story
    row = f"  4  CoffeeBrewed   {chain[3].id[:8]}  {first.id[:8]}     {chain[2].id[:8]}   ada"
    assert row in story.splitlines()
    assert "The log, subscribed to each of the four classes, saw 4 messages." in story
    assert "A handler subscribed to the base class Event saw 0: a bus delivers by exact class." in (
        story
    )
    assert_page_shows_real_output("events_and_commands.md", story)
