"""Valid synthetic residents (checksummed IDs, real community codes) and one row per defect kind."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from stdnum.cn import ric

from huiliu.divisions import load_hierarchy
from huiliu.settings import Settings
from tests.helpers.source_tables import SourceDb

UPDATED = datetime(2026, 10, 20, 9, 30)


def valid_id(i: int, birth: date) -> str:
    body = f"520102{birth:%Y%m%d}{i % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def a_community(settings: Settings) -> str:
    hierarchy = load_hierarchy(settings.city_code, None, settings.units_seed)
    return next(u.code for u in hierarchy.units.values() if u.level == "community")


def person(i: int, community: str, **changes: Any) -> dict[str, Any]:
    birth = date(1984, 1, 1) + timedelta(days=13 * i)
    row = {
        "id_number": valid_id(i, birth),
        "name": f"王{'伟芳'[i % 2]}{i}",
        "gender": "男" if i % 1000 % 2 else "女",
        "birth_date": birth,
        "ethnicity": "汉族",
        "household_address": f"南明区新华路{i}号",
        "community_code": community,
        "phone": f"1380000{i:04d}",
        "residence_status": "户籍",
        "status": "正常",
        "updated_at": UPDATED,
    }
    row.update(changes)
    return row


def insert(db: SourceDb, rows: list[dict[str, Any]]) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.insert(db.table()), rows)


def bad_rows(community: str) -> dict[str, dict[str, Any]]:
    """One row per defect kind, keyed by what is wrong with it."""
    broken_id = person(901, community)
    broken_id["id_number"] = broken_id["id_number"][:-1] + ("0" if broken_id["id_number"][-1] != "0" else "1")
    return {
        "checksum": broken_id,
        "missing_name": person(902, community, name=None),
        "unknown_community": person(903, community, community_code="520102999999"),
        "stale": person(904, community, updated_at=datetime(2021, 3, 1, 10, 0)),
        "birth_mismatch": person(905, community, birth_date=date(1999, 9, 9)),
    }
