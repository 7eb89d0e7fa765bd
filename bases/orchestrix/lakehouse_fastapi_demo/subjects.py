"""Finding a data subject's rows in the lake's files, and writing files without them.

A dataset names the column that holds its data subject's id. In a raw file the subject's rows
are those whose cell in that column equals the id; the published file keeps the raw file's row
order, so the same row numbers locate them there even where the id itself was masked.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import BinaryIO

from orchestrix.lakehouse_fastapi_demo.csv_files import (
    CsvFormatError,
    RowTransform,
    read_csv,
    rewrite_csv,
)


def find_rows(file: BinaryIO, subject_column: str, subject_id: str) -> tuple[int, ...]:
    """The numbers (from 1) of the rows holding `subject_id`; none in an unreadable file."""
    try:
        header, rows = read_csv(file)
        if subject_column not in header:
            return ()
        position = header.index(subject_column)
        return tuple(
            number
            for number, row in enumerate(rows, start=1)
            if position < len(row) and row[position].strip() == subject_id
        )
    except CsvFormatError:
        return ()


def personal_rows(
    file: BinaryIO, subject_column: str, personal_columns: Collection[str]
) -> dict[str, tuple[list[int], list[dict[str, str]]]]:
    """Each data subject's row numbers and personal cells (none in an unreadable file)."""
    found: dict[str, tuple[list[int], list[dict[str, str]]]] = {}
    try:
        header, rows = read_csv(file)
        if subject_column not in header:
            return {}
        position = header.index(subject_column)
        personal = [(index, name) for index, name in enumerate(header) if name in personal_columns]
        for number, row in enumerate(rows, start=1):
            if len(row) != len(header) or not row[position].strip():
                continue
            numbers, values = found.setdefault(row[position].strip(), ([], []))
            numbers.append(number)
            values.append({name: row[index] for index, name in personal})
    except CsvFormatError:
        return {}
    return found


def drop_rows(source: BinaryIO, target: BinaryIO, rows: Collection[int]) -> int:
    """Copy `source` to `target` without the given rows; returns how many were dropped."""
    doomed = frozenset(rows)

    def without(_header: list[str]) -> RowTransform:
        return lambda number, row: None if number in doomed else row

    return rewrite_csv(source, target, without)


__all__ = ["drop_rows", "find_rows", "personal_rows"]
