"""An adversarial set of texts with planted personal information, in two disjoint template sets.

``tuning.yaml`` holds templates the recognizers may be tuned on (hotline tickets, grid reports,
community notices); ``heldout.yaml`` holds templates of other kinds of text (court and bank
letters, schools, clinics, deliveries, social media, forms) that are only ever measured. The
values are hostile on purpose: resident IDs from the whole country's region codes, including
codes created after the holder was born, with a lower-case x, 6-8-4 spacing or dashes, or in
full-width digits; mobiles with +86, 0086, spaces and dashes; Luhn-valid cards of 16 and 19
digits, grouped or not; names with compound surnames; and numbers that are none of these (order
numbers, amounts, dates, ticket ids, landlines). Every planted value's span is recorded.
"""

from __future__ import annotations

import json
import random
import re
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from stdnum import luhn

from huiliu.identity.resident_id import check_char, region_issued, region_table
from huiliu.pii.accuracy import LabelledText

Which = Literal["tuning", "heldout"]
PLANTED = {
    "id": "CN_RESIDENT_ID",
    "id2": "CN_RESIDENT_ID",
    "mobile": "CN_MOBILE",
    "card": "BANK_CARD",
    "card2": "BANK_CARD",
    "name": "PERSON",
    "name2": "PERSON",
    "addr": "ADDRESS",
}
"""Template field → the entity type planted there."""
_FIELD = re.compile(r"\{(\w+)\}")
_FULL_WIDTH = str.maketrans("0123456789Xx+-", "０１２３４５６７８９Ｘｘ＋－")
_MOBILE_PREFIXES = (
    *range(130, 140), 145, 147, *range(150, 154), *range(155, 160), 166, *range(170, 179),
    *range(180, 190), 191, 193, *range(195, 200),
)  # fmt: skip
_CARD_BINS = ("622202", "621700", "622848", "621226", "623668", "436742", "524094", "622588", "625965")
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐", "公孙", "夏侯")


@lru_cache(maxsize=2)
def templates(which: Which) -> tuple[str, ...]:
    """The templates of one set."""
    path = resources.files("huiliu.pii.adversarial").joinpath(f"{which}.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(data["templates"])


class _Values:
    """Hostile values, drawn from one seeded generator."""

    def __init__(self, seed: int) -> None:
        from faker import Faker

        self.rng = random.Random(seed)
        self.faker = Faker("zh_CN")
        self.faker.seed_instance(seed)
        self.codes = [int(c) for c in region_table()[0]]

    def value(self, field: str) -> str:
        kind = field.rstrip("2")
        return getattr(self, kind)()

    def id(self) -> str:
        rng = self.rng
        while True:
            region = rng.choice(self.codes)
            born = date(1930, 1, 1) + timedelta(days=rng.randrange(90 * 365))
            if region_issued(region, born.year):
                break
        body = f"{region:06d}{born:%Y%m%d}{rng.randrange(1000):03d}"
        number = body + check_char(body)
        form = rng.random()
        if number.endswith("X") and form < 0.5:
            return number[:-1] + "x"
        if form < 0.15:
            return f"{number[:6]} {number[6:14]} {number[14:]}"
        if form < 0.25:
            return f"{number[:6]}-{number[6:14]}-{number[14:]}"
        if form < 0.35:
            return number.translate(_FULL_WIDTH)
        return number

    def mobile(self) -> str:
        rng = self.rng
        number = f"{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
        return rng.choice(
            (
                number,
                number,
                f"+86 {number}",
                f"+86-{number}",
                f"0086{number}",
                f"{number[:3]} {number[3:7]} {number[7:]}",
                f"{number[:3]}-{number[3:7]}-{number[7:]}",
                number.translate(_FULL_WIDTH),
            )
        )

    def card(self) -> str:
        rng = self.rng
        length = rng.choice((16, 19))
        body = rng.choice(_CARD_BINS) + "".join(str(rng.randrange(10)) for _ in range(length - 7))
        number = body + luhn.calc_check_digit(body)
        form = rng.random()
        if form < 0.25:
            return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        if form < 0.35:
            return number.translate(_FULL_WIDTH)
        return number

    def name(self) -> str:
        if self.rng.random() < 0.15:
            return self.rng.choice(_COMPOUND_SURNAMES) + self.faker.first_name()
        return str(self.faker.name())

    def addr(self) -> str:
        return str(self.faker.address()).split(" ")[0]

    def order(self) -> str:
        return "20" + "".join(str(self.rng.randrange(10)) for _ in range(16))

    def amount(self) -> str:
        value = self.rng.randrange(100, 2_000_000) / 100
        return f"{value:,.2f}" if self.rng.random() < 0.5 else f"{value:.0f}"

    def date(self) -> str:
        day = date(2020, 1, 1) + timedelta(days=self.rng.randrange(2_000))
        return day.isoformat() if self.rng.random() < 0.5 else f"{day.year}年{day.month}月{day.day}日"

    def ticket(self) -> str:
        return "GD" + "".join(str(self.rng.randrange(10)) for _ in range(12))

    def landline(self) -> str:
        return f"0851-8{self.rng.randrange(10**6):06d}"

    def noise(self) -> str:
        return str(self.rng.randrange(1, 500))


def render(template: str, values: _Values, key: str) -> LabelledText:
    """One text from a template, every planted value's span recorded."""
    pieces: list[str] = []
    planted: list[tuple[str, int, int]] = []
    position = 0
    for index, part in enumerate(_FIELD.split(template)):
        value = values.value(part) if index % 2 else part  # odd parts are the field names
        if index % 2 and part in PLANTED:
            planted.append((PLANTED[part], position, position + len(value)))
        pieces.append(value)
        position += len(value)
    return LabelledText("adversarial", key, "".join(pieces), tuple(planted))


def adversarial_corpus(which: Which, n: int, seed: int = 7) -> list[LabelledText]:
    """``n`` texts from one template set, deterministic for a seed."""
    values = _Values(seed)
    chosen = templates(which)
    return [render(chosen[i % len(chosen)], values, f"{which}-{i}") for i in range(n)]


def write_jsonl(texts: list[LabelledText], path: Path) -> None:
    """The texts in the corpus format of ``huiliu pii evaluate --format jsonl``."""
    with path.open("w", encoding="utf-8") as out:
        for text in texts:
            entities = [{"type": t, "start": s, "end": e} for t, s, e in text.planted]
            out.write(json.dumps({"text": text.text, "entities": entities}, ensure_ascii=False) + "\n")
