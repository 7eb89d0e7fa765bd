"""The service as it is run: the console script's `main` in its own process, a real uvicorn
server on loopback, driven over HTTP through the whole process; stopped with Ctrl-C, and
refusing in one line a database it cannot use."""

from __future__ import annotations

import os
import signal
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


def wait_until_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    """Until the server at `base` is ready; fails with its output if it ends or takes a minute."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            output = server.stdout.read().decode() if server.stdout else ""
            pytest.fail(f"the server did not start:\n{output}")
        time.sleep(0.1)


def command(data_dir: Path, *arguments: str) -> list[str]:
    """The console script's command line, as `python -m` (the script's own interpreter)."""
    return [
        sys.executable,
        "-m",
        "orchestrix.lakehouse_fastapi_demo",
        "--data-dir",
        str(data_dir),
        *arguments,
    ]


def started(
    command_line: list[str], cwd: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run the server (`command_line` and a free `--port`) until the caller is done; yields its
    base URL and its process."""
    port = free_port()
    environment = {**os.environ, "LAKEHOUSE_SECRET": SECRET.decode()}
    server = subprocess.Popen(
        [*command_line, "--port", str(port)],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, server)
        yield base, server
    finally:
        if server.poll() is None:
            server.terminate()
        server.wait(timeout=10)


def serve(data_dir: Path, *arguments: str) -> Iterator[str]:
    """Run the server until the caller is done; yields its base URL."""
    for base, _ in started(command(data_dir, *arguments)):
        yield base


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


def test_ctrl_c_stops_the_server_quietly(tmp_path: Path) -> None:
    for base, server in started(command(tmp_path / "lake")):
        assert httpx.get(f"{base}/healthz").status_code == 200
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
        assert server.returncode == 0
        assert output.decode() == f"Orchestrix lakehouse on {base}/\n"


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (
            ("--dsn", "postgresql://postgres@127.0.0.1:1/test"),
            "PostgreSQL is unavailable while connecting",
        ),
        (
            ("--dsn", "postgres.internal:5432/lake"),
            "must be a postgresql:// connection string",
        ),
    ],
    ids=["unreachable", "malformed"],
)
def test_a_database_it_cannot_use_is_one_line_and_exit_code_1(
    tmp_path: Path, arguments: tuple[str, ...], said: str
) -> None:
    result = subprocess.run(
        command(tmp_path / "lake", "--port", str(free_port()), *arguments),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("orchestrix-lakehouse: error: ") and said in line
