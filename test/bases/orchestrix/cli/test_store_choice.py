"""`--store`, `--dsn` and `--schema` (or their variables) name one store, or say what is wrong."""

from __future__ import annotations

import pytest

from orchestrix.cli.errors import CliError
from orchestrix.cli.store_choice import DEFAULT_SQLITE_FILE, StoreChoice, choose_store


def test_the_default_is_the_embedded_sqlite_file() -> None:
    assert choose_store(None, None, "orchestrix") == StoreChoice("sqlite", DEFAULT_SQLITE_FILE)


def test_the_dsn_tells_the_backend() -> None:
    assert choose_store(None, "db/events.sqlite3", "orchestrix").backend == "sqlite"
    for dsn in ("postgresql://u@h/db", "postgres://u@h/db"):
        assert choose_store(None, dsn, "s") == StoreChoice("postgres", dsn, "s")


@pytest.mark.parametrize(
    ("backend", "dsn", "schema", "complaint"),
    [
        ("postgres", None, "orchestrix", "PostgreSQL needs a DSN"),
        ("postgres", "events.sqlite3", "orchestrix", "starts with postgresql://"),
        ("postgres", "postgresql://h/db", "", "schema name must not be empty"),
        ("sqlite", "postgresql://h/db", "orchestrix", "takes a file path"),
    ],
)
def test_contradictions_are_refused(
    backend: str, dsn: str | None, schema: str, complaint: str
) -> None:
    with pytest.raises(CliError, match=complaint):
        choose_store(backend, dsn, schema)


def test_descriptions_never_show_a_password() -> None:
    choice = StoreChoice("postgres", "postgresql://app:s3cret@db.example:6543/shop", "sales")
    assert choice.describe() == "PostgreSQL schema 'sales' on db.example:6543/shop"
    assert "s3cret" not in StoreChoice("postgres", "postgresql://a:s3cret@h:x/d").describe()
