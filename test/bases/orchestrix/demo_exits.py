"""A demo refusing a database or file it cannot use: exit code 1 and one line, no traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest


def one_line_exit(
    main: Callable[[], None],
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> str:
    """Run the demo's `main` with `argv`; checks it exits with 1 after printing one line on
    standard error, and returns that line."""
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1, error
    return error
