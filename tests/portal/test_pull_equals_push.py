"""Property: a pulled extract equals the push delivery of the same snapshot, value for value after
decoding, for random receiving units, return policies and formats — or both give nothing (a tier the
policy returns nothing to, an extract the guard holds).

The pull runs first, so it is made by the pull path itself (not served from the push's file).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from huiliu.contracts import load_contract
from huiliu.errors import ExtractUnavailableError, NotFoundError
from huiliu.policy.grants import GrantView
from huiliu.policy.rules import ReturnPolicy
from huiliu.returnflow.export_formats import OutputFormat
from huiliu.returnflow.pull import pull_extract
from huiliu.returnflow.push import deliver
from huiliu.returnflow.records import DeliveryStatus, last_delivered
from huiliu.settings import Settings
from tests.conftest import use_home
from tests.helpers.deliveries import COMMUNITIES, STREET, approved_grant
from tests.helpers.deliveries import registry_with_a_rare_resident as registry
from tests.helpers.policies import policies
from tests.portal.conftest import DATASET, NOW

UNITS = (STREET, COMMUNITIES[0], COMMUNITIES[1])


@pytest.fixture(scope="module")
def granted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, dict[str, GrantView]]]:
    with pytest.MonkeyPatch.context() as patch:
        settings = use_home(patch, tmp_path_factory.mktemp("pull-push") / "huiliu")
        contract = registry(NOW)
        yield settings, {unit: approved_grant(contract, unit, NOW) for unit in UNITS}


def _decoded(path: Path, fmt: OutputFormat) -> list[dict[str, object]]:
    if fmt is OutputFormat.PARQUET:
        return pq.read_table(path).to_pylist()
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _pulled(settings: Settings, grant: GrantView, fmt: OutputFormat, policy: ReturnPolicy) -> object:
    try:
        extract = pull_extract(load_contract(DATASET), grant, fmt, settings=settings, policy=policy)
    except NotFoundError:
        return "nothing returned to the tier"
    except ExtractUnavailableError as unavailable:
        return "held" if unavailable.held else "empty"
    try:
        return _decoded(extract.file, fmt)
    finally:
        extract.discard()


def _pushed(settings: Settings, grant: GrantView, fmt: OutputFormat, policy: ReturnPolicy) -> object:
    run = deliver(load_contract(DATASET), settings=settings, policy=policy)
    outcome = next((o for o in run.outcomes if o.plan.grant.id == grant.id), None)
    if outcome is None:
        return "nothing returned to the tier"
    if outcome.status in (DeliveryStatus.HELD, DeliveryStatus.EMPTY):
        return outcome.status.value
    last = last_delivered(grant.id)  # the new delivery, or the equal one it repeats (unchanged)
    assert last is not None and last.outbox_path
    return _decoded(Path(last.outbox_path) / f"{DATASET}.{fmt.value}", fmt)


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    unit=st.sampled_from(UNITS),
    fmt=st.sampled_from([OutputFormat.PARQUET, OutputFormat.CSV]),
    policy=policies(),
)
def test_a_pull_equals_the_push_of_the_same_snapshot(
    granted: tuple[Settings, dict[str, GrantView]], unit: str, fmt: OutputFormat, policy: ReturnPolicy
) -> None:
    settings, grants = granted
    pulled = _pulled(settings, grants[unit], fmt, policy)
    pushed = _pushed(settings, grants[unit], fmt, policy)

    event(pulled if isinstance(pulled, str) else "rows")
    assert pulled == pushed
