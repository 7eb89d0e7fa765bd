"""Where the commands print: a rich console for tables, plain lines for machine output.

Piped output gets a wide console, so tables keep whole event ids instead of folding them at
80 columns.
"""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console

_PIPE_WIDTH = 200


def console(*, stderr: bool = False) -> Console:
    """A console on the standard output (or error) of the moment (click's test runner swaps
    them)."""
    terminal = Console(highlight=False, stderr=stderr)
    if not terminal.is_terminal:
        terminal.width = max(terminal.width, _PIPE_WIDTH)
    return terminal


def print_json(value: Any, *, indent: int | None = 2) -> None:
    """`value` as JSON on standard output (one line when `indent` is None)."""
    click.echo(json.dumps(value, indent=indent, ensure_ascii=False, default=str))


__all__ = ["console", "print_json"]
