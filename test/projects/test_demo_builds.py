"""Each demo project builds an sdist and, from that sdist, a wheel that works on its own.

`uv build --package NAME` builds the sdist first and the wheel from the unpacked sdist, where the
bricks are no longer at their workspace paths: this is the path users and indexes take.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from test.projects.building import build, uv
from test.projects.demo_projects import DEMO_PROJECTS, DemoProject

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    return {
        demo.folder: build(demo.distribution, tmp_path_factory.mktemp(demo.folder))
        for demo in DEMO_PROJECTS
    }


@pytest.mark.parametrize("demo", DEMO_PROJECTS, ids=lambda demo: demo.folder)
def test_the_sdist_and_the_wheel_carry_the_demo_and_the_library(
    demo: DemoProject, built: dict[str, tuple[Path, Path]]
) -> None:
    sdist, wheel = built[demo.folder]
    base = demo.module.replace(".", "/")
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"pyproject.toml", f"{base}/main.py", "orchestrix/core/messaging/message.py"} <= (
        in_sdist
    )
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        f"{base}/__main__.py",
        f"{base}/main.py",
        "orchestrix/core/messaging/message.py",
        "orchestrix/infrastructure/memory/bus.py",
    ):
        assert needed in in_wheel
    assert not any(name.startswith("orchestrix/testing/") for name in in_wheel)
    entry_points = next(name for name in in_wheel if name.endswith(".dist-info/entry_points.txt"))
    script_line = f"{demo.script} = {demo.module}.main:main"
    assert script_line in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_wheels_install_and_run_in_a_fresh_environment(
    built: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    subprocess.run(
        [uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, env=env
    )
    python = venv / "bin" / "python"
    wheels = [str(wheel) for _, wheel in built.values()]
    # What a demo needs besides the wheel, at the versions of the workspace, from uv's cache.
    needs = sorted({f"{name}=={version(name)}" for demo in DEMO_PROJECTS for name in demo.needs})
    install = [uv(), "pip", "install", "--quiet", "--no-deps", "--offline", "--python"]
    subprocess.run(
        [*install, str(python), *wheels, *needs],
        check=True,
        env=env,
    )
    for demo in DEMO_PROJECTS:
        result = subprocess.run(
            [str(venv / "bin" / demo.script), *demo.arguments],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        assert demo.prints in result.stdout.splitlines()
