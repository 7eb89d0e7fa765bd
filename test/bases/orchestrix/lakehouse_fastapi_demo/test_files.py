"""Storage keys, signed URLs, quality checks and privacy rules on their own."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from orchestrix.lakehouse_fastapi_demo.errors import SignatureError, UploadRejectedError
from orchestrix.lakehouse_fastapi_demo.models import Column, ColumnType, Treatment
from orchestrix.lakehouse_fastapi_demo.privacy import generalise, mask, protect_file
from orchestrix.lakehouse_fastapi_demo.signing import UrlSigner
from orchestrix.lakehouse_fastapi_demo.storage import LocalStorage, check_key
from orchestrix.lakehouse_fastapi_demo.subjects import drop_rows, find_rows


@pytest.mark.parametrize(
    "key", ["../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", ".incoming/x", "", "a\\b", "a b"]
)
def test_keys_that_could_leave_the_root_are_refused(tmp_path: Path, key: str) -> None:
    storage = LocalStorage(tmp_path / "files")
    with pytest.raises(UploadRejectedError):
        storage.path(key)


def test_a_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    (tmp_path / "files" / "raw").symlink_to(tmp_path)
    with pytest.raises(UploadRejectedError):
        storage.path("raw/secret.csv")


def test_plain_keys_are_accepted() -> None:
    assert check_key("raw/orders/B-0123.csv") == "raw/orders/B-0123.csv"


def test_a_writer_replaces_the_object_only_when_it_completes(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    with storage.writer("a/b.csv") as file:
        file.write(b"one")
    with pytest.raises(RuntimeError), storage.writer("a/b.csv") as file:
        file.write(b"half")
        raise RuntimeError("interrupted")
    with storage.reader("a/b.csv") as file:
        assert file.read() == b"one"
    assert storage.files() == ["a/b.csv"]


def test_signatures_bind_method_path_and_expiry() -> None:
    signer = UrlSigner(b"k" * 32)
    expires = int(time.time()) + 60
    url = signer.sign("PUT", "/files/upload/B-1", expires)
    path, _, query = url.partition("?")
    values = dict(pair.split("=") for pair in query.split("&"))
    assert signer.verify("PUT", path, values["expires"], values["signature"]) == expires
    for method, where, expiry in (
        ("GET", path, values["expires"]),
        ("PUT", "/x", values["expires"]),
        ("PUT", path, str(expires + 1)),
    ):
        with pytest.raises(SignatureError):
            signer.verify(method, where, expiry, values["signature"])
    with pytest.raises(SignatureError):
        UrlSigner(b"z" * 32).verify("PUT", path, values["expires"], values["signature"])
    with pytest.raises(ValueError, match="16 bytes"):
        UrlSigner(b"short")


def test_treatments() -> None:
    assert mask("ada@example.com", ColumnType.STRING) == "a***@example.com"
    assert mask("Ada Lovelace", ColumnType.STRING) == "A***********"
    assert mask("37", ColumnType.INTEGER) == "***"
    assert generalise("37", ColumnType.INTEGER) == "30-39"
    assert generalise("1815-12-10", ColumnType.DATE) == "1815"
    assert generalise("London", ColumnType.STRING) == "Lo*"
    assert generalise("not a date", ColumnType.DATE) == "***"


def test_protecting_keeps_rows_in_order_and_other_columns_as_they_are() -> None:
    columns = (
        Column("id", personal=True, treatment=Treatment.HASH),
        Column("city", personal=True, treatment=Treatment.GENERALISE),
        Column("amount", ColumnType.DECIMAL),
    )
    raw = io.BytesIO(b"amount,id,city\n1.5,C-1,London\n2,C-2,\n3,C-1,Paris\n")
    published = io.BytesIO()
    treatments = protect_file(raw, published, columns, b"key")
    rows = published.getvalue().decode().splitlines()
    assert rows[0] == "amount,id,city"
    assert [row.split(",")[0] for row in rows[1:]] == ["1.5", "2", "3"]
    assert rows[1].split(",")[1] == rows[3].split(",")[1] != "C-1"  # equal ids join
    assert rows[2].endswith(",")  # an empty cell stays empty
    assert [t.column for t in treatments] == ["id", "city"]


def test_a_subjects_rows_are_found_and_dropped() -> None:
    raw = b"id,x\nC-1,a\nC-2,b\n C-1 ,c\n"
    assert find_rows(io.BytesIO(raw), "id", "C-1") == (1, 3)
    assert find_rows(io.BytesIO(raw), "missing", "C-1") == ()
    assert find_rows(io.BytesIO(b"\xff\xfe"), "id", "C-1") == ()
    out = io.BytesIO()
    assert drop_rows(io.BytesIO(raw), out, (1, 3)) == 2
    assert out.getvalue() == b"id,x\r\nC-2,b\r\n"
