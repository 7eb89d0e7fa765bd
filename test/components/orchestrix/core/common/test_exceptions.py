"""The error tree; `HandlerError` and `ConcurrencyError` read as in the first release
(reference §3.1) and every error survives pickling (defect #20)."""

import pickle

import pytest

from orchestrix.core.common.exceptions import (
    AggregateNotFoundError,
    ConcurrencyError,
    DuplicateEventError,
    EventDecodingError,
    EventEncodingError,
    HandlerError,
    HandlerFailure,
    MessageTypeError,
    OrchestrixError,
    StoreError,
    StoreUsageError,
)


def test_handler_error_keeps_the_seed_fields() -> None:
    original = RuntimeError("db down")

    error = HandlerError("OrderPlaced", "send_email", original)

    assert error.message_type == "OrderPlaced"
    assert error.handler_name == "send_email"
    assert error.original_error is original
    assert error.failures == (HandlerFailure("send_email", original),)
    assert str(error) == "Handler 'send_email' failed for message type 'OrderPlaced': db down"
    assert error.args == (str(error),)


def test_handler_error_from_failures_names_every_handler_and_chains_the_first() -> None:
    first, second = ValueError("bad amount"), TimeoutError("slow")
    failures = [HandlerFailure("validate", first), HandlerFailure("notify", second)]

    error = HandlerError.from_failures("OrderPlaced", failures)

    assert error.handler_name == "validate"
    assert error.original_error is first
    assert error.__cause__ is first
    assert error.failures == tuple(failures)
    assert str(error) == (
        "Handler 'validate' failed for message type 'OrderPlaced': bad amount"
        " (and 1 more: 'notify': TimeoutError: slow)"
    )


def test_concurrency_error_names_stream_and_versions() -> None:
    error = ConcurrencyError("ACC-1", expected_version=2, actual_version=5)

    assert (error.aggregate_id, error.expected_version, error.actual_version) == ("ACC-1", 2, 5)
    assert str(error) == (
        "Concurrency conflict for aggregate 'ACC-1': expected version 2, but current version is 5"
    )
    assert error.args == (str(error),)


def test_duplicate_event_error_names_the_event() -> None:
    error = DuplicateEventError("evt-1")

    assert error.event_id == "evt-1"
    assert "'evt-1'" in str(error)


def test_aggregate_not_found_is_also_a_value_error() -> None:
    error = AggregateNotFoundError("Account", "ACC-9")

    assert isinstance(error, ValueError)
    assert (error.aggregate_type, error.aggregate_id) == ("Account", "ACC-9")
    assert str(error) == "Aggregate ACC-9 not found"


@pytest.mark.parametrize(
    ("error_type", "builtin"),
    [
        (HandlerError, Exception),
        (ConcurrencyError, Exception),
        (DuplicateEventError, Exception),
        (AggregateNotFoundError, ValueError),
        (MessageTypeError, TypeError),
        (EventEncodingError, ValueError),
        (EventDecodingError, ValueError),
        (StoreError, Exception),
        (StoreUsageError, TypeError),
    ],
)
def test_every_error_is_an_orchestrix_error(
    error_type: type[Exception], builtin: type[Exception]
) -> None:
    assert issubclass(error_type, OrchestrixError)
    assert issubclass(error_type, builtin)


def test_orchestrix_error_does_not_catch_interrupts() -> None:
    assert not issubclass(OrchestrixError, KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        try:
            raise KeyboardInterrupt
        except OrchestrixError:
            pytest.fail("KeyboardInterrupt caught as an OrchestrixError")


@pytest.mark.parametrize(
    "error",
    [
        OrchestrixError("plain"),
        HandlerError("OrderPlaced", "send_email", RuntimeError("db down")),
        HandlerError.from_failures(
            "OrderPlaced",
            [HandlerFailure("a", ValueError("x")), HandlerFailure("b", KeyError("y"))],
        ),
        ConcurrencyError("ACC-1", 2, 5),
        DuplicateEventError("evt-1"),
        AggregateNotFoundError("Account", "ACC-9"),
        StoreError("disk full"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_errors_survive_pickling_with_their_attributes(error: OrchestrixError) -> None:
    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.args == error.args
    for name, value in vars(error).items():
        assert repr(getattr(copy, name)) == repr(value), name


def test_the_repository_reports_a_missing_aggregate_in_the_releases_words() -> None:
    from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
    from orchestrix.infrastructure.memory.store import InMemoryEventStore

    repository = AggregateRepository[AggregateRoot](event_store=InMemoryEventStore())
    with pytest.raises(ValueError, match=r"^Aggregate ACC-404 not found$") as caught:
        repository.load(AggregateRoot, "ACC-404")
    assert isinstance(caught.value, OrchestrixError)
