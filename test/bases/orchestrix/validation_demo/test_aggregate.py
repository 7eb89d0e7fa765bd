"""The conference refuses a second registration of one address, whatever its case."""

from __future__ import annotations

from decimal import Decimal

from orchestrix.core.common.validation import ValidationError
from orchestrix.testing import AggregateScenario, HandlerScenario
from orchestrix.validation_demo.aggregate import Conference
from orchestrix.validation_demo.handlers import RegistrationModule
from orchestrix.validation_demo.models import AttendeeRegistered, RegisterAttendee


def registration(email: str) -> RegisterAttendee:
    return RegisterAttendee(conference_id="C-1", name="Ada", email=email, age=36, ticket="student")


ADA = AttendeeRegistered(
    conference_id="C-1", name="Ada", email="ada@example.org", ticket="student", donation=Decimal(0)
)


def test_an_address_is_registered_in_lower_case() -> None:
    conference = (
        AggregateScenario(Conference, "C-1")
        .when(lambda c: c.register(registration("Ada@Example.org")))
        .then(ADA)
    )
    assert conference.emails == {"ada@example.org"}


def test_a_second_registration_of_an_address_names_the_field_and_value() -> None:
    error = (
        AggregateScenario(Conference, "C-1")
        .given(ADA)
        .when(lambda c: c.register(registration("ADA@example.org")))
        .then_raises(ValidationError, match="^Validation failed for 'email': email is already")
    )
    assert (error.field, error.value) == ("email", "ADA@example.org")


def test_through_the_handler_the_refusal_writes_nothing() -> None:
    scenario = HandlerScenario(RegistrationModule().register)
    scenario.given("C-1", ADA).when(registration("ada@example.org")).then_raises(
        ValidationError, match="already registered"
    )
    HandlerScenario(RegistrationModule().register).when(registration("ada@example.org")).then(ADA)
