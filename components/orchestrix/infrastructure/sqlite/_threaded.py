"""The base of every async SQLite class: one resource, one worker thread.

The resource (a connection, or the sync event store) opens on first use in a thread of the
object's own, which then runs every call on it: the event loop never waits on SQLite's locks or
fsyncs, and the resource is only ever touched by one thread.
"""

from __future__ import annotations

import asyncio
import contextvars
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Self

from orchestrix.core.common.exceptions import StoreError


class ThreadedResource[R](ABC):
    """`initialize`, `close` and `async with` over a resource used from one worker thread.

    Subclasses say how to open and release the resource and name themselves in `role` (as in
    "the SQLite <role> is closed").
    """

    role: str

    def __init__(self) -> None:
        self._resource: R | None = None
        self._closed = False
        self._worker = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"orchestrix-{self.role.replace(' ', '-')}"
        )

    @abstractmethod
    def _open(self) -> R:
        """Open the resource (in the worker thread)."""

    @abstractmethod
    def _release(self, resource: R) -> None:
        """Close the resource (in the worker thread)."""

    async def _run[T](self, call: Callable[[R], T]) -> T:
        """`call(resource)` in the worker thread, in the caller's context (trace, message);
        the resource opens there on first use."""
        if self._closed:
            raise StoreError(f"The SQLite {self.role} is closed")
        in_context = contextvars.copy_context().run
        return await asyncio.get_running_loop().run_in_executor(
            self._worker, in_context, self._call, call
        )

    def _call[T](self, call: Callable[[R], T]) -> T:
        if self._resource is None:
            self._resource = self._open()
        return call(self._resource)

    async def initialize(self) -> None:
        """Open the file and bring its tables up to date now rather than on first use."""
        await self._run(_nothing)

    async def close(self) -> None:
        """Close the file once the calls already made have run; later calls raise StoreError."""
        if self._closed:
            return
        self._closed = True
        try:
            await asyncio.get_running_loop().run_in_executor(self._worker, self._close_resource)
        finally:
            self._worker.shutdown(wait=False)

    def _close_resource(self) -> None:
        # Runs after every call queued before `close`, so none of them can reopen the file.
        if self._resource is not None:
            self._release(self._resource)

    async def __aenter__(self) -> Self:
        await self.initialize()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


def _nothing(resource: object) -> None:
    return None


__all__ = ["ThreadedResource"]
