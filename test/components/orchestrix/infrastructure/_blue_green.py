"""What the blue/green rebuild tests share: the sales they project, and a hold in mid-build.

The tests must show that readers never see a half-built model, so they must read while one
exists: a handler calls `Halfway.hold(n)` for each sale, the build stops at sale `at` (the
batches before it committed, the new version half built), the test reads, then calls
`release()`. A real condition, not the hope that some read happened to land in time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from orchestrix.core.messaging.message import Event

TOTAL = 3000
SKUS = 7


@dataclass(frozen=True, kw_only=True)
class Sold(Event, type_name="blue_green_tests.Sold"):
    n: int
    sku: str
    quantity: int


def sales(first: int, count: int = 100) -> list[Sold]:
    """`count` sales of one unit each, numbered from `first`, spread over the skus."""
    return [Sold(n=n, sku=f"s{n % SKUS}", quantity=1) for n in range(first, first + count)]


class Halfway:
    """Stops a build at sale `at` until `release()`."""

    def __init__(self, at: int = TOTAL // 2) -> None:
        self.at = at
        self.reached = asyncio.Event()
        self._released = asyncio.Event()

    async def hold(self, n: int) -> None:
        if n == self.at:
            self.reached.set()
            await self._released.wait()

    def release(self) -> None:
        self._released.set()
