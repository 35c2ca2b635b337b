"""Returned workbooks dropped in a unit's folder of the correction inbox, filed in one sweep.

Each receiving unit has a folder ``<inbox>/<unit_code>/`` (permissioned for that unit alone, like its
outbox). :func:`take_in` files the 纠错 sheet of every ``*.xlsx`` there as that unit's corrections,
exactly as ``POST /api/v1/corrections/xlsx`` would, and moves the workbook to ``done/`` — or to
``refused/`` with ``<name>.problems.json`` naming each problem in Chinese and English (another unit's
workbook reads as an unknown delivery). A second sweep finds nothing left to do. The
``corrections_intake`` DAG sweeps every 15 minutes, leaving a workbook changed in the last minute
(``inbox_settle_seconds``) for the next sweep; ``huiliu corrections intake`` sweeps at once.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from huiliu.contracts.model import DatasetContract
from huiliu.errors import ContractError, CorrectionError, CorrectionSheetError, NotFoundError
from huiliu.policy.grants import active_grants
from huiliu.returnflow.corrections import file_correction_sheet, sheet_delivery
from huiliu.returnflow.push import fingerprint_key
from huiliu.returnflow.records import get_delivery
from huiliu.settings import Settings
from huiliu.store.leases import dataset_lease

UNIT_FOLDER = re.compile(r"^[0-9]{6,15}$")
DONE, REFUSED = "done", "refused"
ContractOf = Callable[[str], DatasetContract]


INBOX_LEASE = "corrections-inbox"
"""The lease one sweep holds: a scheduled sweep and one run by hand never file a workbook twice."""


@dataclass
class Intake:
    """What one sweep did: workbooks filed (with their corrections) and refused, and those left for
    the next sweep because they changed too recently (a copy may still be under way)."""

    filed: dict[str, list[str]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"filed": self.filed, "refused": self.refused, "waiting": self.waiting}


def _problem(zh: str, en: str, field_name: str = "file") -> list[dict[str, object]]:
    return [{"sheet_row": None, "field": field_name, "message_zh": zh, "message_en": en}]


_UNKNOWN = _problem(
    "工作簿所属的交付不存在或不属于本单位；请交回本单位收到的工作簿",
    "the workbook's delivery does not exist or is not this unit's; send back a workbook your unit received",
)


def _file_one(path: Path, unit: str, contract_of: ContractOf, settings: Settings) -> list[str]:
    """File the workbook's corrections as the unit's; raises CorrectionSheetError for any problem."""
    form, delivery_id = sheet_delivery(path.read_bytes())
    try:
        delivery = get_delivery(delivery_id)
        contract = contract_of(delivery.dataset)
    except (NotFoundError, ContractError):
        raise CorrectionSheetError(_UNKNOWN) from None
    if not any(g.unit_code == unit for g in active_grants(dataset=contract.name, unit_code=unit)):
        raise CorrectionSheetError(_UNKNOWN)
    try:
        filed = file_correction_sheet(
            contract,
            form,
            unit_code=unit,
            filed_by=f"inbox:{unit}",
            settings=settings,
            fingerprint_key=fingerprint_key(settings),
        )
    except NotFoundError:
        raise CorrectionSheetError(_UNKNOWN) from None
    except CorrectionError as refused:
        raise CorrectionSheetError(_problem(refused.message_zh, refused.message_en, refused.field)) from None
    return [c.id for c in filed]


def _move(path: Path, where: str) -> Path:
    folder = path.parent / where
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}.{int(path.stat().st_mtime_ns)}{path.suffix}"
    path.rename(target)
    return target


def take_in(
    settings: Settings, contract_of: ContractOf, settle_seconds: float = 0.0, now: float | None = None
) -> Intake:
    """File every workbook waiting in the units' folders (see the module docstring), holding the
    inbox's lease; a workbook changed less than ``settle_seconds`` before ``now`` (its time or its
    inode's: a copy keeping the source's time still changes the inode) waits for the next sweep.

    Raises:
        DatasetBusyError: another sweep held the inbox for the whole wait.
    """
    root = settings.inbox_path
    if not root.is_dir():
        return Intake()
    with dataset_lease(INBOX_LEASE, "intake"):
        return _sweep(root, settings, contract_of, (time.time() if now is None else now) - settle_seconds)


def _sweep(root: Path, settings: Settings, contract_of: ContractOf, settled_before: float) -> Intake:
    intake = Intake()
    for unit_folder in sorted(p for p in root.iterdir() if p.is_dir() and UNIT_FOLDER.match(p.name)):
        for path in sorted(unit_folder.glob("*.xlsx")):
            if path.is_symlink() or not path.is_file():
                continue
            status = path.stat()
            if max(status.st_mtime, status.st_ctime) > settled_before:
                intake.waiting.append(str(path))
                continue
            try:
                filed = _file_one(path, unit_folder.name, contract_of, settings)
            except CorrectionSheetError as refused:
                moved = _move(path, REFUSED)
                report = {"file": path.name, "problems": refused.problems}
                text = json.dumps(report, ensure_ascii=False, indent=2)
                moved.with_name(moved.name + ".problems.json").write_text(text, encoding="utf-8")
                intake.refused.append(str(moved))
                continue
            intake.filed[str(_move(path, DONE))] = filed
    return intake
