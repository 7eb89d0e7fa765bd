"""The installed `orchestrix` script as a real process, on SQLite and PostgreSQL: migrate,
show a stream, tail the log, follow it while another process writes, and stop on Ctrl-C."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from test.bases.orchestrix.cli.conftest import Target
from test.bases.orchestrix.cli.events import parcel_history

SCRIPT = Path(sys.executable).with_name("orchestrix")


def run(
    *arguments: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *arguments],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )


class LineReader:
    """The lines a process prints, read by a thread so a test can wait with a time limit."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)

    def next(self, seconds: float = 30.0) -> str:
        try:
            return self._lines.get(timeout=seconds)
        except queue.Empty:
            raise AssertionError("the command printed nothing in time") from None

    def remaining(self) -> list[str]:
        """What else was printed (call once the process has ended)."""
        self._reader.join(timeout=30)
        return list(self._lines.queue)


def test_the_script_works_end_to_end(target: Target) -> None:
    env = target.env
    migrated = run("db", "migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "now at schema version" in migrated.stdout

    history = parcel_history("P-1")
    target.seed("P-1", history)
    shown = run("stream", "show", "P-1", env=env)
    assert shown.returncode == 0, shown.stderr
    assert all(event.id in shown.stdout for event in history)

    missing = run("stream", "show", "P-2", env=env)
    assert missing.returncode == 1
    assert missing.stderr.startswith("Error: Stream 'P-2' not found")
    assert "Traceback" not in missing.stderr

    tailed = run("events", "tail", "--no-follow", env=env)
    assert [line.split()[-1] for line in tailed.stdout.splitlines()] == [e.id for e in history]

    follower = subprocess.Popen(
        [str(SCRIPT), "events", "tail", "--interval", "0.05"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert follower.stdout is not None
    lines = LineReader(follower.stdout)
    try:
        assert [lines.next().split()[-1] for _ in history] == [e.id for e in history]
        later = parcel_history("P-3")
        target.seed("P-3", later)  # written while the follower polls
        assert [lines.next().split()[-1] for _ in later] == [e.id for e in later]
        time.sleep(0.2)  # let it poll an empty log at least once more
        follower.send_signal(signal.SIGINT)
        follower.wait(timeout=30)
        assert follower.stderr is not None
        err = follower.stderr.read()
    finally:
        if follower.poll() is None:
            follower.kill()
    assert follower.returncode == 0, err
    assert lines.remaining() == []
    assert err.startswith("Stopped after 4 event(s); resume with --after ")
    assert "Traceback" not in err


def test_the_banking_demo_as_a_process_then_its_stream(tmp_path: Path) -> None:
    database = tmp_path / "bank.sqlite3"
    demo = run("demo", "run", "banking", "--", "--db", str(database), env={})
    assert demo.returncode == 0, demo.stderr
    account_id = demo.stdout.split("Alice  ")[1].split()[0]
    shown = run("stream", "show", account_id, "--json", env={"ORCHESTRIX_DSN": str(database)})
    assert shown.returncode == 0, shown.stderr
    assert '"type": "AccountOpened"' in shown.stdout


def test_python_dash_m_runs_it_too() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "orchestrix.cli", "--help"],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "events" in result.stdout
