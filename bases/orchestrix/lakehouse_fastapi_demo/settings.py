"""The service's settings, from arguments or `LAKEHOUSE_*` environment variables.

Without a DSN the service keeps everything in one SQLite file under its data directory; with a
PostgreSQL DSN the events, checkpoints, read model and saga states live in one schema there.
The signing secret comes from `LAKEHOUSE_SECRET`, or is made once and kept in the data
directory (readable by its owner only), so signed URLs survive a restart. So does the master
key that wraps the data subjects' keys (`ORCHESTRIX_MASTER_KEY`, base64): keep it elsewhere
in production, since whoever has the database and the master key can read personal fields of
subjects not yet erased.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_UPLOAD = 10 * 1024 * 1024


def _flag(value: str | None, default: bool) -> bool:
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("lakehouse-data")
    dsn: str | None = None
    schema: str = "lakehouse"
    secret: bytes = field(default=b"", repr=False)
    master_key: str = field(default="", repr=False)
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    url_ttl_seconds: int = 900
    docs: bool = True
    wait_timeout: float = 5.0
    """Seconds a command waits for the read model to show its change (read your writes)."""
    saga_recovery_after: float = 0.0
    """At start-up, resume erasure runs left unfinished this many seconds ago or earlier;
    with several server processes, make it longer than a run takes."""

    @classmethod
    def from_environment(cls, **overrides: object) -> Settings:
        env = os.environ
        values: dict[str, object] = {
            "data_dir": Path(env.get("LAKEHOUSE_DATA_DIR", "lakehouse-data")),
            "dsn": env.get("LAKEHOUSE_DSN") or None,
            "schema": env.get("LAKEHOUSE_SCHEMA", "lakehouse"),
            "secret": env.get("LAKEHOUSE_SECRET", "").encode(),
            "master_key": env.get("ORCHESTRIX_MASTER_KEY", ""),
            "max_upload_bytes": int(env.get("LAKEHOUSE_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD)),
            "url_ttl_seconds": int(env.get("LAKEHOUSE_URL_TTL", "900")),
            "docs": _flag(env.get("LAKEHOUSE_DOCS"), True),
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "lakehouse.db"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    def signing_secret(self) -> bytes:
        """The configured secret, or the one kept in the data directory (made on first use)."""
        return self.secret or self._kept("secret.key", lambda: secrets.token_hex(32))

    def master_key_base64(self) -> str:
        """The configured master key, or the one kept in the data directory."""
        from orchestrix.infrastructure.crypto import generate_master_key

        return self.master_key or self._kept("master.key", generate_master_key).decode()

    def _kept(self, name: str, make: Callable[[], str]) -> bytes:
        path = self.data_dir / name
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes()
        with os.fdopen(descriptor, "wb") as file:
            file.write(make().encode())
        return path.read_bytes()


__all__ = ["Settings"]
