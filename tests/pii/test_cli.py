"""``huiliu pii``: scan-text over JSON lines and classify over CSV (GBK), XLSX and Parquet files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from huiliu.cli.main import app

runner = CliRunner()
HUILIU = Path(sys.executable).parent / "huiliu"
LINES = [
    {"id": 1, "text": "联系人张三，电话１３８１２３４５６７８"},
    {"id": "b", "text": "反映路口信号灯红灯时长65秒。"},
    {"id": 3, "text": None},
]


def jsonl(records: list[object]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def test_scan_text_writes_one_line_per_input() -> None:
    result = runner.invoke(app, ["pii", "scan-text"], input=jsonl(LINES))
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, "b", 3]
    first = out[0]["findings"]
    assert [(f["entity_type"], f["start"], f["end"]) for f in first] == [
        ("PERSON", 3, 5),
        ("CN_MOBILE", 8, 19),
    ]
    assert first[1]["score"] == 1.0 and first[1]["recognizer"] == "cn_mobile"
    assert out[1]["findings"] == [] and out[2]["findings"] == []


def test_scan_text_bad_lines_are_reported_and_the_others_kept() -> None:
    text = jsonl(LINES[:1]) + "{not json\n" + jsonl([[1, 2]]) + '{"id": 9}\n' + jsonl(LINES[1:2])
    result = runner.invoke(app, ["pii", "scan-text"], input=text)
    assert result.exit_code == 2
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, "b"]
    assert "line 2: not valid JSON" in result.stderr
    assert "line 3: expected a JSON object" in result.stderr
    assert 'line 4: the object has no "text" field' in result.stderr
    assert "张三" not in result.stderr


def test_scan_text_anonymize() -> None:
    result = runner.invoke(app, ["pii", "scan-text", "--anonymize"], input=jsonl(LINES[:1]))
    assert json.loads(result.stdout)["anonymized"] == "联系人张*，电话１３８****５６７８"


def test_scan_text_as_a_real_process() -> None:
    done = subprocess.run(
        [str(HUILIU), "pii", "scan-text"],
        input=jsonl(LINES[:2]) + "oops\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == [1, "b"]
    assert "line 3" in done.stderr


def gbk_csv(path: Path) -> Path:
    rows = ["失业保险待遇发放明细（2026年10月）", "业务流水号,身份证号,姓名,联系电话,月发放金额,社区代码"]
    rows += [
        f"R{i},52010219900307451{7},张{'伟芳娜'[i % 3]}{'强磊'[i % 2]},1381234{i:04d},1520.50,520102016001"
        for i in range(60)
    ]
    rows += ["合计,,,,91230.00,", "制表人：李四,,,,,"]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("gbk"))
    return path


def classify(path: Path) -> dict[str, list[str]]:
    result = runner.invoke(app, ["pii", "classify", str(path)])
    assert result.exit_code == 0, result.output
    return {c["name"]: c["entity_types"] for c in json.loads(result.stdout)["columns"]}


def test_classify_gbk_csv_with_title_and_footer(tmp_path: Path) -> None:
    assert classify(gbk_csv(tmp_path / "发放明细.csv")) == {
        "业务流水号": [], "身份证号": ["CN_RESIDENT_ID"], "姓名": ["PERSON"], "联系电话": ["CN_MOBILE"],
        "月发放金额": [], "社区代码": [],
    }  # fmt: skip


def test_classify_xlsx_and_parquet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["志愿服务积分台账"])
    sheet.append(["姓名", "手机", "积分"])
    for i in range(50):
        sheet.append([f"王{'伟芳娜'[i % 3]}", 13812340000 + i, i])  # phones saved as numbers
    book.save(tmp_path / "points.xlsx")
    assert classify(tmp_path / "points.xlsx") == {"姓名": ["PERSON"], "手机": ["CN_MOBILE"], "积分": []}
    pq.write_table(pa.table({"email": [f"user{i}@example.com" for i in range(80)]}), tmp_path / "t.parquet")
    result = runner.invoke(app, ["pii", "classify", str(tmp_path / "t.parquet")])
    column = json.loads(result.stdout)["columns"][0]
    assert column["entity_types"] == ["EMAIL_ADDRESS"] and column["match_ratio"] == 1.0
    assert column["explanation"].startswith("EMAIL_ADDRESS: 100.0% of 80 sampled values match email")
    assert "user0@example.com" not in result.stdout


@pytest.mark.parametrize(
    ("name", "content", "code", "message"),
    [
        pytest.param("missing.csv", None, 1, "no such file", id="missing"),
        pytest.param("utf16.csv", "姓名\n张三\n".encode("utf-16"), 2, "UTF-16", id="utf16-csv"),
        pytest.param(
            "broken.xlsx", b"PK\x03\x04not really a zip", 2, "not a valid Excel workbook", id="bad-xlsx"
        ),
        pytest.param(
            "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, 2, ".xls", id="legacy-xls"
        ),
        pytest.param("broken.parquet", b"PAR1 no footer", 2, "not a readable parquet file", id="bad-parquet"),
        pytest.param("table.json", b"[]", 2, "unsupported file type .json", id="unsupported"),
    ],
)
def test_classify_unreadable_files(
    tmp_path: Path, name: str, content: bytes | None, code: int, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["pii", "classify", str(path)])
    assert result.exit_code == code, result.output
    assert message in result.stderr
