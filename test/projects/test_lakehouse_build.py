"""The lakehouse project builds an sdist and, from it, a wheel that serves the whole service on
its own: the page and its assets, the API docs from local files, metrics, health.

Its console script starts uvicorn and never returns, so it is tested apart from the demos that
print a story and end (`demo_projects.py`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import httpx
import pytest

from test.bases.orchestrix.lakehouse_fastapi_demo.test_uvicorn import started
from test.projects.building import build, pinned_requirements, uv

pytestmark = pytest.mark.slow

DISTRIBUTION = "orchestrix-lakehouse-fastapi-demo"
BASE = "orchestrix/lakehouse_fastapi_demo"
PAGE = (f"{BASE}/static/index.html", f"{BASE}/static/app.css", f"{BASE}/static/app.js")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build(DISTRIBUTION, tmp_path_factory.mktemp("lakehouse"))


def test_the_sdist_and_the_wheel_carry_the_service_and_its_page(built: tuple[Path, Path]) -> None:
    sdist, wheel = built
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"pyproject.toml", f"{BASE}/main.py", *PAGE} <= in_sdist
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    assert {f"{BASE}/main.py", f"{BASE}/app.py", "orchestrix/core/py.typed", *PAGE} <= in_wheel
    assert not any(name.startswith("orchestrix/testing/") for name in in_wheel)
    entry_points = next(name for name in in_wheel if name.endswith(".dist-info/entry_points.txt"))
    script_line = f"orchestrix-lakehouse = {BASE.replace('/', '.')}.main:main"
    assert script_line in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_installed_script_serves_the_service(built: tuple[Path, Path], tmp_path: Path) -> None:
    _, wheel = built
    venv = tmp_path / "venv"
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    subprocess.run(
        [uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, env=env
    )
    install = [uv(), "pip", "install", "--quiet", "--no-deps", "--offline", "--python"]
    needs = pinned_requirements(DISTRIBUTION)
    subprocess.run(
        [*install, str(venv / "bin" / "python"), str(wheel), *needs], check=True, env=env
    )

    for base, server in started([str(venv / "bin" / "orchestrix-lakehouse")], cwd=tmp_path):
        for path in ("/", "/static/app.css", "/static/app.js", "/docs", "/openapi.json"):
            assert httpx.get(base + path).status_code == 200, path
        page = httpx.get(f"{base}/docs").text
        assert "/docs-assets/swagger-ui-bundle.js" in page and "//cdn" not in page
        assert httpx.get(f"{base}/docs-assets/swagger-ui-bundle.js").status_code == 200
        assert "orchestrix_" in httpx.get(f"{base}/metrics").text
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output.decode()
    assert (tmp_path / "lakehouse-data" / "lakehouse.db").exists()  # the documented default
