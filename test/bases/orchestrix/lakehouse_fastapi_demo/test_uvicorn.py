"""The service as it is run: the console script's `main` in its own process, a real uvicorn
server on loopback, driven over HTTP through the whole process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from test.bases.orchestrix.lakehouse_fastapi_demo.conftest import SECRET, LakeSteps
from test.bases.orchestrix.lakehouse_fastapi_demo.scenario import whole_process


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(data_dir: Path, *arguments: str) -> Iterator[str]:
    """Run the server until the caller is done; yields its base URL."""
    port = free_port()
    environment = {**os.environ, "LAKEHOUSE_SECRET": SECRET.decode()}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orchestrix.lakehouse_fastapi_demo",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            *arguments,
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                output = server.stdout.read().decode() if server.stdout else ""
                pytest.fail(f"the server did not start:\n{output}")
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    yield from serve(tmp_path / "lake")


async def test_the_whole_process_through_a_real_server(server: str) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        await whole_process(LakeSteps(client))
        page = await client.get("/")
        metrics = await client.get("/metrics")
    assert page.status_code == 200 and "Orchestrix lakehouse" in page.text
    assert "orchestrix_core_aggregates_loaded_total" in metrics.text


def test_docs_can_be_switched_off(tmp_path: Path) -> None:
    for base in serve(tmp_path / "lake", "--no-docs"):
        assert httpx.get(f"{base}/docs").status_code == 404
        assert httpx.get(f"{base}/openapi.json").status_code == 200
