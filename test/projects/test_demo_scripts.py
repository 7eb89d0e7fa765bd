"""Each demo as a process: its console script (installed by `uv sync --all-packages`),
`python -m`, and `orchestrix demo run NAME`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from test.projects.demo_projects import DEMO_PROJECTS, DemoProject

BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def assert_ran(demo: DemoProject, result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert demo.prints in result.stdout.splitlines()
    assert result.stderr == ""


@pytest.mark.parametrize("demo", DEMO_PROJECTS, ids=lambda demo: demo.folder)
def test_the_console_script_runs_the_demo(demo: DemoProject) -> None:
    script = BIN / demo.script
    assert script.exists(), f"{script} is missing: run `uv sync --all-packages`"
    assert_ran(demo, run(str(script), *demo.arguments))


@pytest.mark.parametrize("demo", DEMO_PROJECTS, ids=lambda demo: demo.folder)
def test_python_dash_m_runs_it_too(demo: DemoProject) -> None:
    assert_ran(demo, run(sys.executable, "-m", demo.module, *demo.arguments))


@pytest.mark.parametrize("demo", DEMO_PROJECTS, ids=lambda demo: demo.folder)
def test_the_command_line_runs_it_by_name(demo: DemoProject) -> None:
    command = (str(BIN / "orchestrix"), "demo", "run", demo.cli_name, "--", *demo.arguments)
    assert_ran(demo, run(*command))


@pytest.mark.parametrize("demo", DEMO_PROJECTS, ids=lambda demo: demo.folder)
def test_bad_options_are_refused_with_a_usage_message(demo: DemoProject) -> None:
    result = run(str(BIN / demo.script), "--no-such-option")
    assert result.returncode == 2
    assert "usage:" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("demo", DEMO_PROJECTS, ids=lambda demo: demo.folder)
def test_help_describes_the_demo_in_whole_sentences(demo: DemoProject) -> None:
    result = run(str(BIN / demo.script), "--help")
    assert result.returncode == 0, result.stderr
    description = result.stdout.split("\n\n")[1]
    assert description.rstrip().endswith("."), description


@pytest.mark.parametrize("demo", DEMO_PROJECTS, ids=lambda demo: demo.folder)
def test_python_dash_m_names_itself_in_its_usage(demo: DemoProject) -> None:
    result = run(sys.executable, "-m", demo.module, "--no-such-option")
    assert result.returncode == 2
    assert result.stderr.startswith(f"usage: python -m {demo.module} ")
