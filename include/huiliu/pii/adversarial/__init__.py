"""An adversarial set of texts with planted personal information, in two disjoint template sets.

``tuning.yaml`` holds templates recognizers may be tuned on (12345 hotline, grid reports, community
ledgers, civil affairs, household registration); ``heldout.yaml`` holds templates of other domains
(court notices, bank and insurance letters, school enrolment, medical referrals, delivery notes,
social-media posts, employment forms) that are only ever measured. The two share no domain,
context word or wording; their values come from one hostile distribution, so a difference between
their figures comes from the wording alone.

Planted values:

* ``CN_RESIDENT_ID``: a valid check character (``stdnum.cn.ric``), a real birth date from 1930 to
  2020 and a region code from python-stdnum's table across the whole country, over-weighting codes
  created after the holder's birth (浦东新区 310115 with a 1950s birth, 观山湖区 520115 with a 1980s
  one) and codes long retired; written plain, with a lower-case x, 6-8-4 with spaces or dashes, in
  full-width digits, or inside brackets or quotes.
* ``CN_RESIDENT_ID`` of the first generation (``{oldid}``, GB 11643-1989): 15 digits, a region
  code in use while they were issued (1984-2004), a birth date from 1930 to 1999 as YYMMDD; plain,
  in full-width digits, or inside brackets; always after a word naming an ID number.
* ``CN_MOBILE``: ``1[3-9]`` and nine digits in the number plan, plain, with ``+86``, ``+86 `` or
  ``0086``, 3-4-4 with spaces or dashes, or full-width.
* ``BANK_CARD``: 16 and 19 digits, Luhn-valid, UnionPay (62), Visa (4) and Mastercard (5) BINs,
  plain, grouped by four, or full-width.
* ``PERSON``: Faker zh_CN names, compound surnames, two-character names.
* ``ADDRESS``: Faker zh_CN addresses and hand-built ones of several provinces, down to 弄, 巷,
  号楼, 幢, 单元, 层, ``B座1203`` or ``7-6-1046``.

Decoys, numbers that are none of these: order numbers, amounts, dates, timestamps, ticket ids,
landlines and service numbers, 18-digit numbers with a region code absent from the table and a
wrong check character, 16-digit numbers failing the Luhn check (never in a template with a card
word), and 15-digit codes shaped like a first-generation ID (a county's grid codes, waybills) with
no word naming an ID number before them. Every planted value's and decoy's span is recorded, end exclusive.
"""

from __future__ import annotations

import calendar
import itertools
import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal, TypeAlias

import numpy as np
import phonenumbers
import yaml
from phonenumbers import PhoneNumberType
from stdnum import luhn
from stdnum.cn import ric

from huiliu.errors import ConfigurationError
from huiliu.identity.resident_id import (
    FIRST_YEAR,
    LEGACY_ISSUED,
    plausible_legacy_id,
    plausible_resident_id,
    region_issued,
    region_table,
)
from huiliu.pii.accuracy import LabelledText

Which: TypeAlias = Literal["tuning", "heldout"]
SETS: tuple[Which, ...] = ("tuning", "heldout")
PLANTED: dict[str, str] = {
    "id": "CN_RESIDENT_ID",
    "mobile": "CN_MOBILE",
    "card": "BANK_CARD",
    "name": "PERSON",
    "addr": "ADDRESS",
    "oldid": "CN_RESIDENT_ID",
}
"""Field kind → the entity type planted there."""
DECOYS: dict[str, str] = {
    "order": "ORDER_NUMBER",
    "amount": "AMOUNT",
    "date": "DATE",
    "stamp": "TIMESTAMP",
    "ticket": "TICKET_ID",
    "landline": "LANDLINE",
    "badid": "BAD_RESIDENT_ID",
    "badluhn": "LUHN_INVALID_16",
    "count": "COUNT",
    "grid": "LEGACY_ID_SHAPED",
}
"""Field kind → the kind of number that is no personal information (recorded, never planted)."""
BIRTH_YEARS = (1930, 2020)
"""First and last birth year of a planted resident ID."""
LEGACY_BIRTH_YEARS = (1930, 1999)
"""First and last birth year of a planted first-generation (15-digit) ID."""
ISSUED_THROUGH = 2025
"""The last year of issue a planted ID's region code is judged against (fixed, for determinism)."""
CARD_WORDS = ("卡", "账", "帐", "card")
"""Text no template holding a ``{badluhn}`` decoy may contain."""

_FIELD = re.compile(r"\{(\w+)\}")
_FULL_WIDTH = str.maketrans("0123456789Xx+-", "０１２３４５６７８９Ｘｘ＋－")
_WRAPS = (("（", "）"), ("(", ")"), ("“", "”"), ('"', '"'), ("「", "」"), ("【", "】"), ("[", "]"))
_COMPOUND_SURNAMES = (
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "令狐", "公孙", "夏侯", "尉迟", "长孙",
    "宇文", "司徒", "端木", "南宫",
)  # fmt: skip
_UNIONPAY_BINS = (
    "622202", "621226", "622848", "621700", "622700", "622588", "621483", "622262", "621661",
    "623668", "622609", "621799", "625965", "622155",
)  # fmt: skip
_VISA_BINS = ("436742", "427020", "438088", "404117", "421349")
_MASTERCARD_BINS = ("524094", "518710", "552599", "512431", "545619")
_AREA_CODES = (
    "010", "020", "021", "022", "023", "024", "025", "027", "028", "029", "0851", "0871", "0571",
    "0755", "0531", "0431", "0991", "0771",
)  # fmt: skip
_PLACES = (
    ("贵州省", "贵阳市", ("观山湖区", "南明区", "云岩区", "花溪区")),
    ("", "上海市", ("浦东新区", "徐汇区", "静安区", "杨浦区")),
    ("", "北京市", ("朝阳区", "海淀区", "西城区", "丰台区")),
    ("广东省", "深圳市", ("南山区", "福田区", "宝安区")),
    ("广东省", "广州市", ("天河区", "越秀区", "番禺区")),
    ("浙江省", "杭州市", ("西湖区", "拱墅区", "余杭区")),
    ("四川省", "成都市", ("武侯区", "锦江区", "青羊区")),
    ("湖北省", "武汉市", ("洪山区", "江汉区", "武昌区")),
    ("江苏省", "南京市", ("鼓楼区", "玄武区", "建邺区")),
    ("陕西省", "西安市", ("雁塔区", "碑林区", "未央区")),
    ("辽宁省", "沈阳市", ("和平区", "皇姑区", "铁西区")),
    ("云南省", "昆明市", ("五华区", "盘龙区", "官渡区")),
    ("山东省", "青岛市", ("市南区", "崂山区", "黄岛区")),
    ("黑龙江省", "哈尔滨市", ("南岗区", "道里区", "香坊区")),
    ("新疆维吾尔自治区", "乌鲁木齐市", ("天山区", "沙依巴克区")),
    ("广西壮族自治区", "南宁市", ("青秀区", "兴宁区")),
    ("", "重庆市", ("渝中区", "江北区", "沙坪坝区")),
)
_ROADS = ("人民", "解放", "中山", "建设", "长江", "黄河", "延安", "新华", "文化", "金阳", "遵义", "学府")
_ROAD_SUFFIXES = ("路", "大道", "街", "北路", "东路", "中路")
_STREET_OFFICES = ("金华园", "小河", "龙泉", "城关", "新村", "东湖", "滨江", "南湖", "桃源", "青龙")
_COMPOUNDS = ("阳光", "锦绣", "碧水", "翠湖", "金色", "世纪", "幸福", "和谐", "书香", "龙湖", "枫林", "怡景")
_COMPOUND_SUFFIXES = ("小区", "花园", "家园", "苑", "新村", "公寓")
_TOWERS = ("国贸大厦", "金融中心", "时代广场", "科技园", "财富中心")
_LANES = ("宽窄", "槐树", "石板", "杨柳", "状元", "青石")


@dataclass(frozen=True)
class Template:
    """One text pattern; ``{field}`` marks a value to draw.

    Attributes:
        id: the template's name, unique across both sets.
        domain: the kind of text it stands for.
        text: the pattern.
    """

    id: str
    domain: str
    text: str

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields, in order."""
        return tuple(_FIELD.findall(self.text))

    @property
    def literals(self) -> tuple[str, ...]:
        """The text between the fields."""
        return tuple(_FIELD.split(self.text)[::2])


@dataclass(frozen=True)
class TemplateSet:
    """One template file.

    Attributes:
        which: ``tuning`` or ``heldout``.
        header: the file's leading comment.
        domains: the domains its templates belong to.
        context_words: per entity type (and ``OTHER`` for decoys), the words that announce a value.
        templates: the templates.
    """

    which: Which
    header: str
    domains: tuple[str, ...]
    context_words: dict[str, tuple[str, ...]]
    templates: tuple[Template, ...]


@dataclass(frozen=True)
class AdversarialText(LabelledText):
    """A text of the adversarial set: its planted entities, and what else it holds.

    Attributes:
        template: the id of the template it was drawn from.
        values: the planted values, parallel to ``planted``.
        decoys: ``(kind, start, end)`` of the numbers in it that are no personal information.
    """

    template: str = ""
    values: tuple[str, ...] = ()
    decoys: tuple[tuple[str, int, int], ...] = ()


def field_kind(field: str) -> str:
    """The kind of value a field draws: its name without a trailing number (``name2`` → ``name``)."""
    return field.rstrip("0123456789")


@lru_cache(maxsize=2)
def template_set(which: Which) -> TemplateSet:
    """The templates of one set, read from its YAML file.

    Raises:
        ConfigurationError: a template uses an unknown field or a domain the file does not declare.
    """
    path = resources.files(__name__).joinpath(f"{which}.yaml")
    raw = path.read_text(encoding="utf-8")
    data = yaml.safe_load(raw)
    header = "\n".join(itertools.takewhile(lambda line: line.startswith("#"), raw.splitlines()))
    domains = tuple(data["domains"])
    found = tuple(Template(t["id"], t["domain"], t["text"]) for t in data["templates"])
    for template in found:
        unknown = {f for f in template.fields if field_kind(f) not in PLANTED | DECOYS}
        if unknown or template.domain not in domains:
            raise ConfigurationError(
                f"{which}.yaml, template {template.id}: unknown fields {sorted(unknown)} or a domain "
                "the file does not declare; fix the template or declare its domain"
            )
    words = {entity: tuple(w) for entity, w in data["context_words"].items()}
    return TemplateSet(which, header, domains, words, found)


def templates(which: Which) -> tuple[Template, ...]:
    """The templates of one set."""
    return template_set(which).templates


@dataclass(frozen=True, kw_only=True)
class _Regions:
    """Region codes from python-stdnum's table, grouped the ways resident IDs are drawn from them.

    Attributes:
        codes: every code (Taiwan's excepted), in table order.
        span: code → first and last year it was in use.
        provinces: the 2-digit provinces, sorted.
        by_province: province → its codes.
        created_late: codes first in use after the first birth year.
        retired: codes last in use from the first birth year on, but before :data:`ISSUED_THROUGH`.
        long_retired: the same, last in use before 2000.
        known: every code of the table (Taiwan's included).
    """

    codes: list[int]
    span: dict[int, tuple[int, int]]
    provinces: list[int]
    by_province: dict[int, list[int]]
    created_late: list[int]
    retired: list[int]
    long_retired: list[int]
    known: frozenset[int]


@lru_cache(maxsize=1)
def _regions() -> _Regions:
    """Region codes from python-stdnum's table and the first and last years each was in use."""
    codes_array, in_use = region_table()
    first_array = in_use.argmax(axis=1) + FIRST_YEAR
    last_array = in_use.shape[1] - 1 - np.flip(in_use, axis=1).argmax(axis=1) + FIRST_YEAR
    keep = codes_array // 10_000 != 71  # no resident ID carries a Taiwan code
    codes: list[int] = codes_array[keep].tolist()
    first: list[int] = first_array[keep].tolist()
    last: list[int] = last_array[keep].tolist()
    by_province: dict[int, list[int]] = {}
    for code in codes:
        by_province.setdefault(code // 10_000, []).append(code)
    span = dict(zip(codes, zip(first, last, strict=True), strict=True))
    return _Regions(
        codes=codes,
        span=span,
        provinces=sorted(by_province),
        by_province=by_province,
        created_late=[c for c in codes if span[c][0] > BIRTH_YEARS[0]],
        retired=[c for c in codes if BIRTH_YEARS[0] <= span[c][1] < ISSUED_THROUGH],
        long_retired=[c for c in codes if BIRTH_YEARS[0] <= span[c][1] < 2000],
        known=frozenset(region_table()[0].tolist()),
    )


class _Draw:
    """Values of every field kind, from one seeded stream."""

    def __init__(self, key: str) -> None:
        from faker import Faker

        self.rng = random.Random(key)
        self.faker = Faker("zh_CN")
        self.faker.seed_instance(key)

    def value(self, kind: str) -> tuple[str, str, str]:
        """``(before, value, after)``: the value and any brackets written around it."""
        drawn = getattr(self, f"_{kind}")()
        return drawn if isinstance(drawn, tuple) else ("", drawn, "")

    # planted values

    def _id(self) -> str | tuple[str, str, str]:
        number = self.resident_id()
        rng = self.rng
        if number.endswith("X") and rng.random() < 0.5:
            number = number[:-1] + "x"
        form = rng.random()
        if form < 0.15:
            number = f"{number[:6]} {number[6:14]} {number[14:]}"
        elif form < 0.3:
            number = f"{number[:6]}-{number[6:14]}-{number[14:]}"
        elif form < 0.5:
            number = number.translate(_FULL_WIDTH)
        return self._wrapped(number)

    def _wrapped(self, number: str) -> str | tuple[str, str, str]:
        """A number, one time in eight or so inside brackets or quotes."""
        if self.rng.random() < 0.12:
            before, after = self.rng.choice(_WRAPS)
            return before, number, after
        return number

    def _day_of(self, year: int) -> date:
        """A day of ``year``, drawn uniformly."""
        return date(year, 1, 1) + timedelta(days=self.rng.randrange(366 if calendar.isleap(year) else 365))

    def resident_id(self) -> str:
        """An 18-character resident ID with a valid check character (upper-case X)."""
        rng, regions = self.rng, _regions()
        first_year, last_year = BIRTH_YEARS
        stratum = rng.random()
        if stratum < 0.06:  # Pudong, in use from 1992, on the numbers of people born in the 1950s
            region, year = 310115, rng.randint(1950, 1959)
        elif stratum < 0.1:  # 观山湖区, from 2012, on the numbers of people born in the 1980s
            region, year = 520115, rng.randint(1980, 1989)
        elif stratum < 0.3:  # any code created after the holder's birth
            region = rng.choice(regions.created_late)
            year = rng.randint(first_year, min(regions.span[region][0] - 1, last_year))
        elif stratum < 0.5:  # a retired code, most of them long ago
            pool = regions.long_retired if rng.random() < 0.7 else regions.retired
            region = rng.choice(pool)
            year = rng.randint(first_year, min(regions.span[region][1], last_year))
        else:  # the whole country: a province, then one of its codes
            while True:
                province = rng.choice(regions.provinces)
                region = rng.choice(regions.by_province[province])
                year = rng.randint(first_year, last_year)
                if region_issued(region, year, ISSUED_THROUGH):
                    break
        born = self._day_of(year)
        sequence = rng.randrange(1000)
        want_x = rng.random() < 0.2
        for step in range(1000 if want_x else 1):
            body = f"{region:06d}{born:%Y%m%d}{(sequence + step) % 1000:03d}"
            if check_character(body) == "X":
                break
        return body + check_character(body)

    def _oldid(self) -> str | tuple[str, str, str]:
        number = self.legacy_id()
        rng = self.rng
        if rng.random() < 0.25:
            number = number.translate(_FULL_WIDTH)
        return self._wrapped(number)

    def legacy_id(self) -> str:
        """A first-generation 15-digit ID: a region code in use while they were issued, YYMMDD."""
        rng, regions = self.rng, _regions()
        first, last = LEGACY_ISSUED
        while True:
            if rng.random() < 0.1:  # 浦东新区, in use from 1992, on the numbers of people born in the 1950s
                region, year = 310115, rng.randint(1950, 1959)
            else:
                region = rng.choice(regions.by_province[rng.choice(regions.provinces)])
                year = rng.randint(*LEGACY_BIRTH_YEARS)
            if region_issued(region, max(year, first), last):
                break
        born = self._day_of(year)
        return f"{region:06d}{born:%y%m%d}{rng.randrange(1000):03d}"

    def _mobile(self) -> str:
        number = self.mobile_number()
        rng = self.rng
        form = rng.random()
        if form < 0.3:
            return number
        if form < 0.38:
            return "+86" + number
        if form < 0.46:
            return "+86 " + number
        if form < 0.53:
            return "0086" + number
        if form < 0.65:
            return f"{number[:3]} {number[3:7]} {number[7:]}"
        if form < 0.77:
            return f"{number[:3]}-{number[3:7]}-{number[7:]}"
        if form < 0.82:
            return f"+86 {number[:3]} {number[3:7]} {number[7:]}"
        if form < 0.95:
            return number.translate(_FULL_WIDTH)
        return ("+86" + number).translate(_FULL_WIDTH)

    def mobile_number(self) -> str:
        """An 11-digit mobile number whose prefix is in the number plan."""
        rng = self.rng
        while True:
            number = f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}"
            parsed = phonenumbers.parse("+86" + number, None)
            if phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in (
                PhoneNumberType.MOBILE,
                PhoneNumberType.FIXED_LINE_OR_MOBILE,
            ):
                return number

    def _card(self) -> str:
        number = self.card_number()
        form = self.rng.random()
        grouped = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        if form < 0.5:
            return number
        if form < 0.8:
            return grouped
        if form < 0.92:
            return number.translate(_FULL_WIDTH)
        return grouped.translate(_FULL_WIDTH)

    def card_number(self) -> str:
        """A Luhn-valid card number of 16 or 19 digits with a real-looking BIN."""
        rng = self.rng
        network = rng.random()
        if network < 0.7:
            bin_, length = rng.choice(_UNIONPAY_BINS), rng.choice((16, 19))
        else:
            bin_, length = rng.choice(_VISA_BINS if network < 0.85 else _MASTERCARD_BINS), 16
        body = bin_ + "".join(str(rng.randrange(10)) for _ in range(length - len(bin_) - 1))
        return body + luhn.calc_check_digit(body)

    def _name(self) -> str:
        rng, faker = self.rng, self.faker
        kind = rng.random()
        if kind < 0.6:
            return str(faker.name())
        if kind < 0.8:
            return rng.choice(_COMPOUND_SURNAMES) + str(faker.first_name())
        surname = str(faker.last_name())
        given = str(faker.first_name())
        while len(given) != 1:
            given = str(faker.first_name())
        return surname + given

    def _addr(self) -> str:
        rng = self.rng
        if rng.random() < 0.4:
            return str(self.faker.address()).split(" ")[0]  # without the postcode
        province, city, districts = rng.choice(_PLACES)
        district = rng.choice(districts)
        level = rng.random()
        if level < 0.3:
            head = province + city + district
        elif level < 0.55:
            head = city + district
        elif level < 0.8:
            head = district
        else:
            head = ""
        if head and rng.random() < 0.35:
            head += rng.choice(_STREET_OFFICES) + "街道"
            if rng.random() < 0.5:
                head += rng.choice(_COMPOUNDS) + "社区"
        return head + self._place()

    def _place(self) -> str:
        """The part of an address below the district or street office."""
        rng = self.rng
        road = rng.choice(_ROADS) + rng.choice(_ROAD_SUFFIXES)
        compound = rng.choice(_COMPOUNDS) + rng.choice(_COMPOUND_SUFFIXES)
        number, building, unit = rng.randint(1, 999), rng.randint(1, 40), rng.randint(1, 6)
        room = rng.randint(1, 33) * 100 + rng.randint(1, 8)
        shape = rng.randrange(9)
        if shape == 0:
            return f"{road}{number}号{compound}{building}栋{unit}单元{room}室"
        if shape == 1:
            return f"{road}{number}弄{building}号{room}室"
        if shape == 2:
            return f"{rng.choice(_LANES)}巷{number}号"
        if shape == 3:
            return f"{compound}{building}号楼{unit}单元{room}"
        if shape == 4:
            return f"{compound}{building}幢{room}室"
        if shape == 5:
            return f"{road}{number}号{rng.choice(_TOWERS)}{rng.choice('ABCD')}座{room}"
        if shape == 6:
            return f"{compound}{building}-{unit}-{room}"
        if shape == 7:
            return f"{road}{number}号{rng.randint(2, 30)}层"
        return f"{road}{number}号{compound}{building}栋{room}"

    # decoys

    def _order(self) -> str:
        rng = self.rng
        day = self._day()
        form = rng.randrange(4)
        if form == 0:
            return f"DD{day:%Y%m%d}{rng.randrange(10**6):06d}"
        if form == 1:
            return "E" + self._digits(19)
        if form == 2:
            return f"{day:%Y%m%d}{self._digits(12)}"  # 20 digits: longer than any card
        return self._digits(rng.randint(12, 14))

    def _amount(self) -> str:
        rng = self.rng
        cents = rng.randrange(100, 50_000_000)
        form = rng.randrange(3)
        if form == 0:
            return f"{cents / 100:,.2f}"
        if form == 1:
            return f"{cents / 100:.2f}"
        return str(cents // 100)

    def _date(self) -> str:
        day = self._day()
        return self.rng.choice(
            (day.isoformat(), f"{day.year}年{day.month}月{day.day}日", f"{day:%Y/%m/%d}", f"{day:%Y.%m.%d}")
        )

    def _stamp(self) -> str:
        day = self._day()
        rng = self.rng
        clock = f"{rng.randrange(24):02d}{rng.randrange(60):02d}{rng.randrange(60):02d}"
        if rng.random() < 0.7:
            return f"{day:%Y%m%d}{clock}"
        return f"{day.isoformat()} {clock[:2]}:{clock[2:4]}:{clock[4:]}"

    def _ticket(self) -> str:
        rng = self.rng
        day = self._day()
        form = rng.randrange(5)
        if form == 0:
            return f"GD{day:%Y%m%d}{rng.randrange(10**4):04d}"
        if form == 1:
            return "SF" + self._digits(12)
        if form == 2:
            return "YT" + self._digits(13)
        if form == 3:
            return f"（{day.year}）黔0102民初{rng.randint(100, 9999)}号"
        return f"12345-{day.year}-{rng.randrange(10**6):06d}"

    def _landline(self) -> str:
        rng = self.rng
        code = rng.choice(_AREA_CODES)
        local = str(rng.randint(2, 8)) + self._digits(7 if len(code) == 3 else rng.choice((6, 7)))
        form = rng.randrange(6)
        if form == 0:
            return f"{code}-{local}"
        if form == 1:
            return f"({code}){local}"
        if form == 2:
            return f"{code} {local[:4]} {local[4:]}"
        if form == 3:
            return f"{code}{local}"
        if form == 4:
            return f"400-{rng.randint(100, 999)}-{rng.randrange(10**4):04d}"
        return rng.choice(("95588", "95533", "95599", "95566", "12345"))

    def _badid(self) -> str:
        """18 characters shaped like an ID, with a region code absent from the table and a wrong check."""
        rng = self.rng
        known = _regions().known
        while True:
            region = rng.randint(110_000, 659_999)
            if region in known:
                continue
            born = date(rng.randint(*BIRTH_YEARS), 1, 1) + timedelta(days=rng.randrange(365))
            body = f"{region:06d}{born:%Y%m%d}{rng.randrange(1000):03d}"
            right = check_character(body)
            wrong = rng.choice([c for c in "0123456789" if c != right])
            number = body + wrong
            if not plausible_resident_id(number) and not luhn.is_valid(number):
                return number

    def _badluhn(self) -> str:
        """16 digits with a card-like first digit that fail the Luhn check."""
        rng = self.rng
        prefix = rng.choice(("62", "4", "5"))
        body = prefix + "".join(str(rng.randrange(10)) for _ in range(15 - len(prefix)))
        right = int(luhn.calc_check_digit(body))
        return body + str((right + rng.randint(1, 9)) % 10)

    def _grid(self) -> str:
        """15 digits of a county's code, a town or township (101, 201), a village (201-231) and a
        number: a grid code, which reads as a first-generation ID of someone born in 1910 or 1920."""
        rng, regions = self.rng, _regions()
        while True:
            region = rng.choice(regions.codes)
            code = f"{region:06d}{rng.choice((101, 201))}{rng.randint(201, 231)}{rng.randrange(1, 1000):03d}"
            if plausible_legacy_id(code, as_of=date(ISSUED_THROUGH, 12, 31)):
                return code

    def _count(self) -> str:
        return str(self.rng.randint(1, 99))

    def _day(self) -> date:
        return date(2019, 1, 1) + timedelta(days=self.rng.randrange(2_500))

    def _digits(self, length: int) -> str:
        """A run of digits that is neither a mobile number nor a Luhn-valid card length."""
        rng = self.rng
        while True:
            run = str(rng.randint(1, 9)) + "".join(str(rng.randrange(10)) for _ in range(length - 1))
            if looks_like_pii(run):
                continue
            return run


def check_character(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character of an ID's first 17 digits (``stdnum.cn.ric``)."""
    return ric.calc_check_digit(body[:17] + "0")  # ric drops the last character it is given


def looks_like_pii(digits: str) -> bool:
    """Whether a run of digits could be a mobile number, a card number or a resident ID."""
    if len(digits) == 11 and re.fullmatch(r"1[3-9]\d{9}", digits):
        return True
    if 16 <= len(digits) <= 19 and luhn.is_valid(digits):
        return True
    return len(digits) == 18 and plausible_resident_id(digits)


def render(template: Template, draw: _Draw, dataset: str, key: str) -> AdversarialText:
    """One text from a template, every planted value's and decoy's span recorded."""
    pieces: list[str] = []
    planted: list[tuple[str, int, int]] = []
    values: list[str] = []
    decoys: list[tuple[str, int, int]] = []
    position = 0
    for index, part in enumerate(_FIELD.split(template.text)):
        if index % 2 == 0:
            pieces.append(part)
            position += len(part)
            continue
        kind = field_kind(part)
        before, value, after = draw.value(kind)
        start = position + len(before)
        if kind in PLANTED:
            planted.append((PLANTED[kind], start, start + len(value)))
            values.append(value)
        else:
            decoys.append((DECOYS[kind], start, start + len(value)))
        piece = before + value + after
        pieces.append(piece)
        position += len(piece)
    return AdversarialText(
        dataset, key, "".join(pieces), tuple(planted), template.id, tuple(values), tuple(decoys)
    )


def adversarial_corpus(which: Which, n: int, seed: int = 7) -> list[LabelledText]:
    """``n`` texts drawn from one template set, the same for the same seed.

    Templates are used in turn, in a fresh seeded order each round, so each is used ``n / count``
    times give or take one.

    Args:
        which: ``tuning`` or ``heldout``.
        n: how many texts.
        seed: the seed.

    Returns:
        :class:`AdversarialText` items (a :class:`~huiliu.pii.accuracy.LabelledText` with the
        template id, the planted values and the decoys).
    """
    if which not in SETS:
        raise ConfigurationError(f"unknown template set {which!r}; use one of {', '.join(SETS)}")
    draw = _Draw(f"{which}:{seed}")
    chosen = templates(which)
    order: list[Template] = []
    out: list[LabelledText] = []
    for index in range(n):
        if not order:
            order = list(chosen)
            draw.rng.shuffle(order)
        out.append(render(order.pop(), draw, f"adversarial-{which}", f"{which}-{index}"))
    return out


def write_jsonl(items: Iterable[LabelledText], path: str | Path) -> int:
    """Write texts as the corpus format of ``huiliu pii evaluate --format jsonl``.

    Each line is ``{"text": ..., "entities": [{"type", "start", "end"}]}``, end exclusive.

    Returns:
        The number of lines written.
    """
    count = 0
    with Path(path).open("w", encoding="utf-8") as out:
        for item in items:
            entities = [{"type": t, "start": s, "end": e} for t, s, e in item.planted]
            out.write(json.dumps({"text": item.text, "entities": entities}, ensure_ascii=False) + "\n")
            count += 1
    return count
