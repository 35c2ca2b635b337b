"""Corrections from below (纠错): a unit says a record it received is wrong; the owner decides.

A unit names the record as it received it — a delivery and a row of it — so it never needs, nor
learns, the raw key: the row's keyed fingerprint in the delivery resolves to the curated record. It
proposes a value for one column it received (masked and hashed columns included) with a reason.
The owning department's steward accepts or rejects it (with a reason); an accepted correction is
applied at once as an overlay in the lake (:mod:`huiliu.returnflow.overlay`), so every delivery
and pull from then on carries it, and the source stays the department's. Each step is a
``correction_events`` record.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from huiliu.contracts.model import DatasetContract
from huiliu.errors import AccessError, CorrectionError, CorrectionSheetError, NotFoundError
from huiliu.lake.schema import landing_schema
from huiliu.policy.accounts import Role, acting_account
from huiliu.returnflow.correction_sheet import FormProblem, ReturnedForm, read_correction_sheet
from huiliu.returnflow.delivery import fingerprint
from huiliu.returnflow.manifest import DROP, FINGERPRINTS_FILE, DeliveryManifest
from huiliu.returnflow.notices import CorrectionNotice
from huiliu.returnflow.outbox import FINGERPRINT_COLUMN, read_manifest
from huiliu.returnflow.overlay import OverlayRow, key_text, record_keys_of, write_overlay
from huiliu.returnflow.records import Delivery, DeliveryStatus, get_delivery, last_delivered
from huiliu.returnflow.snapshot import CuratedSnapshot
from huiliu.settings import Settings
from huiliu.store.db import session_scope
from huiliu.store.models import CorrectionEvent, CorrectionRecord, utcnow

MAX_VALUE = 500
MIN_REASON = 4
ContractOf = Callable[[str], DatasetContract]


class CorrectionStatus(StrEnum):
    SUBMITTED = "submitted"  # filed by a unit, waiting for the owner's steward
    REJECTED = "rejected"  # the steward said no, with a reason
    APPLIED = "applied"  # accepted and laid over curated: every delivery carries it
    CONFIRMED = "confirmed"  # the source now holds the value itself: the overlay retired
    CONTRADICTED = "contradicted"  # the source still differs after CONTRADICTION_AFTER deliveries
    RETIRED = "retired"  # withdrawn by the steward: the source's value is returned again


LAID_OVER = (CorrectionStatus.APPLIED, CorrectionStatus.CONTRADICTED)
"""Statuses whose value the overlay carries."""
CONTRADICTION_AFTER = 3
"""Deliveries after which a correction the source has not taken up is flagged to the steward again."""


class CorrectionAction(StrEnum):
    FILED = "filed"
    ATTACHED = "attached"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    APPLIED = "applied"
    CONFIRMED = "confirmed"
    CONTRADICTED = "contradicted"
    RETIRED = "retired"


@dataclass(frozen=True, kw_only=True)
class CorrectionStep:
    action: CorrectionAction
    actor: str
    at: datetime
    note: str | None


@dataclass(frozen=True, kw_only=True)
class Attachment:
    """A document a unit attached to its correction (a certificate, a photo), kept by content."""

    sha256: str
    media_type: str
    bytes: int

    def as_dict(self) -> dict[str, object]:
        return {"sha256": self.sha256, "media_type": self.media_type, "bytes": self.bytes}


@dataclass(frozen=True, kw_only=True)
class Correction:
    """A correction as its unit and its steward see it (the record's raw key is never in it)."""

    id: str
    dataset: str
    unit_code: str
    delivery_id: str
    row: int
    field: str
    proposed_value: str
    reason: str
    status: CorrectionStatus
    filed_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    history: tuple[CorrectionStep, ...] = ()
    attachment: Attachment | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "attachment": self.attachment.as_dict() if self.attachment else None,
            "id": self.id,
            "dataset": self.dataset,
            "unit": self.unit_code,
            "delivery_id": self.delivery_id,
            "row": self.row,
            "field": self.field,
            "proposed_value": self.proposed_value,
            "reason": self.reason,
            "status": self.status.value,
            "filed_by": self.filed_by,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat(timespec="seconds") if self.decided_at else None,
            "decision_reason": self.decision_reason,
            "history": [
                {
                    "action": s.action.value,
                    "actor": s.actor,
                    "at": s.at.isoformat(timespec="seconds"),
                    "note": s.note,
                }
                for s in self.history
            ],
        }


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _view(row: CorrectionRecord, events: list[CorrectionEvent]) -> Correction:
    return Correction(
        id=row.id,
        dataset=row.dataset,
        unit_code=row.unit_code,
        delivery_id=row.delivery_id,
        row=row.row_number,
        field=row.field,
        proposed_value=row.proposed_value,
        reason=row.reason,
        status=CorrectionStatus(row.status),
        filed_by=row.filed_by,
        created_at=_aware(row.created_at),
        decided_by=row.decided_by,
        decided_at=_aware(row.decided_at) if row.decided_at else None,
        decision_reason=row.decision_reason,
        attachment=Attachment(
            sha256=row.attachment_sha256,
            media_type=row.attachment_type or "",
            bytes=row.attachment_bytes or 0,
        )
        if row.attachment_sha256
        else None,
        history=tuple(
            CorrectionStep(action=CorrectionAction(e.action), actor=e.actor, at=_aware(e.at), note=e.note)
            for e in events
        ),
    )


def _refused(field: str, zh: str, en: str) -> CorrectionError:
    return CorrectionError(field, zh, en)


def _checked_value(contract: DatasetContract, field: str, value: str) -> str:
    text = value.strip()
    if not text or len(text) > MAX_VALUE:
        raise _refused(
            "value",
            f"更正值须为 1 至 {MAX_VALUE} 个字符",
            f"the new value must be 1 to {MAX_VALUE} characters",
        )
    column_type = landing_schema(contract).field(field).type
    try:
        pc.cast(pa.array([text], pa.string()), column_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise _refused(
            "value",
            f"更正值不符合字段 {field} 的格式（{column_type}），如日期写作 2020-01-31",
            f"the new value does not fit the column {field} ({column_type}); write dates as 2020-01-31",
        ) from None
    return text


def _fingerprint_of_row(folder: Path, row: int) -> int:
    fingerprints = pq.read_table(folder / FINGERPRINTS_FILE, columns=[FINGERPRINT_COLUMN]).column(0)
    return int(fingerprints[row - 1].as_py())


@dataclass(frozen=True, kw_only=True)
class _Checked:
    """A correction that passed every check but the record's lookup (one delivery, one row)."""

    delivery: Delivery
    row: int
    field: str
    value: str
    reason: str
    fingerprint: int


def _unit_delivery(contract: DatasetContract, unit_code: str, delivery_id: str, url: str | None) -> Delivery:
    """The unit's published delivery of the dataset; anything else is not found."""
    try:
        delivery = get_delivery(delivery_id, url)
    except NotFoundError:
        raise NotFoundError("no such delivery") from None
    if (
        delivery.unit_code != unit_code
        or delivery.dataset != contract.name
        or delivery.status is not DeliveryStatus.DELIVERED
        or not delivery.outbox_path
    ):
        raise NotFoundError("no such delivery")
    return delivery


def _check(
    contract: DatasetContract,
    delivery: Delivery,
    manifest: DeliveryManifest,
    *,
    row: int,
    field: str,
    value: str,
    reason: str,
) -> _Checked:
    if not 1 <= row <= manifest.rows:
        raise _refused(
            "row", f"行号须在 1 至 {manifest.rows} 之间", f"the row must be between 1 and {manifest.rows}"
        )
    received = {c.name for c in manifest.description.columns if c.action != DROP}
    if field not in received or field in contract.schema_.primary_key:
        raise _refused(
            "field",
            "只能更正您收到的非主键字段",
            "only a column your unit received, other than the record's key, can be corrected",
        )
    text = _checked_value(contract, field, value)
    if len(reason.strip()) < MIN_REASON:
        raise _refused("reason", "请说明更正理由（至少几个字）", "give a reason of at least a few words")
    return _Checked(
        delivery=delivery,
        row=row,
        field=field,
        value=text,
        reason=reason.strip(),
        fingerprint=_fingerprint_of_row(Path(delivery.outbox_path or ""), row),
    )


def _record_keys(contract: DatasetContract, checked: Sequence[_Checked], key: bytes) -> list[list[object]]:
    """The primary key of each checked correction's curated record, found in one pass per snapshot."""
    names = list(contract.schema_.primary_key)
    found: dict[tuple[int, int], list[object]] = {}
    for snapshot_id in {c.delivery.snapshot_id for c in checked}:
        keys = CuratedSnapshot(contract, snapshot_id).columns(names)
        prints = fingerprint(keys, key).to_numpy(zero_copy_only=False)
        wanted = np.array(
            [c.fingerprint for c in checked if c.delivery.snapshot_id == snapshot_id], np.uint64
        )
        for position in np.flatnonzero(np.isin(prints, wanted)).tolist():
            found[(snapshot_id, int(prints[position]))] = [keys.column(n)[position].as_py() for n in names]
    missing = [c for c in checked if (c.delivery.snapshot_id, c.fingerprint) not in found]
    if missing:
        raise _refused(
            "row",
            f"第 {missing[0].row} 行的记录已不在数据湖中（可能已被来源部门删除），无法更正",
            f"the record of row {missing[0].row} is no longer in the lake (the source may have removed it)",
        )
    return [found[(c.delivery.snapshot_id, c.fingerprint)] for c in checked]


def _insert(
    contract: DatasetContract,
    checked: Sequence[_Checked],
    record_keys: Sequence[list[object]],
    *,
    unit_code: str,
    filed_by: str,
    url: str | None,
) -> list[Correction]:
    """Store the corrections and their first step, all in one transaction."""
    now = utcnow()
    filed = []
    with session_scope(url) as session:
        for one, record_key in zip(checked, record_keys, strict=True):
            record = CorrectionRecord(
                id="C" + secrets.token_hex(8),
                dataset=contract.name,
                unit_code=unit_code,
                filed_by=filed_by,
                delivery_id=one.delivery.id,
                row_number=one.row,
                record_fingerprint=f"{one.fingerprint:016x}",
                record_key=record_key,
                field=one.field,
                proposed_value=one.value,
                reason=one.reason,
                status=CorrectionStatus.SUBMITTED.value,
                created_at=now,
            )
            session.add(record)
            session.flush()
            event = CorrectionEvent(
                correction_id=record.id,
                at=now,
                action=CorrectionAction.FILED.value,
                actor=filed_by,
                note=None,
            )
            session.add(event)
            filed.append((record, event))
        session.flush()
        return [_view(record, [event]) for record, event in filed]


def _manifest(contract: DatasetContract, delivery: Delivery, settings: Settings) -> DeliveryManifest:
    manifest = read_manifest(settings.outbox_path, delivery.unit_code, contract.name, delivery.id)
    if manifest is None:
        raise NotFoundError("no such delivery")
    return manifest


def file_correction(
    contract: DatasetContract,
    *,
    unit_code: str,
    filed_by: str,
    delivery_id: str,
    row: int,
    field: str,
    value: str,
    reason: str,
    settings: Settings,
    fingerprint_key: bytes,
    url: str | None = None,
) -> Correction:
    """File a unit's correction of one record it received.

    Raises:
        NotFoundError: the delivery is not this unit's delivered extract of the dataset.
        CorrectionError: a row outside the delivery, a column the unit did not receive (or a key
            column), a value that does not fit the column, no reason, a record no longer in the lake.
    """
    delivery = _unit_delivery(contract, unit_code, delivery_id, url)
    manifest = _manifest(contract, delivery, settings)
    checked = [_check(contract, delivery, manifest, row=row, field=field, value=value, reason=reason)]
    keys = _record_keys(contract, checked, fingerprint_key)
    return _insert(contract, checked, keys, unit_code=unit_code, filed_by=filed_by, url=url)[0]


def sheet_delivery(content: bytes) -> tuple[ReturnedForm, str]:
    """The returned 纠错 sheet and the delivery it names.

    Raises:
        CorrectionSheetError: the file or the sheet cannot be read, or a row is malformed.
    """
    form = read_correction_sheet(content)
    if form.problems or form.delivery_id is None:
        raise CorrectionSheetError([p.as_dict() for p in form.problems])
    return form, form.delivery_id


def file_correction_sheet(
    contract: DatasetContract,
    form: ReturnedForm,
    *,
    unit_code: str,
    filed_by: str,
    settings: Settings,
    fingerprint_key: bytes,
    url: str | None = None,
) -> list[Correction]:
    """File every row of a returned 纠错 sheet, or none: a sheet with a bad row is refused whole.

    Raises:
        NotFoundError: the sheet names a delivery that is not this unit's.
        CorrectionSheetError: every row that cannot be filed, with its sheet row and why.
    """
    delivery = _unit_delivery(contract, unit_code, form.delivery_id or "", url)
    manifest = _manifest(contract, delivery, settings)
    checked, problems = [], []
    for line in form.rows:
        try:
            checked.append(
                _check(
                    contract,
                    delivery,
                    manifest,
                    row=line.row,
                    field=line.field,
                    value=line.value,
                    reason=line.reason,
                )
            )
        except CorrectionError as refused:
            problems.append(
                FormProblem(
                    sheet_row=line.sheet_row,
                    field=refused.field,
                    message_zh=f"第 {line.sheet_row} 行：{refused.message_zh}",
                    message_en=f"sheet row {line.sheet_row}: {refused.message_en}",
                ).as_dict()
            )
    if problems:
        raise CorrectionSheetError(problems)
    keys = _record_keys(contract, checked, fingerprint_key)
    return _insert(contract, checked, keys, unit_code=unit_code, filed_by=filed_by, url=url)


ATTACHMENT_TYPES = {
    "application/pdf": b"%PDF-",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def attachment_path(settings: Settings, sha256: str) -> Path:
    """Where an attachment is kept (by its SHA-256, outside every unit's outbox)."""
    return settings.home / "attachments" / sha256[:2] / sha256


def attach(
    correction_id: str,
    content: bytes,
    media_type: str,
    *,
    unit_code: str,
    actor: str,
    settings: Settings,
    url: str | None = None,
) -> Correction:
    """Attach a document (PDF, JPEG or PNG, at most 10 MB) to a unit's own submitted correction.

    Raises:
        NotFoundError: not this unit's correction.
        CorrectionError: decided already, another type than its content, empty or too large.
    """
    with session_scope(url) as session:
        record = session.get(CorrectionRecord, correction_id)
        if record is None or record.unit_code != unit_code:
            raise NotFoundError("no such correction")
        if record.status != CorrectionStatus.SUBMITTED.value:
            raise _refused("status", "已处理的纠错不能再附加材料", "a decided correction takes no attachment")
        magic = ATTACHMENT_TYPES.get(media_type.split(";")[0].strip().lower())
        if magic is None or not content.startswith(magic):
            raise _refused(
                "attachment",
                "附件须为 PDF、JPEG 或 PNG，且内容与类型一致",
                "attach a PDF, JPEG or PNG whose content matches its type",
            )
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise _refused(
                "attachment", "附件过大（上限 10 MB）", "the attachment is too large (at most 10 MB)"
            )
        sha = hashlib.sha256(content).hexdigest()
        target = attachment_path(settings, sha)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{sha}.{secrets.token_hex(4)}")
            partial.write_bytes(content)
            partial.replace(target)
        record.attachment_sha256 = sha
        record.attachment_type = media_type.split(";")[0].strip().lower()
        record.attachment_bytes = len(content)
        now = utcnow()
        session.add(
            CorrectionEvent(
                correction_id=record.id, at=now, action=CorrectionAction.ATTACHED.value, actor=actor, note=sha
            )
        )
        session.flush()
    return get_correction(correction_id, url=url)


def _events(session: Session, correction_id: str) -> list[CorrectionEvent]:
    return list(
        session.scalars(
            select(CorrectionEvent)
            .where(CorrectionEvent.correction_id == correction_id)
            .order_by(CorrectionEvent.id)
        )
    )


def get_correction(correction_id: str, *, url: str | None = None) -> Correction:
    """One correction with its steps.

    Raises:
        NotFoundError: no such correction.
    """
    with session_scope(url) as session:
        record = session.get(CorrectionRecord, correction_id)
        if record is None:
            raise NotFoundError(f"没有更正 {correction_id} / no correction {correction_id}")
        return _view(record, _events(session, correction_id))


def list_corrections(
    *,
    dataset: str | None = None,
    unit_code: str | None = None,
    status: CorrectionStatus | None = None,
    url: str | None = None,
) -> list[Correction]:
    """Corrections, newest first, optionally of one dataset, exactly one unit or one status."""
    with session_scope(url) as session:
        query = select(CorrectionRecord).order_by(CorrectionRecord.created_at.desc(), CorrectionRecord.id)
        if dataset:
            query = query.where(CorrectionRecord.dataset == dataset)
        if unit_code:
            query = query.where(CorrectionRecord.unit_code == unit_code)
        if status:
            query = query.where(CorrectionRecord.status == status.value)
        return [_view(r, _events(session, r.id)) for r in session.scalars(query)]


def last_applied_at(dataset: str, *, url: str | None = None) -> datetime | None:
    """When a correction of the dataset was last applied (a delivery made before it lacks it)."""
    with session_scope(url) as session:
        latest = session.scalars(
            select(CorrectionRecord.applied_at)
            .where(CorrectionRecord.dataset == dataset, CorrectionRecord.applied_at.is_not(None))
            .order_by(CorrectionRecord.applied_at.desc())
            .limit(1)
        ).first()
    return _aware(latest) if latest else None


def applied_notices(dataset: str, *, url: str | None = None) -> list[CorrectionNotice]:
    """Every applied correction of the dataset, as notices (oldest first)."""
    with session_scope(url) as session:
        applied = session.scalars(
            select(CorrectionRecord)
            .where(
                CorrectionRecord.dataset == dataset, CorrectionRecord.status == CorrectionStatus.APPLIED.value
            )
            .order_by(CorrectionRecord.applied_at, CorrectionRecord.id)
        )
        return [
            CorrectionNotice(
                correction_id=r.id,
                fingerprint=int(r.record_fingerprint, 16),
                field=r.field,
                applied_at=_aware(r.applied_at or r.created_at),
            )
            for r in applied
        ]


def notices_for(grant_id: str, applied: Sequence[CorrectionNotice]) -> list[CorrectionNotice]:
    """The corrections applied since the grant's last delivery (none before its first: it never
    received the old values)."""
    if not applied:
        return []
    last = last_delivered(grant_id)
    return [n for n in applied if last is not None and n.applied_at > last.created_at]


def _steward(contract: DatasetContract, by: str | None, url: str | None) -> str:
    account = acting_account(by, url=url)
    department = contract.owner.department_code
    if not account.holds(Role.DEPARTMENT_STEWARD, department):
        raise AccessError(
            f"只有数据所属部门（{contract.owner.department}）的数据专员可以决定更正 / only a steward of the "
            f"owning department ({department}) decides corrections of {contract.name}"
        )
    return account.name


def reject_correction(
    correction_id: str, contract_of: ContractOf, *, by: str | None, reason: str, url: str | None = None
) -> Correction:
    """The steward rejects a submitted correction, with a reason the unit will read.

    Raises:
        NotFoundError: no such correction. AccessError: not the owner's steward, or no reason.
        CorrectionError: it was decided already.
    """
    if len(reason.strip()) < MIN_REASON:
        raise AccessError("请说明驳回理由 / give the reason for rejecting (--reason)")
    return _decide(correction_id, contract_of, by=by, reason=reason.strip(), accept=False, url=url)


def accept_correction(
    correction_id: str,
    contract_of: ContractOf,
    *,
    by: str | None,
    reason: str = "",
    url: str | None = None,
) -> Correction:
    """The steward accepts a submitted correction: it is applied as an overlay in the lake at once.

    Raises:
        NotFoundError: no such correction. AccessError: not the owner's steward.
        CorrectionError: it was decided already.
    """
    return _decide(correction_id, contract_of, by=by, reason=reason.strip() or None, accept=True, url=url)


def _decide(
    correction_id: str,
    contract_of: ContractOf,
    *,
    by: str | None,
    reason: str | None,
    accept: bool,
    url: str | None,
) -> Correction:
    current = get_correction(correction_id, url=url)
    contract = contract_of(current.dataset)
    steward = _steward(contract, by, url)
    now = utcnow()
    with session_scope(url) as session:
        record = session.get(CorrectionRecord, correction_id)
        assert record is not None
        if record.status != CorrectionStatus.SUBMITTED.value:
            raise _refused(
                "status",
                f"该更正已处理（{record.status}）",
                f"this correction was decided already ({record.status})",
            )
        record.decided_by, record.decided_at, record.decision_reason = steward, now, reason
        action = CorrectionAction.ACCEPTED if accept else CorrectionAction.REJECTED
        session.add(
            CorrectionEvent(correction_id=record.id, at=now, action=action.value, actor=steward, note=reason)
        )
        if accept:
            record.status, record.applied_at = CorrectionStatus.APPLIED.value, now
            session.add(
                CorrectionEvent(
                    correction_id=record.id,
                    at=now,
                    action=CorrectionAction.APPLIED.value,
                    actor=steward,
                    note=None,
                )
            )
        else:
            record.status = CorrectionStatus.REJECTED.value
        session.flush()
        if accept:
            _rewrite_overlay(session, contract)  # inside the transaction: no overlay without its record
    return get_correction(correction_id, url=url)


def retire_correction(
    correction_id: str, contract_of: ContractOf, *, by: str | None, reason: str, url: str | None = None
) -> Correction:
    """The steward withdraws an applied (or contradicted) correction: the source's value returns.

    Raises:
        NotFoundError: no such correction. AccessError: not the owner's steward, or no reason.
        CorrectionError: it is not laid over curated.
    """
    if len(reason.strip()) < MIN_REASON:
        raise AccessError("请说明撤回理由 / give the reason for retiring it (--reason)")
    current = get_correction(correction_id, url=url)
    contract = contract_of(current.dataset)
    steward = _steward(contract, by, url)
    now = utcnow()
    with session_scope(url) as session:
        record = session.get(CorrectionRecord, correction_id)
        assert record is not None
        if CorrectionStatus(record.status) not in LAID_OVER:
            raise _refused(
                "status",
                f"该更正未在生效中（{record.status}）",
                f"this correction is not in force ({record.status})",
            )
        record.status, record.settled_at = CorrectionStatus.RETIRED.value, now
        session.add(
            CorrectionEvent(
                correction_id=record.id,
                at=now,
                action=CorrectionAction.RETIRED.value,
                actor=steward,
                note=reason,
            )
        )
        session.flush()
        _rewrite_overlay(session, contract)
    return get_correction(correction_id, url=url)


def decide_correction(
    decision: str,
    correction_id: str,
    contract_of: ContractOf,
    *,
    by: str | None,
    reason: str = "",
    url: str | None = None,
) -> Correction:
    """A steward's ``accept``, ``reject`` or ``retire`` of a correction (see each of them)."""
    decide = {"accept": accept_correction, "reject": reject_correction, "retire": retire_correction}[decision]
    return decide(correction_id, contract_of, by=by, reason=reason, url=url)


@dataclass(frozen=True, kw_only=True)
class Review:
    """What one review of the corrections in force found: those the source now agrees with (their
    overlay retired) and those newly flagged because the source still differs."""

    confirmed: tuple[str, ...] = ()
    contradicted: tuple[str, ...] = ()


def _source_values(
    contract: DatasetContract, laid: Sequence[CorrectionRecord]
) -> dict[tuple[str, str], object]:
    """The source's own current value (curated, no overlay) of each corrected record and column."""
    key = list(contract.schema_.primary_key)
    fields = sorted({r.field for r in laid})
    snapshot = CuratedSnapshot(contract)
    rows = snapshot.columns([*key, *fields]).filter(pa.array(snapshot.current()))
    texts = record_keys_of(rows, key)
    wanted = pa.array(sorted({key_text(r.record_key) for r in laid}), pa.string())
    hit = pc.is_in(texts, value_set=wanted)
    found = rows.filter(hit)
    values: dict[tuple[str, str], object] = {}
    for i, text in enumerate(pc.filter(texts, hit).to_pylist()):
        for name in fields:
            values[(text, name)] = found.column(name)[i].as_py()
    return values


def review_applied(contract: DatasetContract, *, url: str | None = None) -> Review:
    """Compare every correction in force with what the source now says (run before each delivery).

    A correction the source now agrees with is ``confirmed`` and leaves the overlay; one the source
    still contradicts after :data:`CONTRADICTION_AFTER` reviews is flagged ``contradicted`` for the
    steward (and stays in force until the steward retires it).
    """
    now = utcnow()
    confirmed, contradicted = [], []
    with session_scope(url) as session:
        laid = list(
            session.scalars(
                select(CorrectionRecord).where(
                    CorrectionRecord.dataset == contract.name,
                    CorrectionRecord.status.in_([s.value for s in LAID_OVER]),
                )
            )
        )
        if not laid:
            return Review()
        source = _source_values(contract, laid)
        types = landing_schema(contract)
        for record in laid:
            wanted = pc.cast(pa.array([record.proposed_value]), types.field(record.field).type)[0].as_py()
            if source.get((key_text(record.record_key), record.field)) == wanted:
                record.status, record.settled_at = CorrectionStatus.CONFIRMED.value, now
                action, note = (
                    CorrectionAction.CONFIRMED,
                    "来源数据已采纳该值 / the source now holds this value",
                )
                confirmed.append(record.id)
            else:
                record.reviews += 1
                if record.status != CorrectionStatus.APPLIED.value or record.reviews < CONTRADICTION_AFTER:
                    continue
                record.status = CorrectionStatus.CONTRADICTED.value
                action = CorrectionAction.CONTRADICTED
                note = (
                    f"来源数据 {record.reviews} 次交付后仍不同 / the source still differs after "
                    f"{record.reviews} deliveries"
                )
                contradicted.append(record.id)
            session.add(
                CorrectionEvent(
                    correction_id=record.id, at=now, action=action.value, actor="source", note=note
                )
            )
        session.flush()
        if confirmed:
            _rewrite_overlay(session, contract)
    return Review(confirmed=tuple(confirmed), contradicted=tuple(contradicted))


def _rewrite_overlay(session: Session, contract: DatasetContract) -> None:
    applied = session.scalars(
        select(CorrectionRecord).where(
            CorrectionRecord.dataset == contract.name,
            CorrectionRecord.status == CorrectionStatus.APPLIED.value,
        )
    )
    write_overlay(
        contract,
        [
            OverlayRow(
                correction_id=r.id,
                record_key=key_text(r.record_key),
                field=r.field,
                value=r.proposed_value,
                applied_at=_aware(r.applied_at or r.created_at),
            )
            for r in applied
        ],
    )
