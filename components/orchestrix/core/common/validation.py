"""Validators for command and event fields, raising `ValidationError` naming field and value.

Call them from a message's `__post_init__`, so an invalid command cannot be constructed. The
texts are the first release's (`amount must be positive`). They check untrusted data, so a
value of the wrong type is a validation failure like any other, never a bare `TypeError` or
`AttributeError`: numbers are `int`, `float`, `Decimal` or `Fraction`, finite, and `bool` is
not a number here, even though Python says it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence, Sized
from decimal import Decimal
from fractions import Fraction

from orchestrix.core.common.exceptions import OrchestrixError

type Number = int | float | Decimal | Fraction


class ValidationError(OrchestrixError, ValueError):
    """A field holds a value that breaks a rule; `message` says which rule.

    `str()` is `Validation failed for '<field>': <message>`, or the message alone without a
    field; `args` is `(message,)`.
    """

    def __init__(self, message: str, field: str | None = None, value: object = None) -> None:
        self.message = message
        self.field = field
        self.value = value
        super().__init__(message)

    def __str__(self) -> str:
        if self.field:
            return f"Validation failed for '{self.field}': {self.message}"
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        return type(self), (self.message, self.field, self.value), self.__dict__


def validate_not_empty(value: object, field: str) -> None:
    """Require a string with at least one non-whitespace character."""
    if not value or not _string(value, field).strip():
        raise ValidationError(f"{field} cannot be empty", field, value)


def validate_positive(value: object, field: str) -> None:
    """Require a finite number greater than zero."""
    if _number(value, field) <= 0:
        raise ValidationError(f"{field} must be positive", field, value)


def validate_non_negative(value: object, field: str) -> None:
    """Require a finite number greater than or equal to zero."""
    if _number(value, field) < 0:
        raise ValidationError(f"{field} cannot be negative", field, value)


def validate_min_length(value: object, min_length: int, field: str) -> None:
    """Require a string (or any sized value) of at least `min_length` items."""
    if len(_sized(value, field)) < min_length:
        raise ValidationError(f"{field} must be at least {min_length} characters", field, value)


def validate_max_length(value: object, max_length: int, field: str) -> None:
    """Require a string (or any sized value) of at most `max_length` items."""
    if len(_sized(value, field)) > max_length:
        raise ValidationError(f"{field} must be at most {max_length} characters", field, value)


def validate_in_range(value: object, min_value: Number, max_value: Number, field: str) -> None:
    """Require a finite number between `min_value` and `max_value`, both included."""
    if not min_value <= _number(value, field) <= max_value:
        raise ValidationError(f"{field} must be between {min_value} and {max_value}", field, value)


def validate_one_of(value: object, allowed_values: Sequence[object], field: str) -> None:
    """Require a value equal to one of `allowed_values` (`True` does not count as `1`)."""
    if not any(
        value == allowed and isinstance(value, bool) == isinstance(allowed, bool)
        for allowed in allowed_values
    ):
        raise ValidationError(f"{field} must be one of {allowed_values}", field, value)


def _string(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string", field, value)
    return value


def _sized(value: object, field: str) -> Sized:
    if not isinstance(value, Sized):
        raise ValidationError(f"{field} must have a length", field, value)
    return value


def _number(value: object, field: str) -> Number:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | Fraction):
        raise ValidationError(f"{field} must be a number", field, value)
    if not _is_finite(value):
        raise ValidationError(f"{field} must be a finite number", field, value)
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
