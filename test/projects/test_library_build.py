"""The library's sdist builds a wheel too, and the wheel ships the testing helpers."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from test.projects.building import build

pytestmark = pytest.mark.slow


def test_the_library_wheel_built_from_its_sdist_ships_every_brick(tmp_path: Path) -> None:
    _, wheel = build("orchestrix", tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "orchestrix/testing/__init__.py",
        "orchestrix/testing/py.typed",
        "orchestrix/core/messaging/message.py",
        "orchestrix/infrastructure/postgres/migrations/0001_event_store.sql",
        "orchestrix/cli/main.py",
    ):
        assert needed in names
    assert not any("_demo/" in name for name in names)
