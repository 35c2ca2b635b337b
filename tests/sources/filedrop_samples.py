"""Synthetic department files (all values invented) and helpers to write them, for the file tests."""

from __future__ import annotations

import csv
import datetime as dt
import io
import struct
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import xlsxwriter

from huiliu.contracts.arrow import arrow_schema
from huiliu.contracts.model import DatasetContract
from huiliu.sources.files import FileExtraction

UB_TITLE = "XX市失业保险待遇发放明细（2026年10月）"
UB_HEADER = ["业务流水号", "身份证号", "姓名", "参保状态", "领取月数", "月发放金额", "起始日期", "社区代码"]
UB_ROWS = [
    ["BX2026100001", "520102199003074514", "张三", "参保", "3", "1,234.50", "2026-01-05", "520102001001"],
    ["BX2026100002", "52010219850712002X", "李小梅", "暂停", "12", "980.00", "2025/12/1", "520102001002"],
    ["BX2026100003", "520103197001011234", "欧阳明", "参保", "", "2,000", "20251115", "520103002001"],
    ["BX2026100004", "520103198811230021", "赵六", "终止", "１", "1500.5", "2025年11月3日", "520103002002"],
    ["BX2026100005", "520111199912310018", "钱七", "参保", "6", "0.50", " 2025-10-31 ", "520111001003"],
]
UB_EXPECTED = {
    "record_id": [r[0] for r in UB_ROWS],
    "id_number": [r[1] for r in UB_ROWS],
    "name": [r[2] for r in UB_ROWS],
    "insured_status": [r[3] for r in UB_ROWS],
    "benefit_months": [3, 12, None, 1, 6],
    "monthly_amount": [
        Decimal("1234.50"),
        Decimal("980.00"),
        Decimal("2000.00"),
        Decimal("1500.50"),
        Decimal("0.50"),
    ],
    "start_date": [
        dt.date(2026, 1, 5),
        dt.date(2025, 12, 1),
        dt.date(2025, 11, 15),
        dt.date(2025, 11, 3),
        dt.date(2025, 10, 31),
    ],
    "community_code": [r[7] for r in UB_ROWS],
}

VP_TITLE = "XX社区志愿服务积分明细（2026年1月）"
VP_HEADER = ["记录编号", "身份证号", "姓名", "服务活动", "积分变动", "积分规则", "社区代码", "记录日期"]
VP_ROWS: list[list[object]] = [
    ["JF0001", "520102199003074514", "张三", "助餐服务", 5, "R01", 520102001001, dt.datetime(2026, 1, 5)],
    ["JF0002", "52010219850712002X", "李小梅", "环境清洁", -2, "R07", "520102001002", "2026/1/6"],
    [
        "JF0003",
        "520103197001011234",
        "欧阳明",
        "文明劝导",
        3.0,
        "R03",
        520103002001.0,
        dt.datetime(2026, 1, 7),
    ],
    ["JF0004", "520103198811230021", "赵六", "助老陪护", "10", "R02", "520103002002", 20260108],
    ["JF0005", "520111199912310018", "钱七", "助餐服务", None, "R01", "520111001003", "2026年1月9日"],
]
VP_EXPECTED = {
    "record_id": ["JF0001", "JF0002", "JF0003", "JF0004", "JF0005"],
    "id_number": [r[1] for r in VP_ROWS],
    "name": [r[2] for r in VP_ROWS],
    "activity": [r[3] for r in VP_ROWS],
    "points": [5, -2, 3, 10, None],
    "rule_id": [r[5] for r in VP_ROWS],
    "community_code": ["520102001001", "520102001002", "520103002001", "520103002002", "520111001003"],
    "recorded_at": [dt.date(2026, 1, day) for day in (5, 6, 7, 8, 9)],
}

# Values in the rows above that messages must never repeat.
PERSONAL_VALUES = [r[1] for r in UB_ROWS] + [r[2] for r in UB_ROWS]


def csv_text(
    rows: list[list[str]],
    *,
    header: list[str] | None = None,
    title: str | None = UB_TITLE,
    newline: str = "\r\n",
    delimiter: str = ",",
) -> str:
    """CSV text as Excel writes it: an optional title row (padded with delimiters), header, rows."""
    header = UB_HEADER if header is None else header
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline, delimiter=delimiter)
    if title is not None:
        writer.writerow([title] + [""] * (len(header) - 1))
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv(
    path: Path, rows: list[list[str]] | None = None, *, encoding: str = "utf-8", **options: object
) -> Path:
    """Write a CSV drop; ``options`` are those of :func:`csv_text`."""
    path.write_bytes(csv_text(UB_ROWS if rows is None else rows, **options).encode(encoding))  # type: ignore[arg-type]
    return path


def write_xlsx_openpyxl(
    path: Path,
    rows: list[list[object]] | None = None,
    *,
    header: list[str] | None = None,
    title: str | None = VP_TITLE,
    sheet: str = "Sheet1",
) -> Path:
    """An XLSX drop written by openpyxl: merged title row, a blank row, header, typed cells."""
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    if title is not None:
        worksheet.append([title])
        worksheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=8)
        worksheet.append([])
    worksheet.append(VP_HEADER if header is None else header)
    for row in VP_ROWS if rows is None else rows:
        worksheet.append(row)
    workbook.save(path)
    return path


def write_xlsx_xlsxwriter(
    path: Path,
    rows: list[list[object]] | None = None,
    *,
    header: list[str] | None = None,
    title: str | None = VP_TITLE,
    sheet: str = "Sheet1",
) -> Path:
    """The same drop written by xlsxwriter (shared strings; dates as formatted serial numbers)."""
    workbook = xlsxwriter.Workbook(str(path))
    worksheet = workbook.add_worksheet(sheet)
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    row_index = 0
    if title is not None:
        worksheet.merge_range(0, 0, 0, 7, title)
        row_index = 2
    worksheet.write_row(row_index, 0, VP_HEADER if header is None else header)
    for offset, row in enumerate(VP_ROWS if rows is None else rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, dt.datetime):
                worksheet.write_datetime(row_index + offset, column, value, date_format)
            elif value is not None:
                worksheet.write(row_index + offset, column, value)
    workbook.close()
    return path


def read_all(
    path: Path, contract: DatasetContract, batch_rows: int = 50_000
) -> tuple[pa.Table, FileExtraction]:
    """Read a drop completely; return its table and the extraction (for its report)."""
    extraction = FileExtraction(path, contract, batch_rows=batch_rows)
    batches = list(extraction)
    for batch in batches:
        assert batch.schema == arrow_schema(contract)
    return pa.Table.from_batches(batches, schema=arrow_schema(contract)), extraction


def with_source(contract: DatasetContract, **changes: object) -> DatasetContract:
    """The contract with some ``source`` fields changed (e.g. encoding, sheet)."""
    return contract.model_copy(update={"source": contract.source.model_copy(update=changes)})


def with_optional(contract: DatasetContract, *names: str) -> DatasetContract:
    """The contract with some columns made non-required."""
    columns = [c.model_copy(update={"required": False}) if c.name in names else c for c in contract.columns]
    return contract.model_copy(update={"schema_": contract.schema_.model_copy(update={"columns": columns})})


def assert_no_personal_values(message: str, *values: str) -> None:
    """A rejection message must not repeat any cell value."""
    for value in [*PERSONAL_VALUES, *values]:
        assert value.strip() not in message, "the message repeats a cell value"


_CFB_FREE, _CFB_END, _CFB_FAT, _CFB_NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_CFB_SECTOR = 512


def _cfb_entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
    """One 128-byte directory entry of a compound file (kind 5 root, 2 stream, 0 unused)."""
    encoded = f"{name}\0".encode("utf-16-le") if name else b""
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", _CFB_NONE, right, child)
        + bytes(16 + 4 + 16)
        + struct.pack("<IQ", start, size)
    )


def cfb_bytes(streams: dict[str, bytes]) -> bytes:
    """A minimal valid compound file (OLE2, version 3) holding the given streams at its root.

    Streams shorter than 4096 bytes are padded with zeros to that size, so that they live in regular
    sectors (no mini stream).
    Used for an old .xls (a ``Workbook`` stream) and a password-protected .xlsx (``EncryptionInfo``
    and ``EncryptedPackage`` streams, as Office writes them).
    """
    names = sorted(streams, key=lambda n: (len(n), n.upper()))  # the order of the directory tree
    padded = {n: streams[n].ljust(4096, b"\0") for n in names}  # 4096 bytes or more: no mini stream
    bodies = [padded[n].ljust(-(-len(padded[n]) // _CFB_SECTOR) * _CFB_SECTOR, b"\0") for n in names]
    fat = [_CFB_FAT, _CFB_END]  # sector 0: the FAT, sector 1: the directory
    entries = [_cfb_entry("Root Entry", 5, 1 if names else _CFB_NONE, _CFB_NONE, _CFB_END, 0)]
    for index, (name, body) in enumerate(zip(names, bodies, strict=True), start=1):
        start, count = len(fat), len(body) // _CFB_SECTOR
        fat += [*range(start + 1, start + count), _CFB_END]
        right = index + 1 if index < len(names) else _CFB_NONE
        entries.append(_cfb_entry(name, 2, _CFB_NONE, right, start, len(padded[name])))
    assert len(entries) <= 4 and len(fat) <= 128, "one FAT sector and one directory sector only"
    entries += [_cfb_entry("", 0, _CFB_NONE, _CFB_NONE, 0, 0)] * (4 - len(entries))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIIII", 0, 1, 1, 0, 4096, _CFB_END, 0, _CFB_END, 0, 0)
        + struct.pack("<108I", *[_CFB_FREE] * 108)
    )
    fat_sector = struct.pack(f"<{_CFB_SECTOR // 4}I", *fat, *[_CFB_FREE] * (_CFB_SECTOR // 4 - len(fat)))
    return header + fat_sector + b"".join(entries) + b"".join(bodies)
