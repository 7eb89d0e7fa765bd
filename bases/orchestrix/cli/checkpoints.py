"""Checkpoints on the command line: printed as `POSITION` (or `TX:POSITION` on PostgreSQL,
whose log is ordered by transaction first) and accepted back in the same form."""

from __future__ import annotations

import click

from orchestrix.core.eventsourcing.event_log import Checkpoint


def format_checkpoint(checkpoint: Checkpoint) -> str:
    """The checkpoint as the user types it back to resume after it."""
    if checkpoint.tx_id == 0:
        return str(checkpoint.position)
    return f"{checkpoint.tx_id}:{checkpoint.position}"


def parse_checkpoint(ctx: click.Context, param: click.Parameter, value: str) -> Checkpoint:
    """A click callback reading `POSITION` or `TX:POSITION`."""
    parts = value.split(":")
    if len(parts) > 2 or not all(part.isdigit() for part in parts):
        raise click.BadParameter(f"{value!r} is not a checkpoint: use POSITION or TX:POSITION")
    numbers = [int(part) for part in parts]
    return Checkpoint(*numbers) if len(numbers) == 2 else Checkpoint(0, numbers[0])


__all__ = ["format_checkpoint", "parse_checkpoint"]
