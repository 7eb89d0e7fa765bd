"""Each demo's console script, as installed by `uv sync --all-packages`, run as a process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from test.projects.demo_projects import DEMO_PROJECTS, DemoProject


@pytest.mark.parametrize("demo", DEMO_PROJECTS, ids=lambda demo: demo.folder)
def test_the_console_script_runs_the_demo(demo: DemoProject) -> None:
    script = Path(sys.executable).with_name(demo.script)
    assert script.exists(), f"{script} is missing: run `uv sync --all-packages`"
    result = subprocess.run(
        [str(script), *demo.arguments], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert demo.prints in result.stdout.splitlines()
    assert result.stderr == ""


@pytest.mark.parametrize("demo", DEMO_PROJECTS, ids=lambda demo: demo.folder)
def test_python_dash_m_runs_it_too(demo: DemoProject) -> None:
    result = subprocess.run(
        [sys.executable, "-m", demo.module, *demo.arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert demo.prints in result.stdout.splitlines()


@pytest.mark.parametrize("demo", DEMO_PROJECTS, ids=lambda demo: demo.folder)
def test_bad_options_are_refused_with_a_usage_message(demo: DemoProject) -> None:
    script = Path(sys.executable).with_name(demo.script)
    result = subprocess.run(
        [str(script), "--no-such-option"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 2
    assert "usage:" in result.stderr and "Traceback" not in result.stderr
