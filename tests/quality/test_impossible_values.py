"""A value that cannot be true quarantines its row, in every dataset's reviewed suite.

The synthetic city plants missing values, bad check characters, unknown communities and the like;
these are the impossible values it does not plant: negative money, grades and counts outside their
range, dates in the future or before the person was born, ends before starts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from stdnum.cn import uscc

from huiliu.contracts import load_contract
from huiliu.quality.suggest import suggest_suite
from huiliu.quality.verdict import Verdict
from huiliu.settings import Settings, get_settings
from tests.conftest import _clear_caches
from tests.quality.suite_rows import gate_verdict, resident_id, row_failures, unit_code

AS_OF = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # noon in Shanghai
TODAY = date(2026, 11, 1)
BORN = date(1950, 3, 7)
ID = resident_id("520102", BORN, 451)  # 男
BEFORE_BIRTH = BORN - timedelta(days=1)
NEXT_MONTH = TODAY + timedelta(days=30)
UPDATED = datetime(2026, 10, 30, 9, 30)


def _base_rows(settings: Settings) -> dict[str, dict[str, Any]]:
    """One clean row per dataset, about a man born on 1950-03-07."""
    community = unit_code(settings, "community")
    person = {"id_number": ID, "name": "王伟", "community_code": community}
    return {
        "resident_registry": person
        | {
            "gender": "男",
            "birth_date": BORN,
            "ethnicity": "汉族",
            "household_address": "南明区新华路12号",
            "phone": "13800138000",
            "residence_status": "户籍",
            "status": "正常",
            "updated_at": UPDATED,
        },
        "subsistence_allowance": person
        | {
            "case_id": "DB5201022024000001",
            "category": "低保",
            "household_size": 2,
            "monthly_amount": Decimal("890.00"),
            "bank_card": None,
            "approval_date": date(2024, 5, 20),
            "updated_at": UPDATED,
        },
        "disability_registry": person
        | {
            "certificate_no": ID + "42",
            "disability_type": "肢体",
            "disability_grade": 2,
            "issued_date": date(2019, 6, 1),
            "updated_at": UPDATED,
        },
        "elderly_care_services": person
        | {
            "service_id": "YL20261020000001",
            "age": 76,
            "service_type": "助餐",
            "provider": "南明区颐年居家养老服务中心",
            "service_date": date(2026, 10, 20),
            "updated_at": UPDATED,
        },
        "unemployment_benefit": person
        | {
            "record_id": "SY202611000001",
            "insured_status": "正常参保",
            "benefit_months": 3,
            "monthly_amount": Decimal("1600.00"),
            "start_date": date(2026, 8, 3),
        },
        "volunteer_points": person
        | {
            "record_id": "ZY202611000001",
            "activity": "助老送餐",
            "points": 5,
            "rule_id": "JF-02",
            "recorded_at": date(2026, 10, 20),
        },
        "hotline_tickets": {
            "ticket_id": "GY202610200000001",
            "channel": "电话",
            "caller_phone": "13800138000",
            "description": "小区路灯不亮，请尽快维修。",
            "category": "市政设施",
            "community_code": community,
            "assigned_department": "区城市管理局",
            "received_at": datetime(2026, 10, 20, 9, 0),
            "dispatched_at": datetime(2026, 10, 20, 9, 30),
            "closed_at": datetime(2026, 10, 22, 17, 0),
            "satisfaction": "满意",
            "updated_at": datetime(2026, 10, 22, 17, 5),
        },
        "grid_events": {
            "event_id": "WG202610200000001",
            "grid_code": unit_code(settings, "grid"),
            "reporter": "李娜",
            "event_type": "环境卫生",
            "location": "新华路12号",
            "description": "楼道堆放杂物。",
            "status": "已上报",
            "reported_at": datetime(2026, 10, 20, 9, 0),
            "updated_at": datetime(2026, 10, 20, 9, 5),
        },
        "business_registrations": {
            "uscc": "91520102MA6DGK8PX" + uscc.calc_check_digit("91520102MA6DGK8PX0"),
            "company_name": "贵阳黔鑫商贸有限公司",
            "legal_representative": "王伟",
            "address": "南明区新华路12号",
            "registered_capital": Decimal("50.00"),
            "established_date": date(2018, 4, 2),
            "district_code": unit_code(settings, "district"),
            "status": "存续",
            "updated_at": UPDATED,
        },
    }


# (dataset, column, impossible value, the rule that must catch it)
IMPOSSIBLE = [
    ("subsistence_allowance", "monthly_amount", Decimal("-890.00"), "be_between(monthly_amount)"),
    ("subsistence_allowance", "household_size", 0, "be_between(household_size)"),
    ("subsistence_allowance", "household_size", -2, "be_between(household_size)"),
    ("subsistence_allowance", "approval_date", BEFORE_BIRTH, "not_predate_cn_resident_id_birth"),
    ("subsistence_allowance", "approval_date", NEXT_MONTH, "not_be_in_the_future(approval_date)"),
    ("disability_registry", "disability_grade", 0, "be_between(disability_grade)"),
    ("disability_registry", "disability_grade", 5, "be_between(disability_grade)"),
    ("disability_registry", "issued_date", BEFORE_BIRTH, "not_predate_cn_resident_id_birth"),
    ("disability_registry", "issued_date", NEXT_MONTH, "not_be_in_the_future(issued_date)"),
    ("elderly_care_services", "age", -1, "be_between(age)"),
    ("elderly_care_services", "age", 131, "be_between(age)"),
    ("elderly_care_services", "service_date", BEFORE_BIRTH, "not_predate_cn_resident_id_birth"),
    ("elderly_care_services", "service_date", NEXT_MONTH, "not_be_in_the_future(service_date)"),
    ("unemployment_benefit", "monthly_amount", Decimal("-1600.00"), "be_between(monthly_amount)"),
    ("unemployment_benefit", "benefit_months", -1, "be_between(benefit_months)"),
    ("unemployment_benefit", "benefit_months", 25, "be_between(benefit_months)"),
    ("unemployment_benefit", "start_date", BEFORE_BIRTH, "not_predate_cn_resident_id_birth"),
    ("unemployment_benefit", "start_date", NEXT_MONTH, "not_be_in_the_future(start_date)"),
    ("volunteer_points", "recorded_at", BEFORE_BIRTH, "not_predate_cn_resident_id_birth"),
    ("volunteer_points", "recorded_at", NEXT_MONTH, "not_be_in_the_future(recorded_at)"),
    ("resident_registry", "birth_date", NEXT_MONTH, "not_be_in_the_future(birth_date)"),
    ("resident_registry", "birth_date", date(1895, 1, 1), "not_be_in_the_future(birth_date)"),
    ("hotline_tickets", "received_at", datetime(2026, 11, 2, 9, 0), "not_be_in_the_future(received_at)"),
    ("hotline_tickets", "closed_at", datetime(2026, 11, 3, 9, 0), "not_be_in_the_future(closed_at)"),
    ("hotline_tickets", "dispatched_at", datetime(2026, 10, 19, 9, 0), "(dispatched_at, received_at)"),
    ("hotline_tickets", "closed_at", datetime(2026, 10, 20, 9, 10), "(closed_at, dispatched_at)"),
    ("grid_events", "reported_at", datetime(2026, 11, 2, 9, 0), "not_be_in_the_future(reported_at)"),
    ("business_registrations", "registered_capital", Decimal("-50.00"), "be_between(registered_capital)"),
    ("business_registrations", "established_date", NEXT_MONTH, "not_be_in_the_future(established_date)"),
]


DATASETS = sorted({case[0] for case in IMPOSSIBLE})


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Verdict]]:
    """Per dataset, the verdict on its clean row (position 0) followed by each of its impossible rows."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUILIU_HOME", str(tmp_path_factory.mktemp("impossible") / "huiliu"))
        for key in [k for k in os.environ if k.startswith(("HUILIU_SOURCE_", "OPENLINEAGE"))]:
            patch.delenv(key)
        _clear_caches()
        settings = get_settings()
        settings.ensure_home()
        out = {}
        for dataset in DATASETS:
            base = _base_rows(settings)[dataset]
            rows = [base] + [base | {column: value} for d, column, value, _ in IMPOSSIBLE if d == dataset]
            out[dataset] = gate_verdict(dataset, rows, AS_OF, settings)
        yield out
    _clear_caches()


@pytest.mark.parametrize("dataset", DATASETS)
def test_the_clean_row_of_each_dataset_passes(dataset: str, verdicts: dict[str, Verdict]) -> None:
    assert row_failures(verdicts[dataset], 0) == {}


@pytest.mark.parametrize(
    ("dataset", "column", "value", "rule"),
    IMPOSSIBLE,
    ids=[f"{d}-{c}={v}" for d, c, v, _ in IMPOSSIBLE],
)
def test_an_impossible_value_quarantines_its_row(
    dataset: str, column: str, value: Any, rule: str, verdicts: dict[str, Verdict]
) -> None:
    cases = [(c, v) for d, c, v, _ in IMPOSSIBLE if d == dataset]
    position = 1 + cases.index((column, value))
    failures = row_failures(verdicts[dataset], position)
    caught = {r: s for r, s in failures.items() if rule in r}
    assert caught, f"{dataset}.{column} = {value!r} passed; it failed only {failures}"
    assert set(caught.values()) <= {"warning", "critical"}


@pytest.mark.parametrize(
    ("dataset", "column", "kind"),
    [
        ("subsistence_allowance", "monthly_amount", "expect_column_values_to_be_between"),
        ("business_registrations", "registered_capital", "expect_column_values_to_be_between"),
        (
            "subsistence_allowance",
            "approval_date",
            "expect_column_pair_values_to_not_predate_cn_resident_id_birth",
        ),
        ("resident_registry", "birth_date", "expect_column_values_to_not_be_in_the_future"),
    ],
)
def test_a_drafted_suite_already_refuses_impossible_values(dataset: str, column: str, kind: str) -> None:
    draft = suggest_suite(load_contract(dataset))
    (drafted,) = [
        e
        for e in draft["expectations"]
        if e["type"] == kind and column in (e["kwargs"].get("column"), e["kwargs"].get("column_B"))
    ]
    assert drafted["severity"] == "warning"
    assert drafted["kwargs"].get("min_value", 0) == 0 and drafted["kwargs"].get("max_age_years", 130) == 130
