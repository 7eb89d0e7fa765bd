"""Privacy rules: each personal column is masked, hashed or generalised before publication.

- mask: keep the first character (and an e-mail's domain), star the rest;
- hash: a keyed HMAC-SHA256 (the first 16 hex digits), so equal values still join but cannot
  be reversed or guessed from a dictionary without the key;
- generalise: numbers to their ten (`37` → `30-39`), dates to their year, text to its first
  two characters.

Other columns pass unchanged, rows keep their order (row N of the published file is row N of
the raw one), and empty cells stay empty.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from orchestrix.lakehouse_fastapi_demo.csv_files import RowTransform, rewrite_csv
from orchestrix.lakehouse_fastapi_demo.models import Column, ColumnTreatment, ColumnType, Treatment


def mask(cell: str, kind: ColumnType) -> str:
    if kind is not ColumnType.STRING:
        return "***"
    local, at, domain = cell.partition("@")
    return f"{local[:1]}{'*' * max(len(local) - 1, 3)}{at}{domain}"


def generalise(cell: str, kind: ColumnType) -> str:
    try:
        if kind in (ColumnType.INTEGER, ColumnType.DECIMAL):
            tens = int(Decimal(cell)) // 10 * 10
            return f"{tens}-{tens + 9}"
        if kind is ColumnType.DATE:
            return str(date.fromisoformat(cell).year)
    except (ValueError, InvalidOperation):
        return "***"  # not of its type: the quality checks said so; hide it anyway
    if kind is ColumnType.BOOLEAN:
        return "*"
    return f"{cell[:2]}*"


def hasher(key: bytes) -> Callable[[str, ColumnType], str]:
    def hashed(cell: str, kind: ColumnType) -> str:
        return hmac.new(key, cell.encode(), hashlib.sha256).hexdigest()[:16]

    return hashed


def protect_file(
    source: BinaryIO, target: BinaryIO, columns: tuple[Column, ...], key: bytes
) -> tuple[ColumnTreatment, ...]:
    """Write `source` to `target` with every personal column treated; returns what was done."""
    functions = {
        Treatment.MASK: mask,
        Treatment.GENERALISE: generalise,
        Treatment.HASH: hasher(key),
    }
    personal = {column.name: column for column in columns if column.personal}

    def treatment_for(header: list[str]) -> RowTransform:
        plan = [
            (position, functions[personal[name].treatment or Treatment.MASK], personal[name].type)
            for position, name in enumerate(header)
            if name in personal
        ]

        def treat(_number: int, row: list[str]) -> list[str]:
            for position, function, kind in plan:
                if position < len(row) and row[position]:
                    row[position] = function(row[position], kind)
            return row

        return treat

    rewrite_csv(source, target, treatment_for)
    return tuple(
        ColumnTreatment(column.name, column.treatment or Treatment.MASK)
        for column in columns
        if column.personal
    )


__all__ = ["generalise", "hasher", "mask", "protect_file"]
