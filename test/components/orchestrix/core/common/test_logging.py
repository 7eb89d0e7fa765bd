import logging
import subprocess
import sys

import pytest

from orchestrix.core.common.logging import (
    ROOT_LOGGER_NAME,
    ContextFormatter,
    StructuredLogger,
    get_logger,
)

LOGGER_NAME = "orchestrix.test.logging"


@pytest.fixture
def structured() -> StructuredLogger:
    return StructuredLogger(get_logger(LOGGER_NAME))


def test_get_logger_returns_the_stdlib_logger() -> None:
    logger = get_logger(LOGGER_NAME)

    assert logger is logging.getLogger(LOGGER_NAME)


def test_the_library_root_logger_has_exactly_one_null_handler() -> None:
    get_logger("orchestrix.a")
    get_logger("orchestrix.b")

    handlers = logging.getLogger(ROOT_LOGGER_NAME).handlers
    assert [type(handler) for handler in handlers] == [logging.NullHandler]


def test_importing_the_library_does_not_configure_the_root_logger() -> None:
    code = (
        "import logging, orchestrix.core.common.logging;"
        "assert not logging.getLogger().handlers, logging.getLogger().handlers"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("method", "level"),
    [
        ("debug", logging.DEBUG),
        ("info", logging.INFO),
        ("warning", logging.WARNING),
        ("error", logging.ERROR),
    ],
)
def test_context_is_attached_to_the_record_not_the_message(
    structured: StructuredLogger, caplog: pytest.LogCaptureFixture, method: str, level: int
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)

    getattr(structured, method)("order placed", order_id="ORD-1", amount=5)

    [record] = caplog.records
    assert record.levelno == level
    assert record.getMessage() == "order placed"
    assert record.context == {"order_id": "ORD-1", "amount": 5}  # type: ignore[attr-defined]


def test_braces_and_percent_signs_in_context_are_not_interpreted(
    structured: StructuredLogger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)

    structured.info("saved %s", note="100% {done}")

    [record] = caplog.records
    assert record.getMessage() == "saved %s"
    assert record.context == {"note": "100% {done}"}  # type: ignore[attr-defined]


def test_record_points_at_the_caller(
    structured: StructuredLogger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)

    structured.info("here")

    [record] = caplog.records
    assert record.funcName == "test_record_points_at_the_caller"
    assert record.pathname == __file__


def test_exception_attaches_the_current_exception(
    structured: StructuredLogger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER_NAME)

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        structured.exception("handler failed", handler="h1")

    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert record.exc_info[0] is RuntimeError
    assert record.context == {"handler": "h1"}  # type: ignore[attr-defined]


def test_disabled_level_builds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    structured = StructuredLogger(get_logger("orchestrix.test.logging.warning_only"))
    structured.logger.setLevel(logging.WARNING)

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("the logger was called for a disabled level")

    monkeypatch.setattr(structured.logger, "log", fail)

    structured.debug("noisy", payload="x" * 100)
    structured.info("noisy too")

    with pytest.raises(AssertionError, match="logger was called"):
        structured.warning("enabled")


def test_context_formatter_appends_pairs_before_the_traceback() -> None:
    formatter = ContextFormatter("%(levelname)s %(message)s")
    try:
        raise ValueError("bad")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(LOGGER_NAME, logging.ERROR, __file__, 1, "failed", (), exc_info)
    record.context = {"order_id": "ORD 1", "attempt": 2}

    first_line, *rest = formatter.format(record).splitlines()

    assert first_line == "ERROR failed order_id='ORD 1' attempt=2"
    assert rest[0].startswith("Traceback")


def test_context_formatter_leaves_records_without_context_alone() -> None:
    formatter = ContextFormatter("%(message)s")
    record = logging.LogRecord(LOGGER_NAME, logging.INFO, __file__, 1, "plain", (), None)

    assert formatter.format(record) == "plain"
