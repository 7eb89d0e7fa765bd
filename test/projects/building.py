"""Building a project the way users and package indexes do: the sdist, then a wheel from it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from test.conftest import running_in_ci

ROOT = Path(__file__).resolve().parents[2]


def uv() -> str:
    """The uv executable; skipped without it, except in CI, where it must be there."""
    found = shutil.which("uv")
    if found is None:
        reason = "uv is not on PATH"
        if running_in_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return found


def build(distribution: str, out: Path) -> tuple[Path, Path]:
    """`uv build --package distribution`: the sdist, and the wheel uv built from that sdist."""
    command = [uv(), "build", "--package", distribution, "--python", sys.executable]
    result = subprocess.run(
        [*command, "--out-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Building wheel from source distribution" in result.stderr
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return sdist, wheel
