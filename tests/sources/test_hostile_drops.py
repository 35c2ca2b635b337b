"""Hostile and malformed drops: mixed encodings, links, encrypted workbooks, old Mac files, huge fields.

Each rejection is checked in both languages: the English reason and the Chinese message name the
same line and the same cause.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from faker import Faker
from filedrop_samples import (
    UB_EXPECTED,
    UB_HEADER,
    UB_ROWS,
    assert_no_personal_values,
    cfb_bytes,
    csv_text,
    read_all,
    with_source,
    write_csv,
    write_xlsx_openpyxl,
)

from huiliu.contracts.arrow import arrow_schema
from huiliu.contracts.model import DatasetContract
from huiliu.errors import ConfigurationError, FileRejectedError, RejectKind
from huiliu.settings import Settings
from huiliu.sources import csv_reader
from huiliu.sources.dropbox import message_en, message_zh, pending_files
from huiliu.sources.files import FileExtraction, open_file
from huiliu.sources.mojibake import misread_as

CSV_NAME = "unemployment_benefit_202610.csv"
XLSX_NAME = "volunteer_points_202601.xlsx"


def _reject(path: Path, contract: DatasetContract) -> tuple[FileRejectedError, str, str]:
    """The rejection of a file, with its Chinese and English messages."""
    with pytest.raises(FileRejectedError) as caught:
        list(FileExtraction(path, contract))
    error = caught.value
    return error, message_zh(error), message_en(error)


def _lines(*encoded: bytes) -> bytes:
    return b"\r\n".join(encoded) + b"\r\n"


def _row(row: list[str], encoding: str = "gbk") -> bytes:
    return ",".join(row).encode(encoding)


# --- 1. lines written in another encoding -------------------------------------------------------

BIG5_ROWS = [
    ["BX2026100006", "520102199003074514", "陳美玲", "參保", "3", "980.00", "2026-01-05", "520102001001"],
    ["BX2026100007", "52010219850712002X", "黃志明", "終止", "1", "500.00", "2026-01-06", "520102001002"],
]


def test_big5_rows_under_a_gbk_header_are_refused_naming_the_first(
    tmp_path: Path, unemployment: DatasetContract
) -> None:
    head = csv_text(UB_ROWS).encode("gbk")  # title, header and five GBK rows: lines 1-7
    path = tmp_path / CSV_NAME
    path.write_bytes(head + _lines(*(_row(r, "big5") for r in BIG5_ROWS)))

    error, zh, en = _reject(path, unemployment)

    assert (error.kind, error.line) == (RejectKind.MIXED_ENCODING, 8)
    assert "line 8" in en and "not GBK but Big5" in en and "save the whole file again" in en
    assert "第 8 行的文字不是 GBK 编码，其编码为 Big5（繁体中文）" in zh and "将整个文件重新另存为" in zh
    for message in (zh, en):
        assert_no_personal_values(message, "陳美玲", "黃志明")


def test_a_whole_big5_file_is_refused_at_its_title(tmp_path: Path, unemployment: DatasetContract) -> None:
    path = tmp_path / CSV_NAME
    header = ["業務流水號", "身份證號", "姓名", "參保狀態", "領取月數", "月發放金額", "起始日期", "社區代碼"]
    text = csv_text(BIG5_ROWS, header=header, title="XX市失業保險待遇發放明細（2026年10月）")
    path.write_bytes(text.encode("big5"))

    error, zh, en = _reject(path, unemployment)

    assert (error.kind, error.line) == (RejectKind.MIXED_ENCODING, 1)
    assert "line 1" in en and "Big5" in en and "第 1 行" in zh and "Big5" in zh


def test_a_utf8_row_appended_to_a_gbk_file_is_refused(tmp_path: Path, unemployment: DatasetContract) -> None:
    row = ["BX2026100006", "520102199003074514", "张三", "参保", "3", "980.00", "2026-01-05", "520102001001"]
    path = tmp_path / CSV_NAME
    path.write_bytes(csv_text(UB_ROWS).encode("gbk") + _lines(_row(row, "utf-8")))  # 张三 reads 寮犱笁

    error, zh, en = _reject(path, unemployment)

    assert (error.kind, error.line) == (RejectKind.MIXED_ENCODING, 8)
    assert (
        "line 8" in en and "not GBK but UTF-8" in en and "第 8 行的文字不是 GBK 编码，其编码为 UTF-8，" in zh
    )


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        pytest.param("BX1,520102,陳美玲,參保,3", "big5", "Big5", id="big5"),
        pytest.param("BX1,520102,张三,参保,3", "utf-8", "UTF-8", id="utf-8"),
        pytest.param("BX1,520102,Müller,3", "latin-1", "Latin-1", id="latin-1"),
        pytest.param("BX1,520102,王堃,参保,3", "gbk", None, id="rare-name-character"),
        pytest.param("BX1,520102,刘䶮,参保,3", "gb18030", None, id="four-byte-character"),
        pytest.param("BX1,520102,禤珺玥,参保,3", "gbk", None, id="three-rare-characters"),
        pytest.param("服用β受体阻滞剂，二〇二六年复查，Café", "gbk", None, id="greek-and-pinyin-letters"),
        pytest.param("A栋3单元，喆园路，iPhone维修", "gbk", None, id="latin-next-to-hanzi"),
    ],
)
def test_which_lines_read_as_another_encoding(text: str, encoding: str, expected: str | None) -> None:
    assert misread_as(text.encode(encoding).decode("gb18030")) == expected


@pytest.mark.parametrize("name", ["Müller", "Françoise", "JÜRGEN"])
def test_a_latin1_name_in_a_gbk_file_is_refused(
    tmp_path: Path, unemployment: DatasetContract, name: str
) -> None:
    rows = [r.copy() for r in UB_ROWS]
    rows[3][2] = "\x00"
    text = csv_text(rows).encode("gbk")
    path = tmp_path / CSV_NAME
    path.write_bytes(text.replace(b"\x00", name.encode("latin-1")))  # read as GBK, Müller is M黮ler

    error, zh, en = _reject(path, unemployment)

    assert (error.kind, error.line) == (RejectKind.MIXED_ENCODING, 6)
    assert "line 6" in en and "Latin-1" in en and "第 6 行" in zh and "Latin-1（西欧字母" in zh
    assert_no_personal_values(en + zh, name, name.encode("latin-1").decode("gb18030"))


RARE_NAME_CHARACTERS = "堃喆昇犇淼䶮赟玥珺琇璟祎曌垚燚囍镕彧翀頔骉"
RARE_PLACES = ["禤家村", "亓官庄", "邝家巷", "䶮园路", "堃景苑"]


def _genuine_rows(count: int) -> list[list[str]]:
    """Faker zh_CN residents; one in four has a rare character in the name, some in the address."""
    fake, pick = Faker("zh_CN"), random.Random(11)
    fake.seed_instance(11)
    rows = []
    for i in range(count):
        name = fake.name()
        if i % 4 == 0:
            name = name[0] + "".join(pick.sample(RARE_NAME_CHARACTERS, pick.randint(1, 2)))
        address = fake.address().replace("\n", " ")
        if i % 7 == 0:
            address += pick.choice(RARE_PLACES)
        base = UB_ROWS[i % len(UB_ROWS)]
        rows.append([f"BX{i:010d}", base[1], name, base[3], "2", "1,000.00", "2026-01-05", base[7], address])
    return rows


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8"])
def test_genuine_chinese_names_and_addresses_with_rare_characters_land(
    tmp_path: Path, unemployment: DatasetContract, encoding: str
) -> None:
    rows = _genuine_rows(3000)
    path = write_csv(tmp_path / CSV_NAME, rows, header=[*UB_HEADER, "户籍地址"], encoding=encoding)

    table, extraction = read_all(path, unemployment)

    assert table.column("name").to_pylist() == [r[2] for r in rows]
    assert any(c in "".join(table.column("name").to_pylist()) for c in "䶮堃喆")
    assert extraction.report is not None and extraction.report.extra_columns == ["户籍地址"]


@pytest.mark.parametrize(
    ("damage", "kind"),
    [
        pytest.param(lambda line: _row(BIG5_ROWS[0], "big5"), RejectKind.MIXED_ENCODING, id="big5-row"),
        pytest.param(lambda line: line.replace(b"BX", b"B\x81\x20X"), RejectKind.UNDECODABLE, id="bad-gbk"),
        pytest.param(lambda line: line.replace(b"BX", b"B\x00X"), RejectKind.NUL_BYTES, id="nul"),
    ],
)
def test_problems_past_the_first_block_name_their_line(
    tmp_path: Path, unemployment: DatasetContract, damage: object, kind: RejectKind
) -> None:
    rows = [[f"BX{i:010d}", *row[1:]] for i, row in enumerate(_genuine_rows(2000) * 10)]  # 2 MB or so
    lines = csv_text(rows, header=[*UB_HEADER, "户籍地址"]).encode("gb18030").split(b"\r\n")
    assert len(b"".join(lines[:15_000])) > csv_reader.BLOCK_BYTES  # the line is in a later block
    lines[15_000] = damage(lines[15_000])  # type: ignore[operator]
    path = tmp_path / CSV_NAME
    path.write_bytes(b"\r\n".join(lines))
    rows_read = 0

    with pytest.raises(FileRejectedError) as caught:
        for batch in FileExtraction(path, unemployment, batch_rows=1000):
            rows_read += batch.num_rows

    error = caught.value
    assert (error.kind, error.line) == (kind, 15_001)
    assert rows_read == 14_000  # the rows before it were streamed; nothing is committed
    assert "line 15001" in message_en(error) and "第 15001 行" in message_zh(error)


# --- 2. links and paths outside the drop folder --------------------------------------------------


def _assert_refused_link(folder: Path, name: str) -> str:
    """The link was moved, as a link, to rejected/ with its reasons; return the Chinese one."""
    moved = folder / "rejected" / name
    assert moved.is_symlink() and not (folder / name).is_symlink()
    zh, en = (moved.parent / f"{name}.reason.txt").read_text(encoding="utf-8").splitlines()
    assert zh.startswith(f"文件被拒收（{name}）：文件是一个符号链接") and "投递目录以外" in zh
    assert en.startswith(f"File rejected: {name}: the file is a symbolic link") and "outside the drop" in en
    return zh


def test_links_in_a_drop_folder_are_refused_not_followed(tmp_path: Path) -> None:
    folder, outside = tmp_path / "drop", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    secret = outside / "secret.csv"
    secret.write_text("不应读取")
    (outside / "sub").mkdir()
    (folder / "ub_real.csv").write_text("x")
    (folder / "ub_outside.csv").symlink_to(secret)
    (folder / "ub_inside.csv").symlink_to(folder / "ub_real.csv")
    (folder / "ub_dir.csv").symlink_to(outside / "sub", target_is_directory=True)
    (folder / "ub_broken.csv").symlink_to(tmp_path / "missing.csv")

    found = pending_files(folder, "ub_*.csv")

    assert found == [folder / "ub_real.csv"]
    for name in ("ub_outside.csv", "ub_inside.csv", "ub_dir.csv", "ub_broken.csv"):
        _assert_refused_link(folder, name)
    assert secret.read_text() == "不应读取" and (outside / "sub").is_dir()
    assert (folder / "ub_real.csv").read_text() == "x"


def test_patterns_reaching_outside_the_folder_find_nothing(tmp_path: Path) -> None:
    folder, outside = tmp_path / "drop", tmp_path / "outside"
    folder.mkdir()
    (outside / "sub").mkdir(parents=True)
    (outside / "ub_1.csv").write_text("x")
    (outside / "sub" / "ub_2.csv").write_text("x")
    (folder / "linked").symlink_to(outside / "sub", target_is_directory=True)

    assert pending_files(folder, "../outside/ub_*.csv") == []
    assert pending_files(folder, "linked/ub_*.csv") == []
    assert pending_files(folder, "**/ub_*.csv") == []
    assert (outside / "ub_1.csv").exists() and (outside / "sub" / "ub_2.csv").exists()
    assert not (folder / "rejected").exists()


def test_a_link_given_to_the_reader_is_refused(
    tmp_path: Path, unemployment: DatasetContract, volunteer: DatasetContract
) -> None:
    real_csv = write_csv(tmp_path / "real.csv")
    real_xlsx = write_xlsx_openpyxl(tmp_path / "real.xlsx")
    (tmp_path / CSV_NAME).symlink_to(real_csv)
    (tmp_path / XLSX_NAME).symlink_to(real_xlsx)

    for name, contract in ((CSV_NAME, unemployment), (XLSX_NAME, volunteer)):
        error, zh, en = _reject(tmp_path / name, contract)
        assert error.kind is RejectKind.SYMLINK and error.line is None
        assert "symbolic link" in en and "符号链接" in zh


def test_rejected_folder_that_is_a_link_is_not_used(tmp_path: Path) -> None:
    folder, elsewhere = tmp_path / "drop", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    (folder / "rejected").symlink_to(elsewhere, target_is_directory=True)
    (folder / "ub_1.csv").symlink_to(tmp_path / "missing.csv")

    with pytest.raises(ConfigurationError) as caught:
        pending_files(folder, "ub_*.csv")

    assert "不是文件夹" in str(caught.value) and "is not a folder" in str(caught.value)
    assert list(elsewhere.iterdir()) == []


def test_reasons_are_never_written_through_a_planted_link(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    (folder / "rejected").mkdir(parents=True)
    target = tmp_path / "victim.txt"
    (folder / "rejected" / "ub_1.csv.reason.txt").symlink_to(target)  # dangling: looks free
    (folder / "ub_1.csv").symlink_to(tmp_path / "missing.csv")

    pending_files(folder, "ub_*.csv")

    assert not target.exists()
    moved = [p for p in (folder / "rejected").iterdir() if p.name.endswith(".csv")]
    assert len(moved) == 1 and moved[0].name != "ub_1.csv" and moved[0].is_symlink()


# --- 3. password-protected workbooks -------------------------------------------------------------


def test_a_password_protected_xlsx_is_named_so(tmp_path: Path, volunteer: DatasetContract) -> None:
    path = tmp_path / XLSX_NAME
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00"  # agile encryption, version 4.4
    path.write_bytes(cfb_bytes({"EncryptionInfo": info, "EncryptedPackage": os.urandom(6000)}))

    error, zh, en = _reject(path, volunteer)

    assert error.kind is RejectKind.ENCRYPTED_WORKBOOK
    assert "password-protected (encrypted)" in en and "without a password" in en and ".xls)" not in en
    assert "设置了打开密码（已加密）" in zh and "不带密码" in zh and "97-2003" not in zh


def test_a_genuine_old_xls_is_still_called_one(tmp_path: Path, volunteer: DatasetContract) -> None:
    path = tmp_path / XLSX_NAME
    path.write_bytes(cfb_bytes({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00"}))

    error, zh, en = _reject(path, volunteer)

    assert error.kind is RejectKind.LEGACY_XLS
    assert "old Excel 97-2003 (.xls)" in en and "旧版 Excel 97-2003（.xls）" in zh
    assert "password" not in en and "密码" not in zh


# --- 4. old Mac line endings ----------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_old_mac_files_land_like_any_other(
    tmp_path: Path, unemployment: DatasetContract, encoding: str
) -> None:
    path = write_csv(tmp_path / CSV_NAME, newline="\r", encoding=encoding)

    table, extraction = read_all(path, unemployment)

    assert table.to_pydict() == {n: UB_EXPECTED.get(n) for n in arrow_schema(unemployment).names}
    assert extraction.report is not None and extraction.report.header_line == 2


def test_old_mac_file_with_a_quoted_line_break_and_a_bad_value_later(
    tmp_path: Path, unemployment: DatasetContract
) -> None:
    rows = [r.copy() for r in UB_ROWS]
    rows[1][3] = "暂停\r(待核实)"
    path = write_csv(tmp_path / CSV_NAME, rows, newline="\r", encoding="gbk")
    table, _ = read_all(path, unemployment)
    assert table.column("insured_status")[1].as_py() == "暂停\r(待核实)"

    rows[3][6] = "2026-13-01"
    path = write_csv(tmp_path / CSV_NAME, rows, newline="\r", encoding="gbk")
    error, zh, en = _reject(path, unemployment)

    assert (error.kind, error.line, error.column) == (RejectKind.BAD_VALUE, 7, "起始日期")  # line 4 holds 2
    assert "line 7" in en and "第 7 行「起始日期」列" in zh


def test_a_line_feed_inside_an_unquoted_field_of_an_old_mac_file(
    tmp_path: Path, unemployment: DatasetContract
) -> None:
    path = tmp_path / CSV_NAME
    path.write_bytes(csv_text(UB_ROWS, newline="\r").replace("欧阳明", "欧阳\n明").encode("gbk"))

    error, zh, en = _reject(path, unemployment)

    assert (error.kind, error.line) == (RejectKind.LINE_BREAK_IN_FIELD, 5)
    assert "line 5" in en and "line break" in en and "第 5 行" in zh and "换行符" in zh


# --- 5. fields too long -------------------------------------------------------------------------


def test_a_10_mb_unquoted_field_is_too_long_not_an_unclosed_quote(
    tmp_path: Path, unemployment: DatasetContract
) -> None:
    rows = [r.copy() for r in UB_ROWS]
    rows[2][3] = "x" * 10_000_000
    path = write_csv(tmp_path / CSV_NAME, rows, encoding="gbk")

    error, zh, en = _reject(path, unemployment)

    assert (error.kind, error.line) == (RejectKind.FIELD_TOO_LONG, 5)
    assert "line 5: a field on this line is longer than 131,072 characters" in en and "never closed" not in en
    assert "第 5 行有字段超过 131,072 个字符（单个字段的长度上限）" in zh and "没有闭合" not in zh


def test_a_stray_quote_that_swallows_the_file_names_both_lines(
    tmp_path: Path, unemployment: DatasetContract
) -> None:
    rows = [[f"BX{i:010d}", *UB_ROWS[1][1:]] for i in range(3000)]  # no quoted field
    rows[1][3] = '"参保'
    text = csv_text(rows).replace('"""参保"', '"参保')  # an opening quote that is never closed
    path = tmp_path / CSV_NAME
    path.write_bytes(text.encode("gbk"))

    error, zh, en = _reject(path, unemployment)

    assert (error.kind, error.line) == (RejectKind.UNTERMINATED_QUOTE, 4)
    end = int(en.split("by line ")[1].split(",")[0])
    assert end > 4 and f"第 4 行开始的带引号字段直到第 {end} 行仍未闭合" in zh
    assert "131,072" in en and "131,072" in zh


def test_a_line_too_long_to_hold_is_refused_before_it_is_read(
    tmp_path: Path, unemployment: DatasetContract, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_reader, "MAX_LINE_BYTES", 2 << 20)
    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", 1 << 18)
    path = tmp_path / CSV_NAME
    path.write_bytes(csv_text(UB_ROWS).encode("gbk") + b"y" * (3 << 20))

    error, zh, en = _reject(path, unemployment)

    assert (error.kind, error.line) == (RejectKind.FIELD_TOO_LONG, 8)
    assert "line 8: the line is longer than 2,097,152 bytes" in en
    assert "第 8 行超过 2,097,152 字节" in zh


# --- 6. a folder where a file is expected -------------------------------------------------------


@pytest.mark.parametrize("name", [CSV_NAME, XLSX_NAME])
def test_a_folder_given_as_the_file_is_named_a_folder_in_both_languages(
    tmp_path: Path, contracts: dict[str, DatasetContract], name: str
) -> None:
    folder = tmp_path / name
    folder.mkdir()
    contract = contracts["volunteer_points" if name.endswith("xlsx") else "unemployment_benefit"]

    with pytest.raises(ConfigurationError) as caught:
        list(open_file(folder, contract))

    zh, en = str(caught.value).split(" / ")
    assert zh == f"{folder} 是文件夹，不是文件，请给出 CSV 或 XLSX 文件的路径"
    assert en == f"{folder} is a folder, not a file; give the path of a CSV or XLSX file"


def test_a_missing_file_and_a_named_pipe_in_both_languages(
    tmp_path: Path, unemployment: DatasetContract
) -> None:
    with pytest.raises(ConfigurationError, match=r"文件不存在：.* / .*: no such file"):
        list(open_file(tmp_path / CSV_NAME, unemployment))

    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(ConfigurationError) as caught:
        list(open_file(tmp_path / "pipe.csv", unemployment))  # opened without blocking

    assert "不是普通文件" in str(caught.value) and "not a regular file" in str(caught.value)


def test_declared_gbk_file_with_big5_rows_is_refused_too(
    tmp_path: Path, unemployment: DatasetContract
) -> None:
    path = tmp_path / CSV_NAME
    path.write_bytes(csv_text(UB_ROWS).encode("gbk") + _lines(_row(BIG5_ROWS[1], "big5")))

    error, _, _ = _reject(path, with_source(unemployment, encoding="gbk"))

    assert (error.kind, error.line) == (RejectKind.MIXED_ENCODING, 8)


def test_a_drop_folder_pass_lands_real_files_and_refuses_links(
    huiliu_home: Settings, tmp_path: Path, unemployment: DatasetContract, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huiliu.ingest.landing import land_drop_folder

    folder, outside = tmp_path / "drop", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    write_csv(folder / "unemployment_benefit_202610.csv", encoding="gbk")
    write_csv(outside / "elsewhere.csv", encoding="gbk")
    (folder / "unemployment_benefit_202611.csv").symlink_to(outside / "elsewhere.csv")
    (folder / "unemployment_benefit_202612.csv").symlink_to(outside / "missing.csv")
    monkeypatch.setenv("HUILIU_SOURCE_RENSHE_DROP", str(folder))

    outcome = land_drop_folder(unemployment)

    assert [r.rows for r in outcome.landed] == [len(UB_ROWS)]
    assert (folder / "processed" / "unemployment_benefit_202610.csv").is_file()
    for name in ("unemployment_benefit_202611.csv", "unemployment_benefit_202612.csv"):
        _assert_refused_link(folder, name)
    assert [(e.file, e.kind) for e in outcome.rejected] == [  # the pass reports them, the task fails
        ("unemployment_benefit_202611.csv", RejectKind.SYMLINK),
        ("unemployment_benefit_202612.csv", RejectKind.SYMLINK),
    ]
    assert (outside / "elsewhere.csv").read_bytes() == csv_text(UB_ROWS).encode("gbk")


def test_landing_a_link_by_its_path_refuses_it_before_anything_is_read(
    huiliu_home: Settings, tmp_path: Path, unemployment: DatasetContract
) -> None:
    from huiliu.ingest.landing import land_file
    from huiliu.store.batches import batches_of

    folder, outside = tmp_path / "drop", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    write_csv(outside / "elsewhere.csv", encoding="gbk")
    (folder / "unemployment_benefit_202611.csv").symlink_to(outside / "elsewhere.csv")

    with pytest.raises(FileRejectedError) as caught:
        land_file(unemployment, folder / "unemployment_benefit_202611.csv")

    assert caught.value.kind is RejectKind.SYMLINK
    _assert_refused_link(folder, "unemployment_benefit_202611.csv")
    assert batches_of(unemployment.name) == []  # no batch was started for it


def test_landing_a_folder_or_a_missing_path_says_so_in_both_languages_and_moves_nothing(
    huiliu_home: Settings, tmp_path: Path, unemployment: DatasetContract
) -> None:
    from huiliu.ingest.landing import land_file

    drop = tmp_path / "drop"
    folder = drop / "unemployment_benefit_202611.csv"
    folder.mkdir(parents=True)
    with pytest.raises(ConfigurationError) as caught:
        land_file(unemployment, folder)
    assert str(caught.value) == (
        f"{folder} 是文件夹，不是文件，请给出 CSV 或 XLSX 文件的路径 / "
        f"{folder} is a folder, not a file; give the path of a CSV or XLSX file"
    )
    with pytest.raises(ConfigurationError, match=r"文件不存在：.* / .*: no such file"):
        land_file(unemployment, drop / "missing.csv")
    assert folder.is_dir() and [p.name for p in drop.iterdir()] == [folder.name]
