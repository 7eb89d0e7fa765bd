"""User errors: one line on stderr and exit code 1, never a traceback.

Library errors (`OrchestrixError`: a store that cannot be reached, a bad value) and the
command line's own `CliError` are both shown as `Error: <message>`; click reports wrong
arguments itself (exit code 2). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from typing import Any

import click

from orchestrix.core.common.exceptions import OrchestrixError


class CliError(click.ClickException):
    """A problem the user can fix (a missing stream, an unknown demo, a stale schema)."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


def one_line(message: str) -> str:
    """`message` with its line breaks and runs of blanks folded into single spaces."""
    return " ".join(message.split())


class CommandLine(click.Group):
    """The root group: turns library errors raised by any command into `CliError`."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OrchestrixError as error:
            raise CliError(str(error)) from error


__all__ = ["CliError", "CommandLine", "one_line"]
