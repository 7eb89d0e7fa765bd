"""Validators: the first release's texts and `str()` format (reference §3.2); wrong types are
a `ValidationError` too, never an `AttributeError` (defect #20)."""

import math
import pickle
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

import pytest

from orchestrix.core.common.exceptions import OrchestrixError
from orchestrix.core.common.validation import (
    ValidationError,
    validate_in_range,
    validate_max_length,
    validate_min_length,
    validate_non_negative,
    validate_not_empty,
    validate_one_of,
    validate_positive,
)

NOT_NUMBERS = [None, "5", b"5", True, False, [1], object()]
NOT_FINITE = [math.nan, math.inf, -math.inf, Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")]
NOT_STRINGS = [5, b"abc", ["a"], object()]
UNSIZED = [5, 1.5, None, object()]


def test_validation_error_carries_message_field_and_value() -> None:
    error = ValidationError("amount must be positive", "amount", -5)

    assert error.message == "amount must be positive"
    assert error.field == "amount"
    assert error.value == -5
    assert error.args == ("amount must be positive",)
    assert str(error) == "Validation failed for 'amount': amount must be positive"


@pytest.mark.parametrize("field", [None, ""])
def test_validation_error_without_a_field_is_just_the_message(field: str | None) -> None:
    error = ValidationError("something is off", field)

    assert str(error) == "something is off"
    assert (error.field, error.value) == (field, None)


def test_validation_error_field_and_value_default_to_none() -> None:
    error = ValidationError("bad")

    assert (error.message, error.field, error.value) == ("bad", None, None)


def test_validation_error_survives_pickling() -> None:
    error = ValidationError("amount must be positive", "amount", -5)

    copy = pickle.loads(pickle.dumps(error))

    assert (copy.message, copy.field, copy.value, str(copy)) == (
        error.message,
        error.field,
        error.value,
        str(error),
    )


def test_validation_error_is_an_orchestrix_error_and_a_value_error() -> None:
    error = ValidationError("bad", "f", 1)

    assert isinstance(error, OrchestrixError)
    assert isinstance(error, ValueError)


def test_validation_error_text_never_contains_the_value() -> None:
    error = ValidationError("name must be at most 3 characters", "name", "x" * 10_000)

    assert len(str(error)) < 200
    assert error.value == "x" * 10_000


# validate_not_empty


@pytest.mark.parametrize("value", ["a", " a ", "0"])
def test_not_empty_accepts_text(value: str) -> None:
    validate_not_empty(value, "name")


@pytest.mark.parametrize("value", ["", " ", "\t\n", "\u3000", None, 0, []])
def test_not_empty_rejects_empty_whitespace_and_falsy(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        validate_not_empty(value, "name")

    assert info.value.field == "name"
    assert info.value.value == value
    assert info.value.message == "name cannot be empty"
    assert str(info.value) == "Validation failed for 'name': name cannot be empty"


@pytest.mark.parametrize("value", NOT_STRINGS)
def test_not_empty_rejects_truthy_non_strings(value: object) -> None:
    with pytest.raises(ValidationError, match="name must be a string"):
        validate_not_empty(value, "name")


# validate_positive / validate_non_negative


@pytest.mark.parametrize("value", [1, 0.001, Decimal("0.01"), Fraction(1, 3), 10**400])
def test_positive_accepts_positive_numbers(value: object) -> None:
    validate_positive(value, "amount")


@pytest.mark.parametrize("value", [0, 0.0, -1, -0.5, Decimal("0"), Decimal("-1")])
def test_positive_rejects_zero_and_negatives(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        validate_positive(value, "amount")

    assert str(info.value) == "Validation failed for 'amount': amount must be positive"


@pytest.mark.parametrize("value", [0, 0.0, -0.0, 3, Decimal("0.00")])
def test_non_negative_accepts_zero_and_positives(value: object) -> None:
    validate_non_negative(value, "count")


@pytest.mark.parametrize("value", [-1, -0.001, Decimal("-0.01")])
def test_non_negative_rejects_negatives(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        validate_non_negative(value, "count")

    assert str(info.value) == "Validation failed for 'count': count cannot be negative"


NUMBER_VALIDATORS: list[Callable[[object, str], None]] = [
    validate_positive,
    validate_non_negative,
    lambda value, field: validate_in_range(value, 0, 10, field),
]


@pytest.mark.parametrize("validator", NUMBER_VALIDATORS)
@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_number_validators_reject_non_numbers(
    validator: Callable[[object, str], None], value: object
) -> None:
    with pytest.raises(ValidationError, match="amount must be a number") as info:
        validator(value, "amount")

    assert info.value.value is value


@pytest.mark.parametrize("validator", NUMBER_VALIDATORS)
@pytest.mark.parametrize("value", NOT_FINITE)
def test_number_validators_reject_nan_and_infinity(
    validator: Callable[[object, str], None], value: object
) -> None:
    with pytest.raises(ValidationError, match="amount must be a finite number"):
        validator(value, "amount")


# validate_min_length / validate_max_length


def test_min_length_accepts_the_boundary() -> None:
    validate_min_length("abc", 3, "code")
    validate_min_length("abcd", 3, "code")


def test_min_length_rejects_shorter_strings() -> None:
    with pytest.raises(ValidationError) as info:
        validate_min_length("ab", 3, "code")

    assert info.value.message == "code must be at least 3 characters"
    assert info.value.value == "ab"


def test_max_length_accepts_the_boundary() -> None:
    validate_max_length("abc", 3, "code")
    validate_max_length("", 3, "code")


def test_max_length_rejects_longer_strings() -> None:
    with pytest.raises(ValidationError) as info:
        validate_max_length("abcd", 3, "code")

    assert info.value.message == "code must be at most 3 characters"


def test_length_validators_measure_any_sized_value() -> None:
    validate_min_length(["a", "b"], 2, "items")
    validate_max_length(("a",), 1, "items")
    with pytest.raises(ValidationError, match="items must be at least 3 characters"):
        validate_min_length(["a", "b"], 3, "items")


@pytest.mark.parametrize("validator", [validate_min_length, validate_max_length])
@pytest.mark.parametrize("value", UNSIZED)
def test_length_validators_reject_values_without_a_length(
    validator: Callable[[object, int, str], None], value: object
) -> None:
    with pytest.raises(ValidationError, match="code must have a length"):
        validator(value, 1, "code")


# validate_in_range


@pytest.mark.parametrize("value", [1, 5, 10, 1.0, 9.99, Decimal("10")])
def test_in_range_includes_both_bounds(value: object) -> None:
    validate_in_range(value, 1, 10, "quantity")


@pytest.mark.parametrize("value", [0, 0.99, 10.01, 11, Decimal("-3")])
def test_in_range_rejects_values_outside(value: object) -> None:
    with pytest.raises(ValidationError, match="quantity must be between 1 and 10") as info:
        validate_in_range(value, 1, 10, "quantity")

    assert info.value.value == value


# validate_one_of


def test_one_of_accepts_an_allowed_value() -> None:
    validate_one_of("EUR", ["EUR", "USD"], "currency")
    validate_one_of(2, (1, 2, 3), "level")


def test_one_of_rejects_other_values_and_lists_the_allowed_ones() -> None:
    with pytest.raises(ValidationError) as info:
        validate_one_of("GBP", ["EUR", "USD"], "currency")

    assert str(info.value) == (
        "Validation failed for 'currency': currency must be one of ['EUR', 'USD']"
    )


def test_one_of_shows_the_allowed_values_as_given() -> None:
    with pytest.raises(ValidationError) as info:
        validate_one_of("x", ("a", "b"), "mode")

    assert info.value.message == "mode must be one of ('a', 'b')"


@pytest.mark.parametrize("value", ["EU", "", None, ["EUR"]])
def test_one_of_does_not_match_substrings_or_other_types(value: object) -> None:
    with pytest.raises(ValidationError):
        validate_one_of(value, "EUR", "currency")
    with pytest.raises(ValidationError):
        validate_one_of(value, ["EUR"], "currency")


def test_one_of_does_not_take_bool_for_int() -> None:
    with pytest.raises(ValidationError):
        validate_one_of(True, [1, 2], "level")
    with pytest.raises(ValidationError):
        validate_one_of(0, [False], "flag")
    validate_one_of(True, [True, False], "flag")
