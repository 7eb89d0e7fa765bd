"""Reading and writing the lake's CSV files with the standard library.

Files are UTF-8 with a header row. A file that cannot be read as such (another encoding, a
broken quote) raises `CsvFormatError`, which the quality checks report as a failed schema
rule rather than an error of the service.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import BinaryIO

csv.field_size_limit(1 << 20)


class CsvFormatError(ValueError):
    """The bytes are not a readable UTF-8 CSV file; `row` is the data row reached (0: header)."""

    def __init__(self, message: str, row: int) -> None:
        self.row = row
        super().__init__(message)


def read_csv(file: BinaryIO) -> tuple[list[str], Iterator[list[str]]]:
    """The header and an iterator over the data rows of `file`."""
    text = io.TextIOWrapper(file, encoding="utf-8", newline="")
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader, None)
    except (UnicodeDecodeError, csv.Error) as error:
        raise CsvFormatError(f"unreadable header: {error}", 0) from error
    if header is None:
        raise CsvFormatError("the file is empty: it needs a header row", 0)

    def rows() -> Iterator[list[str]]:
        number = 0
        try:
            for row in reader:
                number += 1
                yield row
        except (UnicodeDecodeError, csv.Error) as error:
            raise CsvFormatError(f"row {number + 1} is unreadable: {error}", number + 1) from error

    return [name.strip() for name in header], rows()


def count_rows(file: BinaryIO) -> int:
    """The number of data rows, or 0 for a file that cannot be read (the checks say why)."""
    try:
        _header, rows = read_csv(file)
        return sum(1 for _ in rows)
    except CsvFormatError:
        return 0


type RowTransform = Callable[[int, list[str]], list[str] | None]
"""Given a data row's number (from 1) and its cells: the row to write, or None to drop it."""


def rewrite_csv(
    source: BinaryIO, target: BinaryIO, transform_for: Callable[[list[str]], RowTransform]
) -> int:
    """Copy `source` to `target` row by row through the transform `transform_for` makes for
    the file's header; returns the number of rows dropped."""
    header, rows = read_csv(source)
    transform = transform_for(header)
    text = io.TextIOWrapper(target, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(header)
    dropped = 0
    for number, row in enumerate(rows, start=1):
        kept = transform(number, row)
        if kept is None:
            dropped += 1
        else:
            writer.writerow(kept)
    text.flush()
    text.detach()  # leave `target` open for its owner
    return dropped
