"""Releasing and discarding quarantined rows: the cases where a steward's action could go wrong."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from huiliu.contracts import load_contract
from huiliu.errors import QuarantineError
from huiliu.ingest import land_dataset
from huiliu.lake.catalog import lake_table
from huiliu.quality import quarantine, records
from huiliu.quality.gate import run_gate
from huiliu.settings import Settings
from tests.helpers.residents import a_community, insert, person
from tests.helpers.source_tables import SourceDb

CONTRACT = load_contract("resident_registry")
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def _gate(source: SourceDb, settings: Settings, rows: list[dict]) -> str:
    insert(source, rows)
    landed = land_dataset(CONTRACT, "20261101T000000")
    run_gate(CONTRACT, landed.batch_id, as_of=AS_OF)
    return landed.batch_id


def _curated_ids(settings: Settings) -> list[str]:
    return (
        lake_table("curated.resident_registry", settings=settings).scan().to_arrow()["id_number"].to_pylist()
    )


def test_two_rows_of_one_key_are_not_released_together(source: SourceDb, huiliu_home: Settings) -> None:
    community = a_community(huiliu_home)
    twin = person(950, community, name=None)
    _gate(
        source,
        huiliu_home,
        [person(i, community) for i in range(60)] + [twin, {**twin, "phone": "13900000000"}],
    )
    ids = [r.quarantine_id for r in quarantine.list_rows(CONTRACT)]
    assert len(ids) == 2

    outcome = quarantine.release(
        CONTRACT, ids, actor="steward", reason="name confirmed", changes={"name": "王五"}
    )

    assert outcome.released == []
    assert all("share this key" in rules[-1] for rules in outcome.still_failing.values())
    assert _curated_ids(huiliu_home).count(twin["id_number"]) == 0
    released = quarantine.release(
        CONTRACT, ids[:1], actor="steward", reason="the newer one", changes={"name": "王五"}
    )
    assert released.released == ids[:1] and _curated_ids(huiliu_home).count(twin["id_number"]) == 1


def test_a_row_without_a_key_is_reported_not_crashed_on(source: SourceDb, huiliu_home: Settings) -> None:
    community = a_community(huiliu_home)
    keyless = person(950, community, id_number=None)
    _gate(source, huiliu_home, [person(i, community) for i in range(60)] + [keyless])
    (row,) = quarantine.list_rows(CONTRACT)

    outcome = quarantine.release(CONTRACT, [row.quarantine_id], actor="steward", reason="try it as it is")

    assert outcome.released == []
    assert "not_be_blank(id_number)" in outcome.still_failing[row.quarantine_id][0]
    fixed = person(950, community)["id_number"]
    again = quarantine.release(
        CONTRACT, [row.quarantine_id], actor="steward", reason="ID from 派出所", changes={"id_number": fixed}
    )
    assert again.released == [row.quarantine_id] and fixed in _curated_ids(huiliu_home)


def test_a_release_cut_off_before_it_was_recorded_can_be_retried(
    source: SourceDb, huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    community = a_community(huiliu_home)
    nameless = person(950, community, name=None)
    _gate(source, huiliu_home, [person(i, community) for i in range(60)] + [nameless])
    (row,) = quarantine.list_rows(CONTRACT)
    record = records.record_actions

    def unreachable(actions: object) -> None:
        raise OSError("governance store unreachable")

    monkeypatch.setattr(records, "record_actions", unreachable)
    with pytest.raises(OSError):
        quarantine.release(
            CONTRACT, [row.quarantine_id], actor="steward", reason="name confirmed", changes={"name": "钱芳"}
        )
    monkeypatch.setattr(records, "record_actions", record)

    retried = quarantine.release(
        CONTRACT, [row.quarantine_id], actor="steward", reason="name confirmed", changes={"name": "钱芳"}
    )

    assert retried.released == [row.quarantine_id]
    assert _curated_ids(huiliu_home).count(nameless["id_number"]) == 1
    assert [r.state for r in quarantine.list_rows(CONTRACT, state=None)] == ["released"]


def test_mistyped_states_batches_and_values_are_named(source: SourceDb, huiliu_home: Settings) -> None:
    community = a_community(huiliu_home)
    _gate(
        source, huiliu_home, [person(i, community) for i in range(60)] + [person(950, community, name=None)]
    )
    (row,) = quarantine.list_rows(CONTRACT)
    with pytest.raises(QuarantineError, match="unknown state 'pendng'"):
        quarantine.list_rows(CONTRACT, state="pendng")
    with pytest.raises(QuarantineError, match=r"no quarantined rows of batch 'nosuch'.*quality batches"):
        quarantine.list_rows(CONTRACT, batch_id="nosuch")
    with pytest.raises(
        QuarantineError, match=r"birth_date=1999-13-45: not a valid date; write it as YYYY-MM-DD"
    ):
        quarantine.release(
            CONTRACT, [row.quarantine_id], actor="s", reason="fixed it", changes={"birth_date": "1999-13-45"}
        )
    with pytest.raises(
        QuarantineError, match=r"no quarantined row.*huiliu quarantine list resident_registry"
    ):
        quarantine.discard(CONTRACT, ["nosuch#1"], actor="s", reason="never seen it")
    assert [r.quarantine_id for r in quarantine.list_rows(CONTRACT)] == [row.quarantine_id]  # still pending
