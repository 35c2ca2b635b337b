"""``ADDRESS``: Chinese street addresses, from address grammar and a gazetteer of real divisions.

An address is anchored on its grammar: a road (…路, …街, …大道) followed by a house number
(…号), then optionally a compound (…小区, …花园, …苑), a building (…栋), a unit (…单元) and a room
(…室); or a compound followed by a building; or a village group (…村3组). The road or compound
name is the run of Chinese characters before the suffix, cut after the last cue word that ends
just before an address (反映, 住址, 暂住, 在 …). Administrative names right before it — provinces,
cities, districts and streets of the whole country (the division tables shipped with huiliu) and
the communities of the configured cities — belong to the address (贵州省贵阳市南明区…).

The statistical tagger votes too. It tags place names (``LOC``) and often splits one address into
several (贵州省 / 贵阳市 / 南明区 / 花果园街道 / 花溪社区24栋): adjacent place words, with the
house, building, unit and room numbers that follow them (24栋2单元3003室, 7-6-1046, B座1203),
make one address, starting where the tagger's first place name starts. A run of place words
is proposed as an address when it goes below the city: it holds a number, or a word ending like a
street, town, village, community, road or compound, or two or more places one of which is a
district, county or city. A single city or country named alone (北京, 美国) is a place, not a
postal address. A run also goes on through a village, town, road or zone whatever the tagger
called it (佛堂镇 起鸣村, 山口 工业区), never into a common noun (盘山 公路, 虚拟 社区), and through a
stall, flat or room written as bare numbers (B6-1074, 125-756, 14682 ending the clause). A building
with its unit or room (171栋四单元278) is an address by itself, named by the words before it.

The votes combine as :mod:`huiliu.pii.recognizers.voting` describes; then each address starts at
the division names written before it, in full or short and separated or not (浙江-温州-乐清市…,
广东省_广州市_天河区_…), runs on through the premises written after it
(:mod:`huiliu.pii.recognizers.cn.address_tail`), and two addresses with only separators or name
words between them are one (…海门街道_衙门巷社区_乌衣巷74号).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import ClassVar, TypeVar

from presidio_analyzer import EntityRecognizer

from huiliu.divisions import load_hierarchy, reference
from huiliu.pii.config import AddressSpec, PatternRecognizerSpec, PersonSpec, builtin_spec
from huiliu.pii.recognizers import HANZI, LANGUAGE, ChineseRecognizer, Hit, builtin_context
from huiliu.pii.recognizers.cn.address_tail import ROAD_END as _ROAD_END
from huiliu.pii.recognizers.cn.address_tail import extended_end
from huiliu.pii.recognizers.voting import RuleHolds, merged_overlaps, vote
from huiliu.pii.tagger import Tags, Word

_PLOT = "[甲乙丙丁]?"
"""A plot split from a numbered one carries a heavenly stem before its number (复兴路甲1号, 乙12号院)."""
_NUMBER = _PLOT + r"\d{1,5}(?:-\d{1,4})?号(?:附\d{1,3}号)?"
_ZONE = r"(?:[A-Za-z]{1,2}区|[A-Za-z\d一二三四五六七八九十]{1,2}期)?"
_BUILDING = _ZONE + r"\d{1,3}(?:栋|幢|号楼|座)(?:\d{1,2}单元)?(?:\d{1,5}(?:室|号房)?)?"
_BUILDING_CHAIN = (
    r"(?:[A-Za-z\d一二三四五六七八九十]{1,2}[区期])?[A-Za-z]?\d{1,4}(?:栋|幢|号楼|座)"
    r"(?:[A-Za-z\d一二三四五六七八九十]{1,2}单元(?:[A-Za-z]?\d{1,5}(?:室|号房)?)?|\d{3,5}(?:室|号房)?)"
)
"""A building with its unit or room (171栋四单元278, 11幢C单元1016室, 2号楼1203室): an address by itself."""
_TAIL = rf"(?:{_BUILDING}|\d{{1,2}}(?:层|楼)(?:\d{{1,5}}室)?|\d{{1,5}}室)"
_SECTION = r"(?:[东西南北中]段|[一二三四五六七八九十]段)?"
_PLACEHOLDERS = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
MAX_RUN = 30
MAX_ADMIN = 12
_UNIT = r"(?:号楼|号院|号房|单元|栋|幢|座|室|层|楼|号|弄|巷|组|户|期|排|门|区|F)"
_STALL = (
    r"(?<![\d-])[A-Za-z]?\d{1,4}(?:-\d{1,5}-\d{1,5}(?:-\d{1,5})?|-\d{2,5})(?![\d-])(?:室|号)?"
    r"|(?<!\d\s)(?:(?<![A-Za-z\d-])[A-Za-z]?)\d{3,6}(?=[，。；：！？、（）)\]]|[\s,.;:!?(](?![\d\s])|$)"
)
"""A stall, flat or room written as bare numbers: dashed (B6-1074, 125-756, 3-1-1502室), or three
digits or more (after one letter or none) ending the clause (国际商贸城二期14682, 工具市场C997), never
one group of a longer number (6212 2623…, 403,668.21, 12345-2023)."""
_PREMISES_NAME_END = re.compile(
    r"(?:市场|城|中心|大厦|广场|楼|园|苑|区|期|座|栋|幢|村|小区|公寓|家园|[A-Za-z])$"
)
"""How a name ends that a bare stall number may follow (…商贸城二期14682, …中信银行大厦2997)."""
_MODEL_TAIL = re.compile(
    rf"(?:[- ]?(?:\d{{1,5}}|[A-Za-z]{{1,2}}\d{{0,3}}|[一二三四五六七八九十]{{1,3}}){_UNIT}"
    rf"|{_STALL})+",
    re.ASCII,
)
_ROOM_AFTER = re.compile(r"(?<=[座元栋幢楼层])\d{2,5}室?(?!\d)", re.ASCII)
_FINE = re.compile(
    r"(?:街道|镇|乡|村|社区|小区|路|街|大道|巷|弄|胡同|组|屯|苑|园|公寓|大厦|广场|新村|山庄|"
    r"号|号院|号楼|栋|幢|座|单元|室|层|楼)$|\d"
    r"|(?:苑|园|城|村|庄|湾|府|邸|小区|新村|家园|公寓|广场|大厦)[一二三四五六七八九十]{1,3}期$"
)
"""How a place word ends that is finer than a city: a street, a village, a compound, a building, a
number, or a phase of an estate (花果园二期, 松坪村三期)."""
_PREMISES = re.compile(
    r"(?:\d{1,5}|[A-Za-z]{1,2}\d{0,3}|[一二三四五六七八九十]{1,3})(?:号楼|栋|幢|座|单元|层|楼|室|号|区)"
    rf"|{_STALL}|(?<![A-Za-z\d])[A-Za-z]-\d{{2,5}}(?![\d-])",
    re.ASCII,
)
_BARE_HOUSE_NUMBER = re.compile(r"(?<=[路街道巷弄])\d{1,5}(?![\d.%年月日元万])", re.ASCII)
_PUNCTUATION = re.compile(r"[\s,.;:!?()\[\]_，。；：！？、（）]")
_CLAUSE_END = re.compile(r"[\s,.;:!?()\[\]，。；：！？、（）]|$")
_PREMISES_WORDS = frozenset({"ORG", "LOC", "nz", "n", "nw", "vn", "m", "q", "s", "f"})
"""Tags of the words a compound's or building's name is made of (no verbs, particles, pronouns; verbal
nouns are names' words: 综合大楼, 设计中心)."""
_NAMED_PLACE_WORDS = frozenset({"ORG", "LOC", "nz", "nw"})
"""Tags of a building's, market's or shop's name after a house number (门口, 楼下 are not names)."""
MAX_PREMISES_GAP = 24
_COARSE_LEVEL = re.compile(r"(?:区|县|市|旗|州|盟)$")
_FINE_INSIDE = re.compile(r"街道|镇|乡|村|社区|小区|路|街|大道|巷|弄|胡同|工业区|开发区")
_PREMISES_NUMBER = re.compile(
    rf"(?:[A-Za-z]|{_PLOT})\d{{1,5}}(?:号|栋|幢|座|单元|室|区|楼|层)|[A-Za-z]\d{{0,5}}(?:栋|幢|座)|{_STALL}",
    re.ASCII,
)
_DIVISION_LIKE = re.compile(r"[\u4e00-\u9fff]{2,4}?(?:省|市|县|区)")
_SITED_COMPANY = re.compile(
    r"(?:镇|乡|街道|路|街|村|工业区|工业园|开发区).{2,}"
    r"(?:公司|厂|店|市场|中心|商行|门市部|超市|仓库|商城|村委会|居委会|医院|卫生院|学校|中学|小学|酒店|宾馆)$"
)
_ROAD_SPLIT = re.compile(r"路(?=[上口边旁])")
"""A road's 路 the tagger read as the start of 路上, 路口, 路边 or 路旁 (南滨 路上)."""
_ROAD_OR_ZONE_END = re.compile(r"(?:路|街|大道|大街|巷|弄|工业区|开发区|工业园|社区|街道|镇|乡|村)$")
_CONTINUATION = re.compile(
    r"(?:小区|花园|家园|新村|公寓|大厦|广场|山庄|苑|园|庭|府|院|工业区|开发区|工业园|产业园|园区|社区|街道|大道|路|街)$"
)
"""How a word ends that names a compound, an estate or a zone inside a run of places (山口工业区)."""
_GENERIC_PLACES = frozenset({"公路", "道路", "马路", "大街", "大道", "街道", "社区", "园区"})
"""Common nouns a place's name does not run on into (盘山 公路, 泗水县 大街, 虚拟 社区)."""
_GENERIC_ALONE = re.compile(
    r"(?:街道|社区|城区|郊区|市区|开发区|园区|属地|当地|本地|外地|异地|辖区|城中村|小区|村里|镇上)+"
)
"""Words that name no place by themselves (请街道核实, 已转属地街道处理, 住在城中村), though some are the
names of real divisions in the national tables."""


_ROAD_NAME_TAIL = re.compile(r"[东西南北中]?(?:路|街|大道|大街|巷|弄)")
"""How the tagger's address starts when it cut a road's name short (建设 北路, 发展 大道)."""
_BEFORE_PLACES = frozenset({"v", "r", "d", "p", "c", "u", "s", "f", "vd", "ad"})
"""Tags of the words that lead into an address without being part of it (住, 该户, 楼上, 地为)."""


def _only_words_before_places(tags: Tags, start: int, end: int) -> bool:
    """Whether ``[start, end)`` is whole words of the tagger, all of them verbs, pronouns, adverbs,
    prepositions, particles or location words."""
    inside = [w for w in tags if w.start < end and start < w.end]
    return (
        start < end
        and bool(inside)
        and inside[0].start == start
        and inside[-1].end == end
        and all(w.label in _BEFORE_PLACES for w in inside)
    )


def _generic_only(text: str, start: int, end: int) -> bool:
    return _GENERIC_ALONE.fullmatch(text, start, end) is not None


Joined = TypeVar("Joined", tuple[int, int], Hit)
"""An address found: a tagger span or a hit."""
MAX_JOIN_GAP = 8
_SEPARATORS = "-_/ "
"""What people write between the parts of an address (浙江省-金华市-市辖区, 浙江省_台州市, 北京市 朝阳区)."""


def _joined_spans(text: str, tags: Tags, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Addresses the tagger split apart joined again: only name words between (文山路832号浙大西溪北苑).

    Two spans are one address when at most ``MAX_JOIN_GAP`` characters lie between them, all of
    them in name words (no verb, particle or punctuation).
    """
    return _joined(
        spans,
        lambda left, right: right[0] - left[1] <= MAX_JOIN_GAP and _names_only(text, tags, left[1], right[0]),
        lambda left, right: (left[0], right[1]),
    )


def _joined_hits(text: str, tags: Tags, hits: list[Hit]) -> list[Hit]:
    """Addresses found apart that are one: only separators or name words between them, or one or two
    characters before numbered premises.

    (浙江省_台州市_椒江区_海门街道 _ 衙门巷社区_乌衣巷74号; 宁波市江东区 惊驾路972 银城国际5号楼825)
    """

    def joins(left: Hit, right: Hit) -> bool:
        start, end = left.end, right.start
        return end - start <= MAX_JOIN_GAP and (
            _joinable(text, tags, start, end)
            or _bridged(text, start, end, right.end)
            or _bracketed(text, start, end, right.end)
        )

    def merged(left: Hit, right: Hit) -> Hit:
        end = right.end + 1 if _bracketed(text, left.end, right.start, right.end) else right.end
        return (left if left.score >= right.score else right)._replace(start=left.start, end=end)

    return _joined(hits, joins, merged)


def _joined(
    items: list[Joined], joins: Callable[[Joined, Joined], bool], merge: Callable[[Joined, Joined], Joined]
) -> list[Joined]:
    """``items`` (in text order), each one that ``joins`` the one before merged into it."""
    out: list[Joined] = []
    for item in items:
        if out and joins(out[-1], item):
            out[-1] = merge(out[-1], item)
        else:
            out.append(item)
    return out


MAX_BRIDGE = 2
"""The most Chinese characters of any kind an address is joined across to the numbered premises
after it (天童北路和邦大厦C座2430室): the tagger cut a name there, or a slip of typing lies there.
Two places named side by side (顾村和浦东曹路) stay apart."""
_NUMBERED_END = re.compile(r"(?:\d|[号栋幢座室层楼]|单元)$")
_CHINESE = re.compile(f"[{HANZI}]+")


_AT = re.compile(r"(?:地区|一带)?的")
"""What lies between an address and the premises in it (人民路88号的国贸大厦12层, 九堡地区的蓝桥名苑12幢)."""


def _bridged(text: str, start: int, end: int, right_end: int) -> bool:
    """Whether numbered premises with no division of their own follow an address across one or
    two Chinese characters, the address ending open (on a road, a division, a zone), or across 的
    (地区的, 一带的), the premises then lying in it whatever it ends on. Two whole addresses
    (解放路12号和西湖区文三路3号楼) stay apart."""
    if (
        _NUMBERED_END.search(text, end, right_end) is None
        or _begins_with(text, end, division_prefixes())
        or _CHINESE.fullmatch(text, start, end) is None
    ):
        return False
    if _AT.fullmatch(text, start, end) is not None:
        return True
    return end - start <= MAX_BRIDGE and _NUMBERED_END.search(text, 0, start) is None


_NUMBER_UNIT = re.compile(r"(?<=\d)(?:号楼|号|栋|幢|座|室|层|楼|单元)")
_JOINERS = "和与及或、"


def _after_number_before(text: str, start: int, suffix: int) -> int:
    """Where a road's name can begin in a run of Chinese characters starting at ``start``: after the
    unit of a number that ends the address before it (解放路12|号和西湖区文三路), and after a joiner
    too when a division follows it (…12号和|西湖区文三路; 12号|和平路 keeps its 和)."""
    unit = _NUMBER_UNIT.match(text, start)
    if unit is None:
        return start
    begin = unit.end()
    if begin < suffix and text[begin] in _JOINERS and _begins_with(text, begin + 1, division_prefixes()):
        begin += 1
    return begin


ROAD_NAMED_AFTER = re.compile(r"([东西南北中]?(?:大道|大街|路|街))(?=口|附近|一带|沿线|\d)")
"""A road's suffix after a person's name, with a crossing, a place word or a number after it (左权路口,
中山路附近, 杨靖宇路128号): the name is the road's, not a person's. 路上, 路边 and 街边 are no such words:
张伟路上遇到李娜 and 王芳街边摆摊 are persons on the way and by the street."""
CLAN_PLACE_FEATURES = "湾寨坝岩冲坡沟庄屯营堡垭坳塘组院"
"""What follows 家 in a rural place named after a clan (李家湾, 孙家寨, 王家组)."""
_COMMON_JIA = frozenset(
    {"农家", "国家", "全家", "公家", "万家", "商家", "管家", "东家", "皇家", "酒家", "船家", "本家"}
)
"""Words of a surname's character and 家 that name no clan (农家院, 全家)."""
_GOING_TO = "到在住去回赴往至于"
"""What comes before a place someone goes to or lives in (到王家组, 住在李家湾, 来自孙家寨)."""
_NOT_A_UNIT_NAME = "民委里内外口头上下边前后中小级支干部两各每全本该这那"
"""First characters of no named village unit after 村 (村民小组, 村小组, 村里组织, 村支部)."""
_PLACE_FEATURES = "坡寨坝湾冲沟院庄塘田山河井岭坪脚头边屯林桥湖洞岩"
"""The land a village group is named after, before its 组 (大坡组, 田坝组, 河边组)."""
_ROAD_NAME_CHARACTER = f"(?![的了和与及同跟起走到在是去来他她我你们这那个一])[{HANZI}]"
_CROSSED_ROAD_SUFFIX = "(?:大道|大街|路|街|道|巷|胡同)"
"""How a road two roads' crossing is named after ends (天津's 道 too)."""
_CROSSING_WORDS = "交叉口|交口|交汇处|十字路口|丁字路口|路口"
"""What names the place where two roads cross."""
_CROSSED_ROAD = rf"((?:{_ROAD_NAME_CHARACTER}){{1,6}}?{_CROSSED_ROAD_SUFFIX})"
_CROSSING = re.compile(rf"[与和同跟、]{_CROSSED_ROAD}(?={_CROSSING_WORDS}|交界处|口)")
"""A second road after a road where the two cross (鞍山西道与赤峰道交口): part of the address."""
_BARE_CROSSING = re.compile(
    rf"((?:{_ROAD_NAME_CHARACTER}){{1,8}}?{_CROSSED_ROAD_SUFFIX})[与和同跟、]{_CROSSED_ROAD}(?={_CROSSING_WORDS})"
)
"""Two roads named where they cross, with no address before them (鞍山西道与赤峰道交口)."""
_CROSSED_ROAD_END = re.compile(f"{_CROSSED_ROAD_SUFFIX}$")


def _bare_crossings(text: str, tags: Tags) -> list[tuple[int, int]]:
    """Two roads named where they cross (鞍山西道与赤峰道交口), the first one starting where the tagger's
    place word ending on it starts (so 事故发生于 is not taken into it)."""
    found: list[tuple[int, int]] = []
    if "口" not in text and "交汇处" not in text:  # no crossing named: the pattern need not run
        return found
    for match in _BARE_CROSSING.finditer(text):
        first_end = match.end(1)
        word = next((w for w in tags if w.end == first_end and w.label == "LOC"), None)
        if word is not None and word.start >= match.start(1):
            found.append((word.start, match.end(2)))
    return found


def _crossing_end(text: str, end: int) -> int:
    """The end of a second road that crosses the road an address ends on, or ``end``."""
    if _CROSSED_ROAD_END.search(text, 0, end) is None:
        return end
    crossing = _CROSSING.match(text, end)
    return end if crossing is None else crossing.end(1)


_COURT = "(?:最高法|[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼黔滇])"
_CASE_NUMBER = re.compile(
    rf"[(（]\d{{4}}[)）]{_COURT}\d{{0,4}}[\u4e00-\u9fff]{{1,4}}\d{{1,6}}号"
    rf"|{_COURT}\d{{2,4}}[\u4e00-\u9fff]{{1,4}}\d{{1,6}}号"
)
"""A court case number, （2024）黔0102民初1234号, （2022）黔民申789号: the year, the court's province and
code, the kind of case, its number; no address, though it ends in 号 (nor is what follows it, 民事调解书)."""


@lru_cache(maxsize=1)
def _clan() -> str:
    """A surname, from the person recognizer's registry entry: a village group named after a clan
    (王家组, 欧阳家组) is one, an expert group (专家组) is not."""
    spec = builtin_spec("person")
    assert isinstance(spec, PersonSpec)
    surnames = spec.surname_characters
    compounds = "|".join(re.escape(c) for c in spec.compound_surnames)
    return f"(?:{compounds}|[{re.escape(surnames)}])" if compounds else f"[{re.escape(surnames)}]"


@lru_cache(maxsize=1)
def _plate_with_hao() -> re.Pattern[str]:
    """The vehicle-plate recognizer's own patterns, with 号 allowed after them: a plate written with
    号 (苏E12345号小型轿车) is no address."""
    spec = builtin_spec("cn_vehicle_plate")
    assert isinstance(spec, PatternRecognizerSpec)
    return re.compile("(?:" + "|".join(p.expression for p in spec.patterns) + ")号?", re.ASCII)


def _edges_trimmed(text: str, hit: Hit) -> Hit:
    """An address without the spaces, tabs, emoji or symbols at its edges (a closing bracket of an
    address written in brackets stays)."""
    start, end = hit.start, hit.end
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] in "）)"):
        end -= 1
    return hit if (start, end) == (hit.start, hit.end) else hit._replace(start=start, end=end)


_AFTER_CUE = "是为：: "
"""What may stand between a cue word and the address it announces (住址是, 地址为)."""
_BRACKETS = {"（": "）", "(": ")"}


def _bracketed(text: str, start: int, end: int, right_end: int) -> bool:
    """Whether an address is followed by another in brackets, and nothing else in them: where it
    lies, written after it (九号花园（建设六马路）, 中国馆1号门(上南路近国展路))."""
    return (
        end - start == 1
        and text[start:right_end].startswith(tuple(_BRACKETS))
        and (text[right_end : right_end + 1] == _BRACKETS[text[start]])
    )


def _joinable(text: str, tags: Tags, start: int, end: int) -> bool:
    """Whether what lies between two addresses is only separators and name words."""
    for word in tags:
        if word.start < end and start < word.end:
            piece = text[max(start, word.start) : min(end, word.end)]
            if word.label not in _PREMISES_WORDS and piece.strip(_SEPARATORS):
                return False
            if _PUNCTUATION.search(piece.strip(_SEPARATORS)) is not None:
                return False
    return True


def _names_only(text: str, tags: Tags, start: int, end: int) -> bool:
    if start == end:
        return True
    if _PUNCTUATION.search(text, start, end) is not None:
        return False
    return all(w.label in _PREMISES_WORDS for w in tags if w.start < end and start < w.end)


def _overlaps(hit: Hit, others: list[Hit]) -> bool:
    for other in others:  # noqa: SIM110 (a plain loop beats any() on a generator in this hot path)
        if other.start < hit.end and hit.start < other.end:
            return True
    return False


def _premises_number_at(text: str, position: int) -> bool:
    """Whether a number of premises starts at ``position``: with its unit (2833号, 4幢), dashed, or
    bare after a premises' name (…大厦2997; not 借记卡6216, 人民币403)."""
    found = _PREMISES_NUMBER.match(text, position)
    return found is not None and _named_if_bare(text, found.group(), position)


_BARE = re.compile(r"[A-Za-z]?\d+", re.ASCII)
"""A number with no unit, perhaps after one letter (2997, C997): premises only after a premises' name."""


def _named_if_bare(text: str, number: str, position: int) -> bool:
    """Whether a number of premises at ``position`` has its unit, or follows a premises' name (…大厦2997,
    …市场C997; not 借记卡6216, 型号A1000, 订单号98765)."""
    return (
        _BARE.fullmatch(number) is None
        or _PREMISES_NAME_END.search(text, max(0, position - 2), position) is not None
    )


def _inside(position: int, hits: list[Hit]) -> bool:
    for hit in hits:  # noqa: SIM110 (a plain loop beats any() on a generator in this hot path)
        if hit.start <= position < hit.end:
            return True
    return False


_LEVEL_SUFFIX = re.compile(r"(?:壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市|县|区)$")


@lru_cache(maxsize=1)
def division_prefixes() -> frozenset[str]:
    """Division names an address may start with: every province, city and district, in full and short,
    and every street and town in full.

    The short form drops the level (浙江省 → 浙江, 温州市 → 温州, 乐清市 → 乐清) when two characters
    or more remain; 市辖区, the tables' placeholder for a city's districts, is kept, since addresses
    copied from forms hold it (浙江省-金华市-市辖区吴宁路117号).
    """
    names = set(reference.provinces().values())
    names.update(name for name, _ in reference.cities().values())
    names.update(name for name, _ in reference.districts().values())
    short = {_LEVEL_SUFFIX.sub("", n) for n in names}
    names.update(name for name, _ in reference.streets().values())
    return frozenset(n for n in names | short if len(n) >= 2 and n not in ("县", "省直辖县级行政区划"))


def start_with_divisions(text: str, start: int, names: frozenset[str]) -> int:
    """Where an address starting at ``start`` starts once the division names written before it are taken.

    Names (of at most ``MAX_ADMIN`` characters) are taken backwards while they touch the address,
    or are separated from it by one separator (``-``, ``_``, ``/``, a space) with a division name
    on both sides.
    """
    while start > 0:
        gap = 1 if text[start - 1] in _SEPARATORS else 0
        if gap and not _begins_with(text, start, names):
            return start
        before = start - gap
        for length in range(min(MAX_ADMIN, before), 1, -1):
            if text[before - length : before] in names:
                start = before - length
                break
        else:
            return _cut_after_division(text, start, names)
    return start


_NOT_IN_NAMES = frozenset("的在了是和与及或从到向往对把被给也都就说")


def _cut_after_division(text: str, start: int, names: frozenset[str]) -> int:
    """The start of a division the tagger cut one character short of the address (太原市长 风东街:
    市长, a mayor, took the street's first character), else ``start``."""
    if start < 3 or _CHINESE.fullmatch(text, start - 1, start) is None or text[start - 1] in _NOT_IN_NAMES:
        return start
    before = start - 1
    for length in range(min(MAX_ADMIN, before), 1, -1):
        name = text[before - length : before]
        if name in names and _LEVEL_SUFFIX.search(name) is not None:
            return start_with_divisions(text, before - length, names)
    return start


def _begins_with(text: str, start: int, names: frozenset[str]) -> bool:
    """Whether a division name starts at ``start``."""
    return any(text[start : start + n] in names for n in range(2, MAX_ADMIN + 1))


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


# Presidio's EntityRecognizer assigns `name` without declaring its type: mypy cannot compare it with ours
class CnAddressRecognizer(ChineseRecognizer, EntityRecognizer):  # type: ignore[misc]
    """Chinese addresses down to the room."""

    KIND: ClassVar[str] = "cn_address"
    CONTEXT = builtin_context("address")
    GATE: ClassVar[str | None] = rf"\d(?:号|栋|幢|座)|组|家[{CLAN_PLACE_FEATURES}]|村.{{1,3}}[寨屯]"
    USES_MODEL: ClassVar[bool] = True

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
        self._compound_first = re.compile(f"(?:{compound})(?={_BUILDING}|{_STALL})", re.ASCII)
        self._chain = re.compile(_BUILDING_CHAIN, re.ASCII)
        self._stall = re.compile(_STALL, re.ASCII)
        self._compound_after = re.compile(f"[{HANZI}]{{1,8}}?(?:{compound})(?=\\d|[^{HANZI}]|$)", re.ASCII)
        numbered = "(?:\\d{1,2}|[一二三四五六七八九十]{1,3})(?:组|社|队)"  # 3组, 三组, 7社, 一队
        clan = f"{_clan()}家[{HANZI}]?组"  # 王家组, 李家湾组
        first = f"(?![{_NOT_A_UNIT_NAME}村寨屯组])[{HANZI}]"  # a name's first character
        settlement = f"{first}[{HANZI}]{{1,2}}?[寨屯]"  # 高定寨, 杨家寨 (村村寨寨 is none)
        group = f"{first}[{HANZI}]?[{_PLACE_FEATURES}]组"  # 大坡组, 田坝组 (专家组 is none)
        named = f"(?:{settlement}|{group})(?![长织成员会])"
        self._village = re.compile(f"村(?:{numbered}|{clan}|{named})(?:\\d{{1,4}}号)?", re.ASCII)
        self._clan_place = re.compile(
            f"(?<=[{_GOING_TO}])(?:{_clan()})家[{CLAN_PLACE_FEATURES}](?![长织成员会队团建])(?:\\d{{1,4}}号)?",
            re.ASCII,
        )
        self._tail = re.compile(_TAIL, re.ASCII)
        self._building = re.compile(_BUILDING, re.ASCII)
        self._run = re.compile(f"[{HANZI}]{{1,{MAX_RUN}}}$", re.ASCII)
        self._cues = re.compile(alternation(spec.cues)) if spec.cues else None
        self._cue_prefix = re.compile(f"(?:{alternation(spec.cues)})+") if spec.cues else None
        self._cue_before = re.compile(f"(?:{alternation(spec.cues)})[:]?$") if spec.cues else None
        self._dashed = re.compile(r"(?<![\d-])\d{1,3}-\d{1,3}-\d{2,5}(?:室|号)?(?![\d-])", re.ASCII)

    @property
    def gate(self) -> str | None:
        """Rules: a house or building number, or a village group; with the tagger: any Chinese text."""
        return r"[\x{3400}-\x{9fff}]{2}" if self.listens_to_model else self.GATE

    def find(self, text: str, tags: Tags | None = None) -> list[Hit]:
        rules = self.rule_hits(text)
        tags = self.model_tags(text, tags)
        if tags is None:
            return rules
        spans = self.model_spans(text, tags)
        for start, end in _bare_crossings(text, tags):
            crossing = self._hit(text, start, end, self.spec.scores.road, False, "crossing")
            if not _overlaps(crossing, rules):
                rules = sorted([*rules, crossing])
        hits = vote(rules, spans, self.spec.scores.model, "model_start", self._start_holds(text, tags))
        stops, premises = self.spec.tail_stop_words, tuple(self.spec.premises_words)
        prefixes = division_prefixes()
        extended = merged_overlaps(
            [
                h._replace(
                    start=start_with_divisions(text, h.start, prefixes),
                    end=extended_end(text, tags, _crossing_end(text, h.end), stops, premises),
                )
                for h in hits
            ]
        )
        found = [_edges_trimmed(text, h) for h in _joined_hits(text, tags, extended)]
        plate = _plate_with_hao()
        cases = [m.span() for m in _CASE_NUMBER.finditer(text)] if "号" in text else []
        return [
            h
            for h in found
            if h.start < h.end
            and plate.fullmatch(text, h.start, h.end) is None
            and not any(start <= h.start < end for start, end in cases)
        ]

    def _start_holds(self, text: str, tags: Tags) -> RuleHolds:
        """Whether a rule address starting before the tagger's has evidence: a number, a cue,
        punctuation; never when only a verb, pronoun, adverb, particle or a location word lies
        before the tagger's start (，住云岩区…, 经查，该户南明区…, 楼上南明区…)."""

        def holds(rule: Hit, model: tuple[int, int]) -> bool:
            rule_start, model_start = rule.start, model[0]
            if any(c.isdigit() for c in text[rule_start:model_start]):
                return True
            if _ROAD_NAME_TAIL.match(text, model_start) is not None:
                return True  # the tagger read a road's name short (建设 北路153号)
            if _only_words_before_places(tags, rule_start, model_start):
                return False
            if rule_start > 0 and not text[rule_start - 1].isalnum():
                return True
            return self._cue_before is not None and self._cue_before.search(text, 0, rule_start) is not None

        return holds

    def model_spans(self, text: str, tags: Tags) -> list[tuple[int, int]]:
        """Addresses from the tagger: runs of adjacent place words with the numbers after them."""
        spans = []
        index = 0
        while index < len(tags):
            word = tags[index]
            if not (
                self._is_place(text, word)
                or self._numbered_premises(text, tags, index)
                or self._sited_company(text, word)
                or (word.label == "PER" and ROAD_NAMED_AFTER.match(text, word.end) is not None)
            ):
                index += 1
                continue
            if self._sited_company(text, tags[index]):  # 富阳市高桥镇高尔夫路巨润混泥土有限公司
                spans.append((tags[index].start, tags[index].end))
                index += 1
                continue
            road = ROAD_NAMED_AFTER.match(text, word.end) if word.label == "PER" else None
            if road is not None:  # 左权路口, 杨靖宇路128号: a road named after a person
                spans.append((word.start, road.end(1)))
                index += 1
                continue
            start, end, index, places = self._place_run(text, tags, index)
            if self._below_city(text, places, end) and not _generic_only(text, start, end):
                cue = self._cue_prefix.match(text, start, end) if self._cue_prefix else None
                spans.append((cue.end() if cue else start, end))
        return _joined_spans(text, tags, spans)

    def _place_run(self, text: str, tags: Tags, index: int) -> tuple[int, int, int, list[Word]]:
        """The run of place words starting at ``tags[index]``: start, end, next word index, places."""
        places = [tags[index]]
        start, end = tags[index].start, tags[index].end
        index += 1
        while True:
            tail = _MODEL_TAIL.match(text, end) or _BARE_HOUSE_NUMBER.match(text, end)
            if tail is not None:
                end = tail.end()
            room = _ROOM_AFTER.match(text, end)
            if room is not None:
                end = room.end()
            while index < len(tags) and tags[index].end <= end:
                index += 1
            if index < len(tags) and tags[index].start == end and self._continues(text, tags[index]):
                places.append(tags[index])
                end = tags[index].end
                index += 1
                continue
            if self._crossing_ahead(text, tags, index, places[-1], end):  # 蜀山路与亚太路(交汇处)
                places.append(tags[index + 1])
                end = tags[index + 1].end
                index += 2
                continue
            premises = self._premises_ahead(text, tags, index, end)
            if premises is not None:
                index, end = premises
                continue
            if end > places[-1].end or _ROAD_END.search(text, places[-1].start, places[-1].end):
                # numbered, or ending on a road: a named place right after it belongs to the address
                named = self._named_place_after(text, tags, index, end)
                if named is not None:
                    index, end = named
            elif _ROAD_SPLIT.match(text, end) is not None:  # 福州五一 路上: the tagger split 路 off
                end += 1
            return start, end, index, places

    @staticmethod
    def _named_place_after(text: str, tags: Tags, index: int, end: int) -> tuple[int, int] | None:
        """The name of a building, market or shop right after a house number, up to the clause end.

        Only name words (no verbs, particles or pronouns), at most ``MAX_PREMISES_GAP`` characters,
        and only when the clause ends right after them (解放路542号解百新世纪商厦。).
        """
        first = index
        while index < len(tags) and tags[index].label in _NAMED_PLACE_WORDS:
            if tags[index].end - end > MAX_PREMISES_GAP:
                return None
            index += 1
        if index == first or _CLAUSE_END.match(text, tags[index - 1].end) is None:
            return None
        return index, tags[index - 1].end

    @staticmethod
    def _premises_ahead(text: str, tags: Tags, index: int, end: int) -> tuple[int, int] | None:
        """A building, unit, floor or room number a few name words after ``end`` (大时代B栋2034).

        Returns the index of the word where the number starts and its end, or None when a verb,
        particle or punctuation comes first, or the words run longer than ``MAX_PREMISES_GAP``.
        """
        while index < len(tags) and tags[index].start - end <= MAX_PREMISES_GAP:
            word = tags[index]
            found = _PREMISES.match(text, word.start)
            if found is not None and word.start > end and _named_if_bare(text, found.group(), word.start):
                return index, found.end()
            if word.label not in _PREMISES_WORDS:
                return None
            index += 1
        return None

    @staticmethod
    def _numbered_premises(text: str, tags: Tags, index: int) -> bool:
        """A market's, building's or company's name followed, after a few name words, by its number.

        (小商品市场2833号, 海宁皮革城辅料市场4幢, 世贸中心a11-1580)
        """
        if tags[index].label not in ("ORG", "nz"):
            return False
        position = tags[index].end
        for word in tags[index + 1 :]:
            if _premises_number_at(text, position):
                return True
            if word.label not in _PREMISES_WORDS or word.end - tags[index].end > MAX_JOIN_GAP:
                return False
            position = word.end
        return _premises_number_at(text, position)

    def _sited_company(self, text: str, word: Word) -> bool:
        """An organisation named with its whole address: divisions first, a town or road, then a company."""
        if word.label != "ORG" or word.end - word.start < 8:
            return False
        _, named = self._skip_divisions(text, word.start, word.end)
        named = named or _DIVISION_LIKE.match(text, word.start, word.end) is not None  # 富阳市 (now 富阳区)
        return named and _SITED_COMPANY.search(text, word.start, word.end) is not None

    def _is_place(self, text: str, word: Word) -> bool:
        """A place word: tagged ``LOC``, a division's name the tagger called something else (台州市), or
        an organisation named as divisions and a road or zone (浙江省杭州市西湖区学院路)."""
        if word.label == "LOC" or text[word.start : word.end] in self._admin:
            return True
        return (
            word.label == "ORG"
            and _ROAD_OR_ZONE_END.search(text, word.start, word.end) is not None
            and self._skip_divisions(text, word.start, word.end)[1]
        )

    def _continues(self, text: str, word: Word) -> bool:
        """A place word, a compound's name (…小区, …花园) the tagger did not call a place, or a
        village's, town's, road's or zone's name whatever the tagger called it."""
        if self._is_place(text, word):
            return True
        piece = text[word.start : word.end]
        if piece in _GENERIC_PLACES:
            return False
        if word.label in ("ORG", "n", "nz") and _CONTINUATION.search(piece) is not None:
            return True
        # a village, town or road the tagger read as a verb or an adjective (佛堂镇 起鸣村, 文晖街道 建国北路)
        return len(piece) >= 3 and _ROAD_OR_ZONE_END.search(piece) is not None

    def _crossing_ahead(self, text: str, tags: Tags, index: int, last: Word, end: int) -> bool:
        """Whether a road ends the run and 与/和 another road follows: one crossing, one address."""
        if index + 1 >= len(tags) or last.end != end or not _ROAD_END.search(text, last.start, last.end):
            return False
        joiner, road = tags[index], tags[index + 1]
        return (
            joiner.start == end
            and text[joiner.start : joiner.end] in ("与", "和")
            and self._is_place(text, road)
            and _ROAD_END.search(text, road.start, road.end) is not None
        )

    @staticmethod
    def _below_city(text: str, places: list[Word], end: int) -> bool:
        """Whether a run of places is an address, not a city or country named alone."""
        if end > places[-1].end or any(_FINE.search(text, w.start, w.end) for w in places):
            return True
        if any(_FINE_INSIDE.search(text, w.start + 1, w.end) for w in places if w.end - w.start > 6):
            return True  # a long place word holding a street, town or road: 温州市苍南县灵溪镇建兴东路…
        return len(places) > 1 and any(_COARSE_LEVEL.search(text, w.start, w.end) for w in places)

    def rule_hits(self, text: str) -> list[Hit]:
        """The addresses the rules find: road and number, compound and building, village and group."""
        hits = self._roads(text)
        for finder in (self._compounds, self._villages, self._buildings, self._numbered):
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
            building = self._building.match(text, match.end()) or self._stall.match(text, match.end())
            if start is not None and building is not None and start < match.start():
                hits.append(
                    self._hit(text, start, building.end(), self.spec.scores.compound, admin, "compound")
                )
        return hits

    def _buildings(self, text: str, found: list[Hit]) -> list[Hit]:
        """Addresses anchored on a building with its unit or room, named by what is before it."""
        hits = []
        for match in self._chain.finditer(text):
            if _inside(match.start(), found):
                continue
            start, admin = self._start(text, match.start(), allow_empty=True)
            start = match.start() if start is None else start
            hits.append(self._hit(text, start, match.end(), self.spec.scores.compound, admin, "building"))
        return hits

    def _villages(self, text: str, found: list[Hit]) -> list[Hit]:
        """Addresses anchored on a village and its group (outside addresses ``found``), and a place
        named after a clan where someone goes or lives (到王家组走访, 住在李家湾)."""
        hits = []
        for match in self._village.finditer(text):
            if _inside(match.start(), found):
                continue
            start, admin = self._start(text, match.start())
            if start is not None:
                hits.append(self._hit(text, start, match.end(), self.spec.scores.village, admin, "village"))
        for match in self._clan_place.finditer(text):
            if (
                _begins_with(text, match.start(), division_prefixes())
                or text[match.start() : match.start() + 2] in _COMMON_JIA
            ):
                continue  # a division named so (石家庄) or a common noun (农家院) is no clan's place
            if not _inside(match.start(), found) and not _inside(match.start(), hits):
                hits.append(self._hit(text, *match.span(), self.spec.scores.village, False, "clan_place"))
        return sorted(hits)

    def _numbered(self, text: str, found: list[Hit]) -> list[Hit]:
        """Building-unit-room numbers written with dashes (7-6-1046) right after a cue word (住在, 地址)."""
        if self._cue_before is None:  # no cue words configured
            return []
        hits = []
        for match in self._dashed.finditer(text):
            cue = self._cue_before.search(text, max(0, match.start() - 6), match.start())
            if cue is not None and not _inside(match.start(), found):
                hits.append(
                    self._hit(text, match.start(), match.end(), self.spec.scores.numbered, False, "dashed")
                )
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
        begin = self._after_cue(text, _after_number_before(text, run.start(), suffix), suffix)
        position, admin = self._skip_divisions(text, begin, suffix)
        if position >= suffix:  # the whole run is division names: the suffix has no name of its own
            return None, False
        if position == begin == run.start() and suffix - begin > 8:
            begin = suffix - 5  # a long run with no cue: keep a plausible road name only
        return begin, admin

    def _after_cue(self, text: str, begin: int, suffix: int) -> int:
        """The position right after the last cue word inside ``text[begin:suffix]`` and the copula
        or colon after it (住址是, 地址为, 地址：), else ``begin``."""
        best = begin
        if self._cues is not None:
            for match in self._cues.finditer(text, begin, suffix - 1):
                best = match.end()
        while best > begin and best < suffix - 1 and text[best] in _AFTER_CUE:
            best += 1
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
