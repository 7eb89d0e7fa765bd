"""Each upcasting step, and the chain: the same fact (id, time, metadata) in a newer shape."""

from __future__ import annotations

import asyncio

import pytest

from orchestrix.testing import assert_events_equal
from orchestrix.versioning_demo.models import (
    SubscriberAdded,
    SubscriberAddedV1,
    SubscriberAddedV2,
)
from orchestrix.versioning_demo.upcasters import (
    AddLanguage,
    SplitName,
    newsletter_upcasters,
    same_fact,
)

ADA_V1 = SubscriberAddedV1(
    name="Ada Lovelace", email="ada@example.org", correlation_id="c-1", actor_id="editor"
)


def test_the_chain_takes_a_version_1_event_to_version_3_keeping_the_fact() -> None:
    (upcast,) = newsletter_upcasters().upcast_to_latest([ADA_V1])
    expected = SubscriberAdded(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.org",
        language="en",
        **same_fact(ADA_V1),
    )
    assert_events_equal([expected], [upcast], ignoring=())  # every field, metadata included


def test_each_step_on_its_own() -> None:
    v2 = asyncio.run(SplitName().upcast(ADA_V1))
    assert (type(v2), v2.first_name, v2.last_name) == (SubscriberAddedV2, "Ada", "Lovelace")
    v3 = asyncio.run(AddLanguage().upcast(v2))
    assert (type(v3), v3.language, v3.id) == (SubscriberAdded, "en", ADA_V1.id)


def test_a_single_name_has_an_empty_last_name() -> None:
    (upcast,) = newsletter_upcasters().upcast_to_latest(
        [SubscriberAddedV1(name=" Cher ", email="cher@example.org")]
    )
    assert isinstance(upcast, SubscriberAdded)
    assert (upcast.first_name, upcast.last_name) == ("Cher", "")


def test_current_events_pass_untouched_and_the_chain_is_known() -> None:
    registry = newsletter_upcasters()
    current = SubscriberAdded(first_name="M", last_name="H", email="m@h", language="fr")
    assert registry.upcast_to_latest([current]) == [current]
    assert registry.get_chain_info("SubscriberAdded") == [(1, 2), (2, 3)]
    with pytest.raises(
        ValueError, match=r"^Upcaster already registered for SubscriberAdded v1->v2"
    ):
        registry.register("SubscriberAdded", SplitName())
