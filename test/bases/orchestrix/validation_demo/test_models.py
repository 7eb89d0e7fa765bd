"""The registration command refuses every bad field with the field, the value and the rule."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from orchestrix.core.common.exceptions import OrchestrixError
from orchestrix.core.common.validation import ValidationError
from orchestrix.validation_demo.main import VALID_FORM
from orchestrix.validation_demo.models import RegisterAttendee, validate_email


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"name": ""}, "name cannot be empty"),
        ({"name": "x" * 41}, "name must be at most 40 characters"),
        ({"email": "ada"}, "email must be an e-mail address"),
        ({"email": "@ada"}, "email must be an e-mail address"),
        ({"email": None}, "email cannot be empty"),
        ({"email": 42}, "email must be a string"),
        ({"age": 15}, "age must be between 16 and 120"),
        ({"age": True}, "age must be a number"),
        ({"age": float("nan")}, "age must be a finite number"),
        ({"ticket": "VIP"}, "ticket must be one of ('standard', 'student', 'speaker')"),
        ({"donation": Decimal("-0.01")}, "donation cannot be negative"),
    ],
)
def test_each_bad_field_is_named_with_its_value(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RegisterAttendee(**{**VALID_FORM, **bad})
    error = caught.value
    ((field, value),) = bad.items()
    assert error.field == field
    assert error.value is value
    assert error.message == message
    assert str(error) == f"Validation failed for {field!r}: {message}"
    assert isinstance(error, ValueError) and isinstance(error, OrchestrixError)


def test_the_first_bad_field_in_declaration_order_is_reported() -> None:
    with pytest.raises(ValidationError) as caught:
        RegisterAttendee(**{**VALID_FORM, "age": 3, "name": ""})
    assert caught.value.field == "name"


def test_valid_values_at_the_edges_pass() -> None:
    RegisterAttendee(**{**VALID_FORM, "age": 16, "name": "x" * 40, "ticket": "speaker"})
    RegisterAttendee(**{**VALID_FORM, "age": 120, "donation": Decimal(0)})
    validate_email("a@b", "email")
