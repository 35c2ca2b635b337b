"""Releasing and discarding quarantined rows: the cases where a steward's action could go wrong."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import numpy as np
import pytest
import sqlalchemy as sa

from huiliu.contracts import load_contract
from huiliu.errors import BatchHeldError, QuarantineError
from huiliu.ingest import land_dataset
from huiliu.lake.catalog import lake_table
from huiliu.quality import quarantine, records, zones
from huiliu.quality.gate import run_gate
from huiliu.settings import Settings
from tests.helpers.residents import a_community, insert, person, valid_id
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
        QuarantineError, match=r"--set birth_date: the value given is not a valid date; write it as"
    ) as refused:
        quarantine.release(
            CONTRACT, [row.quarantine_id], actor="s", reason="fixed it", changes={"birth_date": "1999-13-45"}
        )
    assert "1999-13-45" not in str(refused.value)  # a corrected value may be personal data
    with pytest.raises(
        QuarantineError, match=r"no quarantined row.*huiliu quarantine list resident_registry"
    ):
        quarantine.discard(CONTRACT, ["nosuch#1"], actor="s", reason="never seen it")
    assert [r.quarantine_id for r in quarantine.list_rows(CONTRACT)] == [row.quarantine_id]  # still pending


def test_decisions_follow_their_rows_when_the_batch_is_landed_again(
    source: SourceDb, huiliu_home: Settings
) -> None:
    """A release keeps its row out of a re-run even when a late row shifts every quarantine id."""
    community = a_community(huiliu_home)
    nameless = person(950, community, name=None)
    batch = _gate(source, huiliu_home, [person(i, community) for i in range(60)] + [nameless])
    (row,) = quarantine.list_rows(CONTRACT)
    quarantine.release(
        CONTRACT, [row.quarantine_id], actor="li", reason="name confirmed", changes={"name": "钱芳"}
    )
    birth = date(1983, 1, 1)
    late = person(70, community, id_number=valid_id(70, birth), birth_date=birth)  # sorts first
    insert(source, [late])
    assert land_dataset(CONTRACT, "20261101T000000").batch_id == batch

    run_gate(CONTRACT, batch, as_of=AS_OF)

    ids = Counter(_curated_ids(huiliu_home))
    expected = {person(i, community)["id_number"] for i in range(60)} | {
        late["id_number"],
        nameless["id_number"],
    }
    assert set(ids) == expected and max(ids.values()) == 1
    assert [(r.quarantine_id, r.state) for r in quarantine.list_rows(CONTRACT, state=None)] == [
        (row.quarantine_id, "released")
    ]


def test_a_discarded_row_stays_out_and_keeps_its_evidence_when_the_source_is_fixed(
    source: SourceDb, huiliu_home: Settings
) -> None:
    community = a_community(huiliu_home)
    rows = [person(i, community) for i in range(40)] + [
        person(900 + i, community, name=None) for i in range(5)
    ]
    insert(source, rows)
    landed = land_dataset(CONTRACT, "20261101T000000")
    with pytest.raises(BatchHeldError):
        run_gate(CONTRACT, landed.batch_id, as_of=AS_OF)
    pending = {r.values["id_number"]: r.quarantine_id for r in quarantine.list_rows(CONTRACT)}
    kept, dropped = pending[rows[3]["id_number"]], pending[rows[4]["id_number"]]
    quarantine.release(CONTRACT, [kept], actor="li", reason="checked with 社区, fine")
    quarantine.discard(CONTRACT, [dropped], actor="li", reason="moved away long ago; never return")
    table = source.table()
    with source.engine.begin() as conn:  # the department fills in its blank names and delivers again
        conn.execute(sa.update(table).where(table.c.name.is_(None)).values(name="补录"))
    land_dataset(CONTRACT, "20261101T000000")

    result = run_gate(CONTRACT, landed.batch_id, as_of=AS_OF)

    assert result.status == "passed"
    ids = Counter(_curated_ids(huiliu_home))
    assert rows[4]["id_number"] not in ids and ids[rows[3]["id_number"]] == 1 and len(ids) == 44
    states = {r.quarantine_id: r.state for r in quarantine.list_rows(CONTRACT, state=None)}
    assert states == {kept: "released", dropped: "discarded"}
    assert quarantine.show_row(CONTRACT, dropped).values["id_number"] == rows[4]["id_number"]


def test_a_new_failing_row_never_takes_a_decided_rows_id() -> None:
    assert zones.quarantine_ids("b", np.array([3, 4, 5]), taken={"b#4", "b#4-1"}) == ["b#3", "b#4-2", "b#5"]
