"""The portal's response bodies, as they appear in ``/openapi.json``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemBody(Body):
    code: str
    message_zh: str
    message_en: str
    field: str | None = None


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
