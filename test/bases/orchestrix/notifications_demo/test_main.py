"""The whole story, end to end: greylisting, an outage, dead letters, the replay."""

from __future__ import annotations

import pytest

from orchestrix.core.common.retry import ExponentialBackoff, FixedDelay, NoRetry
from orchestrix.notifications_demo.main import run, waits
from orchestrix.notifications_demo.models import (
    EmailChanged,
    MemberJoined,
    MembershipRenewed,
    Notification,
)
from orchestrix.testing import assert_events_equal
from test.bases.orchestrix.demo_docs import assert_page_shows_real_output

NO_WAITING = FixedDelay(max_retries=3, delay=0)


def test_every_notification_arrives_in_the_end(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run(NO_WAITING)

    assert [(e.message.type, getattr(e.message, "member_id", None)) for e in outcome.parked] == [
        ("MemberJoined", "M-2"),
        ("EmailChanged", "M-1"),
    ]
    for entry in outcome.parked:
        assert entry.failure_count == 4
        assert entry.reason == "retries_exhausted"
        assert entry.handler_name == "notify"
        assert (entry.error_type, entry.error_message) == (
            "ServerUnreachableError",
            "connection refused",
        )
    assert outcome.still_parked == 0
    assert [(n.to, n.subject) for n in outcome.delivered] == [
        ("ada@example.org", "Welcome to the club, Ada!"),
        ("ada@example.org", "Renewed for 12 months, thank you"),
        ("grace@example.org", "Welcome to the club, Grace!"),
        ("ada@lovelace.example", "Your club address has changed"),
    ]
    assert all(isinstance(n, Notification) for n in outcome.delivered)

    assert_events_equal(
        outcome.store.load("M-1"),
        [
            MemberJoined(member_id="M-1", name="Ada", email="ada@example.org"),
            MembershipRenewed(member_id="M-1", months=12),
            EmailChanged(
                member_id="M-1", old_email="ada@example.org", new_email="ada@lovelace.example"
            ),
        ],
    )
    assert_events_equal(
        outcome.store.load("M-2"),
        [MemberJoined(member_id="M-2", name="Grace", email="grace@example.org")],
    )

    story = capsys.readouterr().out
    assert "Retry policy: 3 retries, waiting 0.00s, 0.00s, 0.00s" in story
    assert "Both changes are stored: M-1 has 3 events, M-2 has 1" in story
    assert "Dead letters (2):" in story
    assert (
        "  MemberJoined of M-2: handler 'notify' failed 4 times "
        "(ServerUnreachableError: connection refused)"
    ) in story
    assert "Replayed 2 of 2; dead letters left: 0" in story
    assert "Sent 4 e-mails in 16 attempts:" in story
    assert story.count(" unreachable\n") == 8
    assert story.count(" greylisted\n") == 4
    assert story.index("attempt 4: grace@example.org") < story.index("Dead letters (2):")
    assert story.index("Dead letters (2):") < story.index("attempt 6: grace@example.org")


def test_the_docs_page_shows_what_it_prints(capsys: pytest.CaptureFixture[str]) -> None:
    run(NO_WAITING)
    assert_page_shows_real_output("notifications.md", capsys.readouterr().out)


def test_without_retries_greylisting_parks_mail_too(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run(NoRetry())
    assert [e.message.type for e in outcome.parked] == [
        "MemberJoined",
        "MembershipRenewed",
        "MemberJoined",
        "EmailChanged",
    ]
    assert {e.reason for e in outcome.parked} == {"handler_failed"}
    assert outcome.still_parked == 2  # first attempts at Grace's mails, greylisted on replay
    story = capsys.readouterr().out
    assert "Retry policy: 0 retries, waiting nothing" in story
    assert "failed once (GreylistedError: ada@example.org: greylisted, try again later)" in story
    assert "Replayed 2 of 4; dead letters left: 2" in story


def test_the_waits_are_the_policys_from_its_first_retry_on() -> None:
    assert waits(ExponentialBackoff(initial_delay=0.05, max_delay=1.0, jitter=False)) == [
        0.05,
        0.1,
        0.2,
    ]
    spread = waits(ExponentialBackoff(initial_delay=0.05, max_delay=1.0, jitter=True))
    assert spread == pytest.approx([0.05, 0.11, 0.18])  # x1.0, x1.1, x0.9, as the release
    assert waits(FixedDelay(max_retries=2, delay=0.5)) == [0.5, 0.5]
    assert waits(NoRetry()) == []
