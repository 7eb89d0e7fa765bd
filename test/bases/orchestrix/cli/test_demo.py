"""`orchestrix demo list | run NAME`: the registered demos, run as `python -m` runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrix.cli.demos import DEMOS, Demo, find_demo
from test.bases.orchestrix.cli.conftest import invoke


def test_list_shows_each_registered_demo() -> None:
    result = invoke("demo", "list")
    assert result.exit_code == 0
    for demo in DEMOS:
        assert demo.name in result.stdout
        assert demo.module in result.stdout
    assert "banking" in result.stdout


@pytest.mark.parametrize("demo", DEMOS, ids=lambda demo: demo.name)
def test_every_registered_demo_is_installed_in_the_workspace(demo: Demo) -> None:
    assert demo.installed()


def test_a_demo_that_is_not_installed_is_reported() -> None:
    missing = Demo("ghost", "orchestrix.no_such_demo", "nothing")
    assert not missing.installed()
    assert not Demo("ghost", "no_such_package.demo", "nothing").installed()


def test_run_banking_with_its_own_arguments_then_read_its_stream(tmp_path: Path) -> None:
    database = tmp_path / "bank.sqlite3"
    result = invoke("demo", "run", "banking", "--", "--db", str(database))
    assert result.exit_code == 0, result.output
    assert "rebuilt from its events: True" in result.stdout
    account_id = result.stdout.split("Alice  ")[1].split()[0]
    shown = invoke("stream", "show", account_id, "--dsn", str(database))
    assert shown.exit_code == 0, shown.output
    assert "AccountOpened" in shown.stdout
    assert find_demo("banking") is not None


def test_an_unknown_demo_names_the_known_ones() -> None:
    result = invoke("demo", "run", "lottery")
    assert result.exit_code == 1
    known = ", ".join(demo.name for demo in DEMOS)
    assert result.stderr == f"Error: Unknown demo 'lottery'; the demos are: {known}\n"


def test_the_lakehouse_server_takes_its_own_arguments() -> None:
    result = invoke("demo", "run", "lakehouse", "--", "--help")
    assert result.exit_code == 0, result.output
    assert "--port" in result.stdout and "--dsn" in result.stdout


def test_a_demo_names_itself_by_the_command_that_ran_it() -> None:
    result = invoke("demo", "run", "banking", "--", "--no-such-option")
    assert result.exit_code == 2
    assert "orchestrix demo run banking: error: unrecognized arguments" in result.stderr
