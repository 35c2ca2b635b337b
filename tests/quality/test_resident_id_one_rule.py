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
    "hong-kong-resident-permit-810000": (make_id("810000", "19850101"), None),
    "macau-resident-permit-820000": (make_id("820000", "19600718"), None),
    "taiwan-resident-permit-830000": (make_id("830000", "19520301"), None),
    "taiwan-resident-permit-wrong-check-character": (wrong_check(make_id("830000", "19520301")), "checksum"),
    "foreign-permanent-resident-shanghai-usa": (make_id("931840", "19750101"), None),
    "foreign-permanent-resident-guizhou-korea": (make_id("952410", "20011130"), None),
    "foreign-permanent-resident-chinese-nationality": (make_id("931156", "19750101"), "region"),
    "foreign-permanent-resident-no-such-country": (make_id("931999", "19750101"), "region"),
    "foreign-permanent-resident-hong-kong-nationality": (make_id("931344", "19750101"), "region"),
    "foreign-permanent-resident-no-mainland-province": (make_id("971840", "19750101"), "region"),
    "foreign-permanent-resident-born-tomorrow": (make_id("931840", TODAY + timedelta(days=1)), "birth_date"),
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
    permits = np.flatnonzero(identity.permit_first_issued())
    regions = np.r_[rng.choice(codes, 4000), rng.integers(100_000, 1_000_000, 1000), rng.choice(permits, 500)]
    years = rng.integers(1890, TODAY.year + 3, len(regions))
    vectorised = identity.regions_issued(regions, years, TODAY.year).tolist()
    assert vectorised == [identity.region_issued(int(r), int(y)) for r, y in zip(regions, years, strict=True)]
    row = int(np.searchsorted(codes, 520115))
    assert in_use[row, 2011 - identity.FIRST_YEAR :][:2].tolist() == [False, True]
    assert identity.region_issued("520115", 1950) and not identity.region_in_use("520115", 1950)


@pytest.mark.parametrize(
    ("number", "first_issued"),
    [(make_id("830000", "19520301"), 2018), (make_id("931840", "19750101"), 2023)],
    ids=["taiwan-resident-permit", "foreign-permanent-resident"],
)
def test_a_permit_number_is_valid_only_once_such_permits_were_issued(number: str, first_issued: int) -> None:
    before, after = date(first_issued - 1, 12, 31), date(first_issued, 12, 31)
    assert rules.valid_resident_ids([number], as_of=after).tolist() == [True]
    assert rules.explain_resident_id(number, as_of=before) == "region"
    assert identity.valid_resident_id(number, as_of=after)
    assert not identity.plausible_resident_id(number, as_of=before)


def test_a_foreign_permanent_resident_id_is_inside_the_prefixes_of_its_issuing_province() -> None:
    guizhou, shanghai = make_id("952410", "20011130"), make_id("931840", "19750101")
    taiwan, nanming = make_id("830000", "19520301"), make_id("520102", "19900307")
    reasons = rules.resident_id_reasons(
        [guizhou, shanghai, taiwan, nanming], as_of=TODAY, region_prefixes=["5201"]
    )
    assert reasons.tolist() == [None, "outside_city", "outside_city", None]


LEGACY_CASES = {  # name: (15-digit number, whether it is a first-generation ID as issued)
    "nanming-520102-born-1965": ("520102650314123", True),
    "pudong-310115-created-1992-born-1955": ("310115550708041", True),
    "chongwen-110103-abolished-2010-born-1980": ("110103800101451", True),
    "abolished-1982-before-issue-began": ("110201650314123", False),
    "created-2015-after-issue-ended": ("110118650314123", False),
    "unknown-region-999999": ("999999650314123", False),
    "month-13": ("520102651314123", False),
    "31-february": ("520102650231123", False),
    "over-120-years-old-born-1901": ("520102010101123", False),
    "letters-inside": ("5201026503141x3", False),
}


@pytest.mark.parametrize(("number", "issued"), LEGACY_CASES.values(), ids=LEGACY_CASES.keys())
def test_first_generation_numbers(number: str, issued: bool) -> None:
    assert identity.plausible_legacy_id(number) == issued
    assert not identity.plausible_resident_id(number)  # the 18-digit rule never takes them
    hits = CnResidentIdRecognizer().find(f"身份证号{number}。")
    assert [(h.start, h.end, h.validated) for h in hits] == ([(4, 19, None)] if issued else [])


def test_a_first_generation_number_upgrades_to_the_valid_18_digit_one() -> None:
    assert identity.upgraded("520102650314123") == make_id("520102", "19650314", 123)
    assert identity.valid_resident_id(identity.upgraded("310115550708041"))
    with pytest.raises(ValueError, match="15-digit"):
        identity.upgraded("52010219650314123X")


def test_first_generation_numbers_were_issued_from_1984_to_2004() -> None:
    assert identity.plausible_legacy_id("520102070101123", as_of=date(2026, 12, 31))  # born 1907
    assert not identity.plausible_legacy_id("520102070101123", as_of=date(2027, 1, 2))  # over 120
    assert identity.plausible_legacy_id("520102990101123", as_of=date(2026, 1, 1))  # born 1999
    assert not identity.plausible_legacy_id("520102990101123", as_of=date(1998, 6, 1))  # born later
