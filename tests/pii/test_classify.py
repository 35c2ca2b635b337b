"""Column classification: entity types, match ratios, checksums, explanations, masked evidence."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from stdnum import luhn
from stdnum.cn import ric

from huiliu.city import CityManifest
from huiliu.city.identity import bank_cards, mobiles, resident_ids
from huiliu.identity.resident_id import plausible_legacy_id
from huiliu.pii.classify import (
    TableClassification,
    classify_batches,
    classify_parquet,
    classify_table,
    name_hints,
    repeating_text_columns,
)
from huiliu.pii.engine import PiiEngine, get_engine
from tests.pii import make_city

ROWS = 3000


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> CityManifest:
    return make_city(tmp_path_factory.mktemp("city") / "small")


@pytest.fixture(scope="module")
def engine() -> PiiEngine:
    return get_engine()


def source_table(city: CityManifest, connection: str, table: str) -> pa.Table:
    with sqlite3.connect(city.connections[connection].removeprefix("sqlite:///")) as conn:
        cursor = conn.execute(f'SELECT * FROM "{table}"')
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    return pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})


def types_of(result: TableClassification) -> dict[str, list[str]]:
    return {c.name: c.entity_types for c in result.columns}


@pytest.mark.parametrize(
    ("connection", "table", "expected"),
    [
        pytest.param(
            "gongan",
            "resident_registry",
            {
                "id_number": ["CN_RESIDENT_ID"], "name": ["PERSON"], "gender": ["GENDER"],
                "birth_date": ["DATE_OF_BIRTH"], "ethnicity": ["ETHNICITY"], "household_address": ["ADDRESS"],
                "community_code": [], "phone": ["CN_MOBILE"], "residence_status": [], "status": [],
                "updated_at": [],
            },
            id="resident-registry",
        ),
        pytest.param(
            "minzheng",
            "subsistence_allowance",
            {
                "case_id": [], "id_number": ["CN_RESIDENT_ID"], "name": ["PERSON"], "category": [],
                "household_size": [], "monthly_amount": [], "bank_card": ["BANK_CARD"], "approval_date": [],
                "community_code": [], "updated_at": [],
            },
            id="subsistence-allowance",
        ),
        pytest.param(
            "canlian",
            "disability_registry",
            {
                "certificate_no": [], "id_number": ["CN_RESIDENT_ID"], "name": ["PERSON"],
                "disability_type": ["HEALTH"], "disability_grade": [], "issued_date": [],
                "community_code": [],
                "updated_at": [],
            },
            id="disability-registry",
        ),
        pytest.param(
            "shichang",
            "business_registrations",
            {
                "uscc": ["CN_USCC"], "company_name": [], "legal_representative": ["PERSON"],
                "address": ["ADDRESS"], "registered_capital": [], "established_date": [], "district_code": [],
                "status": [], "updated_at": [],
            },
            id="business-registrations",
        ),
    ],
)  # fmt: skip
def test_city_tables(
    city: CityManifest, engine: PiiEngine, connection: str, table: str, expected: dict
) -> None:
    assert types_of(classify_table(source_table(city, connection, table), engine)) == expected


def test_free_text_column_lists_the_entities_it_holds(city: CityManifest, engine: PiiEngine) -> None:
    result = classify_table(source_table(city, "chengyun", "hotline_tickets"), engine)
    description = result.column("description")
    assert description.kind == "free_text"
    assert description.entity_types[0] == "FREE_TEXT"
    assert {"PERSON", "CN_MOBILE", "ADDRESS", "CN_RESIDENT_ID", "BANK_CARD"} <= set(description.entity_types)
    assert result.column("ticket_id").entity_types == []
    assert result.column("caller_phone").entity_types == ["CN_MOBILE"]


def test_checksums_explanation_and_masked_evidence(city: CityManifest, engine: PiiEngine) -> None:
    table = source_table(city, "gongan", "resident_registry")
    column = classify_table(table, engine).column("id_number")
    top = column.entities[0]
    assert 0.95 < top.checksum_valid_ratio < 1.0  # the city plants wrong check characters
    assert "cn_resident_id" in column.explanation and "resident_id_18" in column.explanation
    assert "checksum valid" in column.explanation and "column name hints CN_RESIDENT_ID" in column.explanation
    raw = set(table.column("id_number").to_pylist())
    assert top.examples and not raw & set(top.examples)
    assert all("********" in e for e in top.examples)


def must_not_be_pi(rows: int = ROWS) -> pa.Table:
    """Columns that look numeric or coded but carry no personal information."""
    rng = np.random.default_rng(3)
    return pa.table(
        {
            "year": rng.integers(1990, 2027, rows),
            "year_text": rng.integers(1990, 2027, rows).astype(str),
            "amount": pa.array([Decimal(f"{v:.2f}") for v in rng.random(rows) * 5000], pa.decimal128(10, 2)),
            "amount_float": np.round(rng.random(rows) * 80_000, 2),
            "count": rng.integers(0, 60, rows),
            "ticket_id": [f"GY2026{n:011d}" for n in rng.integers(0, 10**11, rows)],
            "order_number": [f"2026{n:09d}" for n in rng.integers(0, 10**9, rows)],
            "community_code": [f"520102{n:06d}" for n in rng.integers(0, 10**6, rows)],
            "grid_code": [f"520102018{n:06d}" for n in rng.integers(0, 10**6, rows)],
            "phone": np.round(rng.random(rows) * 5000, 2),  # a hinting name over amounts
            "received_at": pa.array([date(2026, 1, 1)] * rows),
            "category": rng.choice(["噪音扰民", "物业管理", "市政设施", "社会救助"], rows),
            "satisfaction": rng.choice(["满意", "基本满意", "不满意"], rows),
        }
    )


def test_columns_that_are_not_personal_information(engine: PiiEngine) -> None:
    result = classify_table(must_not_be_pi(), engine)
    assert types_of(result) == {name: [] for name in must_not_be_pi(10).column_names}
    phone = result.column("phone")
    assert phone.name_hints == ("CN_MOBILE", "CN_LANDLINE")
    assert phone.explanation.startswith("no personal information")


def test_value_shapes_and_hints(engine: PiiEngine) -> None:
    rows = 500
    rng = np.random.default_rng(5)
    table = pa.table(
        {
            "民族": rng.choice(["汉", "苗", "布依"], rows),
            "code_value": rng.choice(["汉", "苗", "布依"], rows),
            "disability_type": rng.choice(["视力", "肢体", "听力"], rows),
            "性别": rng.choice(["男", "女"], rows),
            "sex": rng.choice(["M", "F"], rows),
            "出生日期": pa.array([date(1980, 1, 2)] * rows),
            "age": rng.integers(0, 100, rows),
            "visits": rng.integers(0, 100, rows),
            "contact": np.where(rng.random(rows) < 0.7, mobiles(rng, rows), "0851-86123456"),
            "religion": rng.choice(["佛教", "无宗教信仰", "基督教"], rows),
        }
    )
    assert types_of(classify_table(table, engine)) == {
        "民族": ["ETHNICITY"],
        "code_value": [],
        "disability_type": ["HEALTH"],
        "性别": ["GENDER"],
        "sex": ["GENDER"],
        "出生日期": ["DATE_OF_BIRTH"],
        "age": ["AGE"],
        "visits": [],
        "contact": ["CN_MOBILE", "CN_LANDLINE"],
        "religion": ["RELIGION"],
    }


def test_streamed_batches_and_uniform_sample(engine: PiiEngine) -> None:
    rng = np.random.default_rng(9)
    birth = np.datetime64("1985-01-01") + rng.integers(0, 10_000, 40_000).astype("timedelta64[D]")
    ids = resident_ids(np.full(40_000, 520102), birth, rng.integers(0, 999, 40_000))  # 520102: since 1983
    values = np.where(np.arange(40_000) < 30_000, "无", ids)  # the ID numbers come late in the stream
    batches = pa.table({"value": values}).to_batches(max_chunksize=4_000)
    result = classify_batches(iter(batches), engine, sample_rows=1_000)
    assert result.rows == 40_000 and result.sampled_rows == 1_000
    assert 0.18 < result.column("value").observed[0].match_ratio < 0.32


def test_travel_permits_classify_under_a_hinting_name_and_look_alike_codes_do_not(engine: PiiEngine) -> None:
    rng = np.random.default_rng(17)
    hk_macau = [f"C{n:08d}" for n in rng.integers(0, 10**8, 500)]
    home_return = [
        f"{letter}{n:08d}"
        for letter, n in zip(rng.choice(["H", "M"], 500), rng.integers(0, 10**8, 500), strict=True)
    ]
    compatriot = [f"{n:08d}" for n in rng.integers(0, 10**8, 500)]
    table = pa.table(
        {
            "港澳通行证号": hk_macau,
            "通行证号码": hk_macau,
            "回乡证号": home_return,
            "台胞证号码": compatriot,
            "order_code": hk_macau,
            "permit_no": compatriot,
            "车辆通行证号": compatriot,
        }
    )
    assert types_of(classify_table(table, engine)) == {
        "港澳通行证号": ["CN_TRAVEL_PERMIT"],
        "通行证号码": ["CN_TRAVEL_PERMIT"],
        "回乡证号": ["CN_TRAVEL_PERMIT"],
        "台胞证号码": ["CN_TRAVEL_PERMIT"],
        "order_code": [],
        "permit_no": [],
        "车辆通行证号": [],
    }


def test_messaging_accounts_classify_under_a_hinting_name(engine: PiiEngine) -> None:
    rng = np.random.default_rng(19)
    qq = [str(n) for n in rng.integers(10_000, 10**10, 500)]
    wechat = [f"wx_{n}" for n in rng.integers(1000, 10**8, 500)]
    table = pa.table({"qq": qq, "微信号": wechat, "微信账号": wechat, "amount": qq, "微信支付金额": qq})
    assert types_of(classify_table(table, engine)) == {
        "qq": ["CN_IM_ACCOUNT"],
        "微信号": ["CN_IM_ACCOUNT"],
        "微信账号": ["CN_IM_ACCOUNT"],
        "amount": [],
        "微信支付金额": [],
    }


def test_first_generation_ids_classify_under_a_hinting_name_and_grid_codes_do_not(engine: PiiEngine) -> None:
    rows = 2_000
    rng = np.random.default_rng(13)
    births = np.datetime64("1930-01-01") + rng.integers(0, 25_000, rows).astype("timedelta64[D]")
    sequences = rng.integers(0, 999, rows)
    legacy = [f"520102{b:%y%m%d}{s:03d}" for b, s in zip(births.tolist(), sequences, strict=True)]
    # grid codes of a town (101) and a township (201), villages 201-231: shaped like 15-digit IDs
    towns, villages = rng.choice([101, 201], rows), rng.integers(201, 232, rows)
    grids = [
        f"520102{t}{v}{g:03d}" for t, v, g in zip(towns, villages, rng.integers(1, 30, rows), strict=True)
    ]
    assert all(map(plausible_legacy_id, grids))
    table = pa.table({"身份证号": legacy, "grid_code": grids, "value": legacy})
    assert types_of(classify_table(table, engine)) == {
        "身份证号": ["CN_RESIDENT_ID"],
        "grid_code": [],
        "value": [],
    }


def test_free_text_is_scanned_on_rows_from_the_whole_stream(engine: PiiEngine) -> None:
    """Personal information that only the last quarter of a table's free text holds is seen: the
    texts scanned are a uniform part of the sample, not its first rows in stream order."""
    rows = 40_000
    rng = np.random.default_rng(11)
    complaints = ["小区东门路灯损坏已有三天，请尽快安排维修。", "楼道堆放杂物较多，存在消防隐患。"]
    plain = rng.choice(complaints, rows)
    phones = mobiles(rng, rows)
    late = np.char.add(np.char.add("噪音扰民持续到深夜，来电人电话", phones), "，请核实处理。")
    values = np.where(np.arange(rows) < 30_000, plain, late)  # the numbers come late in the stream
    batches = pa.table({"description": values}).to_batches(max_chunksize=4_000)
    column = classify_batches(iter(batches), engine, sample_rows=1_000).column("description")
    assert column.kind == "free_text"
    assert column.entity_types[:1] == ["FREE_TEXT"] and "CN_MOBILE" in column.entity_types
    assert 0.15 < column.entities[0].match_ratio < 0.35  # about a quarter of 200 texts


def test_parquet_file_and_card_column(tmp_path: Path, engine: PiiEngine) -> None:
    rng = np.random.default_rng(1)
    path = tmp_path / "cards.parquet"
    pq.write_table(pa.table({"卡号": bank_cards(rng, 2000), "备注": ["无"] * 2000}), path, row_group_size=500)
    result = classify_batches(pq.ParquetFile(path).iter_batches(batch_size=300), engine)  # streamed
    assert types_of(result) == {"卡号": ["BANK_CARD"], "备注": []}
    assert result.column("卡号").entities[0].checksum_valid_ratio == 1.0


def test_a_parquet_file_classifies_as_its_stream_and_reads_repeating_text_as_dictionaries(
    tmp_path: Path, engine: PiiEngine
) -> None:
    """性别 and 民族 (two values each, with nulls) are read as dictionaries, the IDs and phones are
    not; the classification is the one of the same file's plain stream, types included."""
    rng = np.random.default_rng(4)
    rows = 6000
    birth = np.datetime64("1960-01-01") + rng.integers(0, 15_000, rows).astype("timedelta64[D]")
    gender = pa.array(np.where(rng.random(rows) < 0.5, "男", "女")).to_pylist()
    gender[::97] = [None] * len(gender[::97])
    table = pa.table(
        {
            "身份证号": resident_ids(np.full(rows, 520102), birth, rng.integers(0, 999, rows)),
            "性别": gender,
            "民族": np.where(rng.random(rows) < 0.9, "汉族", "苗族"),
            "手机": mobiles(rng, rows),
        }
    )
    path = tmp_path / "residents.parquet"
    pq.write_table(table, path, row_group_size=2_000)
    assert repeating_text_columns(pq.ParquetFile(path).metadata) == ["性别", "民族"]
    result = classify_parquet(path, engine, source="residents")
    streamed = classify_batches(
        pq.ParquetFile(path).iter_batches(batch_size=1_000), engine, source="residents"
    )
    assert result.as_dict() == streamed.as_dict()
    assert types_of(result) == {
        "身份证号": ["CN_RESIDENT_ID"],
        "性别": ["GENDER"],
        "民族": ["ETHNICITY"],
        "手机": ["CN_MOBILE"],
    }
    assert result.column("性别").arrow_type == "string" and result.column("性别").nulls == len(gender[::97])


def test_a_parquet_file_without_rows_and_large_strings_classify_as_their_stream(
    tmp_path: Path, engine: PiiEngine
) -> None:
    empty, wide = tmp_path / "empty.parquet", tmp_path / "large.parquet"
    pq.write_table(pa.table({"性别": pa.array([], pa.string())}), empty)
    gender = pa.array(["男", "女"] * 500, pa.large_string())
    pq.write_table(pa.table({"性别": gender, "民族": pa.array(["汉族"] * 1000)}), wide)
    for path in (empty, wide):
        streamed = classify_batches(pq.ParquetFile(path).iter_batches(batch_size=300), engine)
        assert classify_parquet(path, engine).as_dict() == streamed.as_dict()
    assert classify_parquet(empty, engine).columns == ()
    assert classify_parquet(wide, engine).column("性别").arrow_type == "large_string"


def ids_issued_after_birth(rows: int) -> list[str]:
    """ID numbers whose region code was created after the holder's birth (浦东新区 310115 from 1992,
    观山湖区 520115 from 2012): every one also passes the Luhn check of cards, one in four has a lower-case x
    instead."""
    rng = np.random.default_rng(21)
    values = []
    for row in range(rows):
        region = "310115" if row % 3 else "520115"
        birth = date(1950, 1, 1) + np.timedelta64(int(rng.integers(0, 15_000)), "D").item()
        lower_x = row % 4 == 0
        for sequence in rng.permutation(1000).tolist():
            body = f"{region}{birth:%Y%m%d}{sequence:03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number.endswith("X") if lower_x else luhn.is_valid(number):
                values.append(number.lower())
                break
    return values


@pytest.mark.parametrize("name", ["value", "卡号", "身份证号"])
def test_ids_issued_after_birth_are_resident_ids_not_cards(engine: PiiEngine, name: str) -> None:
    values = ids_issued_after_birth(600)
    assert sum(luhn.is_valid(v) for v in values) == 450 and sum(v.endswith("x") for v in values) == 150
    assert not any(ric.is_valid(v) for v in values)  # the code did not exist in the birth year
    column = classify_table(pa.table({name: values}), engine).column(name)
    assert column.entity_types == ["CN_RESIDENT_ID"]
    assert "BANK_CARD" not in {m.entity_type for m in column.observed}
    assert column.entities[0].match_ratio == 1.0 and column.entities[0].checksum_valid_ratio == 1.0


@pytest.mark.parametrize(
    ("name", "hints"),
    [
        ("caller_phone", ("CN_MOBILE", "CN_LANDLINE")),
        ("idNumber", ("CN_RESIDENT_ID",)),
        ("身份证号码", ("CN_RESIDENT_ID",)),
        ("page_count", ()),
        ("usage", ()),
        ("birth_date", ("DATE_OF_BIRTH",)),
        ("户籍地址", ("ADDRESS",)),
    ],
)
def test_name_hints(engine: PiiEngine, name: str, hints: tuple[str, ...]) -> None:
    assert name_hints(name, engine.config.classification.hints) == hints
