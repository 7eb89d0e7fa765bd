"""Building a project the way users and package indexes do: the sdist, then a wheel from it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.metadata import requires, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


def pinned_requirements(distribution: str) -> list[str]:
    """What `distribution` needs to run, transitively, as `name==version` of this environment:
    installed with `--no-deps --offline`, a fresh environment gets them from uv's cache."""
    pinned: dict[str, str] = {}
    wanted = [Requirement(line) for line in requires(distribution) or ()]
    while wanted:
        requirement = wanted.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue  # an extra, or another platform's
        name = canonicalize_name(requirement.name)
        if name not in pinned:
            pinned[name] = version(name)
            wanted.extend(Requirement(line) for line in requires(name) or ())
    return sorted(f"{name}=={number}" for name, number in pinned.items())
