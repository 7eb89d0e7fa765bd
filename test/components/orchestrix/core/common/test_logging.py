"""Logging: the first release's names and message format (reference §3.4), without its
`basicConfig` at import and its doubled logger names (defect #14)."""

import logging
import subprocess
import sys
from typing import Any

import pytest

from orchestrix.core.common.logging import (
    ROOT_LOGGER_NAME,
    StructuredLogger,
    get_logger,
    with_context,
)

LOGGER_NAME = "orchestrix.test.logging"


@pytest.fixture
def structured() -> StructuredLogger:
    return StructuredLogger(get_logger(LOGGER_NAME))


class RecordingLogger:
    """Stands in for `logging.Logger` to see exactly which method gets which arguments."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def isEnabledFor(self, level: int) -> bool:
        return True

    def __getattr__(self, method: str) -> Any:
        return lambda *args, **kwargs: self.calls.append((method, args, kwargs))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("billing", "orchestrix.billing"),
        ("core.eventsourcing.aggregate", "orchestrix.core.eventsourcing.aggregate"),
        ("orchestrix.infrastructure.memory.bus", "orchestrix.infrastructure.memory.bus"),
        ("orchestrix", "orchestrix"),
        ("orchestrixx", "orchestrix.orchestrixx"),
    ],
)
def test_get_logger_prefixes_orchestrix_once(name: str, expected: str) -> None:
    logger = get_logger(name)

    assert logger.name == expected
    assert logger is logging.getLogger(expected)
    assert get_logger(name) is logger


def test_library_modules_log_under_their_own_name() -> None:
    from orchestrix.infrastructure.memory import async_bus, bus

    assert bus._logger.name == "orchestrix.infrastructure.memory.bus"
    assert async_bus._logger.name == "orchestrix.infrastructure.memory.async_bus"


def test_the_library_root_logger_has_exactly_one_null_handler() -> None:
    get_logger("a")
    get_logger("orchestrix.b")

    handlers = logging.getLogger(ROOT_LOGGER_NAME).handlers
    assert [type(handler) for handler in handlers] == [logging.NullHandler]


@pytest.mark.parametrize(
    "module",
    [
        "orchestrix.core.common",
        "orchestrix.core.eventsourcing.aggregate",
        "orchestrix.infrastructure.memory",
    ],
)
def test_importing_the_library_does_not_configure_the_root_logger(module: str) -> None:
    code = f"import logging, {module}; assert not logging.getLogger().handlers"

    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("context", "suffix"),
    [
        ({}, ""),
        ({"event_type": "UserCreated", "version": 1}, " [event_type=UserCreated, version=1]"),
        ({"ok": True, "none": None, "pi": 3.14, "n": 42}, " [ok=True, none=None, pi=3.14, n=42]"),
    ],
)
def test_format_context_is_the_releases_suffix(context: dict[str, object], suffix: str) -> None:
    assert StructuredLogger._format_context(**context) == suffix
    assert with_context("Event processed", context) == f"Event processed{suffix}"


@pytest.mark.parametrize("method", ["debug", "info", "warning", "error", "exception"])
def test_each_method_calls_the_same_method_with_one_positional_text(method: str) -> None:
    logger = RecordingLogger()

    getattr(StructuredLogger(logger), method)(  # type: ignore[arg-type]
        "Event processed", event_type="UserCreated", version=1
    )

    [(called, args, kwargs)] = logger.calls
    assert called == method
    assert args == ("Event processed [event_type=UserCreated, version=1]",)
    assert kwargs["extra"] == {"context": {"event_type": "UserCreated", "version": 1}}


def test_wrapped_logger_is_the_logger_attribute() -> None:
    logger = get_logger("billing")

    assert StructuredLogger(logger).logger is logger


@pytest.mark.parametrize(
    ("method", "level"),
    [
        ("debug", logging.DEBUG),
        ("info", logging.INFO),
        ("warning", logging.WARNING),
        ("error", logging.ERROR),
    ],
)
def test_context_is_in_the_message_and_on_the_record(
    structured: StructuredLogger, caplog: pytest.LogCaptureFixture, method: str, level: int
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)

    getattr(structured, method)("order placed", order_id="ORD-1", amount=5)

    [record] = caplog.records
    assert record.levelno == level
    assert record.getMessage() == "order placed [order_id=ORD-1, amount=5]"
    assert record.context == {"order_id": "ORD-1", "amount": 5}  # type: ignore[attr-defined]


def test_message_without_context_is_unchanged(
    structured: StructuredLogger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)

    structured.info("started")

    [record] = caplog.records
    assert record.getMessage() == "started"
    assert record.context == {}  # type: ignore[attr-defined]


def test_braces_and_percent_signs_are_not_interpreted(
    structured: StructuredLogger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)

    structured.info("saved %s", note="100% {done}")

    [record] = caplog.records
    assert record.getMessage() == "saved %s [note=100% {done}]"


def test_record_points_at_the_caller(
    structured: StructuredLogger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)

    structured.info("here")

    [record] = caplog.records
    assert record.funcName == "test_record_points_at_the_caller"
    assert record.pathname == __file__


def test_exception_logs_at_error_with_the_current_exception(
    structured: StructuredLogger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER_NAME)

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        structured.exception("handler failed", handler="h1")

    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "handler failed [handler=h1]"
    assert record.exc_info is not None
    assert record.exc_info[0] is RuntimeError


def test_disabled_level_formats_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    structured = StructuredLogger(get_logger("orchestrix.test.logging.warning_only"))
    structured.logger.setLevel(logging.WARNING)

    class Loud:
        def __str__(self) -> str:
            raise AssertionError("context formatted for a disabled level")

    structured.debug("noisy", payload=Loud())
    structured.info("noisy too", payload=Loud())

    with pytest.raises(AssertionError, match="disabled level"):
        structured.warning("enabled", payload=Loud())
