"""ID numbers and phone numbers written with full-width digits land in canonical form (counted as
drift) and pass the gate, instead of holding the batch."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from huiliu.contracts import load_contract
from huiliu.ingest import land_dataset
from huiliu.ingest.identifiers import IdentifierNormalizer
from huiliu.lake.catalog import lake_table
from huiliu.quality.gate import run_gate
from huiliu.settings import Settings
from tests.helpers.residents import a_community, insert, person
from tests.helpers.source_tables import SourceDb

CONTRACT = load_contract("resident_registry")


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def test_full_width_ids_and_phones_land_canonical_with_a_drift_count_and_pass_the_gate(
    source: SourceDb, huiliu_home: Settings
) -> None:
    community = a_community(huiliu_home)
    rows = [person(i, community) for i in range(100)]
    wide = {rows[i]["id_number"] for i in range(30)}
    for i in range(30):
        rows[i]["id_number"] = _full_width(rows[i]["id_number"])
    for i in range(10):
        rows[i]["phone"] = _full_width(rows[i]["phone"])
    insert(source, rows)

    landed = land_dataset(CONTRACT, "20261101T000000")

    assert landed.drift["nfkc_normalized"] == {"id_number": 30, "phone": 10}
    table = lake_table(CONTRACT.landing_table, settings=huiliu_home).scan().to_arrow()
    ids = set(table["id_number"].to_pylist())
    assert wide <= ids and all(i.isascii() for i in ids)
    gate = run_gate(CONTRACT, landed.batch_id)
    assert (gate.status, gate.rows_curated, gate.rows_quarantined) == ("passed", 100, 0)


def test_only_identifier_columns_are_rewritten_and_names_keep_their_form() -> None:
    normalizer = IdentifierNormalizer(CONTRACT)
    batch = pa.RecordBatch.from_pydict(
        {
            "id_number": ["１１０１０５１９４９１００１００２Ｘ", "110105194910010028"],
            "name": ["ＡＢＣ李", "王"],
        }
    )

    out = normalizer(batch)

    assert out.column("id_number").to_pylist() == ["11010519491001002X", "110105194910010028"]
    assert out.column("name").to_pylist() == ["ＡＢＣ李", "王"]  # not an identifier: kept as written
    assert normalizer.drift() == {"nfkc_normalized": {"id_number": 1}}
    assert pc.all(
        pc.equal(out.column("id_number"), pc.utf8_normalize(out.column("id_number"), "NFKC"))
    ).as_py()
