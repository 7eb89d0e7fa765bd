"""The command tree: help everywhere, wrong commands and arguments rejected in one line."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import click
import pytest

from orchestrix.cli import main
from orchestrix.cli.app import COMMAND_GROUPS, cli
from test.bases.orchestrix.cli.conftest import invoke


def command_paths(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from command_paths(sub, (*path, name))


ALL_COMMANDS = list(command_paths(cli))


def test_help_lists_every_command_group() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for group in COMMAND_GROUPS:
        assert f"  {group.name} " in result.stdout


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda path: " ".join(path) or "orchestrix")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    for flag in ("--help", "-h"):
        result = invoke(*path, flag)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"Usage: orchestrix {' '.join(path)}".rstrip())


def test_the_tree_has_the_commands_of_today() -> None:
    assert {" ".join(path) for path in ALL_COMMANDS} >= {
        "demo list",
        "demo run",
        "db migrate",
        "stream show",
        "events tail",
        "projection list",
        "projection status",
        "projection rebuild",
        "saga list",
        "saga show",
        "saga resume",
        "dlq list",
        "dlq replay",
    }


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["frobnicate"], "No such command 'frobnicate'"),
        (["stream", "show"], "Missing argument 'ID'"),
        (["stream", "show", "S", "--colour"], "No such option '--colour'"),
        (["events", "tail", "--after", "x:1"], "is not a checkpoint"),
        (["events", "tail", "--interval", "0"], "Invalid value for '--interval'"),
        (["db", "migrate", "--store", "oracle"], "Invalid value for '--store'"),
        (["projection", "status"], "Missing argument 'NAME'"),
        (["projection", "rebuild"], "Missing argument 'MODULE:OBJECT'"),
        (["projection", "rebuild", "m:o", "--batch-size", "0"], "Invalid value for '--batch-size'"),
        (["saga", "list", "--status", "lost"], "Invalid value for '--status'"),
        (["saga", "show"], "Missing argument 'ID'"),
        (["dlq", "list", "--limit", "0"], "Invalid value for '--limit'"),
    ],
)
def test_wrong_arguments_exit_2_with_the_reason(arguments: list[str], complaint: str) -> None:
    result = invoke(*arguments)
    assert result.exit_code == 2
    assert complaint in result.stderr
    assert "Traceback" not in result.output


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("orchestrix, version ")


def test_without_the_cli_extra_the_script_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "rich.table", None)  # as if rich were not installed
    for name in [module for module in sys.modules if module.startswith("orchestrix.cli.")]:
        if name != "orchestrix.cli.main":
            monkeypatch.delitem(sys.modules, name)
    with pytest.raises(SystemExit) as stopped:
        main()
    assert "pip install 'orchestrix[cli]'" in str(stopped.value.code)
