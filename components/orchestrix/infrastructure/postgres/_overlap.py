"""Overlapping the server's work with ours when a read spans several pages.

Rendering JSONB as text takes the server about as long per row as decoding the event takes
us, so reading page after page and decoding each in turn would add the two. Instead the next
page's query is sent (an eagerly started task writes it to the socket at once) before the
current page is decoded: the server renders while Python decodes, on another core.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


async def overlap[R, T](query: Coroutine[Any, Any, R], work: Callable[[], T]) -> tuple[R, T]:
    """Send `query`, run `work()` while the server answers, then return both results.

    If `work` fails, the query is still awaited so the connection is left idle and usable.
    """
    pending = asyncio.Task(query, loop=asyncio.get_running_loop(), eager_start=True)
    try:
        done = work()
    except BaseException:
        await asyncio.wait([pending])
        if not pending.cancelled():
            pending.exception()  # retrieved, so asyncio does not report it as lost
        raise
    return await pending, done


__all__ = ["overlap"]
