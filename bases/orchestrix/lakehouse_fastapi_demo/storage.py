"""Where the lake keeps its files: a small interface, and a local directory behind it.

Keys are made by the service (`raw/<dataset>/<batch>.csv`), never taken from a client; even
so every key is checked against a strict pattern and must resolve inside the root, so no key
can reach a file outside it. Uploads are streamed to a temporary file with a size limit and
moved into place only when complete, so a refused or broken upload leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from orchestrix.lakehouse_fastapi_demo.errors import UploadRejectedError, UploadTooLargeError

KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}(/[A-Za-z0-9][A-Za-z0-9_.-]{0,127}){0,7}")


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str


class Storage(Protocol):
    """Objects by key. Writers replace an object whole; readers never see half of one."""

    async def put(self, key: str, chunks: AsyncIterable[bytes], max_bytes: int) -> StoredObject:
        """Store the streamed bytes under `key`; `UploadTooLargeError` past `max_bytes`."""
        ...

    def reader(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """The object's bytes; `FileNotFoundError` if there is none."""
        ...

    def writer(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """A new version of the object, in place once the block ends without an error."""
        ...

    def exists(self, key: str) -> bool: ...

    def copy(self, source: str, target: str) -> None: ...

    def delete(self, key: str) -> None:
        """Remove the object if it exists."""
        ...


def check_key(key: str) -> str:
    """`key` if it is a plain relative key: no `..`, no absolute path, no odd characters."""
    if not KEY.fullmatch(key) or any(part in {".", ".."} for part in key.split("/")):
        raise UploadRejectedError(f"not an acceptable object key: {key!r}")
    return key


class LocalStorage:
    """`Storage` in a local directory."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._incoming = self.root / ".incoming"
        self._incoming.mkdir(exist_ok=True)

    def path(self, key: str) -> Path:
        """The file of `key`, proven to lie inside the root."""
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root) or path.is_relative_to(self._incoming):
            raise UploadRejectedError(f"not an acceptable object key: {key!r}")
        return path

    def _temporary(self) -> Path:
        return self._incoming / uuid.uuid4().hex

    async def put(self, key: str, chunks: AsyncIterable[bytes], max_bytes: int) -> StoredObject:
        target, temporary = self.path(key), self._temporary()
        digest, size = hashlib.sha256(), 0
        try:
            with temporary.open("wb") as file:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise UploadTooLargeError(max_bytes)
                    digest.update(chunk)
                    file.write(chunk)
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary.replace(target)
        finally:
            temporary.unlink(missing_ok=True)
        return StoredObject(key, size, digest.hexdigest())

    @contextlib.contextmanager
    def reader(self, key: str) -> Iterator[BinaryIO]:
        with self.path(key).open("rb") as file:
            yield file

    @contextlib.contextmanager
    def writer(self, key: str) -> Iterator[BinaryIO]:
        target, temporary = self.path(key), self._temporary()
        try:
            with temporary.open("wb") as file:
                yield file
                file.flush()
                os.fsync(file.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary.replace(target)
        finally:
            temporary.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def copy(self, source: str, target: str) -> None:
        with self.reader(source) as old, self.writer(target) as new:
            shutil.copyfileobj(old, new)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def files(self) -> list[str]:
        """Every stored key (temporary files excluded), for checks and tests."""
        return sorted(
            path.relative_to(self.root).as_posix()
            for path in self.root.rglob("*")
            if path.is_file() and not path.is_relative_to(self._incoming)
        )


def raw_key(dataset: str, batch_id: str) -> str:
    return f"raw/{dataset}/{batch_id}.csv"


def published_key(dataset: str, batch_id: str) -> str:
    return f"published/{dataset}/{batch_id}.csv"


__all__ = ["LocalStorage", "Storage", "StoredObject", "check_key", "published_key", "raw_key"]
