"""The drop folder of a file source: pending files, and moving them once read or rejected.

A department drops files into its folder. Files that were landed move to ``processed/`` beside
them; rejected files move to ``rejected/`` with two explanations beside them: ``<name>.reason.json``
for machines and ``<name>.reason.txt`` in Chinese and English for the department's staff, who are
not engineers. Nothing is ever overwritten: a name already taken gets a timestamp suffix.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from huiliu.errors import FileRejectedError
from huiliu.sources.encoding import FileRejectionError, RejectKind

PROCESSED_DIR = "processed"
REJECTED_DIR = "rejected"
REASON_JSON_SUFFIX = ".reason.json"
REASON_TXT_SUFFIX = ".reason.txt"
_IGNORED_PREFIXES = (".", "~$")  # hidden files, Excel lock files
_IGNORED_SUFFIXES = (REASON_JSON_SUFFIX, REASON_TXT_SUFFIX, ".tmp", ".part", ".crdownload")

_SAVE_AS_CSV = "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”格式"
_SAVE_AS_XLSX = "请在 Excel 中另存为“Excel 工作簿（*.xlsx）”"

ZH_TEMPLATES: dict[RejectKind, str] = {
    RejectKind.EMPTY_FILE: "文件为空，没有任何内容（应有表头行，包含：{expected}）",
    RejectKind.NO_HEADER: "{where_zh}前 {rows} 行中找不到表头行（表头应包含：{expected}）{note_zh}",
    RejectKind.MISSING_COLUMNS: "第 {line} 行的表头缺少必需的列：{missing}（文件中的表头为：{found}）",
    RejectKind.DUPLICATE_COLUMNS: "第 {line} 行的表头中「{column}」列出现了不止一次",
    RejectKind.UNDECODABLE: (
        "第 {line} 行含有无法按 {encoding} 编码识别的字符，文件可能混用了多种编码或已损坏，" + _SAVE_AS_CSV
    ),
    RejectKind.UNSUPPORTED_ENCODING: "文件采用 {encoding} 编码，系统不支持，" + _SAVE_AS_CSV,
    RejectKind.NUL_BYTES: "第 {line} 行含有空字符（NUL），文件可能已损坏或不是文本格式",
    RejectKind.COLUMN_COUNT: "第 {line} 行列数不符（应为 {expected} 列，实际 {found} 列）",
    RejectKind.TRUNCATED: (
        "最后一行（第 {line} 行）不完整（应为 {expected} 列，实际 {found} 列），文件可能在传输中被截断"
    ),
    RejectKind.UNTERMINATED_QUOTE: (
        "第 {line} 行开始的带引号字段直到文件末尾都没有闭合，文件可能被截断或含有多余的双引号"
    ),
    RejectKind.MALFORMED_CSV: "第 {line} 行不符合 CSV 格式（双引号使用不正确）",
    RejectKind.NOT_A_WORKBOOK: "文件不是有效的 Excel 工作簿，" + _SAVE_AS_XLSX,
    RejectKind.LEGACY_XLS: "文件是旧版 Excel 97-2003（.xls）格式，" + _SAVE_AS_XLSX,
    RejectKind.SHEET_NOT_FOUND: "找不到工作表“{sheet}”（文件中的工作表：{sheets}）",
    RejectKind.PRECISION_LOST: (
        "第 {line} 行「{column}」列的数字超过 {digits} 位，被 Excel 按数字保存后已丢失精度"
        "（例如身份证号），请把该列设置为“文本”格式后重新录入"
    ),
    RejectKind.BAD_VALUE: "第 {line} 行「{column}」列的值不是有效的{expected_zh}",
    RejectKind.EXCEL_ERROR: (
        "第 {line} 行「{column}」列是 Excel 错误值（如 #N/A、#VALUE!），请修正公式或直接填写数据"
    ),
    RejectKind.DATA_AFTER_FOOTER: (
        "第 {line} 行是数据行，却位于第 {footer_line} 行的表尾（{marker}）之后，无法确定是否计入合计，"
        "请把数据行移到表尾之前或删除"
    ),
    RejectKind.FORMULA_NOT_CALCULATED: (
        "第 {line} 行「{column}」列是公式，但文件中没有计算结果（文件由程序生成、未经 Excel 保存），"
        "请用 Excel 或 WPS 打开文件并保存，使公式算出结果"
    ),
}


def _zh_location(error: FileRejectedError) -> str:
    """``第 N 行「列」列`` for errors without a template."""
    where = f"第 {error.line} 行" if error.line is not None else ""
    if error.column is not None:
        where += f"「{error.column}」列"
    return where


def message_zh(error: FileRejectedError) -> str:
    """The Chinese explanation of a rejection, for the department's staff.

    Args:
        error: the rejection; a plain ``FileRejectedError`` (without a kind) gets a generic text.

    Returns:
        e.g. ``文件被拒收（a.csv）：第 12 行列数不符（应为 8 列，实际 7 列）。请修正后重新报送。``
    """
    detail = None
    if isinstance(error, FileRejectionError):
        fields = {**error.details, "line": error.line, "column": error.column, "file": error.file}
        try:
            detail = ZH_TEMPLATES[error.kind].format_map(fields)
        except (KeyError, ValueError):
            detail = None
    if detail is None:
        detail = f"{_zh_location(error)}不符合报送要求（详见下方英文说明）"
    return f"文件被拒收（{error.file}）：{detail}。请修正后重新报送。"


def message_en(error: FileRejectedError) -> str:
    """The English explanation of a rejection."""
    return f"File rejected: {error}. Please correct the file and deliver it again."


def _taken(target: Path) -> bool:
    """Whether a name is used by a file or by the reason files of a rejected one."""
    reason = target.with_name(target.name + REASON_JSON_SUFFIX)
    return target.exists() or reason.exists()


def _free_target(folder: Path, name: str) -> Path:
    """``folder/name``, or with a timestamp (and counter) suffix if that name is taken."""
    target = folder / name
    if not _taken(target):
        return target
    original = Path(name)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = folder / f"{original.stem}.{stamp}{original.suffix}"
    counter = 1
    while _taken(candidate):
        candidate = folder / f"{original.stem}.{stamp}-{counter}{original.suffix}"
        counter += 1
    return candidate


def _move(path: Path, subfolder: str) -> Path:
    """Move a file into a sibling subfolder (created if needed) without overwriting anything."""
    folder = path.parent / subfolder
    folder.mkdir(exist_ok=True)
    target = _free_target(folder, path.name)
    path.rename(target)
    return target


def reject_file(path: Path, error: FileRejectedError) -> Path:
    """Move a rejected file to ``rejected/`` beside it and write why, in Chinese and English.

    Writes ``<name>.reason.json`` (file, line, column, reason, kind, messages, rejected_at) and
    ``<name>.reason.txt`` beside the moved file, ``<name>`` being its name in ``rejected/``.

    Args:
        path: the dropped file.
        error: why it was rejected.

    Returns:
        The file's new path.
    """
    rejected_at = datetime.now(UTC).isoformat(timespec="seconds")
    target = _move(path, REJECTED_DIR)
    kind = error.kind.value if isinstance(error, FileRejectionError) else None
    zh, en = message_zh(error), message_en(error)
    record = {
        "file": path.name,
        "stored_as": target.name,
        "line": error.line,
        "column": error.column,
        "reason": error.reason,
        "kind": kind,
        "message_zh": zh,
        "message_en": en,
        "rejected_at": rejected_at,
    }
    target.with_name(target.name + REASON_JSON_SUFFIX).write_text(
        json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    target.with_name(target.name + REASON_TXT_SUFFIX).write_text(f"{zh}\n{en}\n", encoding="utf-8")
    return target


def accept_file(path: Path) -> Path:
    """Move a landed file to ``processed/`` beside it (never overwriting); return its new path."""
    return _move(path, PROCESSED_DIR)


def _ignored(name: str) -> bool:
    """Hidden files, Excel lock files, partial uploads and reason files are never picked up."""
    return name.startswith(_IGNORED_PREFIXES) or name.endswith(_IGNORED_SUFFIXES)


def pending_files(folder: Path, pattern: str) -> list[Path]:
    """Files in the folder itself (not ``processed/`` or ``rejected/``) matching a glob, sorted.

    Args:
        folder: the drop folder; a missing folder has no pending files.
        pattern: the contract's glob, e.g. ``unemployment_benefit_*.csv``.

    Returns:
        The matching regular files, sorted by name.
    """
    if not folder.is_dir():
        return []
    found = (p for p in folder.glob(pattern) if p.parent == folder and p.is_file() and not _ignored(p.name))
    return sorted(found, key=lambda p: p.name)
