"""One active instance per projection across processes sharing a SQLite file: a file lock.

The holder keeps an exclusive `flock` on a lock file beside the database, one per projection.
The operating system releases it the moment the holding process dies, however it dies, so a
standby's next `acquire` succeeds; holding it needs no write to the database, which a
projection catching up keeps busy. A lock file that was deleted or replaced while held counts
as lost. POSIX only (Linux, macOS), like the WAL mode the stores rely on.
"""

from __future__ import annotations

import hashlib
import os
from typing import BinaryIO

from orchestrix.core.common.exceptions import StoreError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class SQLiteProjectionLock:
    """An exclusive lock on `<database>.projection-<digest of the id>.lock`."""

    renew_interval = 1.0

    def __init__(self, path: str | os.PathLike[str], projection_id: str) -> None:
        digest = hashlib.sha256(projection_id.encode()).hexdigest()[:32]
        self.projection_id = projection_id
        self.lock_path = f"{os.fspath(path)}.projection-{digest}.lock"
        self._file: BinaryIO | None = None

    async def acquire(self) -> bool:
        if self._file is not None:
            return await self.renew()
        self._file = self._try_lock()
        return self._file is not None

    def _try_lock(self) -> BinaryIO | None:
        """The locked file, or None if another holds it (never waits: `LOCK_NB`)."""
        if fcntl is None:
            raise StoreError("Projection locks on SQLite need POSIX file locks (fcntl)")
        try:
            file = open(self.lock_path, "ab")  # noqa: SIM115 - held until release
        except OSError as error:
            raise StoreError(f"Cannot open the lock file {self.lock_path!r}: {error}") from error
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            return None
        return file

    async def renew(self) -> bool:
        if self._file is None:
            return False
        try:
            held = os.fstat(self._file.fileno()).st_ino == os.stat(self.lock_path).st_ino
        except OSError:
            held = False
        if not held:
            await self.release()
        return held

    async def release(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            file.close()  # closing the only descriptor releases the lock


__all__ = ["SQLiteProjectionLock"]
