"""The command line as a user runs it: exit codes, stdout JSON, stderr reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.lake.catalog import table_identifiers
from huiliu.settings import Settings

runner = CliRunner()
HEADER = "业务流水号,身份证号,姓名,参保状态,领取月数,月发放金额,起始日期,社区代码\n"
GOOD = (
    "失业保险待遇发放明细（2026年10月）\n"
    + HEADER
    + "R1,520102199001011234,张三,参保,3,1520.50,2026-08-01,520102016001\n"
)


def test_units_list_streets_of_a_district() -> None:
    result = runner.invoke(app, ["units", "list", "--level", "street", "--district", "520102", "--json"])
    assert result.exit_code == 0, result.output
    streets = json.loads(result.stdout)
    assert len(streets) == 23
    assert {"code": "520102016", "name": "新华路街道", "level": "street", "parent": "520102"} in streets
    assert all(s["code"].startswith("520102") and len(s["code"]) == 9 for s in streets)


def test_units_list_rejects_unknown_district() -> None:
    result = runner.invoke(app, ["units", "list", "--level", "street", "--district", "999999"])
    assert result.exit_code == 1
    assert "999999" in result.stderr


def test_ingest_file_lands_a_gbk_csv(huiliu_home: Settings, tmp_path: Path) -> None:
    path = tmp_path / "unemployment_benefit_202610.csv"
    path.write_bytes(GOOD.encode("gbk"))
    result = runner.invoke(app, ["ingest-file", "unemployment_benefit", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == 1
    stats = runner.invoke(app, ["lake", "stats"])
    assert json.loads(stats.stdout)["tables"]["landing.unemployment_benefit"]["rows"] == 1


@pytest.mark.parametrize(
    ("content", "line_hint"),
    [
        pytest.param(
            (GOOD + "R2,520102199001011234,李四\n").encode("gbk"), "line 4", id="wrong-column-count"
        ),
        pytest.param(GOOD.encode("gbk") + b"R3,5201\x00\n", "line 4", id="nul-byte"),
        pytest.param(b"", None, id="empty-file"),
    ],
)
def test_ingest_file_rejects_with_exit_2_and_moves_the_file(
    huiliu_home: Settings, tmp_path: Path, content: bytes, line_hint: str | None
) -> None:
    path = tmp_path / "unemployment_benefit_202611.csv"
    path.write_bytes(content)
    result = runner.invoke(app, ["ingest-file", "unemployment_benefit", str(path)])
    assert result.exit_code == 2, result.output
    assert "unemployment_benefit_202611.csv" in result.stderr
    if line_hint:
        assert line_hint in result.stderr
        assert f"第 {line_hint.split()[1]} 行" in result.stderr
    assert "文件被拒收" in result.stderr
    assert not path.exists()
    assert (tmp_path / "rejected" / path.name).exists()
    assert (
        "landing.unemployment_benefit" not in table_identifiers(huiliu_home)
        or json.loads(runner.invoke(app, ["lake", "stats"]).stdout)["tables"]["landing.unemployment_benefit"][
            "rows"
        ]
        == 0
    )


def test_ingest_file_unknown_dataset_is_a_clear_error(huiliu_home: Settings, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest-file", "no_such_dataset", str(path)])
    assert result.exit_code == 1
    assert "no contract named 'no_such_dataset'" in result.stderr


def test_a_corrected_resend_of_the_same_file_replaces_its_batch(
    huiliu_home: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "unemployment_benefit_202610.csv"
    path.write_bytes(GOOD.encode("gbk"))
    assert runner.invoke(app, ["ingest-file", "unemployment_benefit", str(path)]).exit_code == 0
    corrected = GOOD + "R2,520102199202023456,李四,参保,6,1680.00,2026-05-01,520102016002\n"
    path.write_bytes(corrected.encode("utf-8-sig"))
    result = runner.invoke(app, ["ingest-file", "unemployment_benefit", str(path)])
    assert result.exit_code == 0, result.output
    stats = json.loads(runner.invoke(app, ["lake", "stats"]).stdout)
    assert stats["tables"]["landing.unemployment_benefit"]["rows"] == 2


def test_ingest_file_of_a_missing_path_exits_1_and_moves_nothing(
    huiliu_home: Settings, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["ingest-file", "unemployment_benefit", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1
    assert "no such file" in result.stderr
    assert not (tmp_path / "rejected").exists()


def test_skipped_footer_rows_are_recorded_on_the_batch(huiliu_home: Settings, tmp_path: Path) -> None:
    from huiliu.store.batches import batches_of

    path = tmp_path / "unemployment_benefit_202612.csv"
    path.write_bytes((GOOD + "合计,,,,3,1520.50,,\n制表人：王五\n").encode("gbk"))
    result = runner.invoke(app, ["ingest-file", "unemployment_benefit", str(path)])
    assert result.exit_code == 0, result.output
    (batch,) = batches_of("unemployment_benefit")
    assert batch.rows == 1 and batch.drift["footer_rows_skipped"] == 2
    assert batch.drift["encoding"] == "gb18030"
