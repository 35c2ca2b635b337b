"""The vectorised domain rules, case by case and against python-stdnum / phonenumbers value by value."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pytest
from iso3166 import countries_by_numeric
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.util import isdigits

from huiliu.city.identity import corrupt_uscc
from huiliu.city.identity import uscc as make_uscc
from huiliu.divisions import load_hierarchy
from huiliu.errors import UnknownUnitError
from huiliu.quality import rules
from huiliu.quality.rules import mobile as mobile_rule
from huiliu.quality.rules import resident_id as id_rule
from huiliu.quality.rules.resident_id import ID_CHECK_CHARS, region_table
from huiliu.settings import get_settings

AS_OF = date(2024, 6, 1)
EARLIEST = date(1904, 6, 1)
SAMPLES = 24_000
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_id(region: str, birth: str, sequence: int) -> str:
    """A resident ID with the right check character, whatever its other parts."""
    body = f"{region}{birth}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


ID_CASES = [
    ("known-valid", "520102199003074517", None),
    ("null", None, None),
    ("lowercase-x", make_id("520102", "19900307", 13)[:17] + "x", "format"),
    ("too-short", "52010219900307451", "length"),
    ("padded", " 520102199003074517", "length"),
    ("letter-inside", "5201021990O3074517", "format"),
    ("full-width-digit", "５20102199003074517", "format"),
    ("wrong-checksum", "520102199003074518", "checksum"),
    ("february-30", make_id("520102", "19900230", 451), "birth_date"),
    ("month-13", make_id("520102", "19901301", 451), "birth_date"),
    ("born-after-as-of", make_id("520102", "20240602", 451), "birth_date"),
    ("121-years-old", make_id("110101", "19040531", 451), "birth_date"),
    ("exactly-120", make_id("110101", "19040601", 451), None),
    ("unknown-region", make_id("999999", "19900307", 451), "region"),
    ("unknown-county-of-known-province", make_id("529999", "19900307", 451), "region"),
    ("region-created-after-birth-issued-there-later", make_id("520115", "19900307", 451), None),
    ("region-abolished-before-birth", make_id("110103", "20110307", 451), "region"),
    ("issued-after-birth-nanming-from-1983", make_id("520102", "19500307", 451), None),
    ("region-after-it-existed", make_id("520115", "20130101", 451), None),
    ("abolished-region-born-while-it-existed", make_id("110103", "19800101", 451), None),
    ("abolished-region-born-after", make_id("110103", "20120101", 451), "region"),
    ("pudong-created-1992-born-1955", make_id("310115", "19550307", 45), None),
    ("guanshanhu-created-2012-born-1980", make_id("520115", "19800512", 5), None),
    ("liangjiang-created-2025-after-as-of", make_id("500157", "20200101", 451), "region"),
    ("february-31", make_id("520102", "19900231", 451), "birth_date"),
]


@pytest.mark.parametrize(("value", "reason"), [c[1:] for c in ID_CASES], ids=[c[0] for c in ID_CASES])
def test_resident_id_cases(value: str | None, reason: str | None) -> None:
    assert rules.explain_resident_id(value, as_of=AS_OF) == reason
    assert rules.valid_resident_ids([value], as_of=AS_OF)[0] == (reason is None)


@pytest.mark.parametrize(
    ("prefixes", "valid"), [((), True), (["5201"], True), (["52", "11"], True), (["5301"], False)]
)
def test_resident_id_region_prefixes(prefixes: list[str], valid: bool) -> None:
    number = "520102199003074517"
    assert rules.valid_resident_ids([number], as_of=AS_OF, region_prefixes=prefixes)[0] == valid
    expected = None if valid else "outside_city"
    assert rules.explain_resident_id(number, as_of=AS_OF, region_prefixes=prefixes) == expected


def test_known_id_parts() -> None:
    values = ["520102199003074517", make_id("520102", "20000229", 2), "bad", None]
    assert rules.genders_from_ids(values).tolist() == ["男", "女", None, None]
    expected = np.array(["1990-03-07", "2000-02-29", "NaT", "NaT"], dtype="datetime64[D]")
    np.testing.assert_array_equal(rules.birth_dates_from_ids(values), expected)


@pytest.mark.parametrize(
    "convert",
    [
        lambda v: v,
        lambda v: pd.Series(v, dtype="str"),
        lambda v: pd.Series(v, dtype=object),
        lambda v: pd.Series(v, dtype="string[pyarrow]"),
        lambda v: pa.chunked_array([v[:2], v[2:]]),
        lambda v: pa.array(v, pa.large_string()),
    ],
    ids=["list", "pandas-str", "object", "string-pyarrow", "chunked", "large-string"],
)
def test_rules_accept_any_string_container(convert) -> None:
    values = ["520102199003074517", None, "520102199003074518", "13800138000"]
    assert rules.valid_resident_ids(convert(values), as_of=AS_OF).tolist() == [True, True, False, False]
    assert rules.valid_cn_mobiles(convert(values)).tolist() == [False, True, False, True]


def _random_ids(rng: np.random.Generator, n: int) -> list[str]:
    """IDs over stdnum's whole table (40% from 贵州 or 东城区), mostly born while their region code was
    in use, a third of them damaged in one way or another."""
    codes, valid = region_table()
    local = np.flatnonzero((codes // 10_000 == 52) | (codes // 100 == 1101))
    picks = np.where(rng.random(n) < 0.4, rng.choice(local, n), rng.integers(0, len(codes), n))
    out = []
    for pick, sequence, damage in zip(picks, rng.integers(0, 1000, n), rng.random(n), strict=True):
        years = np.flatnonzero(valid[pick, 5:125]) + 1905
        year = int(rng.choice(years)) if len(years) and rng.random() < 0.7 else int(rng.integers(1880, 2031))
        birth = date(year, 1, 1) + timedelta(days=int(rng.integers(0, 365)))
        region = str(codes[pick]) if rng.random() > 0.1 else str(rng.integers(100_000, 1_000_000))
        out.append(_damage(make_id(region, birth.strftime("%Y%m%d"), int(sequence)), damage, rng))
    return out


def _damage(number: str, damage: float, rng: np.random.Generator) -> str:
    if damage < 0.12:  # wrong check character
        wrong = (ID_CHECK_CHARS.index(number[17]) + int(rng.integers(1, 11))) % 11
        return number[:17] + ID_CHECK_CHARS[wrong]
    if damage < 0.20:  # impossible date, correct check character
        return make_id(number[:6], number[6:10] + rng.choice(["0230", "1301", "0000", "0431", "0229"]), 5)
    if damage < 0.24:
        return number[:17].lower() + "x"
    if damage < 0.28:
        return number[: int(rng.integers(0, 18))] + number[int(rng.integers(0, 18)) + 1 :]
    if damage < 0.31:
        position = int(rng.integers(0, 18))
        return number[:position] + "A" + number[position + 1 :]
    return number


def _in_use_since(value: str, year: int) -> bool:
    """stdnum accepts the region code for someone born in ``year`` or any later year up to AS_OF."""
    for later in range(year, AS_OF.year + 1):
        try:
            ric.get_birth_place(value[:6] + f"{later}0101" + value[14:])
            return True
        except Exception:  # InvalidComponent, or KeyError for an unknown county
            continue
    return False


def _permit_issued(value: str) -> bool:
    """Numbers stdnum does not know: a Taiwan resident's residence permit (830000, from 2018) or a
    foreign permanent resident ID (9, a mainland province stdnum knows, an ISO 3166-1 nationality
    other than China's, Taiwan's, Hong Kong's or Macau's; from 2023)."""
    if value.startswith("830000"):
        return AS_OF.year >= 2018
    province = numdb.get("cn/loc").info(value[1:3])[0][1]
    return (
        value[0] == "9"
        and AS_OF.year >= 2023
        and "province" in province
        and int(value[1:3]) < 70
        and value[3:6] in countries_by_numeric
        and value[3:6] not in ("156", "158", "344", "446")
    )


def _first_generation(value: str) -> bool:
    """A 15-digit number issued from 1984 to 2004: stdnum accepts its upgraded 18-digit number's region
    for some year of issue from the birth year on, and the holder was born by then."""
    if len(value) != 15 or not value.isdigit():
        return False
    try:
        born = ric.get_birth_date(value[:6] + "19" + value[6:] + "0")
    except Exception:
        return False
    if not EARLIEST <= born <= date(2004, 12, 31):
        return False
    for year in range(max(born.year, 1984), 2005):
        try:
            ric.get_birth_place(value[:6] + f"{year}0101" + "0000")
            return True
        except Exception:  # InvalidComponent, or KeyError for an unknown county
            continue
    return False


def _stdnum_reason(value: str, prefixes: tuple[str, ...]) -> str | None:
    """What python-stdnum says, plus the date window and region prefixes it does not know about."""
    if ric.compact(value) != value:
        return "format"
    if _first_generation(value):
        return "first_generation"
    try:
        ric.validate(value)
        accepted = True
    except (InvalidLength, InvalidFormat, InvalidChecksum) as exc:
        if isinstance(exc, InvalidChecksum) and value[-1] not in "0123456789X":
            return "format"  # stdnum leaves the check character's alphabet to the checksum
        return {InvalidLength: "length", InvalidFormat: "format", InvalidChecksum: "checksum"}[type(exc)]
    except Exception:  # InvalidComponent, or KeyError for an unknown county of a known province
        accepted = False
    try:
        born = ric.get_birth_date(value)
    except Exception:
        return "birth_date"
    if not EARLIEST <= born <= AS_OF:
        return "birth_date"
    if not accepted and not _in_use_since(value, born.year) and not _permit_issued(value):
        return "region"
    foreign_inside = value[0] == "9" and value[1:3] in {p[:2] for p in prefixes}
    return None if not prefixes or value.startswith(prefixes) or foreign_inside else "outside_city"


@pytest.mark.parametrize("prefixes", [(), ("52", "1101")], ids=["any-region", "prefixes"])
def test_resident_ids_agree_with_stdnum(prefixes: tuple[str, ...]) -> None:
    values = _random_ids(np.random.default_rng(11), SAMPLES)
    expected = [_stdnum_reason(v, prefixes) for v in values]
    got = rules.resident_id_reasons(pd.Series(values, dtype="str"), as_of=AS_OF, region_prefixes=prefixes)
    mismatches = [(v, e, g) for v, e, g in zip(values, expected, got, strict=True) if e != g]
    assert mismatches == []
    valid = rules.valid_resident_ids(values, as_of=AS_OF, region_prefixes=prefixes)
    assert valid.tolist() == [e is None for e in expected]
    assert {None, "length", "first_generation", "format", "checksum", "birth_date", "region"} <= set(expected)


def test_id_parts_agree_with_stdnum() -> None:
    values = [
        v for v in _random_ids(np.random.default_rng(12), 5000) if _stdnum_reason(v, ()) in (None, "region")
    ]
    births = rules.birth_dates_from_ids(values)
    assert births.tolist() == [ric.get_birth_date(v) for v in values]
    assert rules.genders_from_ids(values).tolist() == ["男" if int(v[16]) % 2 else "女" for v in values]


MOBILE_CASES = [
    ("plain", "13800138000", True),
    ("plus-86-spaces-dashes", "+86 138-0013-8000", True),
    ("86-dashes", "86-138-0013-8000", True),
    ("plus-86-compact", "+8613800138000", True),
    ("86-compact", "8613800138000", True),
    ("00-86-spaced", "0086 138 0013 8000", True),
    ("00-86-compact", "008613800138000", True),
    ("spaced", "138 0013 8000", True),
    ("integer", 13800138000, True),
    ("integral-float", 13800138000.0, True),
    ("range-1740-0-to-5", "17405999999", True),
    ("range-1740-6", "17406000000", False),
    ("unassigned-146", "14600000000", False),
    ("no-such-range-12", "12345678901", False),
    ("landline", "0851-85551234", False),
    ("landline-compact", "085185551234", False),
    ("short", "1380013800", False),
    ("long", "138001380001", False),
    ("service-number", "10086", False),
    ("other-country", "+85213800138000", False),
    ("trunk-prefix", "013800138000", False),
    ("full-width", "１３８００１３８０００", False),
    ("empty", "", False),
    ("null", None, True),
]


@pytest.mark.parametrize(("value", "valid"), [c[1:] for c in MOBILE_CASES], ids=[c[0] for c in MOBILE_CASES])
def test_mobile_cases(value: str | int | None, valid: bool) -> None:
    assert rules.valid_cn_mobiles(pd.Series([value], dtype=object))[0] == valid


def _random_phones(rng: np.random.Generator, n: int) -> list[str]:
    """Random 1xxxxxxxxxx numbers in several spellings, landlines, short and long numbers."""
    m = (10_000_000_000 + rng.integers(0, 10_000_000_000, n)).astype(str).astype(object)
    area = rng.choice(["010-", "020-", "0851-", "0755-"], n).astype(object)
    spellings = [
        m,
        "+86" + m,
        "86" + m,
        [f"+86 {x[:3]} {x[3:7]} {x[7:]}" for x in m],
        [f"{x[:3]}-{x[3:7]}-{x[7:]}" for x in m],
        area + rng.integers(10**6, 10**8, n).astype(str).astype(object),
        rng.integers(10**4, 10**10, n).astype(str),
        rng.integers(10**11, 10**12, n).astype(str),
    ]
    table = np.array([np.asarray(v, dtype=object) for v in spellings])
    return table[rng.integers(0, len(spellings), n), np.arange(n)].tolist()


def _phonenumbers_says_mobile(value: str) -> bool:
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return False
    kind = phonenumbers.number_type(number)
    mobile = kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    return number.country_code == 86 and phonenumbers.is_valid_number(number) and mobile


def test_mobiles_agree_with_phonenumbers() -> None:
    values = _random_phones(np.random.default_rng(21), SAMPLES)
    expected = [_phonenumbers_says_mobile(v) for v in values]
    got = rules.valid_cn_mobiles(pd.Series(values, dtype="str"))
    assert [v for v, e, g in zip(values, expected, got, strict=True) if e != g] == []
    assert 0.2 < got.mean() < 0.8


def test_mobile_prefix_table_is_phonenumbers_verdicts_kept_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    mobile_rule.mobile_prefix_table.cache_clear()
    table = mobile_rule.mobile_prefix_table()
    stored = list((tmp_path / "huiliu").glob("cn-mobile-prefixes-phonenumbers-*.npz"))
    assert len(stored) == 1
    for prefix in (13800, 17400, 17406, 19200, 10000, 12345, 16600, 19999):
        assert table[prefix - 10_000] == mobile_rule.prefix_is_mobile(prefix)
    assert 0.2 < table.mean() < 0.9

    def asked(prefix: int) -> bool:
        raise AssertionError("phonenumbers was asked again")

    monkeypatch.setattr(mobile_rule, "prefix_is_mobile", asked)
    mobile_rule.mobile_prefix_table.cache_clear()  # as a new process would
    assert (mobile_rule.mobile_prefix_table() == table).all()
    mobile_rule.mobile_prefix_table.cache_clear()


def _with_check(head: str) -> str:
    """A credit code: 17 characters and their check character."""
    return head + uscc.calc_check_digit(head + "0")


CREDIT_CASES = [
    ("stdnum-example", "91110000600037341L", True),
    ("wrong-check", "91110000600037341M", False),
    ("lowercase", "91110000600037341l", False),
    ("spaced", "9 1110000600037341L", False),
    ("short", "91110000600037341", False),
    ("letter-in-region", "911100A0600037341L", False),
    ("letter-o-not-in-alphabet", "9111000060003734OL", False),
    ("agriculture-registrar-n", _with_check("N2520102MA6DGK8PX"), True),
    ("other-registrar-y", _with_check("Y1520102MA6DGK8PX"), True),
    ("unknown-registrar-b", _with_check("B1520102MA6DGK8PX"), False),
    ("null", None, True),
]


@pytest.mark.parametrize(("value", "valid"), [c[1:] for c in CREDIT_CASES], ids=[c[0] for c in CREDIT_CASES])
def test_credit_code_cases(value: str | None, valid: bool) -> None:
    assert rules.valid_credit_codes([value])[0] == valid


def _stdnum_says_valid_code(value: str) -> bool:
    if uscc.compact(value) != value or value[:1] not in ("A", "N", "Y"):
        return uscc.compact(value) == value and uscc.is_valid(value)
    # stdnum's own rules, apart from its numeric registration authority
    body_ok = len(value) == 18 and isdigits(value[1:8]) and all(c in ALPHABET for c in value[8:])
    return body_ok and value[-1] == uscc.calc_check_digit(value)


def test_credit_codes_agree_with_stdnum() -> None:
    rng = np.random.default_rng(31)
    values = [make_uscc(rng, "520102", str(rng.integers(1, 4)), bool(i % 2)) for i in range(SAMPLES)]
    for i, code in enumerate(values):
        values[i] = [
            code,
            corrupt_uscc(code, int(rng.integers(1, 31))),
            _with_check(str(rng.choice(list("ANY12359"))) + code[1:17]),
            "".join(rng.choice(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"), int(rng.integers(16, 20)))),
            code[:-1] + code[-1].lower(),
            code,
        ][i % 6]
    expected = [_stdnum_says_valid_code(v) for v in values]
    got = rules.valid_credit_codes(pd.Series(values, dtype="str"))
    assert [v for v, e, g in zip(values, expected, got, strict=True) if e != g] == []
    assert 0.3 < got.mean() < 0.8


SIGNIFICANT = {"52": "52", "520100": "5201", "520110": "520110", "520100000000": "5201"}
SIGNIFICANT |= {"520102016000": "520102016", "520102016001": "520102016001", "5201": "5201"}
NOT_CODES = {"": None, "5": None, "520": None, "52a1": None, "5201020160011": None}


@pytest.mark.parametrize(("code", "significant"), list((SIGNIFICANT | NOT_CODES).items()))
def test_significant_code(code: str, significant: str | None) -> None:
    if significant is None:
        with pytest.raises(UnknownUnitError):
            rules.significant_code(code)
    else:
        assert rules.significant_code(code) == significant


def test_hierarchy_codes_follow_settings_and_are_cached() -> None:
    settings = get_settings()
    codes = rules.hierarchy_codes()
    assert codes == frozenset(load_hierarchy(settings.city_code, seed=settings.units_seed).units)
    assert rules.hierarchy_codes(settings.city_code, settings.units_seed) is codes


def test_hierarchy_codes_kept_on_disk_are_the_hierarchys_and_follow_the_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huiliu.quality.rules import admin_code

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    settings = get_settings()
    for seed in (settings.units_seed, settings.units_seed + 1):
        admin_code._hierarchy_codes.cache_clear()
        built = admin_code.hierarchy_codes(settings.city_code, seed)  # built, then stored
        admin_code._hierarchy_codes.cache_clear()
        stored = admin_code.hierarchy_codes(settings.city_code, seed)  # read back from disk
        assert built == stored == frozenset(load_hierarchy(settings.city_code, seed=seed).units)
    assert len(list((tmp_path / "huiliu").glob("admin-codes-*.npz"))) == 2
    admin_code._hierarchy_codes.cache_clear()


def test_a_level_refuses_the_codes_of_other_levels() -> None:
    known = rules.hierarchy_codes()
    community = next(c for c in sorted(known) if len(c) == 12)
    codes = [community, community[:9], community[:6], community[:4], None]
    got = rules.valid_admin_codes(codes, known_codes=known, jurisdiction="5201", level="community")
    assert got.tolist() == [True, False, False, False, True]
    assert rules.valid_admin_codes(codes, known_codes=known, jurisdiction="5201").tolist() == [True] * 5
    with pytest.raises(UnknownUnitError, match="level 'village' must be one of province, city"):
        rules.valid_admin_codes(codes, known_codes=known, jurisdiction="5201", level="village")


def test_admin_codes_agree_with_a_plain_lookup() -> None:
    known = rules.hierarchy_codes()
    rng = np.random.default_rng(41)
    strangers = ["530102", "520102016999", "520102000000", "5201x", "", "1"]
    pool = np.array([*sorted(known), *strangers], dtype=object)
    values = pool[rng.integers(0, len(pool), SAMPLES)]
    for jurisdiction in ("52", "520100", "520102", "520102016000"):
        inside = rules.significant_code(jurisdiction)
        expected = [v in known and v.startswith(inside) for v in values]
        column = pd.Series(values, dtype="str")
        got = rules.valid_admin_codes(column, known_codes=known, jurisdiction=jurisdiction)
        assert got.tolist() == expected
    assert rules.valid_admin_codes([None, 520102], known_codes=known, jurisdiction="5201").all()


NOW = datetime(2024, 6, 1, 12, 0)
UTC_NOW = datetime(2024, 6, 1, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "max_age", "valid"),
    [
        (NOW - timedelta(hours=1), 30, True),
        (NOW + timedelta(minutes=4), 30, True),
        (NOW + timedelta(minutes=6), 30, False),
        (NOW - timedelta(days=30), 30, True),
        (NOW - timedelta(days=30, seconds=1), 30, False),
        (NOW - timedelta(days=3000), None, True),
        (None, 30, True),
    ],
    ids=["recent", "within-skew", "future", "oldest-allowed", "too-old", "no-age-limit", "null"],
)
def test_window_cases(value: datetime | None, max_age: int | None, valid: bool) -> None:
    column = pd.Series([value], dtype="datetime64[us]")
    assert rules.within_window(column, as_of=NOW, max_age_days=max_age)[0] == valid
    assert rules.within_window(column, as_of=UTC_NOW, max_age_days=max_age)[0] == valid
    aware = column.dt.tz_localize("Asia/Shanghai").dt.tz_convert("UTC")
    assert rules.within_window(aware, as_of=UTC_NOW, max_age_days=max_age)[0] == valid
    arrow = column.astype(pd.ArrowDtype(pa.timestamp("us")))
    assert rules.within_window(arrow, as_of=NOW, max_age_days=max_age)[0] == valid


def test_window_on_dates_and_strings() -> None:
    days = [date(2024, 6, 1), date(2024, 6, 2), date(2024, 5, 2), date(2024, 5, 1), None]
    expected = [True, False, True, False, True]
    assert rules.within_window(pd.Series(days, dtype=object), as_of=NOW, max_age_days=30).tolist() == expected
    text = ["2024-06-01T10:00:00", "2024-06-01T04:04:00Z", "2024-06-01T05:00:00+00:00", "garbage", None]
    expected = [True, True, False, False, True]
    got = rules.within_window(pd.Series(text, dtype="str"), as_of=NOW, max_age_days=None)
    assert got.tolist() == expected


def test_tomorrows_date_is_in_the_future_even_just_before_midnight() -> None:
    late = datetime(2024, 6, 1, 23, 57)
    days = pd.Series([date(2024, 6, 1), date(2024, 6, 2)], dtype=object)
    assert rules.within_window(days, as_of=late, max_age_days=None).tolist() == [True, False]


def test_a_date_written_as_text_is_a_beijing_day_not_a_utc_one() -> None:
    """ "2024-06-01" ends in "-01", which is not a UTC offset: it is that day in Beijing."""
    early = datetime(2024, 6, 1, 7, 0)  # before 08:00 Beijing, when the UTC day would begin
    text = pd.Series(["2024-06-01", "2024-06-01T00:00:00", "2024-06-02"], dtype="str")
    assert rules.within_window(text, as_of=early, max_age_days=None).tolist() == [True, True, False]


def test_window_agrees_with_python() -> None:
    rng = np.random.default_rng(51)
    offsets = rng.integers(-40 * 86400, 3600, SAMPLES)
    times = [NOW + timedelta(seconds=int(s)) for s in offsets]
    expected = [NOW - timedelta(days=30) <= t <= NOW + timedelta(minutes=5) for t in times]
    got = rules.within_window(pd.Series(times, dtype="datetime64[us]"), as_of=UTC_NOW, max_age_days=30)
    assert got.tolist() == expected


AS_OF_CASES = {"2024-06-01": datetime(2024, 6, 1), "2024-06-01T12:30:00": datetime(2024, 6, 1, 12, 30)}
AS_OF_CASES |= {"2024-05-31T20:00:00Z": datetime(2024, 6, 1, 4), "2024-06-01T12:00:00+08:00": NOW}
AS_OF_CASES |= {date(2024, 6, 1): datetime(2024, 6, 1), UTC_NOW: NOW}


@pytest.mark.parametrize(("value", "expected"), list(AS_OF_CASES.items()))
def test_as_of_parsing(value: str | date, expected: datetime) -> None:
    assert rules.as_of_datetime(value) == expected
    assert rules.as_of_date(value) == expected.date()


def test_one_id_column_is_parsed_once_for_all_its_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = pa.array(["11010519491231002X", "110105194912310029", None, "520102199003074517"])
    calls = []
    parse = id_rule._parse_ids

    def counting(strings: pa.Array) -> object:
        calls.append(len(strings))
        return parse(strings)

    monkeypatch.setattr(id_rule, "_parse_ids", counting)
    monkeypatch.setattr(id_rule, "_last_parsed", id_rule._LastParsed())
    day = date(2026, 11, 1)
    assert rules.valid_resident_ids(ids, as_of=day).tolist() == [True, False, True, True]
    assert rules.ids_match_genders(ids, pa.array(["女", "女", "男", "男"])).tolist() == [True] * 4
    assert rules.ids_match_birth_dates(ids, pa.array([date(1949, 12, 31)] * 4)).tolist() == [
        True,
        True,
        True,
        False,
    ]
    assert calls == [4]


def test_a_new_id_array_of_the_same_length_is_parsed_afresh() -> None:
    day = date(2026, 11, 1)
    first = pa.array(["11010519491231002X", "520102199003074517"])
    second = pa.array(["110105194912310029", "520102199003074514"])
    assert rules.valid_resident_ids(first, as_of=day).tolist() == [True, True]
    assert rules.valid_resident_ids(second, as_of=day).tolist() == [False, False]
    assert rules.genders_from_ids(second).tolist() == [None, None]
    assert rules.genders_from_ids(first).tolist() == ["女", "男"]


@pytest.mark.parametrize("damage", ["truncated", "other arrays"])
def test_a_damaged_table_cache_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    mobile_rule.mobile_prefix_table.cache_clear()
    good = mobile_rule.mobile_prefix_table().copy()
    (stored,) = (tmp_path / "huiliu").glob("cn-mobile-prefixes-*.npz")
    if damage == "truncated":
        stored.write_bytes(stored.read_bytes()[:100])
    else:
        np.savez_compressed(stored, something_else=np.zeros(3))
    mobile_rule.mobile_prefix_table.cache_clear()
    assert (mobile_rule.mobile_prefix_table() == good).all()
    mobile_rule.mobile_prefix_table.cache_clear()
    assert (mobile_rule.mobile_prefix_table() == good).all()  # and stored whole again
    mobile_rule.mobile_prefix_table.cache_clear()


PHONE_CASES = [
    ("mobile", "13800138000", True),
    ("landline", "0851-85551234", True),
    ("landline-compact", "085185551234", True),
    ("landline-bracketed", "(010)12345678", True),
    ("landline-international", "+86 21 6234 5678", True),
    ("landline-seven-digits", "0851-8555123", True),
    ("no-area-code", "85551234", False),
    ("service-number", "12345", False),
    ("toll-free", "400-810-8888", False),
    ("other-country", "+852 2345 6789", False),
    ("mobile-trunk-prefix", "013800138000", False),
    ("full-width-mobile", "１３８００１３８０００", False),
    ("empty", "", False),
    ("null", None, True),
]


@pytest.mark.parametrize(("value", "valid"), [c[1:] for c in PHONE_CASES], ids=[c[0] for c in PHONE_CASES])
def test_phone_cases_accept_fixed_lines_with_their_area_code(value: str | None, valid: bool) -> None:
    assert mobile_rule.valid_cn_phones(pd.Series([value], dtype=object))[0] == valid


def test_phones_agree_with_phonenumbers_on_mobiles_and_fixed_lines() -> None:
    values = _random_phones(np.random.default_rng(22), SAMPLES)

    def expected(value: str) -> bool:
        try:
            number = phonenumbers.parse(value, "CN")
        except phonenumbers.NumberParseException:
            return False
        kinds = (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        )
        return (
            number.country_code == 86
            and phonenumbers.is_valid_number(number)
            and number_type_in(number, kinds)
        )

    def number_type_in(number: phonenumbers.PhoneNumber, kinds: tuple[int, ...]) -> bool:
        return phonenumbers.number_type(number) in kinds

    got = mobile_rule.valid_cn_phones(pd.Series(values, dtype="str"))
    assert [v for v, g in zip(values, got, strict=True) if expected(v) != g] == []
    assert got.mean() > rules.valid_cn_mobiles(pd.Series(values, dtype="str")).mean()
