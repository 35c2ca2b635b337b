"""apply_policy: the rows a unit receives, only the returned columns, each transformed, nulls kept."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from huiliu.contracts import load_contract
from huiliu.contracts.model import Classification, DatasetContract
from huiliu.policy.apply import apply_policy
from huiliu.policy.columns import decide_columns
from huiliu.policy.loader import load_policy
from huiliu.policy.vocabulary import Tier
from tests.helpers.classifications import RESIDENT_COLUMNS, classified, column

POLICY = load_policy()
RESIDENTS = load_contract("resident_registry")
KEY = b"k" * 32
ROWS = pa.table(
    {
        "_batch_id": ["b1", "b1", "b1"],
        "id_number": ["520102199003074517", None, "52010219510102002X"],
        "name": ["张三", "欧阳娜娜", None],
        "gender": ["男", "女", "女"],
        "birth_date": pa.array([dt.date(1990, 3, 7), dt.date(1951, 1, 2), None]),
        "ethnicity": ["汉族", "苗族", "布依族"],
        "household_address": [
            "南明区新华路街道和平社区遵义路128号3栋2单元1203室",
            None,
            "云岩区黔东街道新村社区12号",
        ],
        "community_code": ["520102016001"] * 3,
        "phone": ["13812345678", "+8613987654321", None],
        "residence_status": ["户籍", "流动", "户籍"],
        "status": ["正常", "正常", "迁出"],
        "updated_at": pa.array([dt.datetime(2024, 5, 1)] * 3),
    }
)


def delivered(
    tier: Tier, rows: pa.Table = ROWS, grant: str = "G1", contract: DatasetContract = RESIDENTS
) -> pa.Table:
    decision = decide_columns(POLICY, tier, contract, classified(contract, *RESIDENT_COLUMNS))
    return apply_policy(rows, decision, grant_id=grant, key=KEY)


def test_a_community_receives_its_columns_masked_in_contract_order() -> None:
    out = delivered(Tier.COMMUNITY)
    assert out.column_names == [
        "id_number",
        "name",
        "gender",
        "birth_date",
        "household_address",
        "community_code",
        "phone",
        "residence_status",
        "status",
        "updated_at",
    ]
    assert out.column("id_number").to_pylist() == ["520102********4517", None, "520102********002X"]
    assert out.column("name").to_pylist() == ["张三", "欧阳娜娜", None]
    assert out.column("birth_date").to_pylist() == [1990, 1951, None]
    assert out.column("household_address").to_pylist() == [
        "南明区新华路街道和平社区遵义路***号*栋*单元****室",
        None,
        "云岩区黔东街道新村社区**号",
    ]
    assert out.column("phone").to_pylist() == ["138****5678", "+86139****4321", None]
    assert out.column("updated_at").equals(ROWS.column("updated_at"))


def test_a_grid_receives_hashes_that_join_within_its_grant_only() -> None:
    first, again, other = delivered(Tier.GRID), delivered(Tier.GRID), delivered(Tier.GRID, grant="G2")
    ids = first.column("id_number").to_pylist()
    assert ids[1] is None and len(ids[0]) == 32 and ids[0] != ROWS.column("id_number")[0].as_py()
    assert again.column("id_number").equals(first.column("id_number"))
    assert other.column("id_number").to_pylist()[0] != ids[0]
    assert first.column("name").to_pylist() == ["张*", "欧***", None]


def test_a_narrow_read_yields_the_returned_columns_it_holds() -> None:
    out = delivered(Tier.COMMUNITY, ROWS.select(["community_code", "birth_date", "ethnicity", "_batch_id"]))
    assert out.column_names == ["birth_date", "community_code"]
    assert out.num_rows == 3


def test_nothing_returned_still_counts_the_rows() -> None:
    closed = RESIDENTS.model_copy(
        update={"classification": Classification(sharing_class="none", sensitivity="general")}  # type: ignore[arg-type]
    )
    out = delivered(Tier.DISTRICT, contract=closed)
    assert out.column_names == [] and out.num_rows == 3


def test_an_empty_batch_gives_an_empty_table_of_the_returned_columns() -> None:
    out = delivered(Tier.GRID, ROWS.slice(0, 0))
    assert out.num_rows == 0 and "id_number" in out.column_names


def test_a_column_of_mobiles_and_landlines_reaches_a_community_masked_value_by_value() -> None:
    phones = column("phone", "CN_MOBILE", "CN_LANDLINE")
    columns = [phones if c.name == "phone" else c for c in RESIDENT_COLUMNS]
    decision = decide_columns(POLICY, Tier.COMMUNITY, RESIDENTS, classified(RESIDENTS, *columns))
    rows = ROWS.set_column(
        ROWS.schema.get_field_index("phone"), "phone", pa.array(["13812345678", "0851-86253147", "不详"])
    )
    out = apply_policy(rows, decision, grant_id="G1", key=KEY)
    assert out.column("phone").to_pylist() == ["138****5678", "0851-******47", "**"]
