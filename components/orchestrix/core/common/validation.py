"""Validators for command and event fields, raising `ValidationError` naming field and value.

They check untrusted data, so they accept any object: a value of the wrong type is a
validation failure like any other, never a bare `TypeError`. Numbers are `int`, `float`,
`Decimal` or `Fraction`, finite; `bool` is not a number here, even though Python says it is.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from orchestrix.core.common.exceptions import OrchestrixError

type Number = int | float | Decimal | Fraction

# Error messages end up in logs and HTTP responses: keep huge values from flooding them.
_short_repr = reprlib.Repr(maxstring=80, maxother=80).repr


class ValidationError(OrchestrixError, ValueError):
    """A field holds a value that breaks a rule; `message` says which rule."""

    def __init__(self, message: str, field: str, value: object) -> None:
        self.message = message
        self.field = field
        self.value = value
        super().__init__(f"{field}: {message} (got {_short_repr(value)})")


def validate_not_empty(value: object, field: str) -> None:
    """Require a string with at least one non-whitespace character."""
    if not _string(value, field).strip():
        raise ValidationError("must not be empty", field, value)


def validate_positive(value: object, field: str) -> None:
    """Require a finite number greater than zero."""
    if _number(value, field) <= 0:
        raise ValidationError("must be positive", field, value)


def validate_non_negative(value: object, field: str) -> None:
    """Require a finite number greater than or equal to zero."""
    if _number(value, field) < 0:
        raise ValidationError("must not be negative", field, value)


def validate_min_length(value: object, min_length: int, field: str) -> None:
    """Require a string of at least `min_length` characters."""
    if len(_string(value, field)) < min_length:
        raise ValidationError(f"must be at least {min_length} characters long", field, value)


def validate_max_length(value: object, max_length: int, field: str) -> None:
    """Require a string of at most `max_length` characters."""
    if len(_string(value, field)) > max_length:
        raise ValidationError(f"must be at most {max_length} characters long", field, value)


def validate_in_range(value: object, min_value: Number, max_value: Number, field: str) -> None:
    """Require a finite number between `min_value` and `max_value`, both included."""
    if not min_value <= _number(value, field) <= max_value:
        raise ValidationError(f"must be between {min_value} and {max_value}", field, value)


def validate_one_of(value: object, allowed_values: Sequence[object], field: str) -> None:
    """Require a value equal to one of `allowed_values` (`True` does not count as `1`)."""
    if not any(
        value == allowed and isinstance(value, bool) == isinstance(allowed, bool)
        for allowed in allowed_values
    ):
        raise ValidationError(f"must be one of {_short_repr(list(allowed_values))}", field, value)


def _string(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError("must be a string", field, value)
    return value


def _number(value: object, field: str) -> Number:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | Fraction):
        raise ValidationError("must be a number", field, value)
    if not _is_finite(value):
        raise ValidationError("must be a finite number", field, value)
    return value


def _is_finite(value: Number) -> bool:
    if isinstance(value, Decimal):
        return value.is_finite()
    return isinstance(value, int | Fraction) or math.isfinite(value)


__all__ = [
    "Number",
    "ValidationError",
    "validate_in_range",
    "validate_max_length",
    "validate_min_length",
    "validate_non_negative",
    "validate_not_empty",
    "validate_one_of",
    "validate_positive",
]
