"""The portal's response bodies, as they appear in ``/openapi.json``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SheetProblem(Body):
    sheet_row: int | None
    field: str
    message_zh: str
    message_en: str


class ProblemBody(Body):
    code: str
    message_zh: str
    message_en: str
    field: str | None = None
    problems: list[SheetProblem] | None = None


class ColumnBody(Body):
    name: str
    title_zh: str
    action: str


class LatestDelivery(Body):
    id: str
    delivered_at: datetime
    snapshot_id: int
    rows: int
    policy_version: str


class GrantedDataset(Body):
    name: str
    title_zh: str
    title_en: str
    department_zh: str
    grant_id: str
    purpose: str
    grant_expires_at: datetime
    policy_version: str
    latest_delivery: LatestDelivery | None
    rows: int | None
    columns: list[ColumnBody]


class DatasetList(Body):
    unit: str
    datasets: list[GrantedDataset]


class DeliveryBody(Body):
    id: str
    dataset: str
    grant_id: str
    status: str
    snapshot_id: int
    policy_version: str
    rows: int
    suppressed: int
    content_sha256: str | None
    manifest_sha256: str | None
    delivered_at: datetime
    withdrawn_at: datetime | None


class Health(Body):
    status: str


class CorrectionIn(Body):
    """A correction of one record the unit received: the delivery and row it is in, the column,
    the right value and why."""

    delivery_id: str = Field(min_length=1, max_length=32, description="交付编号, e.g. D0123456789abcdef")
    row: int = Field(ge=1, le=1_000_000_000, description="数据行号 (1 = the first data row)")
    field: str = Field(min_length=1, max_length=64, description="the column's machine name, e.g. address")
    value: str = Field(min_length=1, max_length=500, description="正确的值")
    reason: str = Field(min_length=1, max_length=2000, description="更正理由")


class CorrectionStepBody(Body):
    action: str
    at: datetime
    note: str | None


class AttachmentBody(Body):
    sha256: str
    media_type: str
    bytes: int


class CorrectionBody(Body):
    id: str
    dataset: str
    delivery_id: str
    row: int
    field: str
    proposed_value: str
    reason: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    history: list[CorrectionStepBody]
    attachment: AttachmentBody | None = None


class CorrectionList(Body):
    unit: str
    corrections: list[CorrectionBody]


class StewardCorrection(CorrectionBody):
    """A correction as the owning department's steward reads it: also which unit filed it."""

    unit: str


class StewardCorrectionList(Body):
    account: str
    corrections: list[StewardCorrection]


class DecisionIn(Body):
    """The steward's decision: accept (applied at once), reject (the unit reads the reason) or retire
    (withdraw a correction in force)."""

    decision: Literal["accept", "reject", "retire"]
    reason: str = Field(default="", max_length=2000)
