"""The member aggregate's rules, as given / when / then scenarios."""

from __future__ import annotations

from orchestrix.notifications_demo.aggregate import Member, MembershipError
from orchestrix.notifications_demo.models import (
    ChangeEmail,
    EmailChanged,
    JoinClub,
    MemberJoined,
    MembershipRenewed,
    RenewMembership,
)
from orchestrix.testing import AggregateScenario

JOINED = MemberJoined(member_id="M-1", name="Ada", email="ada@example.org")


def member() -> AggregateScenario[Member]:
    return AggregateScenario(Member, "M-1")


def test_joining_records_who_joined() -> None:
    ada = (
        member()
        .when(lambda m: m.join(JoinClub(member_id="M-1", name="Ada", email="ada@example.org")))
        .then(JOINED)
    )
    assert (ada.name, ada.email) == ("Ada", "ada@example.org")


def test_joining_twice_is_refused() -> None:
    again = JoinClub(member_id="M-1", name="Ada", email="ada@example.org")
    member().given(JOINED).when(lambda m: m.join(again)).then_raises(
        MembershipError, match="M-1 is already a member"
    )


def test_renewals_add_up() -> None:
    renewed = (
        member()
        .given(JOINED, MembershipRenewed(member_id="M-1", months=12))
        .when(lambda m: m.renew(RenewMembership(member_id="M-1", months=6)))
        .then(MembershipRenewed(member_id="M-1", months=6))
    )
    assert renewed.months_paid == 18


def test_only_members_renew_or_change_address() -> None:
    member().when(lambda m: m.renew(RenewMembership(member_id="M-1", months=6))).then_raises(
        MembershipError, match="M-1 is not a member"
    )
    member().when(
        lambda m: m.change_email(ChangeEmail(member_id="M-1", new_email="a@b.example"))
    ).then_raises(MembershipError)


def test_a_new_address_is_an_event_the_same_one_is_nothing() -> None:
    member().given(JOINED).when(
        lambda m: m.change_email(ChangeEmail(member_id="M-1", new_email="ada@lovelace.example"))
    ).then(
        EmailChanged(member_id="M-1", old_email="ada@example.org", new_email="ada@lovelace.example")
    )
    member().given(JOINED).when(
        lambda m: m.change_email(ChangeEmail(member_id="M-1", new_email="ada@example.org"))
    ).then()
