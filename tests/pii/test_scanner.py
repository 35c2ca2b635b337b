"""The fast scanner gives exactly the findings of a plain ``AnalyzerEngine.analyze`` call per text."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from huiliu.city import CityManifest
from huiliu.pii.config import load_config
from huiliu.pii.engine import PiiEngine, build_engine, get_engine
from huiliu.pii.scanner import anonymize_texts, findings_by_row, plain_analyze, scan_table, scan_texts
from tests.pii import city_texts, make_city

TRICKY = [
    "市民张佳林（身份证５２２３２５１９８９０６２４３６９５）电话１３５\u200b０２９４６０８８。",
    "\u200b\u200b联系人李\u200b秀英，住址南明区沙冲中路190号林城雅居5栋2单元1104室",
    "面积20㎡，户主王建国，手机+86 138 1234 5678，卡号6217 0008 1292 6364",
    "ｅ\u0301居民赵想反映，身份证52010319930517005x，银行卡6217000812926365",
    "ㄱㅏ联系人王芳，电话0851-86123456，邮箱wang.fang@example.com，车牌贵A·12345",
    "该户户主为苗族，信仰佛教，患有高血压，持视力残疾二级证明。",
    "",
    "反映路口信号灯红灯时长65秒，早晚高峰车辆排队超过51辆，原工单号2026668855122。",
    "王某，男，１９７５年１２月生，现年五十一岁，往来港澳通行证C12345678，QQ：123456789，座机0851——86868686。",
]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> CityManifest:
    return make_city(tmp_path_factory.mktemp("city") / "small")


@pytest.fixture(scope="module")
def engine() -> PiiEngine:
    return get_engine()


def test_identical_to_plain_analyze_on_city_texts(city: CityManifest, engine: PiiEngine) -> None:
    texts = city_texts(city)[::6][:4000] + TRICKY
    fast = scan_texts(texts, engine)
    plain = plain_analyze(texts, engine)
    differing = [i for i, (a, b) in enumerate(zip(fast, plain, strict=True)) if a != b]
    assert not differing, f"{len(differing)} texts differ, first {differing[:5]}"
    assert sum(map(len, fast)) > 5000  # a test of real findings, not of empty lists


def test_identical_to_plain_analyze_on_tricky_texts(engine: PiiEngine) -> None:
    assert scan_texts(TRICKY * 20, engine) == plain_analyze(TRICKY * 20, engine)


def test_spans_are_in_original_offsets(engine: PiiEngine) -> None:
    text = TRICKY[0]
    found = {(f.entity_type, text[f.start : f.end]) for f in scan_texts([text], engine)[0]}
    assert found == {
        ("PERSON", "张佳林"),
        ("CN_RESIDENT_ID", "５２２３２５１９８９０６２４３６９５"),
        ("CN_MOBILE", "１３５\u200b０２９４６０８８"),
    }


def test_arrow_input_duplicates_and_nulls(engine: PiiEngine) -> None:
    texts = [TRICKY[2], None, TRICKY[2], "", TRICKY[5]]
    as_list = scan_texts(texts, engine)
    assert as_list[1] == [] and as_list[3] == [] and as_list[0] == as_list[2] != []
    assert scan_texts(pa.chunked_array([texts[:2], texts[2:]]), engine) == as_list


def test_findings_table_in_worker_processes(tmp_path: Path, engine: PiiEngine) -> None:
    path = tmp_path / "small_chunks.yaml"
    path.write_text("scanner: {processes: 2, min_rows_per_process: 50}\n", encoding="utf-8")
    two_processes = build_engine(load_config(path), path)
    texts = (TRICKY * 40)[:300] + [f"联系人王{i}强，电话1380000{i:04d}" for i in range(300)]
    table = scan_table(texts, two_processes)
    assert table.column_names[:4] == ["row", "entity_type", "start", "end"]
    assert findings_by_row(table, len(texts)) == scan_texts(texts, engine)


def test_anonymize_every_row(engine: PiiEngine) -> None:
    masked = anonymize_texts([TRICKY[2], None, "无个人信息"], engine=engine)
    assert masked[0] == "面积20㎡，户主王**，手机+86 138 **** 5678，卡号**** **** **** 6364"
    assert masked[1:] == [None, "无个人信息"]


def test_identical_with_two_recognizers_of_one_entity(tmp_path: Path) -> None:
    """Presidio's cross-recognizer de-duplication is reproduced when a user adds a second recognizer."""
    path = tmp_path / "second_mobile.yaml"
    path.write_text(
        "recognizers:\n"
        "  loose_mobile:\n"
        "    kind: pattern\n"
        "    entity: CN_MOBILE\n"
        "    patterns: [{name: eleven_digits, regex: '1\\d{10}', score: 0.5}]\n"
        "    context: [电话]\n",
        encoding="utf-8",
    )
    engine = build_engine(load_config(path), path)
    texts = [*TRICKY, "电话13812345678，备用19912345678，编号11234567890123"]
    assert scan_texts(texts, engine) == plain_analyze(texts, engine)
    mobiles = [f for f in scan_texts(texts[-1:], engine)[0] if f.entity_type == "CN_MOBILE"]
    spans = [(f.start, f.end, f.recognizer) for f in mobiles]
    assert spans == [
        (2, 13, "cn_mobile"),
        (16, 27, "cn_mobile"),
        (30, 41, "loose_mobile"),
    ]  # duplicates merged


def test_findings_table_edge_cases(engine: PiiEngine) -> None:
    assert scan_table([], engine).num_rows == 0
    assert scan_table(["无", None, ""], engine).num_rows == 0
    assert scan_table(["联系人张三", "无", "联系人张三"], engine).column("row").to_pylist() == [0, 2]
