"""A delivery's files read back with real readers: Parquet as given, CSV fit for Excel (BOM, CRLF,
formula-like text quoted), XLSX cells typed (text never a formula), the manifest's checksums, 说明."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.helpers.outbox_cases import DATASET, HOSTILE, UNIT, description, fingerprints, rows

from huiliu.returnflow import outbox
from huiliu.returnflow.manifest import DeliveredColumn, DeliveryManifest, OutboxError
from huiliu.returnflow.outbox import delivery_folder, write_delivery
from huiliu.returnflow.spreadsheet_safety import NEUTRALISED

ROWS = 80


@pytest.fixture
def delivered(tmp_path: Path) -> tuple[Path, DeliveryManifest]:
    manifest = write_delivery(
        tmp_path,
        description(),
        [rows(40), rows(40, 40)],
        fingerprints=[fingerprints(40), fingerprints(40, 40)],
        zone="Asia/Shanghai",
    )
    return delivery_folder(tmp_path, UNIT, DATASET, "D0001"), manifest


def _expected() -> pa.Table:
    return pa.Table.from_batches([rows(40), rows(40, 40)])


def _excel_text(value: str) -> str:
    """A text as Excel reads it: OOXML escapes control characters as _xHHHH_ (openpyxl leaves them)."""
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def test_the_folder_holds_the_data_files_fingerprints_and_manifest(
    delivered: tuple[Path, DeliveryManifest],
) -> None:
    folder, manifest = delivered
    assert sorted(p.name for p in folder.iterdir()) == [
        "fingerprints.parquet",
        "manifest.json",
        f"{DATASET}.csv",
        f"{DATASET}.parquet",
        f"{DATASET}.xlsx",
    ]
    assert [p.name for p in folder.parent.iterdir()] == ["D0001"]  # nothing hidden left behind
    assert manifest.rows == ROWS and manifest.data_sheets == ("数据",)


def test_parquet_holds_the_rows_exactly_as_given(delivered: tuple[Path, DeliveryManifest]) -> None:
    folder, _ = delivered
    assert pq.read_table(folder / f"{DATASET}.parquet").equals(_expected())


def test_fingerprints_are_stored_one_per_row(delivered: tuple[Path, DeliveryManifest]) -> None:
    folder, manifest = delivered
    stored = pq.read_table(folder / "fingerprints.parquet")
    assert stored.column_names == ["fingerprint"]
    assert stored.column(0).to_pylist() == list(range(10_000, 10_000 + ROWS))
    assert manifest.fingerprints is not None and manifest.fingerprints.count == ROWS


def test_fingerprints_of_many_small_writes_are_gathered_into_few_row_groups_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "FINGERPRINT_GROUP", 7)
    sizes = [3, 0, 5, 1, 9, 2]
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    manifest = write_delivery(
        tmp_path,
        description(),
        [rows(n, at) for n, at in zip(sizes, starts, strict=True)],
        fingerprints=[fingerprints(n, at) for n, at in zip(sizes, starts, strict=True)],
        formats=["parquet"],
        zone="UTC",
    )

    stored = pq.ParquetFile(delivery_folder(tmp_path, UNIT, DATASET, "D0001") / "fingerprints.parquet")
    assert stored.read().column(0).to_pylist() == list(range(10_000, 10_000 + sum(sizes)))
    # 3+0+5 reach 7, then 1+9, then the last 2 when the delivery is sealed
    assert [stored.metadata.row_group(i).num_rows for i in range(stored.num_row_groups)] == [8, 10, 2]
    assert manifest.fingerprints is not None and manifest.fingerprints.count == sum(sizes)


def test_fingerprints_of_another_type_than_the_first_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OutboxError, match="fingerprints of type int64 after fingerprints of type uint64"):
        write_delivery(
            tmp_path,
            description(),
            [rows(2), rows(2, 2)],
            fingerprints=[fingerprints(2), pa.array([1, 2], pa.int64())],
            formats=["parquet"],
            zone="UTC",
        )
    assert not delivery_folder(tmp_path, UNIT, DATASET, "D0001").exists()


def test_the_manifest_lists_every_files_size_and_checksum(delivered: tuple[Path, DeliveryManifest]) -> None:
    folder, manifest = delivered
    assert manifest.fingerprints is not None
    for entry in [*manifest.files, manifest.fingerprints]:
        data = (folder / entry.name).read_bytes()
        assert (entry.bytes, entry.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert [f.format for f in manifest.files] == ["parquet", "csv", "xlsx"]
    stored = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert stored == manifest.as_dict() and stored["schema_version"] == 1
    assert stored["snapshot_committed_at"] == "2026-12-01T02:30:00+00:00"
    assert [c["action"] for c in stored["columns"]][-1] == "drop"
    assert DeliveryManifest.from_dict(stored) == manifest


def test_csv_is_utf8_with_bom_crlf_and_rfc4180_quoting(delivered: tuple[Path, DeliveryManifest]) -> None:
    folder, _ = delivered
    raw = (folder / f"{DATASET}.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and not raw.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
    outside_quotes = re.sub(rb'"(?:[^"]|"")*"', b'""', raw)
    assert re.search(rb"(?<!\r)\n", outside_quotes) is None  # every line ends CRLF
    assert outside_quotes.count(b"\r\n") == ROWS + 1
    with (folder / f"{DATASET}.csv").open(encoding="utf-8-sig", newline="") as file:
        header, *records = list(csv.reader(file))
    assert header == _expected().column_names  # machine names, for re-import
    assert len(records) == ROWS
    first = records[0]
    assert first[1:] == ["1950-01-02", "2026-01-01 08:00:00", "", "0.50", "true"]


def test_csv_quotes_formula_like_text_so_that_the_prefix_can_be_undone(
    delivered: tuple[Path, DeliveryManifest],
) -> None:
    folder, _ = delivered
    with (folder / f"{DATASET}.csv").open(encoding="utf-8-sig", newline="") as file:
        names = [r[0] for r in list(csv.reader(file))[1:]]
    originals = _expected().column("name").to_pylist()
    for written, original in zip(names, originals, strict=True):
        if original in HOSTILE:
            assert written == "'" + original
        restored = written[1:] if re.match(NEUTRALISED, written) else written
        assert restored == (original or "")
    assert "''=already" in names and "a=b" in names and " =1" in names and "-" not in names


def test_xlsx_text_is_never_a_formula(delivered: tuple[Path, DeliveryManifest]) -> None:
    folder, _ = delivered
    with zipfile.ZipFile(folder / f"{DATASET}.xlsx") as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in book.read(n) or b"<f " in book.read(n) for n in sheets)
    data = openpyxl.load_workbook(folder / f"{DATASET}.xlsx")["数据"]
    originals = _expected().column("name").to_pylist()
    hostile_seen = 0
    for (cell,), original in zip(data.iter_rows(min_row=2, max_col=1), originals, strict=True):
        assert cell.data_type != "f"
        if original:
            assert cell.data_type == "s" and _excel_text(cell.value) == original
            assert cell.number_format == "@"
        if original in HOSTILE:
            hostile_seen += 1
            assert cell.quotePrefix
    assert hostile_seen == sum(1 for v in originals if v in HOSTILE) > len(HOSTILE)


def test_xlsx_numbers_stay_numbers_dates_dates_and_nulls_empty(
    delivered: tuple[Path, DeliveryManifest],
) -> None:
    folder, _ = delivered
    book = openpyxl.load_workbook(folder / f"{DATASET}.xlsx")
    assert book.sheetnames == ["数据", "说明", "纠错"]
    data = book["数据"]
    assert [c.value for c in data[1]] == ["姓名", "出生日期", "登记时间", "户人数", "月补助金额", "已核验"]
    assert data.freeze_panes == "A2" and data.auto_filter.ref == f"A1:F{ROWS + 1}"
    born, registered, size, allowance, verified = data[2][1:]
    assert (born.data_type, born.value, born.number_format) == ("d", datetime(1950, 1, 2), "yyyy-mm-dd")
    assert (
        registered.value == datetime(2026, 1, 1, 8, 0) and registered.number_format == "yyyy-mm-dd hh:mm:ss"
    )
    assert size.value is None  # a null is an empty cell
    assert (allowance.data_type, allowance.value) == ("n", 0.5)
    assert (verified.data_type, verified.value) == ("b", True)
    assert data.cell(row=3, column=4).data_type == "n" and data.cell(row=3, column=4).value == 2
    assert data.cell(row=6, column=2).value is None  # a null date
    assert data.column_dimensions["A"].width > 8


def test_the_explanation_sheet_says_what_was_done_and_how_to_correct_it(
    delivered: tuple[Path, DeliveryManifest],
) -> None:
    folder, _ = delivered
    about = openpyxl.load_workbook(folder / f"{DATASET}.xlsx")["说明"]
    text = "\n".join(str(v) for row in about.iter_rows(values_only=True) for v in row if v)
    for expected in (
        "公安局",
        "李管理",
        "0851-85550000",
        "新华社区（520102016001）",
        "G1",
        "社区人口核验",
        "7001，2026-12-01 10:30:00 生成",  # the snapshot time in the city's zone
        "2026.12-1",
        "在回流门户“纠错”页提交",
        "file it on the portal's correction page",
        "部分遮盖",
        "partly masked",
        "个人信息",
        "本层级不提供",
        "未提供（不在文件中）",
        "不会作为公式执行",
        "never runs as a formula",
    ):
        assert expected in text, expected
    rows_by_name = {r[1]: r for r in about.iter_rows(values_only=True) if r[1] in ("name", "id_number")}
    assert rows_by_name["name"][:3] == ("姓名", "name", "部分遮盖")


def test_times_with_a_zone_are_written_in_the_citys_time(tmp_path: Path) -> None:
    moment = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    batch = pa.record_batch({"at": pa.array([moment], pa.timestamp("us", tz="UTC"))})
    columns = (DeliveredColumn(name="at", title_zh="时间"),)
    write_delivery(tmp_path, description(columns=columns), [batch], zone="Asia/Shanghai")
    folder = delivery_folder(tmp_path, UNIT, DATASET, "D0001")
    csv_text = (folder / f"{DATASET}.csv").read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[1] == "2026-12-01 10:30:00"
    cell = openpyxl.load_workbook(folder / f"{DATASET}.xlsx")["数据"]["A2"]
    assert cell.value == datetime(2026, 12, 1, 10, 30)


def test_values_excel_cannot_hold_as_numbers_or_dates_are_written_as_text(tmp_path: Path) -> None:
    batch = pa.record_batch(
        {"key": pa.array([2**60, 7], pa.int64()), "born": pa.array([date(1896, 5, 1), date(1990, 1, 1)])}
    )
    columns = (DeliveredColumn(name="key"), DeliveredColumn(name="born"))
    write_delivery(tmp_path, description(columns=columns), [batch], zone="UTC")
    data = openpyxl.load_workbook(delivery_folder(tmp_path, UNIT, DATASET, "D0001") / f"{DATASET}.xlsx")[
        "数据"
    ]
    assert [(c.data_type, c.value) for c in data[2]] == [("s", str(2**60)), ("s", "1896-05-01")]
    assert [(c.data_type, c.value) for c in data[3]] == [("n", 7), ("d", datetime(1990, 1, 1))]
    assert [c.value for c in data[1]] == ["key", "born"]  # no Chinese title: the name


def test_only_the_formats_asked_for_are_written(tmp_path: Path) -> None:
    manifest = write_delivery(tmp_path, description(), [rows(3)], formats=["parquet", "csv"], zone="UTC")
    folder = delivery_folder(tmp_path, UNIT, DATASET, "D0001")
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.json",
        f"{DATASET}.csv",
        f"{DATASET}.parquet",
    ]
    assert manifest.fingerprints is None and manifest.data_sheets == ()


def test_an_empty_extract_still_has_its_headers(tmp_path: Path) -> None:
    manifest = write_delivery(tmp_path, description(), [], schema=rows(1).schema, fingerprints=[], zone="UTC")
    folder = delivery_folder(tmp_path, UNIT, DATASET, "D0001")
    assert manifest.rows == 0 and manifest.fingerprints is not None and manifest.fingerprints.count == 0
    assert pq.read_table(folder / f"{DATASET}.parquet").num_rows == 0
    data = openpyxl.load_workbook(folder / f"{DATASET}.xlsx")["数据"]
    assert data.max_row == 1 and data["A1"].value == "姓名"


def test_formula_like_text_in_a_string_view_column_is_neutralised_in_csv(tmp_path: Path) -> None:
    values = ['=HYPERLINK("http://x")', "张三", None, "\t@SUM(A1)", "'+1"]
    batch = pa.record_batch({"note": pa.array(values, pa.string_view())})
    columns = (DeliveredColumn(name="note", title_zh="备注"),)
    write_delivery(tmp_path, description(columns=columns), [batch.slice(0, 2), batch.slice(2)], zone="UTC")
    folder = delivery_folder(tmp_path, UNIT, DATASET, "D0001")
    with (folder / f"{DATASET}.csv").open(encoding="utf-8-sig", newline="") as file:
        written = [r[0] if r else "" for r in list(csv.reader(file))[1:]]  # a null: an empty line
    assert written == ['\'=HYPERLINK("http://x")', "张三", "", "'\t@SUM(A1)", "''+1"]


def test_parquet_encodes_repeated_columns_as_dictionaries_and_distinct_ones_plainly(tmp_path: Path) -> None:
    batch = pa.record_batch(
        {
            "community": pa.array(["520102001001", "520102001002"] * 50),
            "key": pa.array([f"h{i:04d}" for i in range(100)]),
        }
    )
    columns = (DeliveredColumn(name="community"), DeliveredColumn(name="key"))
    write_delivery(tmp_path, description(columns=columns), [batch, batch], formats=["parquet"], zone="UTC")
    path = delivery_folder(tmp_path, UNIT, DATASET, "D0001") / f"{DATASET}.parquet"
    metadata = pq.ParquetFile(path).metadata
    assert metadata.num_row_groups == 2
    for group in range(2):
        community, key = (metadata.row_group(group).column(i).encodings for i in range(2))
        assert "RLE_DICTIONARY" in community and "RLE_DICTIONARY" not in key
    assert pq.read_table(path).equals(pa.Table.from_batches([batch, batch]))
