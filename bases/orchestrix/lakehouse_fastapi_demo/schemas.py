"""The JSON bodies the API accepts. FastAPI checks them before any handler runs, so a wrong
body is refused with 422 naming the field, and nothing is stored."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orchestrix.lakehouse_fastapi_demo.models import (
    Column,
    ColumnType,
    QualityRule,
    RuleKind,
    Treatment,
)

type Text = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnIn(Body):
    name: Annotated[str, StringConstraints(min_length=1, max_length=63)]
    type: ColumnType = ColumnType.STRING
    personal: bool = False
    treatment: Treatment | None = None

    def to_column(self) -> Column:
        return Column(self.name, self.type, self.personal, self.treatment)


class DatasetIn(Body):
    name: Annotated[str, StringConstraints(min_length=1, max_length=63)]
    columns: Annotated[list[ColumnIn], Field(min_length=1, max_length=200)]
    subject_column: str | None = None


class RuleIn(Body):
    kind: RuleKind
    column: str
    minimum: Decimal | None = Field(default=None, allow_inf_nan=False)
    maximum: Decimal | None = Field(default=None, allow_inf_nan=False)

    def to_rule(self) -> QualityRule:
        return QualityRule(self.kind, self.column, self.minimum, self.maximum)


class ContractIn(Body):
    owner: Text
    retention_days: Annotated[int, Field(ge=1, le=36_500, strict=True)]
    rules: Annotated[list[RuleIn], Field(max_length=200)] = []


class QuarantineIn(Body):
    reason: Text


class ConsumeIn(Body):
    consumer: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]


class ErasureIn(Body):
    subject_id: Text
    requested_by: Text
    reason: Annotated[str, StringConstraints(max_length=500)] = ""


class ApprovalIn(Body):
    approved_by: Text


__all__ = [
    "ApprovalIn",
    "ColumnIn",
    "ConsumeIn",
    "ContractIn",
    "DatasetIn",
    "ErasureIn",
    "QuarantineIn",
    "RuleIn",
]
