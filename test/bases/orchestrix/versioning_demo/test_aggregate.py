"""The newsletter aggregate knows only today's shape of its event."""

from __future__ import annotations

from orchestrix.testing import AggregateScenario
from orchestrix.versioning_demo.aggregate import AlreadySubscribedError, Newsletter
from orchestrix.versioning_demo.models import SubscriberAdded

ADA = SubscriberAdded(first_name="Ada", last_name="Lovelace", email="ada@ex.org", language="en")


def test_subscribing_adds_a_subscriber() -> None:
    newsletter = (
        AggregateScenario(Newsletter, "N-1")
        .given(ADA)
        .when(lambda n: n.subscribe("Grace", "Hopper", "grace@ex.org", "de"))
        .then(
            SubscriberAdded(
                first_name="Grace", last_name="Hopper", email="grace@ex.org", language="de"
            )
        )
    )
    assert newsletter.subscribers == {
        "ada@ex.org": "Ada Lovelace (en)",
        "grace@ex.org": "Grace Hopper (de)",
    }


def test_an_address_subscribes_once() -> None:
    AggregateScenario(Newsletter, "N-1").given(ADA).when(
        lambda n: n.subscribe("Ada", "L.", "ada@ex.org", "fr")
    ).then_raises(AlreadySubscribedError, match="ada@ex.org is already subscribed")
