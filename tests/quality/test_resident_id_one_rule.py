"""One rule for resident ID numbers: the quality rule, the PII recognizer and the scalar rule agree."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from stdnum.cn import ric

from huiliu.identity import resident_id as identity
from huiliu.pii.recognizers.cn.resident_id import CnResidentIdRecognizer
from huiliu.quality import rules

TODAY = identity.today()


def make_id(region: str, birth: date | str, sequence: int = 451) -> str:
    """A resident ID with the right check character, whatever its other parts."""
    day = birth if isinstance(birth, str) else f"{birth:%Y%m%d}"
    body = f"{region}{day}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def years_ago(years: int, days: int = 0) -> date:
    """The day ``years`` years (and ``days`` more days) before today (28 February for a 29th)."""
    try:
        day = TODAY.replace(year=TODAY.year - years)
    except ValueError:
        day = TODAY.replace(year=TODAY.year - years, day=28)
    return day - timedelta(days=days)


def wrong_check(number: str) -> str:
    """The same number with another check character."""
    chars = identity.ID_CHECK_CHARS
    return number[:17] + chars[(chars.index(number[17]) + 1) % len(chars)]


CASES = {  # name: (number, the quality rule's reason or None for a valid number)
    "nanming-520102-born-1990": ("520102199003074517", None),
    "pudong-310115-created-1992-born-1955": (make_id("310115", "19550307"), None),
    "guanshanhu-520115-created-2012-born-1980": (make_id("520115", "19800512"), None),
    "guanshanhu-520115-born-2015": (make_id("520115", "20150101"), None),
    "liangjiang-500157-created-2025-born-2020": (make_id("500157", "20200101"), None),
    "huangpu-310101-undated-born-1930": (make_id("310101", "19300101"), None),
    "chongwen-110103-abolished-2010-born-1980": (make_id("110103", "19800101"), None),
    "chongwen-110103-abolished-2010-born-2010": (make_id("110103", "20101231"), None),
    "chongwen-110103-abolished-2010-born-2011": (make_id("110103", "20110101"), "region"),
    "unknown-region-999999": (make_id("999999", "19900307"), "region"),
    "unknown-county-529999": (make_id("529999", "19900307"), "region"),
    "province-code-520000": (make_id("520000", "19900307"), None),
    "wrong-check-character": (wrong_check("520102199003074517"), "checksum"),
    "created-after-birth-wrong-check-character": (wrong_check(make_id("310115", "19550307")), "checksum"),
    "31-february": (make_id("520102", "19900231"), "birth_date"),
    "29-february-leap-year": (make_id("520102", "20000229"), None),
    "29-february-not-a-leap-year": (make_id("520102", "19990229"), "birth_date"),
    "month-13": (make_id("520102", "19901301"), "birth_date"),
    "day-00": (make_id("520102", "19900100"), "birth_date"),
    "born-today": (make_id("520102", TODAY), None),
    "born-tomorrow": (make_id("520102", TODAY + timedelta(days=1)), "birth_date"),
    "born-next-year": (make_id("520102", TODAY.replace(month=1, day=1, year=TODAY.year + 1)), "birth_date"),
    "exactly-120-years-old": (make_id("310101", years_ago(120)), None),
    "a-day-over-120-years-old": (make_id("310101", years_ago(120, 1)), "birth_date"),
    "born-1899": (make_id("310101", "18991231"), "birth_date"),
}


@pytest.mark.parametrize(("number", "reason"), CASES.values(), ids=CASES.keys())
def test_resident_id_rules_agree(number: str, reason: str | None) -> None:
    assert rules.explain_resident_id(number, as_of=TODAY) == reason
    assert rules.valid_resident_ids([number], as_of=TODAY).tolist() == [reason is None]
    assert identity.valid_resident_id(number) == (reason is None)
    assert identity.plausible_resident_id(number) == (reason in (None, "checksum"))
    hits = CnResidentIdRecognizer().find(f"号码{number}。")
    assert [(h.start, h.end, h.validated) for h in hits] == (
        [] if reason not in (None, "checksum") else [(2, 20, reason is None)]
    )


def test_the_vectorised_region_rule_is_the_scalar_one() -> None:
    codes, in_use = identity.region_table()
    rng = np.random.default_rng(5)
    regions = np.r_[rng.choice(codes, 4000), rng.integers(100_000, 1_000_000, 1000)]
    years = rng.integers(1890, TODAY.year + 3, len(regions))
    vectorised = identity.regions_issued(regions, years, TODAY.year).tolist()
    assert vectorised == [identity.region_issued(int(r), int(y)) for r, y in zip(regions, years, strict=True)]
    row = int(np.searchsorted(codes, 520115))
    assert in_use[row, 2011 - identity.FIRST_YEAR :][:2].tolist() == [False, True]
    assert identity.region_issued("520115", 1950) and not identity.region_in_use("520115", 1950)
