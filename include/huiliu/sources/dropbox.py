"""The drop folder of a file source: pending files, and moving them once read or rejected.

A department drops files into its folder. Files that were landed move to ``processed/`` beside
them; rejected files move to ``rejected/`` with two explanations beside them: ``<name>.reason.json``
for machines and ``<name>.reason.txt`` in Chinese and English for the department's staff, who are
not engineers. Nothing is ever overwritten: a name already taken gets a timestamp suffix.

Only regular files directly in the folder are read. A symbolic link is never followed, wherever it
points (outside the folder, to a folder, or to a file beside it): it is refused and moved, as a
link, to ``rejected/`` with its reason. ``processed/`` and ``rejected/`` must be real folders.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from huiliu.errors import ConfigurationError, FileRejectedError, RejectKind
from huiliu.sources.encoding import symlink_refused

log = logging.getLogger(__name__)

PROCESSED_DIR = "processed"
REJECTED_DIR = "rejected"
REASON_JSON_SUFFIX = ".reason.json"
REASON_TXT_SUFFIX = ".reason.txt"
_IGNORED_PREFIXES = (".", "~$")  # hidden files, Excel lock files
_IGNORED_SUFFIXES = (REASON_JSON_SUFFIX, REASON_TXT_SUFFIX, ".tmp", ".part", ".crdownload")

_SAVE_AS_CSV = "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”格式"
_SAVE_AS_XLSX = "请在 Excel 中另存为“Excel 工作簿（*.xlsx）”"

ZH_TEMPLATES: dict[RejectKind, str] = {
    RejectKind.EMPTY_FILE: "{where_zh}没有任何内容（应有表头行，包含：{expected}）{note_zh}",
    RejectKind.NO_HEADER: "{where_zh}前 {rows} 行中找不到表头行（表头应包含：{expected}）{note_zh}",
    RejectKind.MISSING_COLUMNS: "第 {line} 行的表头缺少必需的列：{missing}（{where_zh}中的表头为：{found}）",
    RejectKind.DUPLICATE_COLUMNS: (
        "第 {line} 行的表头中「{column}」列出现了不止一次，请只保留一列，删除或重命名其他列"
    ),
    RejectKind.UNDECODABLE: (
        "第 {line} 行含有无法按 {encoding} 编码识别的字符（{origin_zh}），文件混用了多种编码或已损坏，"
        + _SAVE_AS_CSV
        + "{fix_zh}"
    ),
    RejectKind.UNSUPPORTED_ENCODING: "文件是 {encoding} 编码的文本（Excel 的“Unicode 文本”），系统不支持，"
    + _SAVE_AS_CSV,
    RejectKind.NUL_BYTES: (
        "第 {line} 行含有空字符（NUL），文件可能是二进制文件、UTF-16 编码或已损坏，" + _SAVE_AS_CSV
    ),
    RejectKind.COLUMN_COUNT: "第 {line} 行列数不符（应为 {expected} 列，实际 {found} 列）{hint_zh}",
    RejectKind.TRUNCATED: (
        "最后一行（第 {line} 行）不完整（应为 {expected} 列，实际 {found} 列），文件可能在传输中被截断，"
        "请重新报送完整的文件"
    ),
    RejectKind.UNTERMINATED_QUOTE: (
        '第 {line} 行开始的带引号字段{until_zh}，请补上闭合的双引号，或把字段中的双引号写成两个（""）{fix_zh}'
    ),
    RejectKind.MALFORMED_CSV: (
        '第 {line} 行不符合 CSV 格式：右双引号后面还有其他字符；字段中的双引号应写成两个（""），'
        "并用双引号把整个字段括起来"
    ),
    RejectKind.NOT_A_WORKBOOK: "文件不是有效的 Excel 工作簿（{why_zh}），" + _SAVE_AS_XLSX,
    RejectKind.LEGACY_XLS: "文件是旧版 Excel 97-2003（.xls）格式，系统不支持，" + _SAVE_AS_XLSX,
    RejectKind.SHEET_NOT_FOUND: (
        "找不到工作表“{sheet_zh}”（工作簿中的工作表：{sheets_zh}），请将工作表改名，"
        "或请数据管理员更正合同中的工作表名称"
    ),
    RejectKind.PRECISION_LOST: (
        "第 {line} 行「{column}」列{cause_zh}，请在 Excel 中把该列设置为“文本”格式后重新录入"
    ),
    RejectKind.BAD_VALUE: "第 {line} 行「{column}」列{reason_zh}",
    RejectKind.EXCEL_ERROR: (
        "第 {line} 行「{column}」列是 Excel 错误值（如 #N/A、#VALUE!、#REF!）而不是数据，"
        "请修正公式或直接填写数据"
    ),
    RejectKind.DATA_AFTER_FOOTER: (
        "第 {line} 行是数据行，却位于第 {footer_line} 行的表尾（{marker}）之后，无法确定是否计入合计，"
        "请把数据行移到表尾之前或删除"
    ),
    RejectKind.FORMULA_NOT_CALCULATED: (
        "第 {line} 行「{column}」列是公式，但文件中没有计算结果（文件由程序生成、未经 Excel 保存），"
        "请用 Excel 或 WPS 打开文件并保存，使公式算出结果"
    ),
    RejectKind.MIXED_ENCODING: (
        "第 {line} 行的文字不是 GBK 编码，其编码为 {found_zh}，文件混用了多种编码，该行入库后会成为乱码；"
        "请打开文件，将整个文件重新另存为“CSV UTF-8（逗号分隔）”（或 GBK）格式"
    ),
    RejectKind.FIELD_TOO_LONG: "第 {line} 行{what_zh}；请缩短该值，或检查分隔符是否正确、双引号是否都已闭合",
    RejectKind.LINE_BREAK_IN_FIELD: (
        "第 {line} 行有未加双引号的字段含有换行符（回车符或换行符），"
        "请用双引号把该字段括起来，或删除其中的换行符"
    ),
    RejectKind.ENCRYPTED_WORKBOOK: (
        "文件是设置了打开密码（已加密）的 Excel 工作簿，无法读取；请在 Excel 中打开文件，取消密码"
        "（文件 > 信息 > 保护工作簿 > 用密码进行加密，清空密码），再另存为不带密码的“Excel 工作簿（*.xlsx）”"
    ),
    RejectKind.SYMLINK: (
        "文件是一个符号链接（指向其他文件的快捷方式），系统不读取链接，因为链接可能指向投递目录以外的文件；"
        "请把文件本身放入投递目录，而不是指向它的链接"
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
        error: the rejection; one without a kind gets a generic text.

    Returns:
        e.g. ``文件被拒收（a.csv）：第 12 行列数不符（应为 8 列，实际 7 列）。请修正后重新报送。``
    """
    detail = None
    if error.kind is not None:
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
    """Whether a name is used by a file (or a link, even a broken one) or by a rejected one's reasons."""
    names = (target.name, target.name + REASON_JSON_SUFFIX, target.name + REASON_TXT_SUFFIX)
    return any(os.path.lexists(target.with_name(name)) for name in names)


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


def _subfolder(parent: Path, name: str) -> Path:
    """``processed/`` or ``rejected/`` of a drop folder, created if needed; it must be a real folder."""
    folder = parent / name
    folder.mkdir(exist_ok=True)
    if not stat.S_ISDIR(folder.lstat().st_mode):
        raise ConfigurationError(
            f"{folder} 不是文件夹（可能是指向别处的链接），请换成真正的文件夹 / "
            f"{folder} is not a folder (it may be a link to another place); replace it with a real folder"
        )
    return folder


def _move(path: Path, subfolder: str) -> Path:
    """Move a file (or a link itself) into a sibling subfolder without overwriting anything."""
    target = _free_target(_subfolder(path.parent, subfolder), path.name)
    path.rename(target)
    return target


def _write_new(path: Path, text: str) -> None:
    """Write a new file; never through a link, never over an existing file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(path, flags, 0o644), "w", encoding="utf-8") as handle:
        handle.write(text)


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
    kind = error.kind.value if error.kind is not None else None
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
    _write_new(
        target.with_name(target.name + REASON_JSON_SUFFIX),
        json.dumps(record, ensure_ascii=False, indent=2) + "\n",
    )
    _write_new(target.with_name(target.name + REASON_TXT_SUFFIX), f"{zh}\n{en}\n")
    return target


def accept_file(path: Path) -> Path:
    """Move a landed file to ``processed/`` beside it (never overwriting); return its new path."""
    return _move(path, PROCESSED_DIR)


def _ignored(name: str) -> bool:
    """Hidden files, Excel lock files, partial uploads and reason files are never picked up."""
    return name.startswith(_IGNORED_PREFIXES) or name.endswith(_IGNORED_SUFFIXES)


def refuse_link(path: Path) -> FileRejectedError:
    """Move a symbolic link found in a drop folder (the link, not its target) to ``rejected/``.

    Returns:
        The rejection, as written beside the moved link.
    """
    error = symlink_refused(path.name)
    log.warning("drop folder %s: %s", path.parent, error)
    reject_file(path, error)
    return error


@dataclass(frozen=True)
class DropScan:
    """What a drop folder holds for a pattern: regular files to land, and symbolic links to refuse."""

    files: list[Path]
    links: list[Path]


def scan_drop_folder(folder: Path, pattern: str) -> DropScan:
    """The folder's own entries matching a glob, sorted by name; nothing is moved or followed.

    A match outside the folder (through ``..`` or a linked subfolder in the pattern) or that is
    neither a regular file nor a link (a folder, a pipe) is left out. A missing folder holds nothing.

    Args:
        folder: the drop folder (not ``processed/`` or ``rejected/``).
        pattern: the contract's glob, e.g. ``unemployment_benefit_*.csv``.
    """
    if not folder.is_dir():
        return DropScan([], [])
    root = folder.resolve()
    files: list[Path] = []
    links: list[Path] = []
    for path in folder.glob(pattern):
        if path.parent != folder or _ignored(path.name):
            continue
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:  # gone since the folder was listed
            continue
        if stat.S_ISLNK(mode):
            links.append(path)
        elif stat.S_ISREG(mode) and path.resolve().parent == root:
            files.append(path)
    return DropScan(sorted(files, key=lambda p: p.name), sorted(links, key=lambda p: p.name))


def pending_files(folder: Path, pattern: str) -> list[Path]:
    """Regular files in the folder itself matching a glob, sorted; matching links are refused.

    Nothing is followed: a symbolic link matching the pattern is moved to ``rejected/`` on the way
    (:func:`refuse_link`); see :func:`scan_drop_folder` for what else is left out.
    """
    scan = scan_drop_folder(folder, pattern)
    for link in scan.links:
        refuse_link(link)
    return scan.files
