"""Waiting for something another task or process does, with a bound on the wait."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[5]


async def wait_until(condition: Callable[[], bool], seconds: float = 30.0, what: str = "") -> None:
    """Return once `condition()` holds; fail the test after `seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting for {what or condition}")
        await asyncio.sleep(0.02)


def start_ready(module: str, *arguments: str) -> subprocess.Popen[str]:
    """Run `python -m module arguments...` from the repository root; return once it printed
    "ready" (its first line of output)."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, *arguments], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process
