"""The typed user program passes mypy as users run it, and runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from test.typing import typed_usage

HERE = Path(__file__).parent


def test_mypy_accepts_the_program_and_catches_its_mistakes() -> None:
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(HERE / "mypy.ini"),
            "--cache-dir",
            str(HERE.parent.parent / ".mypy_cache" / "typed_usage"),
            str(HERE / "typed_usage.py"),
        ],
        capture_output=True,
        check=False,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("Success")


def test_the_program_runs() -> None:
    typed_usage.main()
