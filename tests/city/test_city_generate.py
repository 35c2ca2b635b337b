"""The small synthetic city: identities, identifiers, planted defects and free-text entities."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from faker.providers.person.zh_CN import Provider as ZhPerson
from sqlalchemy import Date, DateTime, Integer, Numeric, String, create_engine, inspect
from stdnum import luhn
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum

from huiliu.city import RATES, CityManifest, generate_city
from huiliu.city.defects import PERSON_DATASETS, RECIPIENT_DATASETS
from huiliu.city.generator import city_contracts
from huiliu.divisions import Hierarchy
from huiliu.errors import ConfigurationError, SourceUnavailableError, UnknownUnitError
from huiliu.identity.resident_id import valid_resident_id

AS_OF = date(2026, 10, 15)  # the as_of of the session's small city (conftest)
MOBILE = re.compile(r"^1[3-9]\d{9}$")
FULL_WIDTH = str.maketrans("０１２３４５６７８９＋", "0123456789+")
Rows = dict[str, list[dict[str, Any]]]
ByKind = dict[str, dict[str, dict[str, dict[str, str]]]]


def _keys(kind: ByKind, defect: str, dataset: str) -> set[str]:
    return set(kind.get(defect, {}).get(dataset, {}))


def _blank(value: object) -> bool:
    return value is None or value == ""


def _timestamp(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def test_small_city_is_fast(small_city: tuple[CityManifest, float]) -> None:
    assert small_city[1] < 30


def test_layout_and_connections(manifest: CityManifest) -> None:
    out = manifest.out_dir
    for name in ("gongan", "minzheng", "canlian", "chengyun", "wangge", "shichang"):
        assert (out / "sources" / f"{name}.sqlite").is_file()
        assert manifest.connections[name] == f"sqlite:///{out / 'sources' / f'{name}.sqlite'}"
    assert manifest.connections["renshe_drop"] == str(out / "drops" / "renshe_drop")
    assert manifest.connections["shequ_drop"] == str(out / "drops" / "shequ_drop")
    assert json.loads((out / "connections.json").read_text(encoding="utf-8")) == manifest.connections
    written = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert written["counts"] == manifest.counts
    assert Path(written["ground_truth"]) == manifest.ground_truth
    assert not list(out.glob("*.spool"))


def test_ground_truth_counts_match_the_sources(
    manifest: CityManifest, ground_truth: dict, city_rows: Rows
) -> None:
    assert ground_truth["counts"] == {name: len(rows) for name, rows in city_rows.items()}
    assert manifest.counts == ground_truth["counts"]
    assert ground_truth["seed"] == 7 and ground_truth["scale"] == "small"
    assert ground_truth["districts"] == ["520102"] and ground_truth["city_code"] == "5201"
    assert ground_truth["rates"] == RATES
    assert 49_000 < ground_truth["counts"]["resident_registry"] < 52_000
    assert ground_truth["counts"]["hotline_tickets"] >= 20_000


def test_a_row_carries_at_most_one_defect_and_most_rows_are_clean(ground_truth: dict) -> None:
    pairs = Counter((d["dataset"], d["key"]) for d in ground_truth["defects"])
    assert max(pairs.values()) == 1
    per_dataset = Counter(d["dataset"] for d in ground_truth["defects"])
    for dataset, rows in ground_truth["counts"].items():
        assert per_dataset[dataset] / rows < 0.1, dataset
    assert {d["defect"] for d in ground_truth["defects"]} == set(RATES)


def test_every_listed_defect_is_in_the_data(
    city_rows: Rows, ground_truth: dict, hierarchy: Hierarchy
) -> None:
    contracts = city_contracts()
    by_key: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name, rows in city_rows.items():
        key = contracts[name].schema_.primary_key[0]
        for row in rows:
            by_key.setdefault(name, {}).setdefault(str(row[key]), []).append(row)
    registry = {r["id_number"]: r for r in city_rows["resident_registry"]}
    stale_before = datetime.combine(AS_OF, datetime.min.time()) - timedelta(days=730)
    for item in ground_truth["defects"]:
        rows = by_key[item["dataset"]][item["key"]]
        row = rows[0]
        kind = item["defect"]
        if kind == "invalid_id_checksum":
            value = row[item["column"]]
            validate = uscc.validate if item["column"] == "uscc" else ric.validate
            with pytest.raises(InvalidChecksum):
                validate(value)
        elif kind == "birth_date_mismatch":
            assert str(row["birth_date"]) != ric.get_birth_date(row["id_number"]).isoformat()
        elif kind == "missing_required":
            assert _blank(row[item["column"]])
        elif kind == "duplicate_record":
            assert len(rows) == 2
        elif kind == "unknown_community":
            assert row["community_code"] not in hierarchy and len(row["community_code"]) == 12
        elif kind == "stale_record":
            assert _timestamp(row["updated_at"]) < stale_before
        elif kind == "absent_from_registry":
            assert row["id_number"] not in registry
        elif kind == "dead_in_registry":
            assert registry[row["id_number"]]["status"] == "死亡"
        else:
            pytest.fail(f"unexpected defect kind {kind}")


def test_no_defect_goes_unlisted(city_rows: Rows, defects_by_kind: ByKind, hierarchy: Hierarchy) -> None:
    contracts = city_contracts()
    registry = {r["id_number"]: r for r in city_rows["resident_registry"]}
    stale_before = datetime.combine(AS_OF, datetime.min.time()) - timedelta(days=730)
    for name, rows in city_rows.items():
        contract = contracts[name]
        key = contract.schema_.primary_key[0]
        counts = Counter(str(r[key]) for r in rows)
        assert {k for k, c in counts.items() if c > 1} == _keys(defects_by_kind, "duplicate_record", name)
        required = [c.name for c in contract.columns if not c.nullable]
        missing = {str(r[key]) for r in rows if any(_blank(r[c]) for c in required)}
        assert missing == _keys(defects_by_kind, "missing_required", name)
        if "community_code" in contract.schema_.primary_key or any(
            c.name == "community_code" for c in contract.columns
        ):
            unknown = {
                str(r[key])
                for r in rows
                if not _blank(r["community_code"]) and r["community_code"] not in hierarchy
            }
            assert unknown == _keys(defects_by_kind, "unknown_community", name)
        if any(c.name == "updated_at" for c in contract.columns):
            stale = {
                str(r[key]) for r in rows if r["updated_at"] and _timestamp(r["updated_at"]) < stale_before
            }
            assert stale == _keys(defects_by_kind, "stale_record", name)
        if any(c.name == "id_number" for c in contract.columns):
            invalid = {str(r[key]) for r in rows if not valid_resident_id(r["id_number"], AS_OF)}
            assert invalid == _keys(defects_by_kind, "invalid_id_checksum", name)
        if name in PERSON_DATASETS:
            absent = {str(r[key]) for r in rows if r["id_number"] not in registry}
            dead = {
                str(r[key])
                for r in rows
                if r["id_number"] in registry and registry[r["id_number"]]["status"] == "死亡"
            }
            expected_absent = _keys(defects_by_kind, "absent_from_registry", name)
            expected_dead = _keys(defects_by_kind, "dead_in_registry", name)
            assert absent == expected_absent and dead == expected_dead
            assert bool(expected_absent) == bool(expected_dead) == (name in RECIPIENT_DATASETS)
    businesses = city_rows["business_registrations"]
    assert {r["uscc"] for r in businesses if not uscc.is_valid(r["uscc"])} == _keys(
        defects_by_kind, "invalid_id_checksum", "business_registrations"
    )


def test_identities_agree_across_departments(city_rows: Rows, defects_by_kind: ByKind) -> None:
    registry = {r["id_number"]: r for r in city_rows["resident_registry"]}
    contracts = city_contracts()
    checked = 0
    for name in PERSON_DATASETS:
        key = contracts[name].schema_.primary_key[0]
        absent = _keys(defects_by_kind, "absent_from_registry", name)
        missing = defects_by_kind.get("missing_required", {}).get(name, {})
        unknown = _keys(defects_by_kind, "unknown_community", name)
        for row in city_rows[name]:
            row_key = str(row[key])
            if row_key in absent:
                continue
            person = registry[row["id_number"]]
            if missing.get(row_key, {}).get("column") != "name":
                assert row["name"] == person["name"], name
            if row_key not in unknown and missing.get(row_key, {}).get("column") != "community_code":
                assert row["community_code"] == person["community_code"], name
            checked += 1
    assert checked > 10_000


def test_ids_birth_dates_and_genders_agree(city_rows: Rows, defects_by_kind: ByKind) -> None:
    mismatched = _keys(defects_by_kind, "birth_date_mismatch", "resident_registry")
    missing = defects_by_kind["missing_required"]["resident_registry"]
    invalid = _keys(defects_by_kind, "invalid_id_checksum", "resident_registry")
    assert len(mismatched) > 100 and len(invalid) > 100
    for row in city_rows["resident_registry"]:
        number = row["id_number"]
        if number in invalid:
            continue
        assert valid_resident_id(number, AS_OF)
        assert number[:6].isdigit()
        if missing.get(number, {}).get("column") not in ("gender",):
            assert row["gender"] == ("男" if int(number[16]) % 2 else "女")
        if number not in mismatched and missing.get(number, {}).get("column") != "birth_date":
            assert row["birth_date"] == ric.get_birth_date(number).isoformat()
    ages = city_rows["elderly_care_services"]
    assert all(r["age"] is None or r["age"] >= 60 for r in ages)


def test_registry_looks_like_guiyang(city_rows: Rows, hierarchy: Hierarchy) -> None:
    rows = city_rows["resident_registry"]
    ethnicity = Counter(r["ethnicity"] for r in rows)
    assert 0.7 < ethnicity["汉族"] / len(rows) < 0.9
    assert ethnicity["苗族"] > 0 and ethnicity["布依族"] > 0 and ethnicity["侗族"] > 0
    assert {r["residence_status"] for r in rows} >= {"户籍", "流动"}
    assert {r["status"] for r in rows} >= {"正常", "死亡", "迁出"}
    addresses = [r["household_address"] for r in rows if r["household_address"]]
    assert all(a.startswith("贵州省贵阳市南明区") for a in addresses)
    assert all(re.search(r"(路|街|大道)\d+号.+\d+栋\d单元\d+室$", a) for a in addresses)
    street = rows[0]["community_code"][:9]
    assert hierarchy.get(street).level == "street"


def test_phones_cards_and_credit_codes_are_well_formed(city_rows: Rows, defects_by_kind: ByKind) -> None:
    phones = [r["phone"] for r in city_rows["resident_registry"] if r["phone"]]
    phones += [r["caller_phone"] for r in city_rows["hotline_tickets"] if r["caller_phone"]]
    assert len(phones) > 40_000 and all(MOBILE.match(p) for p in phones)
    cards = [r["bank_card"] for r in city_rows["subsistence_allowance"] if r["bank_card"]]
    assert len(cards) > 1_000
    assert all(16 <= len(c) <= 19 and luhn.is_valid(c) for c in cards)
    invalid = _keys(defects_by_kind, "invalid_id_checksum", "business_registrations")
    codes = [r["uscc"] for r in city_rows["business_registrations"] if r["uscc"] not in invalid]
    assert all(uscc.is_valid(c) and c[2:8] == "520102" for c in codes)


def _entity_ok(entity_type: str, value: str, surnames: set[str]) -> bool:
    if entity_type == "PERSON":
        return 2 <= len(value) <= 4 and (value[0] in surnames or value[:2] in surnames)
    if entity_type == "CN_MOBILE":
        digits = re.sub(r"[\s-]", "", value.translate(FULL_WIDTH)).removeprefix("+86")
        return bool(MOBILE.match(digits))
    if entity_type == "CN_RESIDENT_ID":
        return valid_resident_id(value, AS_OF)
    if entity_type == "ADDRESS":
        return bool(re.search(r"\d+栋\d单元\d+室$", value))
    if entity_type == "BANK_CARD":
        digits = value.replace(" ", "")
        return digits.isdigit() and 16 <= len(digits) <= 19 and luhn.is_valid(digits)
    return False


def test_free_text_offsets_point_at_the_planted_entities(city_rows: Rows, ground_truth: dict) -> None:
    surnames = set(ZhPerson.last_names)
    texts = {("hotline_tickets", r["ticket_id"]): r["description"] for r in city_rows["hotline_tickets"]} | {
        ("grid_events", r["event_id"]): r["description"] for r in city_rows["grid_events"]
    }
    seen: Counter[str] = Counter()
    phone_styles: set[str] = set()
    for item in ground_truth["free_text_pii"]:
        assert item["column"] == "description"
        text = texts[(item["dataset"], item["key"])]
        for entity in item["entities"]:
            value = text[entity["start"] : entity["end"]]
            assert _entity_ok(entity["entity_type"], value, surnames), (entity, value)
            seen[entity["entity_type"]] += 1
            if entity["entity_type"] == "CN_MOBILE":
                phone_styles.update(s for s in (" ", "-", "+86", "１") if s in value)
    assert set(seen) == {"PERSON", "CN_MOBILE", "CN_RESIDENT_ID", "ADDRESS", "BANK_CARD"}
    assert phone_styles == {" ", "-", "+86", "１"}
    with_pii = Counter(item["dataset"] for item in ground_truth["free_text_pii"])
    for dataset in ("hotline_tickets", "grid_events"):
        share = with_pii[dataset] / ground_truth["counts"][dataset]
        assert 0.4 < share < 0.9, dataset


def test_descriptions_also_carry_numbers_that_are_not_personal(city_rows: Rows, ground_truth: dict) -> None:
    spans = {(i["dataset"], i["key"]): i["entities"] for i in ground_truth["free_text_pii"]}
    checked = 0
    for dataset, key_column in (("hotline_tickets", "ticket_id"), ("grid_events", "event_id")):
        for row in city_rows[dataset]:
            text = row["description"]
            if not text:
                continue
            kept = list(text)
            for entity in spans.get(
                (dataset, row["ticket_id" if dataset == "hotline_tickets" else key_column]), []
            ):
                kept[entity["start"] : entity["end"]] = [" "] * (entity["end"] - entity["start"])
            assert re.search(r"\d", "".join(kept)), text
            checked += 1
    assert checked > 24_000
    joined = "".join(r["description"] or "" for r in city_rows["hotline_tickets"])
    assert re.search(r"20\d\d年", joined) and "12345" in joined and "元" in joined


def test_gbk_csv_has_a_title_row_above_the_chinese_header(manifest: CityManifest) -> None:
    (path,) = Path(manifest.connections["renshe_drop"]).glob("unemployment_benefit_*.csv")
    assert path.name == "unemployment_benefit_202610.csv"
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    lines = raw.decode("gbk").split("\r\n")
    assert lines[0].startswith("贵阳市失业保险待遇发放明细（2026年10月）")
    header = [c.source_column for c in city_contracts()["unemployment_benefit"].columns]
    assert lines[1].split(",") == header
    assert header[:3] == ["业务流水号", "身份证号", "姓名"]


def test_xlsx_has_a_title_row_and_ids_as_text(manifest: CityManifest) -> None:
    (path,) = Path(manifest.connections["shequ_drop"]).glob("volunteer_points_*.xlsx")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert "志愿服务积分" in str(sheet.cell(1, 1).value)
    header = [c.source_column for c in city_contracts()["volunteer_points"].columns]
    assert [sheet.cell(2, i + 1).value for i in range(len(header))] == header
    id_cells = [row[1] for row in sheet.iter_rows(min_row=3) if row[1].value is not None]
    assert len(id_cells) > 4_000
    assert all(cell.data_type == "s" and isinstance(cell.value, str) for cell in id_cells)
    assert isinstance(sheet.cell(3, 8).value, datetime)


def test_sqlite_tables_have_the_contract_columns_and_types(manifest: CityManifest) -> None:
    expected_types = {"string": String, "integer": Integer, "date": Date, "timestamp": DateTime}
    for name, contract in city_contracts().items():
        source = contract.source
        if source.kind != "sql":
            continue
        engine = create_engine(manifest.connections[source.connection])
        columns = {c["name"]: c["type"] for c in inspect(engine).get_columns(source.table)}
        engine.dispose()
        assert list(columns) == [c.name for c in contract.columns]
        for column in contract.columns:
            scale = column.decimal_precision_scale
            if scale:
                assert isinstance(columns[column.name], Numeric)
                assert (columns[column.name].precision, columns[column.name].scale) == scale
            else:
                assert isinstance(columns[column.name], expected_types[column.type]), (name, column.name)


def test_same_seed_same_city_other_seed_other_city(tmp_path: Path) -> None:
    first = generate_city(tmp_path / "a", seed=11, residents=2_000, as_of=AS_OF)
    again = generate_city(tmp_path / "b", seed=11, residents=2_000, as_of=AS_OF)
    other = generate_city(tmp_path / "c", seed=12, residents=2_000, as_of=AS_OF)
    truth = first.ground_truth.read_text(encoding="utf-8")
    assert truth == again.ground_truth.read_text(encoding="utf-8")
    assert (
        json.loads(truth)["defects"] != json.loads(other.ground_truth.read_text(encoding="utf-8"))["defects"]
    )


def test_regenerating_replaces_the_previous_city(tmp_path: Path) -> None:
    generate_city(tmp_path, residents=1_000, as_of=date(2026, 9, 1))
    manifest = generate_city(tmp_path, residents=1_000, as_of=AS_OF)
    assert [p.name for p in Path(manifest.connections["renshe_drop"]).iterdir()] == [
        "unemployment_benefit_202610.csv"
    ]


def test_bad_inputs_raise_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(UnknownUnitError, match="520199"):
        generate_city(tmp_path, districts=["520199"], residents=500)
    with pytest.raises(ConfigurationError, match="unknown target"):
        generate_city(tmp_path, residents=500, targets={"nope": "sqlite:///x.db"})
    with pytest.raises(SourceUnavailableError, match="gongan"):
        generate_city(
            tmp_path, residents=500, targets={"gongan": "postgresql+psycopg2://postgres@127.0.0.1:1/x"}
        )
