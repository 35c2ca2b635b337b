"""``ADDRESS``: Chinese street addresses, from address grammar and a gazetteer of real divisions.

An address is anchored on its grammar: a road (…路, …街, …大道) followed by a house number
(…号), then optionally a compound (…小区, …花园, …苑), a building (…栋), a unit (…单元) and a room
(…室); or a compound followed by a building; or a village group (…村3组). The road or compound
name is the run of Chinese characters before the suffix, cut after the last cue word that ends
just before an address (反映, 住址, 暂住, 在 …). Administrative names right before it — provinces,
cities, districts and streets of the whole country (the division tables shipped with huiliu) and
the communities of the configured cities — belong to the address (贵州省贵阳市南明区…).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import ClassVar

from presidio_analyzer import EntityRecognizer

from huiliu.divisions import load_hierarchy, reference
from huiliu.pii.config import AddressSpec, builtin_spec
from huiliu.pii.recognizers import HANZI, LANGUAGE, ChineseRecognizer, Hit, builtin_context

_NUMBER = r"\d{1,5}(?:-\d{1,4})?号(?:附\d{1,3}号)?"
_ZONE = r"(?:[A-Za-z]{1,2}区|[A-Za-z\d一二三四五六七八九十]{1,2}期)?"
_BUILDING = _ZONE + r"\d{1,3}(?:栋|幢|号楼|座)(?:\d{1,2}单元)?(?:\d{1,5}(?:室|号房)?)?"
_TAIL = rf"(?:{_BUILDING}|\d{{1,2}}(?:层|楼)(?:\d{{1,5}}室)?|\d{{1,5}}室)"
_SECTION = r"(?:[东西南北中]段|[一二三四五六七八九十]段)?"
_PLACEHOLDERS = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
MAX_RUN = 30
MAX_ADMIN = 12


def _overlaps(hit: Hit, others: list[Hit]) -> bool:
    for other in others:  # noqa: SIM110 (a plain loop beats any() on a generator in this hot path)
        if other.start < hit.end and hit.start < other.end:
            return True
    return False


def _inside(position: int, hits: list[Hit]) -> bool:
    for hit in hits:  # noqa: SIM110 (a plain loop beats any() on a generator in this hot path)
        if hit.start <= position < hit.end:
            return True
    return False


@lru_cache(maxsize=8)
def gazetteer(cities: tuple[str, ...]) -> frozenset[str]:
    """Names of real divisions: every province, city, district and street, and these cities' communities."""
    names = set(reference.provinces().values())
    names.update(name for name, _ in reference.cities().values())
    names.update(name for name, _ in reference.districts().values())
    names.update(name for name, _ in reference.streets().values())
    for city in cities:
        names.update(unit.name for unit in load_hierarchy(city, None).at_level("community"))
    return frozenset(n for n in names if len(n) >= 2 and n not in _PLACEHOLDERS)


class CnAddressRecognizer(ChineseRecognizer, EntityRecognizer):
    """Chinese addresses down to the room."""

    KIND: ClassVar[str] = "cn_address"
    CONTEXT = builtin_context("address")
    GATE: ClassVar[str | None] = r"\d(?:号|栋|幢|座)|组"

    def __init__(self, spec: AddressSpec | None = None, name: str | None = None) -> None:
        packaged = builtin_spec("address")
        assert isinstance(packaged, AddressSpec)
        self.spec: AddressSpec = spec or packaged
        self._compile(self.spec)
        self._admin = gazetteer(tuple(self.spec.gazetteer_cities))
        super().__init__(
            supported_entities=[self.spec.entity],
            name=name or type(self).__name__,
            supported_language=LANGUAGE,
            context=list(self.spec.context),
        )

    def load(self) -> None:
        """Nothing to load: the gazetteer is read in the constructor."""

    def _compile(self, spec: AddressSpec) -> None:
        def alternation(words: list[str]) -> str:
            return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))

        compound = alternation(spec.compound_suffixes)
        self._road = re.compile(f"(?:{alternation(spec.road_suffixes)}){_SECTION}({_NUMBER})", re.ASCII)
        self._compound_first = re.compile(f"(?:{compound})(?={_BUILDING})", re.ASCII)
        self._compound_after = re.compile(f"[{HANZI}]{{1,8}}?(?:{compound})(?=\\d|[^{HANZI}]|$)", re.ASCII)
        self._village = re.compile(r"村(?:\d{1,2}|[一二三四五六七八九十]{1,3})组(?:\d{1,4}号)?", re.ASCII)
        self._tail = re.compile(_TAIL, re.ASCII)
        self._building = re.compile(_BUILDING, re.ASCII)
        self._run = re.compile(f"[{HANZI}]{{1,{MAX_RUN}}}$", re.ASCII)
        self._cues = re.compile(alternation(spec.cues)) if spec.cues else None

    def find(self, text: str) -> list[Hit]:
        hits = self._roads(text)
        for finder in (self._compounds, self._villages):
            for hit in finder(text, hits):
                if not _overlaps(hit, hits):
                    hits.append(hit)
        return sorted(hits)

    def _roads(self, text: str) -> list[Hit]:
        """Addresses anchored on a road and house number."""
        hits: list[Hit] = []
        for match in self._road.finditer(text):
            if hits and match.start() < hits[-1].end:
                continue
            start, admin = self._start(text, match.start())
            if start is None:
                continue
            end = match.end()
            after = self._compound_after.match(text, end)
            end = after.end() if after else end
            tail = self._tail.match(text, end)
            end = tail.end() if tail else end
            full = end > match.end()
            scores = self.spec.scores
            hits.append(self._hit(text, start, end, scores.full if full else scores.road, admin, "road"))
        return hits

    def _compounds(self, text: str, found: list[Hit]) -> list[Hit]:
        """Addresses anchored on a compound followed by a building (outside addresses ``found``)."""
        hits = []
        for match in self._compound_first.finditer(text):
            if _inside(match.start(), found):
                continue
            start, admin = self._start(text, match.start(), allow_empty=False)
            building = self._building.match(text, match.end())
            if start is not None and building is not None and start < match.start():
                hits.append(
                    self._hit(text, start, building.end(), self.spec.scores.compound, admin, "compound")
                )
        return hits

    def _villages(self, text: str, found: list[Hit]) -> list[Hit]:
        """Addresses anchored on a village and its group (outside addresses ``found``)."""
        hits = []
        for match in self._village.finditer(text):
            if _inside(match.start(), found):
                continue
            start, admin = self._start(text, match.start())
            if start is not None:
                hits.append(self._hit(text, start, match.end(), self.spec.scores.village, admin, "village"))
        return hits

    def _hit(self, text: str, start: int, end: int, score: float, admin: bool, rule: str) -> Hit:
        if admin:
            score = min(1.0, round(score + self.spec.scores.admin_bonus, 6))
        word = self.context_word(text, start)
        return Hit(start, end, self.boosted(score, word), rule + ("_with_division" if admin else ""), word)

    def _start(self, text: str, suffix: int, allow_empty: bool = False) -> tuple[int | None, bool]:
        """Where the address whose road or compound suffix starts at ``suffix`` begins.

        Returns:
            The start (None when there is no name before the suffix) and whether administrative
            division names are part of the address.
        """
        run = self._run.search(text, max(0, suffix - MAX_RUN), suffix)
        if run is None:
            return (suffix if allow_empty else None), False
        begin = self._after_cue(text, run.start(), suffix)
        position, admin = self._skip_divisions(text, begin, suffix)
        if position >= suffix:  # the whole run is division names: the suffix has no name of its own
            return None, False
        if position == begin == run.start() and suffix - begin > 8:
            begin = suffix - 5  # a long run with no cue: keep a plausible road name only
        return begin, admin

    def _after_cue(self, text: str, begin: int, suffix: int) -> int:
        """The position right after the last cue word inside ``text[begin:suffix]``, else ``begin``."""
        best = begin
        if self._cues is not None:
            for match in self._cues.finditer(text, begin, suffix - 1):
                best = match.end()
        return best

    def _skip_divisions(self, text: str, position: int, suffix: int) -> tuple[int, bool]:
        """Skip consecutive division names from ``position``; return the new position and whether any."""
        admin = False
        while position < suffix - 1:
            for length in range(min(MAX_ADMIN, suffix - position - 1), 1, -1):
                if text[position : position + length] in self._admin:
                    position += length
                    admin = True
                    break
            else:
                break
        return position, admin
