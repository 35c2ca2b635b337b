"""Report files: parseable JSON with Chinese kept readable, both pages, atomic writes, no leftovers."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from uuid import UUID

import pytest

from huiliu.errors import ReportError
from huiliu.reports import Language, ReportFiles, page_filename, to_jsonable, write_report

PAGES: dict[Language, str] = {
    "zh": '<!DOCTYPE html>\n<html lang="zh-CN"><p>通过率</p></html>\n',
    "en": '<!DOCTYPE html>\n<html lang="en"></html>\n',
}


class Status(Enum):
    PASSED = "passed"


@dataclass(frozen=True)
class Row:
    dataset: str
    pass_rate: float


def test_write_report_writes_json_and_both_pages(tmp_path: Path) -> None:
    data = {
        "title": "数据质量记分卡",
        "generated_at": datetime(2025, 6, 14, 23, 30, tzinfo=UTC),
        "period": {"from": date(2025, 6, 1), "to": date(2025, 6, 14)},
        "datasets": [Row("户籍人口登记", 0.9987), Row("社区矫正人员", math.nan)],
        "status": Status.PASSED,
        "rows": Decimal(182340),
        "ratio": Decimal("0.25"),
        "tags": {"b", "a"},
        "docs": Path("/srv/huiliu/docs"),
        "run": UUID("12345678-1234-5678-1234-567812345678"),
        "missing": None,
        "infinite": math.inf,
    }
    files = write_report(tmp_path / "reports" / "quality", "quality-2025-06-14", data, PAGES)
    assert isinstance(files, ReportFiles)
    folder = tmp_path / "reports" / "quality"
    assert files.json_path == folder / "quality-2025-06-14.json"
    assert files.zh_path == folder / "quality-2025-06-14.html" == files.page("zh")
    assert files.en_path == folder / "quality-2025-06-14.en.html" == files.page("en")
    raw_json = files.json_path.read_text(encoding="utf-8")
    assert "数据质量记分卡" in raw_json and "\\u" not in raw_json
    assert '\n  "title"' in raw_json
    assert json.loads(raw_json, parse_constant=pytest.fail) == {
        "title": "数据质量记分卡",
        "generated_at": "2025-06-14T23:30:00+00:00",
        "period": {"from": "2025-06-01", "to": "2025-06-14"},
        "datasets": [
            {"dataset": "户籍人口登记", "pass_rate": 0.9987},
            {"dataset": "社区矫正人员", "pass_rate": None},
        ],
        "status": "passed",
        "rows": 182340,
        "ratio": 0.25,
        "tags": ["a", "b"],
        "docs": "/srv/huiliu/docs",
        "run": "12345678-1234-5678-1234-567812345678",
        "missing": None,
        "infinite": None,
    }
    assert files.zh_path.read_text(encoding="utf-8") == PAGES["zh"]
    assert files.en_path.read_text(encoding="utf-8") == PAGES["en"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "quality-2025-06-14.en.html",
        "quality-2025-06-14.html",
        "quality-2025-06-14.json",
    ]


def test_write_report_replaces_an_earlier_version(tmp_path: Path) -> None:
    write_report(tmp_path, "r", {"v": 1}, PAGES)
    files = write_report(tmp_path, "r", {"v": 2}, {"zh": "新", "en": "new"})
    assert json.loads(files.json_path.read_text(encoding="utf-8")) == {"v": 2}
    assert files.zh_path.read_text(encoding="utf-8") == "新"
    assert len(list(tmp_path.iterdir())) == 3


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_report(tmp_path, "r", {"v": 1}, PAGES)

    def crash(self: Path, target: Path) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_report(tmp_path, "r", {"v": 2}, {"zh": "新", "en": "new"})
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.en.html", "r.html", "r.json"]
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == PAGES["zh"]


def test_bad_input_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="en"):
        write_report(tmp_path, "r", {}, {"zh": "只有中文"})
    with pytest.raises(ReportError, match="holds a value of type object, which has no JSON form") as refused:
        write_report(tmp_path, "r", {"x": object()}, PAGES)
    assert "object at" not in str(refused.value)  # the type is named, never the value
    for stem in ("", "..", "a/b", "a\\b"):
        with pytest.raises(ReportError, match="stem"):
            write_report(tmp_path, stem, {}, PAGES)
    assert list(tmp_path.iterdir()) == []


def test_page_filename_gives_the_link_between_languages() -> None:
    assert page_filename("quality-2025-06-14", "zh") == "quality-2025-06-14.html"
    assert page_filename("quality-2025-06-14", "en") == "quality-2025-06-14.en.html"


def test_to_jsonable_turns_keys_into_strings() -> None:
    assert to_jsonable({date(2025, 6, 1): 1, 2: (1, 2), ("a", 1): frozenset({3})}) == {
        "2025-06-01": 1,
        "2": [1, 2],
        '["a", 1]': [3],
    }
