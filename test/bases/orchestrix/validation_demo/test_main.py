"""The demo end to end: seven refusals, one duplicate, one stored event."""

from __future__ import annotations

import pytest

from orchestrix.core.common.validation import ValidationError
from orchestrix.validation_demo.main import run
from orchestrix.validation_demo.models import AttendeeRegistered
from test.bases.orchestrix.demo_docs import assert_page_shows_real_output


def test_only_the_valid_registration_is_stored(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run()
    assert [error.field for error in outcome.refused] == [
        "name",
        "name",
        "email",
        "age",
        "age",
        "ticket",
        "donation",
    ]
    assert isinstance(outcome.duplicate, ValidationError)
    assert outcome.duplicate.field == "email"
    (stored,) = outcome.stored
    assert isinstance(stored, AttendeeRegistered) and stored.email == "ada@example.org"

    story = capsys.readouterr().out
    lines = story.splitlines()
    assert "  age       'thirty-six'                 age must be a number" in lines
    assert "  Validation failed for 'age': age must be between 16 and 120" in lines
    assert "  field='age' value=12 message='age must be between 16 and 120'" in lines
    assert "  the bus raised HandlerError: handler 'register_attendee' failed" in lines
    assert "  its original error: Validation failed for 'email': email is already registered" in (
        lines
    )
    assert "The store holds 1 event for PYCON-42: the valid registration." in story
    assert_page_shows_real_output("validation.md", story)
