"""Waiting for something another task or process does, with a bound on the wait."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def wait_until(condition: Callable[[], bool], seconds: float = 30.0, what: str = "") -> None:
    """Return once `condition()` holds; fail the test after `seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting for {what or condition}")
        await asyncio.sleep(0.02)
