"""Lines of a GBK file written in another encoding (UTF-8, Big5, Latin-1), found before they land.

UTF-8, Big5 and Latin-1 bytes often decode as GBK too, into garbled text (mojibake): 张三 in UTF-8
reads as 寮犱笁, 陳大文 in Big5 as 朝ゅ..., Müller in Latin-1 as M黮ler. Such a line is told from
genuine Chinese text by what it decodes to. Genuine text is almost all GB2312 hanzi and punctuation.
A UTF-8 line with rarer characters read as GBK is valid UTF-8 that reads as common Chinese; Big5
text read as GBK is full of rare hanzi, kana, box drawing and user-defined (private) characters,
and is far likelier read as Big5; a Latin-1 letter followed by an ASCII letter reads as one rare
hanzi inside a Latin word. A rare hanzi alone (堃, 喆, 䶮 in a name) is never enough to refuse a line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from huiliu.errors import FileRejectedError, RejectKind

_GB2312_COMMON_LEADS = (*range(0xA1, 0xA4), *range(0xB0, 0xF8))  # punctuation, full-width, hanzi
_DOUBLE_BYTE_TRAILS = (*range(0x40, 0x7F), *range(0x80, 0xFF))
_LATIN1_LEADS = (frozenset(range(0xC0, 0x100)) - {0xD7, 0xF7}) | {0x8A, 0x8C, 0x8E, 0x9A, 0x9C, 0x9E, 0x9F}
_IMPLAUSIBLE = 6  # kana, Cyrillic, box drawing, user-defined characters: not in Chinese names or addresses
_BIG5_MARGIN, _BIG5_CLEAR_MARGIN = 5, 8
FOREIGN_ENCODINGS = {
    "UTF-8": ("UTF-8", "UTF-8"),
    "Big5": ("Big5 (traditional Chinese)", "Big5（繁体中文）"),
    "Latin-1": ("Latin-1 (Western European letters such as ü or é)", "Latin-1（西欧字母，如 ü、é）"),
}
"""The encodings a line of a GBK file can be found to be in: (English, Chinese) descriptions."""


def _decoded(leads: Iterable[int], trails: Iterable[int], codec: str) -> dict[str, bytes]:
    """Every character that a double-byte code lead+trail decodes to, with its code."""
    found: dict[str, bytes] = {}
    for lead in leads:
        for trail in trails:
            code = bytes((lead, trail))
            try:
                found[code.decode(codec)] = code
            except UnicodeDecodeError:
                continue
    return found


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Where to look: a character outside ASCII and GB2312's hanzi and punctuation, alone and next
    to an ASCII letter (where a Latin-1 letter may hide)."""
    common = _decoded(_GB2312_COMMON_LEADS, range(0xA1, 0xFF), "gb2312")
    uncommon = "[^\x00-\x7f" + "".join(map(re.escape, common)) + "]"
    return re.compile(uncommon), re.compile(f"(?<=[A-Za-z]){uncommon}|{uncommon}(?=[A-Za-z])")


def _gbk_cost(lead: int, trail: int) -> int:
    """How unlikely a double-byte GBK character is in genuine Chinese text (1 common .. 6 implausible)."""
    if trail >= 0xA1:
        if 0xB0 <= lead <= 0xD7 or 0xA1 <= lead <= 0xA3:  # level 1 hanzi, punctuation, full-width
            return 1
        if 0xD8 <= lead <= 0xF7 or lead == 0xA8:  # level 2 hanzi, pinyin letters
            return 2
        return 3 if lead == 0xA6 else _IMPLAUSIBLE  # Greek; kana, Cyrillic, box drawing, user-defined
    if 0xA1 <= lead <= 0xA7:  # user-defined area
        return _IMPLAUSIBLE
    return 2 if lead in {0xA8, 0xA9} else 3  # GBK symbols (〇, –); hanzi outside GB2312


def _big5_cost(lead: int, trail: int) -> int:
    """The same for Big5: 1 for its symbols and level 1 hanzi, 2 for level 2, 6 for the rest."""
    code = lead << 8 | trail
    if 0xA140 <= code <= 0xA3BF or 0xA440 <= code <= 0xC67E:
        return 1
    return 2 if 0xC940 <= code <= 0xF9D5 else _IMPLAUSIBLE


@cache
def _cost_tables() -> tuple[dict[int, str | None], dict[int, str | None]]:
    """``str.translate`` tables mapping a character to its cost (a control character), ASCII to nothing."""
    tables: list[dict[int, str | None]] = []
    for codec, cost in (("gb18030", _gbk_cost), ("cp950", _big5_cost)):
        table: dict[int, str | None] = dict.fromkeys(range(128))
        for char, code in _decoded(range(0x81, 0xFF), _DOUBLE_BYTE_TRAILS, codec).items():
            table[ord(char)] = chr(cost(*code))
        tables.append(table)
    return tables[0], tables[1]


def _cost(costs: str) -> int:
    """The total of a translated line; characters without a cost (GB18030 four-byte ones) cost 3."""
    counted = {value: costs.count(chr(value)) for value in (1, 2, 3, _IMPLAUSIBLE)}
    return sum(value * count for value, count in counted.items()) + 3 * (len(costs) - sum(counted.values()))


def _utf8_line(line: str) -> bool:
    """Whether a line decoded as GBK is UTF-8 text: valid UTF-8 that reads as common Chinese."""
    try:
        text = line.encode("gb18030").decode("utf-8")
    except UnicodeDecodeError:
        return False
    return sum(not char.isascii() for char in text) >= 2 and _patterns()[0].search(text) is None


def _big5_line(line: str) -> bool:
    """Whether a line decoded as GBK is plainly Big5 text: much likelier read as Big5, and clearly garbled."""
    try:
        big5 = line.encode("gb18030").decode("cp950")
    except UnicodeDecodeError:
        return False
    gbk_table, big5_table = _cost_tables()
    as_gbk = line.translate(gbk_table)
    margin = _cost(as_gbk) - _cost(big5.translate(big5_table))
    return margin >= _BIG5_MARGIN and (chr(_IMPLAUSIBLE) in as_gbk or margin >= _BIG5_CLEAR_MARGIN)


def _latin1_pair(char: str) -> bool:
    """Whether a character's GBK code is a Latin-1 letter followed by an ASCII letter (ü + l = 黮)."""
    code = char.encode("gb18030")
    return len(code) == 2 and code[0] in _LATIN1_LEADS and chr(code[1]).isascii() and chr(code[1]).isalpha()


def _latin1_word(line: str, position: int) -> bool:
    """Whether the character at a position sits in a Latin word that reads as Latin-1 (M黮ler: Müller)."""

    def in_word(char: str) -> bool:
        return (char.isascii() and char.isalpha()) or _latin1_pair(char)

    start, end = position, position + 1
    while start > 0 and in_word(line[start - 1]):
        start -= 1
    while end < len(line) and in_word(line[end]):
        end += 1
    word = line[start:end]
    if sum(char.isascii() for char in word) < 2:
        return False
    latin = word.encode("gb18030").decode("cp1252", errors="replace")
    return latin.islower() or latin.isupper() or latin.istitle()


def misread_as(line: str) -> str | None:
    """The encoding a line read as GBK was plainly written in, when it was not GBK, else None.

    Args:
        line: one line of a file, decoded as GB18030.

    Returns:
        ``"UTF-8"``, ``"Big5"`` or ``"Latin-1"`` (keys of :data:`FOREIGN_ENCODINGS`), or None for a
        line that reads as genuine Chinese text (including rare name characters such as 堃 or 䶮).
    """
    uncommon, glued = _patterns()
    if glued.search(line) is not None:
        found = (match.start() for match in uncommon.finditer(line))
        if any(_latin1_pair(line[i]) and _latin1_word(line, i) for i in found):
            return "Latin-1"
    if uncommon.search(line) is None:
        return None
    if _utf8_line(line):
        return "UTF-8"
    return "Big5" if _big5_line(line) else None


def first_misread_line(text: str, newline: str) -> tuple[int, str] | None:
    """The first line of a block of GBK text that was written in another encoding.

    Lines of common GB2312 text are passed over by one regular-expression search, so a genuine
    file costs little; only lines with rarer characters are looked at closely.

    Args:
        text: whole lines, decoded as GB18030.
        newline: the line break (``"\\n"`` or ``"\\r"``).

    Returns:
        (offset in ``text`` where the line starts, encoding it was written in), or None.
    """
    pattern = _patterns()[0]
    position = 0
    while (match := pattern.search(text, position)) is not None:
        start = text.rfind(newline, 0, match.start()) + 1
        end = text.find(newline, match.start())
        end = len(text) if end < 0 else end
        found = misread_as(text[start:end])
        if found is not None:
            return start, found
        position = end + 1
    return None


def mixed_encoding(file: str, line: int, found: str) -> FileRejectedError:
    """The rejection of a GBK file with a line written in another encoding (UTF-8, Big5, Latin-1)."""
    english, chinese = FOREIGN_ENCODINGS[found]
    return FileRejectedError(
        file,
        f"the text of this line is not GBK but {english}, so the file mixes encodings and the line would "
        "land as garbled characters; open the file, save the whole file again as 'CSV UTF-8 (comma "
        "delimited)' (or GBK) and deliver it again",
        line=line,
        kind=RejectKind.MIXED_ENCODING,
        details={"found_zh": chinese},
    )
