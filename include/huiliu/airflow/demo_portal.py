"""The demo's pull and corrections: a community pulls over HTTP and sends two corrections back.

After the deliveries, the portal is served on a free loopback port. The demo's bureau engineer gives
the community that receives the resident registry a token; the community lists its datasets and
pulls its extract as CSV, then files one correction through the API (a resident who moved away) and
one through the 纠错 sheet of its delivered workbook (a new phone number). The registry's steward
accepts the first and rejects the second with a reason; the resident registry is delivered again
(``huiliu deliveries run``), and the community's next delivery carries the fix and its 更正通知.
"""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TypedDict

import httpx

from huiliu.airflow.demo_returns import GrantMade
from huiliu.contracts import load_contract, load_contracts
from huiliu.errors import NotFoundError
from huiliu.policy.accounts import Role, RoleGrant, add_account, get_account
from huiliu.policy.grants import known_departments

Progress = Callable[[str], None]
ENGINEER = "demo.engineer"
DATASET = "resident_registry"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CorrectionMade(TypedDict):
    id: str
    via: str
    field: str
    row: int
    status: str
    decision_reason: str | None


class PortalRecord(TypedDict):
    """The portal's part of ``summary.json``."""

    unit: str
    datasets_listed: list[str]
    pulled_rows: int
    corrections: list[CorrectionMade]
    next_delivery: str | None
    corrected_rows_in_next_delivery: int
    notices_in_next_delivery: int


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _serving() -> Iterator[str]:
    """The portal on a free loopback port, in this process, until the block ends."""
    import uvicorn

    from huiliu.portal.app import create_app

    config = uvicorn.Config(create_app(), host="127.0.0.1", port=_free_port(), log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _engineer(city: str) -> None:
    try:
        get_account(ENGINEER)
    except NotFoundError:
        departments = known_departments(load_contracts())
        roles = [RoleGrant(role=Role.BUREAU_ENGINEER)]
        add_account(ENGINEER, unit_code=city, roles=roles, departments=departments, created_by="demo")


def _community_with_the_registry(grants: Sequence[GrantMade]) -> str | None:
    units = [g["unit"] for g in grants if g["dataset"] == DATASET and len(g["unit"]) == 12]
    return units[0] if units else None


def _filled_sheet(workbook: Path, row: int, field: str, value: str, reason: str) -> bytes:
    import openpyxl

    from huiliu.returnflow.correction_sheet import fill_correction

    book = openpyxl.load_workbook(workbook)
    fill_correction(book, row - 1, row=row, field=field, value=value, reason=reason)  # the record's own line
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run_portal(city: str, grants: Sequence[GrantMade], report: Progress) -> PortalRecord | None:
    """Pull and correct as one community, decide as the steward, deliver again (module docstring)."""
    from huiliu.portal.tokens import create_token
    from huiliu.returnflow.corrections import accept_correction, get_correction, reject_correction
    from huiliu.returnflow.records import DeliveryStatus, last_delivered

    unit = _community_with_the_registry(grants)
    grant = next((g["grant"] for g in grants if g["unit"] == unit and g["dataset"] == DATASET), None)
    delivered = last_delivered(grant) if grant else None
    if unit is None or delivered is None or not delivered.outbox_path:
        report("portal: no community holds a delivered resident registry; skipped")
        return None
    report(f"portal: community {unit} pulls and sends corrections")
    _engineer(city)
    token = create_token(unit, by=ENGINEER, expires_in=timedelta(days=1), label="demo").token
    headers = {"Authorization": f"Bearer {token}"}
    steward = f"demo.steward.{load_contract(DATASET).owner.department_code}"
    with _serving() as url, httpx.Client(base_url=url, headers=headers, timeout=300) as client:
        listed = client.get("/api/v1/datasets").raise_for_status().json()["datasets"]
        pulled = client.get(
            f"/api/v1/datasets/{DATASET}/download", params={"format": "csv"}
        ).raise_for_status()
        by_api = client.post(
            "/api/v1/corrections",
            json={
                "delivery_id": delivered.id,
                "row": 1,
                "field": "status",
                "value": "迁出",
                "reason": "演示：该居民已迁出本社区 / demo: moved away",
            },
        ).raise_for_status()
        workbook = Path(delivered.outbox_path) / f"{DATASET}.xlsx"
        sheet = _filled_sheet(
            workbook, 2, "phone", "13800138000", "演示：本人提供的新号码 / demo: new number"
        )
        by_sheet = client.post(
            "/api/v1/corrections/xlsx", content=sheet, headers={"Content-Type": XLSX}
        ).raise_for_status()
    first = by_api.json()["id"]
    second = by_sheet.json()["corrections"][0]["id"]
    accept_correction(first, load_contract, by=steward, reason="演示：与户籍迁出登记一致")
    reject_correction(
        second, load_contract, by=steward, reason="演示：号码需本人到社区核实 / to be confirmed in person"
    )
    report("portal: the steward accepted one correction and rejected one; delivering again")
    subprocess.run(
        [str(Path(sys.executable).with_name("huiliu")), "deliveries", "run", DATASET, "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    after = last_delivered(grant) if grant else None
    fresh = after if after and after.id != delivered.id and after.status is DeliveryStatus.DELIVERED else None
    notices: list[dict[str, object]] = []
    if fresh and fresh.outbox_path and (Path(fresh.outbox_path) / "corrections.json").exists():
        notices = json.loads((Path(fresh.outbox_path) / "corrections.json").read_text(encoding="utf-8"))[
            "notices"
        ]
    made: list[CorrectionMade] = []
    for correction_id, via in ((first, "api"), (second, "xlsx")):
        seen = get_correction(correction_id)
        made.append(
            {
                "id": seen.id,
                "via": via,
                "field": seen.field,
                "row": seen.row,
                "status": seen.status.value,
                "decision_reason": seen.decision_reason,
            }
        )
    return {
        "unit": unit,
        "datasets_listed": [d["name"] for d in listed],
        "pulled_rows": int(pulled.headers["x-huiliu-rows"]),
        "corrections": made,
        "next_delivery": fresh.id if fresh else None,
        "corrected_rows_in_next_delivery": sum(1 for n in notices if n["correction_id"] == first),
        "notices_in_next_delivery": len(notices),
    }
