"""Moving dropped files to processed/ or rejected/, with bilingual reasons, and finding pending ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from filedrop_samples import UB_ROWS, write_csv

from huiliu.contracts.model import DatasetContract
from huiliu.errors import FileRejectedError, RejectKind
from huiliu.sources.dropbox import accept_file, message_zh, pending_files, reject_file
from huiliu.sources.files import FileExtraction

NAME = "unemployment_benefit_202610.csv"


def _column_count_rejection(folder: Path, unemployment: DatasetContract) -> tuple[Path, FileRejectedError]:
    rows = [r.copy() for r in UB_ROWS]
    del rows[2][3]
    path = write_csv(folder / NAME, rows, encoding="gbk")
    with pytest.raises(FileRejectedError) as caught:
        list(FileExtraction(path, unemployment))
    return path, caught.value


def test_reject_file_moves_it_and_explains_in_chinese_and_english(
    tmp_path: Path, unemployment: DatasetContract
) -> None:
    path, error = _column_count_rejection(tmp_path, unemployment)
    content = path.read_bytes()

    moved = reject_file(path, error)

    assert moved == tmp_path / "rejected" / NAME
    assert not path.exists() and moved.read_bytes() == content
    record = json.loads((tmp_path / "rejected" / f"{NAME}.reason.json").read_text(encoding="utf-8"))
    assert record["file"] == NAME and record["line"] == 5 and record["column"] is None
    assert record["kind"] == "column_count" and "row has 7 columns, expected 8" in record["reason"]
    assert record["rejected_at"].endswith("+00:00")
    text = (tmp_path / "rejected" / f"{NAME}.reason.txt").read_text(encoding="utf-8")
    zh, en = text.splitlines()
    assert zh == (
        f"文件被拒收（{NAME}）：第 5 行列数不符（应为 8 列，实际 7 列），请检查是否缺少或多出分隔符，"
        "含分隔符的字段需用双引号括起来。请修正后重新报送。"
    )
    assert en.startswith(f"File rejected: {NAME}, line 5: row has 7 columns, expected 8")


def test_rejecting_the_same_name_twice_never_overwrites(
    tmp_path: Path, unemployment: DatasetContract
) -> None:
    first_path, error = _column_count_rejection(tmp_path, unemployment)
    first = reject_file(first_path, error)
    second_path, error = _column_count_rejection(tmp_path, unemployment)
    second_path.write_bytes(b"second delivery")

    second = reject_file(second_path, error)

    assert first != second and second.parent == first.parent
    assert second.name.startswith("unemployment_benefit_202610.") and second.suffix == ".csv"
    assert second.read_bytes() == b"second delivery" and first.exists()
    assert (second.parent / f"{second.name}.reason.json").exists()
    assert (second.parent / f"{second.name}.reason.txt").exists()


def test_reject_file_with_a_plain_file_rejected_error(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("x")

    moved = reject_file(path, FileRejectedError("a.csv", "something is wrong", line=3, column="姓名"))

    text = (moved.parent / "a.csv.reason.txt").read_text(encoding="utf-8")
    assert "第 3 行「姓名」列不符合报送要求" in text and "something is wrong" in text


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(
            FileRejectedError(
                "v.xlsx",
                "r",
                line=6,
                column="身份证号",
                kind=RejectKind.PRECISION_LOST,
                details={"cause_zh": "的数字超过 15 位却按数字保存"},
            ),
            "第 6 行「身份证号」列的数字超过 15 位却按数字保存，请在 Excel 中把该列设置为“文本”格式",
            id="precision",
        ),
        pytest.param(
            FileRejectedError(
                "a.csv",
                "r",
                line=4,
                column="起始日期",
                kind=RejectKind.BAD_VALUE,
                details={"reason_zh": "的值不是日期（应为 YYYY-MM-DD）"},
            ),
            "第 4 行「起始日期」列的值不是日期（应为 YYYY-MM-DD）",
            id="bad-value",
        ),
        pytest.param(
            FileRejectedError(
                "a.csv",
                "r",
                kind=RejectKind.MISSING_COLUMNS,
                line=2,
                details={"missing": "身份证号", "found": "姓名、社区代码", "where_zh": "文件"},
            ),
            "第 2 行的表头缺少必需的列：身份证号（文件中的表头为：姓名、社区代码）",
            id="missing-columns",
        ),
        pytest.param(
            FileRejectedError("a.csv", "r", kind=RejectKind.COLUMN_COUNT, line=2),
            "第 2 行不符合报送要求",
            id="template-details-missing",
        ),
    ],
)
def test_message_zh(error: FileRejectedError, expected: str) -> None:
    assert expected in message_zh(error)


def test_accept_file_moves_to_processed_without_overwriting(tmp_path: Path) -> None:
    (tmp_path / "processed").mkdir()
    (tmp_path / "processed" / NAME).write_text("old")
    path = tmp_path / NAME
    path.write_text("new")

    moved = accept_file(path)

    assert moved.parent == tmp_path / "processed" and moved.name != NAME
    assert moved.read_text() == "new" and (tmp_path / "processed" / NAME).read_text() == "old"


def test_pending_files_only_in_the_folder_itself_sorted(tmp_path: Path) -> None:
    for name in [
        "unemployment_benefit_202611.csv",
        "unemployment_benefit_202610.csv",
        "other_202610.csv",
        "~$unemployment_benefit_202612.csv",
        ".unemployment_benefit_202613.csv",
    ]:
        (tmp_path / name).write_text("x")
    for sub in ["processed", "rejected"]:
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "unemployment_benefit_202609.csv").write_text("x")
    (tmp_path / "unemployment_benefit_dir.csv").mkdir()

    found = pending_files(tmp_path, "unemployment_benefit_*.csv")

    assert [p.name for p in found] == ["unemployment_benefit_202610.csv", "unemployment_benefit_202611.csv"]
    assert pending_files(tmp_path, "**/*.csv") == pending_files(tmp_path, "*.csv")
    assert pending_files(tmp_path / "missing", "*.csv") == []


def test_accept_then_pending_is_empty(tmp_path: Path) -> None:
    path = tmp_path / NAME
    path.write_text("x")

    accept_file(path)

    assert pending_files(tmp_path, "*.csv") == []
