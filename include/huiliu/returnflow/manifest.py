"""What one delivery is and what it holds: the description the caller gives, the manifest the outbox writes.

``manifest.json`` (UTF-8, no BOM) is the manifest's :meth:`DeliveryManifest.as_dict`; its shape is
stable and versioned by ``schema_version`` (a reader refuses a version it does not know)::

    {
      "schema_version": 1,
      "delivery_id": "D…", "grant_id": "G…", "unit_code": "520102016001", "unit_name": "…",
      "dataset": "resident_registry", "dataset_title": "人口基础信息", "department": "公安局",
      "steward": "…", "steward_contact": "…",
      "snapshot_id": 123, "snapshot_committed_at": "2026-…+00:00",
      "policy_version": "…", "delivered_at": "2026-…+00:00",
      "columns": [{"name", "title_zh", "action", "reason_zh", "reason_en"}, …],
      "correction_zh": "…", "correction_en": "…",
      "dataset_title_en": "…", "department_en": "…", "purpose": "…", "legal_basis": "…",
      "grant_expires_at": "2027-…+08:00" | null,
      "rows": 1234,
      "data_sheets": ["数据", "数据2"],
      "files": [{"name": "resident_registry.parquet", "format": "parquet", "bytes": 1, "sha256": "…"}, …],
      "fingerprints": {"name": "fingerprints.parquet", "bytes": 1, "sha256": "…", "count": 1234} | null,
      "notices": {"name": "corrections.json", "bytes": 1, "sha256": "…", "count": 2} | null
    }

Times are ISO 8601 with their offset. ``columns`` lists every column the policy considered, in the
delivered order, a dropped one too (action ``drop``: named so the unit knows it was withheld, but
absent from the files). ``files`` lists the data files in the order of the requested formats;
``data_sheets`` names the XLSX sheets holding rows (empty without an XLSX file). ``notices`` is the
更正通知 (:mod:`huiliu.returnflow.notices`): the rows corrected since the grant's last delivery.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, fields
from datetime import datetime
from typing import Any

from huiliu.contracts.model import NAME_PATTERN
from huiliu.errors import TerminalError

MANIFEST_SCHEMA_VERSION = 1
MANIFEST_FILE = "manifest.json"
FINGERPRINTS_FILE = "fingerprints.parquet"
DROP = "drop"

UNIT_CODE = re.compile(r"[0-9]{2,24}")
DATASET_NAME = re.compile(NAME_PATTERN)
DELIVERY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class OutboxError(TerminalError):
    """A delivery that cannot be written, read back or withdrawn as asked (the message says why)."""


def _checked(kind: str, value: object, pattern: re.Pattern[str], rule: str) -> str:
    # fullmatch: a trailing newline or a NUL never slips past an anchored pattern
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise OutboxError(f"{kind} {str(value)[:40]!r} is refused: {rule}")
    return value


def checked_unit_code(value: object) -> str:
    """A unit code fit to name a folder: ASCII digits only."""
    return _checked("unit code", value, UNIT_CODE, "a unit code is 2 to 24 ASCII digits")


def checked_dataset(value: object) -> str:
    """A dataset name fit to name a folder: the contract's name pattern."""
    return _checked("dataset", value, DATASET_NAME, f"a dataset name matches {NAME_PATTERN}")


def checked_delivery_id(value: object) -> str:
    """A delivery id fit to name a folder: letters, digits, - and _, not starting with a dot or dash."""
    rule = "1-64 ASCII letters, digits, - or _, the first a letter or digit"
    return _checked("delivery id", value, DELIVERY_ID, rule)


def _flat(record: Any) -> dict[str, Any]:
    """A record's fields by name, in order (the manifest's records hold only texts, numbers and
    times, or records and tuples of records the caller flattens itself): ``dataclasses.asdict``
    without its deep copy."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


@dataclass(frozen=True, kw_only=True)
class DeliveredColumn:
    """One column of the extract as the unit reads about it.

    Attributes:
        name: the column's machine name (the Parquet and CSV header).
        title_zh: what it is, in Chinese (the contract column's description); the XLSX header.
        action: what the policy did to it: keep, mask, generalize, hash, anonymize or drop.
        reason_zh: why, in Chinese.
        reason_en: why, in English.
    """

    name: str
    title_zh: str = ""
    action: str = "keep"
    reason_zh: str = ""
    reason_en: str = ""

    @property
    def header(self) -> str:
        """The spreadsheet header: the Chinese title, else the machine name."""
        return self.title_zh.strip() or self.name


def _aware(name: str, moment: datetime | None) -> None:
    if moment is not None and moment.utcoffset() is None:
        raise OutboxError(f"{name} must carry a time zone (got a naive datetime)")


@dataclass(frozen=True, kw_only=True)
class DeliveryDescription:
    """Everything the outbox needs to know about one delivery besides its rows.

    Attributes:
        delivery_id: the delivery's id (its folder name).
        grant_id: the grant it is served under.
        unit_code: the receiving unit's code (its outbox folder).
        unit_name: the receiving unit's name.
        dataset: the dataset's name (its folder and file names).
        dataset_title: the dataset's Chinese title.
        department: the owning department, in Chinese.
        steward: the named steward accountable for the dataset.
        steward_contact: how to reach the steward.
        snapshot_id: the curated Iceberg snapshot delivered.
        snapshot_committed_at: when that snapshot was committed (time-zone aware).
        policy_version: the return policy version applied.
        delivered_at: when the delivery was made (time-zone aware).
        columns: every column the policy considered, in delivered order (dropped ones included).
        correction_zh: how to send a correction, in Chinese.
        correction_en: the same in English.
        dataset_title_en: the dataset's English title.
        department_en: the department's English name.
        purpose: the purpose the grant was approved for.
        legal_basis: the grant's legal basis.
        grant_expires_at: when the grant expires.
    """

    delivery_id: str
    grant_id: str
    unit_code: str
    unit_name: str
    dataset: str
    dataset_title: str
    department: str
    steward: str
    steward_contact: str
    snapshot_id: int
    snapshot_committed_at: datetime
    policy_version: str
    delivered_at: datetime
    columns: tuple[DeliveredColumn, ...]
    correction_zh: str
    correction_en: str
    dataset_title_en: str = ""
    department_en: str = ""
    purpose: str = ""
    legal_basis: str = ""
    grant_expires_at: datetime | None = None

    def __post_init__(self) -> None:
        checked_delivery_id(self.delivery_id)
        checked_unit_code(self.unit_code)
        checked_dataset(self.dataset)
        _aware("snapshot_committed_at", self.snapshot_committed_at)
        _aware("delivered_at", self.delivered_at)
        _aware("grant_expires_at", self.grant_expires_at)
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise OutboxError(f"delivery {self.delivery_id}: a column is described twice")

    @property
    def delivered_columns(self) -> tuple[DeliveredColumn, ...]:
        """The columns present in the files (every column but the dropped ones)."""
        return tuple(c for c in self.columns if c.action != DROP)

    def same_delivery(self, other: DeliveryDescription) -> bool:
        """Whether ``other`` describes the same delivery (its time of writing aside)."""
        keys = ("delivery_id", "grant_id", "unit_code", "dataset", "snapshot_id", "policy_version", "columns")
        return all(getattr(self, k) == getattr(other, k) for k in keys)


@dataclass(frozen=True, kw_only=True)
class DeliveredFile:
    """One file of a delivery: its name in the delivery folder, format, size and SHA-256."""

    name: str
    format: str
    bytes: int
    sha256: str


@dataclass(frozen=True, kw_only=True)
class FingerprintFile:
    """The file of keyed primary-key fingerprints of the delivered rows, and how many it holds."""

    name: str
    bytes: int
    sha256: str
    count: int


@dataclass(frozen=True, kw_only=True)
class NoticeFile:
    """The 更正通知 of a delivery (``corrections.json``): records corrected since the last one."""

    name: str
    bytes: int
    sha256: str
    count: int


@dataclass(frozen=True, kw_only=True)
class DeliveryManifest:
    """What a published delivery holds: its description, rows, files, fingerprints and notices."""

    description: DeliveryDescription
    rows: int
    files: tuple[DeliveredFile, ...]
    fingerprints: FingerprintFile | None
    data_sheets: tuple[str, ...] = ()
    notices: NoticeFile | None = None

    def as_dict(self) -> dict[str, Any]:
        """The manifest in its stable ``manifest.json`` shape (see the module docstring)."""
        described = _flat(self.description)
        for key, value in described.items():
            if isinstance(value, datetime):
                described[key] = value.isoformat()
        described["columns"] = [_flat(c) for c in self.description.columns]
        return {
            "schema_version": MANIFEST_SCHEMA_VERSION,
            **described,
            "rows": self.rows,
            "data_sheets": list(self.data_sheets),
            "files": [_flat(f) for f in self.files],
            "fingerprints": _flat(self.fingerprints) if self.fingerprints else None,
            "notices": _flat(self.notices) if self.notices else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeliveryManifest:
        """Read back :meth:`as_dict` output.

        Raises:
            OutboxError: an unknown ``schema_version`` or a missing field.
        """
        if data.get("schema_version") != MANIFEST_SCHEMA_VERSION:
            raise OutboxError(
                f"manifest schema_version {data.get('schema_version')!r} is not {MANIFEST_SCHEMA_VERSION}; "
                "read it with the huiliu version that wrote it"
            )
        try:
            described: dict[str, Any] = {}
            for f in fields(DeliveryDescription):
                value = data[f.name] if f.default is MISSING else data.get(f.name, f.default)
                if f.name in ("snapshot_committed_at", "delivered_at", "grant_expires_at") and value:
                    value = datetime.fromisoformat(value)
                described[f.name] = value
            described["columns"] = tuple(DeliveredColumn(**c) for c in data["columns"])
            fingerprints = data["fingerprints"]
            return cls(
                description=DeliveryDescription(**described),
                rows=int(data["rows"]),
                files=tuple(DeliveredFile(**f) for f in data["files"]),
                fingerprints=FingerprintFile(**fingerprints) if fingerprints else None,
                data_sheets=tuple(data.get("data_sheets", ())),
                notices=NoticeFile(**data["notices"]) if data.get("notices") else None,
            )
        except (KeyError, TypeError) as exc:
            raise OutboxError(f"manifest is missing or mistypes a field ({exc})") from None
