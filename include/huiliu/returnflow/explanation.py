"""The 说明 (about this data) of a delivery, in Chinese with English beside: what the unit needs to read it.

Which dataset and department the rows come from, when the snapshot was taken, who the steward is
and how to reach them, the grant and its purpose, the policy version, what each column is and what
was done to it and why, how to send a correction, and how the files keep formulas inert. The XLSX
writer lays it out as the 说明 sheet; the content is plain data so it can be tested and reused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from huiliu.returnflow.manifest import DeliveredColumn, DeliveryDescription

ACTION_LABELS: dict[str, tuple[str, str]] = {
    "keep": ("保留原值", "kept as is"),
    "mask": ("部分遮盖", "partly masked"),
    "generalize": ("泛化（降低精度）", "generalised (made coarser)"),
    "generalise": ("泛化（降低精度）", "generalised (made coarser)"),
    "hash": ("密钥哈希（不可还原，可用于关联）", "keyed hash (irreversible, can be joined on)"),
    "anonymize": ("去除其中的个人信息", "personal information removed"),
    "anonymise": ("去除其中的个人信息", "personal information removed"),
    "drop": ("未提供（不在文件中）", "withheld (not in the files)"),
}
"""Each column action as the unit reads it (zh, en); an unknown action is shown as its name."""


@dataclass(frozen=True, kw_only=True)
class SheetSpan:
    """A data sheet and the data rows it holds (1-based, counted over the whole extract)."""

    name: str
    first: int
    last: int


@dataclass(frozen=True, kw_only=True)
class Explanation:
    """The 说明 of one delivery.

    Attributes:
        facts: (label zh, value zh, label en, value en) about the delivery.
        columns: (header, name, action zh, reason zh, action en, reason en) per column.
        notes: (heading zh, text zh, heading en, text en): corrections, formula safety, files, limits.
    """

    facts: tuple[tuple[str, str, str, str], ...]
    columns: tuple[tuple[str, str, str, str, str, str], ...]
    notes: tuple[tuple[str, str, str, str], ...]


def _when(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")


def _or(value: str, zh: bool) -> str:
    return value.strip() or ("（未提供）" if zh else "(not given)")


def _column(column: DeliveredColumn) -> tuple[str, str, str, str, str, str]:
    action_zh, action_en = ACTION_LABELS.get(column.action, (column.action, column.action))
    return (column.header, column.name, action_zh, column.reason_zh, action_en, column.reason_en)


def _facts(d: DeliveryDescription, rows: int, zone: str) -> list[tuple[str, str, str, str]]:
    snapshot = _when(d.snapshot_committed_at, zone)
    facts = [
        (
            "数据集",
            f"{d.dataset_title}（{d.dataset}）",
            "Dataset",
            f"{d.dataset_title_en or d.dataset_title} ({d.dataset})",
        ),
        ("来源部门", d.department, "Source department", d.department_en or d.department),
        ("数据管理员", _or(d.steward, True), "Data steward", _or(d.steward, False)),
        ("联系方式", _or(d.steward_contact, True), "Contact", _or(d.steward_contact, False)),
        ("接收单位", f"{d.unit_name}（{d.unit_code}）", "Recipient unit", f"{d.unit_name} ({d.unit_code})"),
        ("授权编号", d.grant_id, "Grant", d.grant_id),
    ]
    if d.purpose:
        facts.append(("用途", f"{d.purpose}（仅限此用途）", "Purpose", f"{d.purpose} (this purpose only)"))
    if d.legal_basis:
        facts.append(("法律依据", d.legal_basis, "Legal basis", d.legal_basis))
    if d.grant_expires_at:
        expires = _when(d.grant_expires_at, zone)
        facts.append(("授权有效期至", expires, "Grant expires", expires))
    facts += [
        ("数据快照", f"{d.snapshot_id}，{snapshot} 生成", "Snapshot", f"{d.snapshot_id} of {snapshot}"),
        ("回流策略版本", d.policy_version, "Return policy version", d.policy_version),
        ("交付编号", d.delivery_id, "Delivery", d.delivery_id),
        ("交付时间", _when(d.delivered_at, zone), "Delivered at", _when(d.delivered_at, zone)),
        ("行数", f"{rows:,}", "Rows", f"{rows:,}"),
        ("时区", f"所有时间均为 {zone} 时间", "Time zone", f"all times are in {zone}"),
    ]
    return facts


def _sheets_note(sheets: Sequence[SheetSpan], sheet_rows: int) -> tuple[str, str, str, str]:
    spans_zh = "；".join(f"{s.name}：第 {s.first:,}–{s.last:,} 行" for s in sheets)
    spans_en = "; ".join(f"{s.name}: rows {s.first:,}-{s.last:,}" for s in sheets)
    return (
        "分表",
        f"Excel 每个工作表最多 {sheet_rows + 1:,} 行（含表头），"
        f"本数据分在 {len(sheets)} 个工作表中：{spans_zh}。",
        "Split sheets",
        f"An Excel sheet holds at most {sheet_rows + 1:,} rows (header included); the rows are split over "
        f"{len(sheets)} sheets: {spans_en}.",
    )


def _notes(
    d: DeliveryDescription, sheets: Sequence[SheetSpan], sheet_rows: int, truncated: int
) -> list[tuple[str, str, str, str]]:
    notes = [
        ("如何纠错", d.correction_zh, "How to send a correction", d.correction_en),
        (
            "公式安全",
            "以 = + - @ 开头（或其前有制表符、换行）的内容一律按文本保存，不会作为公式执行；"
            "CSV 文件中这类内容前加了一个单引号 '。",
            "Formula safety",
            "Text starting with = + - or @ (or with tabs or line breaks before one) is stored as text and "
            "never runs as a formula; in the CSV file such text carries one leading single quote '.",
        ),
        (
            "文件",
            f"同一数据另有 {d.dataset}.parquet 与 {d.dataset}.csv（UTF-8，表头为字段名，供程序导入）。"
            "用 Excel 直接打开 CSV 时，身份证号等长数字可能显示为科学计数法并丢失末尾数字，"
            "请使用本 .xlsx 文件。",
            "Files",
            f"The same rows are in {d.dataset}.parquet and {d.dataset}.csv (UTF-8, machine column names in "
            "the header, for programs). Excel shows long digit strings such as ID numbers in a CSV file in "
            "scientific notation and loses their last digits: use this .xlsx file in Excel.",
        ),
    ]
    if len(sheets) > 1:
        notes.append(_sheets_note(sheets, sheet_rows))
    if truncated:
        notes.append(
            (
                "截断",
                f"有 {truncated:,} 个单元格超过 Excel 每格 32,767 字符的上限，已截断；"
                "完整内容见 .parquet 与 .csv 文件。",
                "Truncated cells",
                f"{truncated:,} cells exceed Excel's 32,767 characters per cell and are cut short; the full "
                "text is in the .parquet and .csv files.",
            )
        )
    return notes


def explain(
    description: DeliveryDescription,
    *,
    rows: int,
    sheets: Sequence[SheetSpan],
    sheet_rows: int,
    truncated_cells: int,
    zone: str,
) -> Explanation:
    """The 说明 of a delivery.

    Args:
        description: the delivery.
        rows: data rows delivered.
        sheets: the data sheets and their row spans.
        sheet_rows: data rows one sheet holds at most.
        truncated_cells: cells cut to Excel's per-cell limit.
        zone: the time zone times are shown in.
    """
    return Explanation(
        facts=tuple(_facts(description, rows, zone)),
        columns=tuple(_column(c) for c in description.columns),
        notes=tuple(_notes(description, sheets, sheet_rows, truncated_cells)),
    )
