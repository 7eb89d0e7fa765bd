"""Data-quality checks: the schema match and a contract's rules, one result per rule.

One pass over the file. The schema rule checks the header against the dataset's columns and
every cell against its column's type (an empty cell is left to `not_null`). When the header
does not match, or the file is not a readable UTF-8 CSV, the schema rule fails and the other
rules report that they could not run: a file that does not match is a failed result, never an
error of the service. Results name rows, never cell values, since cells may be personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from orchestrix.lakehouse_fastapi_demo.csv_files import CsvFormatError, read_csv
from orchestrix.lakehouse_fastapi_demo.models import (
    Column,
    ColumnType,
    QualityRule,
    RuleKind,
    RuleResult,
)

EXAMPLES = 5
SCHEMA = "schema"


def _integer(cell: str) -> object:
    return int(cell)


def _decimal(cell: str) -> object:
    value = Decimal(cell)
    if not value.is_finite():
        raise ValueError(cell)
    return value


def _boolean(cell: str) -> object:
    if cell.lower() not in {"true", "false"}:
        raise ValueError(cell)
    return cell.lower() == "true"


PARSERS: dict[ColumnType, Callable[[str], object]] = {
    ColumnType.STRING: str,
    ColumnType.INTEGER: _integer,
    ColumnType.DECIMAL: _decimal,
    ColumnType.DATE: date.fromisoformat,
    ColumnType.BOOLEAN: _boolean,
}


@dataclass
class _Tally:
    """Rows that broke one rule, and why, for the first few."""

    rule: str
    rows: list[int] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def fail(self, row: int, reason: str) -> None:
        self.rows.append(row)
        if len(self.reasons) < EXAMPLES:
            self.reasons.append(reason)

    def result(self) -> RuleResult:
        return RuleResult(
            rule=self.rule,
            passed=not self.rows,
            failed_rows=len(self.rows),
            examples=tuple(self.rows[:EXAMPLES]),
            detail="; ".join(self.reasons),
        )


def _not_run(rules: tuple[QualityRule, ...], why: str) -> tuple[RuleResult, ...]:
    return tuple(
        RuleResult(rule=rule.name, passed=False, detail=f"not run: {why}") for rule in rules
    )


def check_file(
    file: BinaryIO, columns: tuple[Column, ...], rules: tuple[QualityRule, ...]
) -> tuple[RuleResult, ...]:
    """The schema result first, then one result per rule, in the contract's order."""
    schema = _Tally(SCHEMA)
    try:
        header, rows = read_csv(file)
    except CsvFormatError as error:
        schema.fail(0, str(error))
        return (schema.result(), *_not_run(rules, "the file is not a readable CSV"))
    expected = [column.name for column in columns]
    if sorted(header) != sorted(expected) or len(set(header)) != len(header):
        missing = sorted(set(expected) - set(header))
        extra = sorted(set(header) - set(expected))
        schema.fail(0, f"header does not match: missing {missing}, unexpected {extra}")
        return (schema.result(), *_not_run(rules, "the header does not match the schema"))
    index = {name: position for position, name in enumerate(header)}
    tallies = [_Tally(rule.name) for rule in rules]
    seen: list[set[str]] = [set() for _ in rules]
    try:
        for number, row in enumerate(rows, start=1):
            if len(row) != len(header):
                schema.fail(number, f"row {number} has {len(row)} cells, not {len(header)}")
                continue
            for column in columns:
                cell = row[index[column.name]]
                if cell:
                    try:
                        PARSERS[column.type](cell)
                    except (ValueError, InvalidOperation):
                        schema.fail(number, f"row {number}: {column.name} is not {column.type}")
            for rule, tally, values in zip(rules, tallies, seen, strict=True):
                _apply(rule, tally, values, number, row[index[rule.column]])
    except CsvFormatError as error:
        schema.fail(error.row, str(error))
    return (schema.result(), *(tally.result() for tally in tallies))


def _apply(rule: QualityRule, tally: _Tally, seen: set[str], number: int, cell: str) -> None:
    if rule.kind is RuleKind.NOT_NULL:
        if not cell.strip():
            tally.fail(number, f"row {number}: {rule.column} is empty")
    elif rule.kind is RuleKind.UNIQUE:
        if cell in seen:
            tally.fail(number, f"row {number}: {rule.column} repeats an earlier row")
        seen.add(cell)
    elif rule.kind is RuleKind.RANGE and cell:
        try:
            value = Decimal(cell)
        except InvalidOperation:
            return  # the schema rule reports the cell
        if (rule.minimum is not None and value < rule.minimum) or (
            rule.maximum is not None and value > rule.maximum
        ):
            tally.fail(number, f"row {number}: {rule.column} is out of range")


__all__ = ["SCHEMA", "check_file"]
