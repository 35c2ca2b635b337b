"""The check functions on small hand-made Arrow tables: what is a mismatch, what is flagged, what is shown."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from huiliu.reconciliation.checks import (
    DatasetRows,
    check_community_counts,
    check_community_exists,
    check_recipients_in_registry,
    current_versions,
)
from huiliu.reconciliation.masking import display_key, mask_id, mask_name, mask_record_key
from huiliu.reconciliation.spec import (
    CommunityCounts,
    CommunityExists,
    CountTolerance,
    RecipientsInRegistry,
    RegistrySpec,
    Titles,
)

ALIVE_ID = "520102199003074514"
DEAD_ID = "520102194501011237"
MOVED_ID = "520103198807153321"
OUTSIDER_ID = "522628195202206612"
COMMUNITY_A = "520102001001"
COMMUNITY_B = "520102001002"
TITLES = Titles(zh="核对项", en="A check")
REGISTRY = RegistrySpec(
    dataset="resident_registry",
    id_column="id_number",
    status_column="status",
    community_column="community_code",
    dead_statuses=["死亡"],
    moved_out_statuses=["迁出"],
)
RECIPIENTS = RecipientsInRegistry(
    name="allowance_in_registry",
    kind="recipients_in_registry",
    title=TITLES,
    dataset="subsistence_allowance",
    id_column="id_number",
    name_column="name",
)


def registry(*people: tuple[str, str, str]) -> pa.Table:
    ids, statuses, communities = zip(*people, strict=True) if people else ((), (), ())
    return pa.table(
        {
            "id_number": pa.array(ids, pa.string()),
            "status": pa.array(statuses, pa.string()),
            "community_code": pa.array(communities, pa.string()),
        }
    )


def allowance(*rows: tuple[str, str | None, str, str | None]) -> DatasetRows:
    keys, ids, names, communities = zip(*rows, strict=True)
    table = pa.table(
        {
            "case_id": pa.array(keys, pa.string()),
            "id_number": pa.array(ids, pa.string()),
            "name": pa.array(names, pa.string()),
            "community_code": pa.array(communities, pa.string()),
        }
    )
    return DatasetRows("subsistence_allowance", table, ("case_id",))


REGISTRY_ROWS = registry(
    (ALIVE_ID, "正常", COMMUNITY_A), (DEAD_ID, "死亡", COMMUNITY_A), (MOVED_ID, "迁出", COMMUNITY_B)
)


@pytest.mark.parametrize(
    ("id_number", "finding", "is_mismatch"),
    [
        (ALIVE_ID, None, False),
        (OUTSIDER_ID, "absent_from_registry", True),
        (DEAD_ID, "dead_in_registry", True),
        (MOVED_ID, "moved_out", False),
    ],
    ids=["alive-in-registry", "absent-from-registry", "dead-in-registry", "moved-out-is-a-notice"],
)
def test_recipient_finding(id_number: str, finding: str | None, is_mismatch: bool) -> None:
    result = check_recipients_in_registry(
        RECIPIENTS, REGISTRY, allowance(("DB1", id_number, "张三", COMMUNITY_A)), REGISTRY_ROWS, 5
    )
    assert result.rows_compared == 1
    assert result.mismatches == int(is_mismatch)
    assert result.status == ("failed" if is_mismatch else "passed")
    assert [f.record_key for f in result.flags] == ([] if finding is None else ["DB1"])
    if finding is not None:
        assert result.flags[0].detail.startswith(finding + ":")
        assert result.breakdown[finding] == 1


def test_recipient_without_id_number_is_not_compared() -> None:
    rows = allowance(("DB1", None, "张三", COMMUNITY_A), ("DB2", " ", "李四", COMMUNITY_A))
    result = check_recipients_in_registry(RECIPIENTS, REGISTRY, rows, REGISTRY_ROWS, 5)
    assert (result.rows_compared, result.mismatches, result.mismatch_rate) == (0, 0, None)
    assert result.breakdown["not_compared"] == 2
    assert result.status == "skipped" and result.passed is None  # comparing nothing is not a pass
    assert result.reason == "nothing to compare: no records of subsistence_allowance had a value to check"


def test_samples_are_masked_and_no_raw_value_leaves_the_check() -> None:
    rows = allowance(("DB1", OUTSIDER_ID, "欧阳修文", COMMUNITY_A), ("DB2", DEAD_ID, "张三", COMMUNITY_A))
    result = check_recipients_in_registry(RECIPIENTS, REGISTRY, rows, REGISTRY_ROWS, 5)
    samples = {s["record_key"]: s for s in result.samples}
    assert samples["DB1"] == {
        "record_key": "DB1",
        "id_number": "522628********6612",
        "name": "欧*",
        "finding": "absent_from_registry",
    }
    assert samples["DB2"]["id_number"] == "520102********1237" and samples["DB2"]["name"] == "张*"
    shown = json.dumps(result.as_dict(), ensure_ascii=False) + "".join(f.detail for f in result.flags)
    for raw in (OUTSIDER_ID, DEAD_ID, "欧阳修文", "张三"):
        assert raw not in shown


def test_sample_size_limits_samples_not_flags() -> None:
    rows = allowance(*[(f"DB{i}", f"52262819520220{i:04d}", "王五", COMMUNITY_A) for i in range(8)])
    result = check_recipients_in_registry(RECIPIENTS, REGISTRY, rows, REGISTRY_ROWS, 3)
    assert len(result.samples) == 3 and len(result.flags) == 8
    assert [s["record_key"] for s in result.samples] == ["DB0", "DB1", "DB2"]


def test_personal_record_keys_are_masked_in_samples() -> None:
    certificate = OUTSIDER_ID + "11"
    table = pa.table({"certificate_no": [certificate], "id_number": [OUTSIDER_ID], "name": ["赵六"]})
    holders = DatasetRows("disability_registry", table, ("certificate_no",), ("certificate_no",))
    check = RECIPIENTS.model_copy(update={"dataset": "disability_registry"})
    result = check_recipients_in_registry(check, REGISTRY, holders, REGISTRY_ROWS, 5)
    assert result.samples[0]["record_key"] == "522628**********1211"
    assert result.flags[0].record_key == certificate, "the store keeps the real key for the owner to find"


@pytest.mark.parametrize(
    ("max_rate", "status"),
    [(0.0, "failed"), (0.25, "passed"), (0.2, "failed")],
    ids=["zero-tolerance", "rate-at-the-limit-passes", "rate-above-the-limit-fails"],
)
def test_pass_or_fail_by_max_mismatch_rate(max_rate: float, status: str) -> None:
    rows = allowance(
        ("DB1", OUTSIDER_ID, "王五", COMMUNITY_A),
        *[("DB" + str(i), ALIVE_ID, "张三", COMMUNITY_A) for i in range(2, 5)],
    )
    check = RECIPIENTS.model_copy(update={"max_mismatch_rate": max_rate})
    result = check_recipients_in_registry(check, REGISTRY, rows, REGISTRY_ROWS, 5)
    assert result.mismatch_rate == pytest.approx(0.25)
    assert (result.status, result.tolerance) == (status, max_rate)


def test_current_version_is_latest_by_ingestion_then_cursor() -> None:
    early, late = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    versions = pa.table(
        {
            "id_number": [DEAD_ID, DEAD_ID, DEAD_ID, ALIVE_ID, ALIVE_ID],
            "status": ["正常", "死亡", "迁出", "死亡", "正常"],
            "_ingested_at": [early, late, late, early, late],
            "updated_at": [datetime(2026, 1, 1), datetime(2026, 1, 20), datetime(2026, 1, 10), None, None],
        }
    )
    current = current_versions(versions, ["id_number"], ["_ingested_at", "updated_at"])
    assert dict(zip(current["id_number"].to_pylist(), current["status"].to_pylist(), strict=True)) == {
        DEAD_ID: "死亡",
        ALIVE_ID: "正常",
    }


def test_registry_current_version_decides_alive_or_dead() -> None:
    stamps = [datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)]
    history = pa.table(
        {
            "id_number": [ALIVE_ID, ALIVE_ID, DEAD_ID, DEAD_ID],
            "status": ["死亡", "正常", "正常", "死亡"],
            "community_code": [COMMUNITY_A] * 4,
            "_ingested_at": stamps * 2,
        }
    )
    current = current_versions(history, ["id_number"], ["_ingested_at"])
    rows = allowance(("DB1", ALIVE_ID, "张三", COMMUNITY_A), ("DB2", DEAD_ID, "李四", COMMUNITY_A))
    result = check_recipients_in_registry(RECIPIENTS, REGISTRY, rows, current, 5)
    assert [(f.record_key, f.detail.split(":")[0]) for f in result.flags] == [("DB2", "dead_in_registry")]


COUNTS = CommunityCounts(
    name="allowance_community_counts",
    kind="community_counts",
    title=TITLES,
    dataset="subsistence_allowance",
    id_column="id_number",
    community_column="community_code",
    tolerance=CountTolerance(relative=0.1, absolute=2),
)


def people_in(registered: int, moved: int) -> tuple[pa.Table, DatasetRows]:
    """``registered`` people live in each of A and B per the registry; the department has ``moved`` in B."""
    ids = [f"5201021960010{i:05d}" for i in range(2 * registered)]
    homes = [COMMUNITY_A] * registered + [COMMUNITY_B] * registered
    reg = registry(*[(i, "正常", home) for i, home in zip(ids, homes, strict=True)])
    recorded = [COMMUNITY_B if n < moved else home for n, home in enumerate(homes)]
    rows = [(f"DB{n}", i, "张三", place) for n, (i, place) in enumerate(zip(ids, recorded, strict=True))]
    return reg, allowance(*rows)


@pytest.mark.parametrize(
    ("registered", "moved", "mismatched_communities"),
    [(10, 0, 0), (10, 2, 0), (10, 3, 2), (50, 5, 0), (50, 6, 2)],
    ids=[
        "counts-agree",
        "small-difference-within-absolute",
        "beyond-absolute",
        "within-ten-percent",
        "beyond-ten-percent",
    ],
)
def test_community_counts_tolerance(registered: int, moved: int, mismatched_communities: int) -> None:
    reg, rows = people_in(registered, moved)
    result = check_community_counts(COUNTS, REGISTRY, rows, reg, 5)
    assert (result.unit, result.rows_compared) == ("communities", 2)
    assert result.mismatches == mismatched_communities
    assert len(result.flags) == moved, "every person whose community differs is flagged"
    assert result.breakdown == {"people_compared": 2 * registered, "people_community_differs": moved}
    assert len(result.samples) == mismatched_communities
    for sample in result.samples:
        assert sample["difference"] == moved and sample["allowed_difference"] == max(2, registered / 10)


def test_samples_show_both_counts_of_each_mismatched_community() -> None:
    reg, rows = people_in(3, 3)
    result = check_community_counts(COUNTS, REGISTRY, rows, reg, 5)
    assert result.mismatches == 2 and result.status == "failed"
    assert {s["community_code"]: (s["department_count"], s["registry_count"]) for s in result.samples} == {
        COMMUNITY_A: (0, 3),
        COMMUNITY_B: (6, 3),
    }


def test_community_counts_flags_a_missing_department_community() -> None:
    reg = registry((ALIVE_ID, "正常", COMMUNITY_A))
    result = check_community_counts(COUNTS, REGISTRY, allowance(("DB1", ALIVE_ID, "张三", None)), reg, 5)
    (flag,) = result.flags
    assert flag.detail == f"community_differs: community_code missing vs resident registry {COMMUNITY_A}"


def test_community_counts_count_people_once_and_skip_absent_recipients() -> None:
    reg = registry((ALIVE_ID, "正常", COMMUNITY_A))
    rows = allowance(
        ("S1", ALIVE_ID, "张三", COMMUNITY_A),
        ("S2", ALIVE_ID, "张三", COMMUNITY_A),
        ("S3", OUTSIDER_ID, "王五", COMMUNITY_B),
    )
    result = check_community_counts(COUNTS, REGISTRY, rows, reg, 5)
    assert result.rows_compared == 1 and result.mismatches == 0 and result.flags == ()
    assert result.breakdown["people_compared"] == 1


TICKETS = CommunityExists(
    name="hotline_community_exists",
    kind="community_exists",
    title=TITLES,
    dataset="hotline_tickets",
    column="community_code",
)


@pytest.mark.parametrize(
    ("code", "compared", "flagged"),
    [(COMMUNITY_A, 1, False), ("520102999001", 1, True), (None, 0, False), ("", 0, False)],
    ids=["known-community", "unknown-community", "not-stated", "blank"],
)
def test_community_exists(code: str | None, compared: int, flagged: bool) -> None:
    table = pa.table({"ticket_id": ["GY1"], "community_code": pa.array([code], pa.string())})
    tickets = DatasetRows("hotline_tickets", table, ("ticket_id",))
    result = check_community_exists(TICKETS, tickets, {COMMUNITY_A}, 5)
    assert result.rows_compared == compared
    assert [f.record_key for f in result.flags] == (["GY1"] if flagged else [])
    assert result.breakdown["not_stated"] == 1 - compared
    assert result.status == ("skipped" if compared == 0 else "failed" if flagged else "passed")


def test_grid_codes_are_checked_at_grid_level() -> None:
    check = TICKETS.model_copy(
        update={"name": "grid_exists", "dataset": "grid_events", "column": "grid_code", "level": "grid"}
    )
    table = pa.table({"event_id": ["E1", "E2"], "grid_code": [COMMUNITY_A + "001", COMMUNITY_A]})
    known_grids = {COMMUNITY_A + "001"}
    result = check_community_exists(check, DatasetRows("grid_events", table, ("event_id",)), known_grids, 5)
    assert [(f.record_key, f.detail) for f in result.flags] == [
        ("E2", f"unknown_code: grid_code {COMMUNITY_A} is not a grid of the hierarchy")
    ]


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("520102199003074514", "520102********4514"),
        ("52010219900307451X", "520102********451X"),
        ("12345", "*****"),
        (None, None),
    ],
    ids=["id-number", "id-with-x", "short-value", "missing"],
)
def test_mask_id(value: str | None, masked: str | None) -> None:
    assert mask_id(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"), [("张三", "张*"), ("欧阳修文", "欧*"), (" ", ""), (None, None)], ids=str
)
def test_mask_name(value: str | None, masked: str | None) -> None:
    assert mask_name(value) == masked


def test_composite_record_key_masks_only_personal_parts() -> None:
    assert mask_record_key(f"C7/{ALIVE_ID}", ("case", "id_number"), ("id_number",)) == "C7/520102********4514"
    assert display_key(ALIVE_ID, None) == "520102********4514", "an unknown dataset's key is masked"
