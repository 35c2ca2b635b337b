"""How far an address found by the rules or the tagger runs on: the premises people write after it.

Real addresses go on after the road, number or compound the grammar recognises: a market or a
building and its floor (…联合市场C区2楼867号), a company (…同裕路559号新景和纺织科技有限公司),
a flat written as numbers (…新田园4组团7-2349). :func:`extended_end` carries an address's end
forward, never past the clause (punctuation or a space ends it):

* to the clause's end when all the rest of it names premises at an address that ends open (on a
  division, road, zone, compound or house number): nouns, verbal nouns, names, numbers and
  directions only (a "time" of the tagger's that names estates, 现代商城 or 中沙时代, is a name; a
  block it read as a verb, 西楼, is premises), no particle, role or where-at word, and ending on a name,
  premises or a number (…萧山区 建设四路新华缘, …大联镇 邮局旁沙发垫厂, …99号 现代商城设计大楼7楼;
  not …解放路12号 发生火灾); otherwise
* to the end of house, building, floor or room numbers ahead (104号, 三楼, 12幢7单元, 7-2349) when
  what lies between is short and holds no particle, preposition, pronoun, adverb or time
  (…庆春银泰负三楼, …A29-2980; not …金陵小区的陈大爷在…2号);
* then through at most two more of the tagger's proper nouns, places and organisations, and
  common nouns that name premises (…七彩商都网吧, …2号教学楼; not …123号 路灯, …V座 电梯故障),
  sixteen characters at most, not after a room (…1104室 楼顶) and
  not into a word holding a person's role or title (…后沙峪镇 副镇长, …小区 住户王某) or where
  at the address something is (…7栋2单元 门口, …蜀山路与亚太路 交汇处, …企业文化园 对面), which is
  not the address.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from huiliu.pii.tagger import Tags

CLAUSE_END = re.compile(r"[\s,.;:!?()\[\]{}<>\"'，。；：！？、（）【】《》“”]|$")
PREMISES = re.compile(
    r"(?:\d{1,5}(?:-\d{1,5}){0,3}|[A-Za-z]{1,2}\d{0,4}|[一二三四五六七八九十]{1,3})"
    r"(?:号楼|号院|号房|栋|幢|座|单元|层|楼|室|号|弄|巷|组)"
    r"|[A-Za-z]?\d{1,5}[A-Za-z]?(?:-{1,2}[A-Za-z]?\d{1,5}[A-Za-z]?){1,3}"
    r"|[A-Za-z]-\d{1,5}",
    re.ASCII,
)
PREMISES_REACH = 20
"""Characters ahead searched for numbers of the premises."""
GAP = 8
"""The most characters between an address and the numbers ahead that belong to it."""
NOUNS_REACH = 16
"""The most characters of nouns taken after the address and its numbers."""
NOUNS_TAKEN = 2
CONTINUING = frozenset({"n", "nz", "nw", "nt", "ns", "ORG", "LOC", "s", "x", "xc"})
"""Tagger labels of words an address runs on through: nouns, proper nouns, places, organisations."""
BREAKING = frozenset({"p", "u", "c", "r", "d", "TIME"})
"""Tagger labels no address runs across to its numbers: prepositions, particles, conjunctions,
pronouns, adverbs, times (the tagger's persons are not among them: inside an address it reads
estate names as persons, 庆春银泰负三楼)."""
REST_REACH = 24
"""The longest rest of a clause taken whole after an address (…西湖区之浦路恒大水晶广场办公室)."""
REST_WORDS = CONTINUING | {"m", "q", "f"}
"""Tagger labels of the words such a rest is made of: nouns, names, numbers, measures, directions."""
_PARTICLES = frozenset("的在了是和与及或从到向往对把被给")
_NAMED_TIMES = frozenset({"现代", "近代", "古代", "当代", "时代", "世纪", "新世纪"})
"""Words the tagger reads as times that name buildings and estates (现代商城, 中沙时代, 世纪花园)."""
_PREMISES_VERB = re.compile(r"[东西南北中前后][楼座栋幢]")
"""A block the tagger read as a verb (西楼); verbs ending in premises (开店, 上楼, 建厂) are not premises."""
_OPEN_END = re.compile(
    r"(?:省|市|区|县|旗|镇|乡|街道|村|社区|路|街|大道|巷|弄|工业区|开发区|园区|号|小区|花园|家园|新村|苑|广场|大厦)$"
)
"""How an address ends that the rest of its clause may go on from: a division, road, zone or house number."""
ROAD_END = re.compile(r"(?:路|街|大道|大街|巷|弄)$")
"""How a road's name ends."""
_NAMED = frozenset({"ORG", "LOC", "nz", "nw", "nt", "ns"})
_NUMBERED = re.compile(r"[A-Za-z]?\d{1,6}[A-Za-z]?$", re.ASCII)
_ROOMS = frozenset("室户")


def extended_end(
    text: str, tags: Tags, end: int, stop_words: Collection[str] = (), premises_words: tuple[str, ...] = ()
) -> int:
    """Where an address ending at ``end`` really ends (``end`` or later, within its clause).

    Args:
        text: the (normalised) text.
        tags: the tagger's words of it.
        end: where the address found ends.
        stop_words: no word holding one of these is taken (roles, titles, 门口).
        premises_words: a common noun is taken only when it ends with one of these (公司, 市场,
            大楼); proper nouns, places and organisations are taken as they are.
    """
    clause = CLAUSE_END.search(text, end)
    limit = clause.start() if clause else len(text)
    if _rest_is_premises(text, tags, end, limit, stop_words, premises_words):
        return limit
    for match in PREMISES.finditer(text, end, min(limit, end + PREMISES_REACH)):
        gap = text[end : match.start()]
        if len(gap) > GAP or any(c in _PARTICLES for c in gap) or _breaks(text, tags, end, match.start()):
            break
        end = match.end()
    if text[end - 1 : end] in _ROOMS:
        return end  # a room is the finest premises: what follows is where in it (…1104室楼顶)
    taken, reach = 0, min(limit, end + NOUNS_REACH)
    for word in tags:
        if word.end <= end:
            continue
        if word.start != end or taken == NOUNS_TAKEN or word.end > reach or word.label not in CONTINUING:
            break
        piece = text[word.start : word.end]
        if any(stop in piece for stop in stop_words):
            break
        if word.label == "n" and not (len(piece) >= 2 and piece.endswith(premises_words)):
            break  # a common noun that names no premises: 路灯, 电梯
        end, taken = word.end, taken + 1
    return end


def _rest_is_premises(
    text: str, tags: Tags, end: int, limit: int, stop_words: Collection[str], premises_words: tuple[str, ...]
) -> bool:
    """Whether the whole rest of the clause names the premises at an address that ends open.

    The address ends on a division, a road, a zone, a compound or a house number, and the rest
    (at most ``REST_REACH`` characters) is nouns, names, numbers and directions only (a verb only
    where it begins a road's name: 建设四路), holds no particle, role or where-at word, and ends
    on a name, premises or a number (…萧山区建设四路新华缘, …大联镇邮局旁沙发垫厂).
    """
    rest = text[end:limit]
    if not 0 < len(rest) <= REST_REACH or _OPEN_END.search(text, max(0, end - 3), end) is None:
        return False
    if any(c in _PARTICLES for c in rest) or any(stop in rest for stop in stop_words):
        return False
    words = [w for w in tags if w.end > end and w.start < limit]
    for index, word in enumerate(words):
        piece = text[word.start : word.end]
        if word.label in REST_WORDS or (word.label == "TIME" and (piece.isdigit() or piece in _NAMED_TIMES)):
            continue
        # a verbal noun in a premises' name (设计大楼), or a block the tagger read as a verb (西楼)
        if word.label == "vn" or (word.label == "v" and _PREMISES_VERB.fullmatch(piece) is not None):
            continue
        following = words[index + 1] if index + 1 < len(words) else None
        if word.label == "v" and following and ROAD_END.search(text, following.start, following.end):
            continue
        return False
    if not words:
        return False
    return (
        words[-1].label in _NAMED
        or (len(rest) >= 2 and rest.endswith(premises_words))
        or ROAD_END.search(rest) is not None
        or _NUMBERED.search(rest) is not None
    )


def _breaks(text: str, tags: Tags, start: int, end: int) -> bool:
    """Whether a word the tagger read between ``start`` and ``end`` is one no address runs across
    (an estate word it read as a time is a name: 现代商城)."""
    return any(
        w.label in BREAKING and not (w.label == "TIME" and text[w.start : w.end] in _NAMED_TIMES)
        for w in tags
        if w.start < end and start < w.end
    )
