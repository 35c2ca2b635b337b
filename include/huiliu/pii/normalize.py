"""Text normalisation before detection, with a map back to the original character offsets.

People type numbers in full-width digits (１３８…), paste text with zero-width spaces, or mix
full-width and ASCII punctuation. Every recognizer works on the normalised text; every span it
reports is mapped back to the original text, so that masking and reports point at what the user
actually has.

Normalisation is NFKC applied character by character (full-width letters, digits and punctuation
become ASCII, the ideographic space a plain space) with zero-width characters removed. Working
character by character means every character of the normalised text comes from exactly one
character of the original, which keeps the offset map exact.

Numbers read out or typed as Chinese numerals (一三八零零一三八零零零, 幺三九 一二三四 五六七八, as
hotline transcripts and chats write phone numbers) become ASCII digits, one character for one,
when at least seven of them stand together (a space, dash, comma or 、 between groups allowed): a
phone or ID number, never a word (一五一十, 三三两两, 二〇二四年). A number mixing ASCII digits and
numerals (138零零一三八零零零) is read when it is seven long and three numerals stand together in it,
so a mobile followed by 一直 stays a mobile; a plate read out after its province and letter
(贵A一二三四五) is read too. Dashes between two digits or numerals (0851—86868686, 0851——86868686
as a Chinese input method types them, a minus sign) become ASCII ``-``, one for one, before numbers
are read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
"""Characters removed before detection: zero-width space/joiners, word joiner, BOM, soft hyphen."""
_RANGES = ((0, 0x20000), (0x2F800, 0x2FA20))  # BMP, SMP and the CJK compatibility supplement
_BULK_MIN = 64
_CHINESE_NUMERALS = "〇零一幺二两三四五六七八九"
_AS_DIGITS = str.maketrans(_CHINESE_NUMERALS, "0011223456789")
_NUMERAL = f"[{_CHINESE_NUMERALS}]"
_ANY_NUMERAL = re.compile(_NUMERAL)
_GAP = "(?:[ ,、-] ?)?"  # how read-out groups are written apart: 一三八 五一二三, 一三八，五一二三
_SPOKEN_NUMBER = re.compile(f"(?<![0-9{_CHINESE_NUMERALS}]){_NUMERAL}(?:{_GAP}{_NUMERAL}){{6,}}(?![0-9])")
_DIGIT_OR_NUMERAL = f"[0-9{_CHINESE_NUMERALS}]"
_MIXED_NUMBER = re.compile(
    f"(?<![0-9{_CHINESE_NUMERALS}]){_DIGIT_OR_NUMERAL}(?:{_GAP}{_DIGIT_OR_NUMERAL}){{6,}}(?![0-9{_CHINESE_NUMERALS}])"
)
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_CHARACTER = f"[A-HJ-NP-Z0-9{_CHINESE_NUMERALS}]"
_SPOKEN_PLATE = re.compile(
    f"(?<=[{_PROVINCES}][A-HJ-NP-Z])[·•.\\- ]?{_PLATE_CHARACTER}{{5,6}}(?![0-9A-Za-z{_CHINESE_NUMERALS}])"
)
_MAY_BE_SPOKEN = f"{_NUMERAL}{_GAP}{_NUMERAL}{_GAP}{_NUMERAL}"
"""An RE2 pattern every text holding a spoken number matches (few others do): which texts to look at."""
_THREE_NUMERALS = re.compile(_MAY_BE_SPOKEN)
_GAP_CHARACTERS = " ,、-"
_DASHES = "\u2010\u2012\u2013\u2014\u2015\u2212"
"""Dashes NFKC leaves as they are (hyphen, figure dash, en dash, em dash, horizontal bar, minus)."""
_DASHES_BETWEEN_DIGITS = re.compile(
    f"(?<=[0-9{_CHINESE_NUMERALS}])[{_DASHES}]{{1,2}}(?=[0-9{_CHINESE_NUMERALS}])"
)
_MAY_HOLD_DASH = f"[0-9{_CHINESE_NUMERALS}][{_DASHES}]{{1,2}}[0-9{_CHINESE_NUMERALS}]"
"""An RE2 pattern of the texts holding dashes between digits or numerals."""
_WORD_AFTER_NUMERAL = frozenset("直起定下样般共些点旦切再向致边次天个家位名种把块条件遍趟")
"""What follows 一 or 两 when they begin a word after a number (一直, 一起, 两次, 两个)."""


class NormalizedText(NamedTuple):
    """A text as the recognizers see it, and the way back to the original.

    Attributes:
        original: the text as given.
        text: the normalised text.
        offsets: for each character of ``text``, the index of the original character it comes
            from; None when both texts have the same length and character positions.
    """

    original: str
    text: str
    offsets: tuple[int, ...] | None = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The ``[start, end)`` span of the normalised text as a span of the original text."""
        if self.offsets is None:
            return start, end
        if end <= start:
            position = self.offsets[start] if start < len(self.offsets) else len(self.original)
            return position, position
        return self.offsets[start], self.offsets[end - 1] + 1


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[int, str | None], re.Pattern[str]]:
    """The translation table of every character NFKC changes, and a class of the deleted ones."""
    table: dict[int, str | None] = {}
    deleted = set(ZERO_WIDTH)
    for low, high in _RANGES:
        for code in range(low, high):
            if 0xD800 <= code <= 0xDFFF:
                continue
            char = chr(code)
            mapped = unicodedata.normalize("NFKC", char)
            if mapped != char:
                table[code] = mapped or None
                if not mapped:
                    deleted.add(char)
    for char in deleted:
        table[ord(char)] = None
    return table, re.compile("[" + "".join(re.escape(c) for c in sorted(deleted)) + "]")


def normalize(text: str) -> NormalizedText:
    """Normalise one text for detection (NFKC per character, zero-width characters removed,
    numbers in Chinese numerals as digits)."""
    norm = _nfkc(text)
    read = _numbers_read(norm.text)
    return norm if read is norm.text else norm._replace(text=read)


def _numbers_read(text: str) -> str:
    """A text with its dashes between digits or numerals as ``-`` and its spoken numbers as digits
    (the same length); the very text given when neither is in it."""
    if any(dash in text for dash in _DASHES):
        dashed = _DASHES_BETWEEN_DIGITS.sub(lambda m: "-" * len(m.group()), text)
        if dashed != text:
            return _spoken_digits(dashed)
    return _spoken_digits(text)


def _spoken_digits(text: str) -> str:
    """A text with its numbers written in Chinese numerals as ASCII digits (the same length);
    the very text given when it holds none."""
    if _ANY_NUMERAL.search(text) is None:
        return text
    changed = _SPOKEN_NUMBER.sub(_number_as_digits, text)
    if _THREE_NUMERALS.search(changed) is not None:
        changed = _MIXED_NUMBER.sub(_mixed_as_digits, changed)
        changed = _SPOKEN_PLATE.sub(_as_digits, changed)
    return text if changed == text else changed


def _as_digits(match: re.Match[str]) -> str:
    return match.group().translate(_AS_DIGITS)


def _number_as_digits(match: re.Match[str], mixed: bool = False) -> str:
    """A number read out as digits, but for a last 一 or 两 that begins a word (一直, 两次) after a
    whole mobile or ID number: it stays (一三八…零零零一直 is a mobile and 一直; 一三九…六七一点 is a
    mobile ending in 1 before 点). A number mixing ASCII digits
    and numerals (138零零一三八零零零) is read only when three numerals stand together in it: one
    numeral after a number is a word (13812345678一直)."""
    number, tail = match.group(), ""
    if (
        number[-1] in "一两"
        and match.string[match.end() : match.end() + 1] in _WORD_AFTER_NUMERAL
        and _complete(number[:-1])
        and not _complete(number)
    ):
        number, tail = number[:-1], number[-1]
    if sum(c not in _GAP_CHARACTERS for c in number) < 7 or (mixed and not _THREE_NUMERALS.search(number)):
        return match.group()
    return number.translate(_AS_DIGITS) + tail


def _complete(number: str) -> bool:
    """Whether a number's digits make a whole mobile (11, starting with 1) or ID number (15 or 18)."""
    digits = "".join(c for c in number if c not in _GAP_CHARACTERS).translate(_AS_DIGITS)
    return (len(digits) == 11 and digits[0] == "1") or len(digits) in (15, 18)


def _mixed_as_digits(match: re.Match[str]) -> str:
    return _number_as_digits(match, mixed=True)


def _nfkc(text: str) -> NormalizedText:
    table, deleted = _tables()
    if deleted.search(text) is None:
        if unicodedata.is_normalized("NFKC", text):
            return NormalizedText(text, text)
        translated = text.translate(table)
        if len(translated) == len(text):  # nothing deleted and nothing grew: positions unchanged
            return NormalizedText(text, translated)
    return _with_offsets(text, table)


def normalize_many(texts: Iterable[str]) -> list[NormalizedText]:
    """Normalise many texts; the same as calling :func:`normalize` on each."""
    return normalize_batch(list(texts))[0]


def normalize_batch(texts: list[str]) -> tuple[list[NormalizedText], pa.Array]:
    """Normalise many texts in bulk; also return the normalised texts as an Arrow array.

    Arrow's NFKC (C++) does the work for every text where it provably equals normalising
    character by character: no combining marks, Hangul jamo, characters outside the BMP,
    zero-width characters or characters Arrow's Unicode version maps differently, and the same
    length after normalising. The other texts go through :func:`normalize`.
    """
    array = pa.array(texts, pa.string())
    if len(texts) < _BULK_MIN:
        norms = [normalize(text) for text in texts]
        return norms, pa.array([n.text for n in norms], pa.string())
    bulk = pc.utf8_normalize(array, form="NFKC")
    same = pc.equal(pc.utf8_length(array), pc.utf8_length(bulk))
    safe = pc.and_(same, pc.invert(pc.match_substring_regex(array, _bulk_unsafe()))).to_numpy(
        zero_copy_only=False
    )
    new = tuple.__new__
    if safe.all():
        norms = [new(NormalizedText, (t, n, None)) for t, n in zip(texts, bulk.to_pylist(), strict=True)]
        return _with_spoken_digits(norms, bulk)
    pairs = zip(texts, bulk.to_pylist(), safe, strict=True)
    norms = [new(NormalizedText, (t, n, None)) if ok else _nfkc(t) for t, n, ok in pairs]
    return _with_spoken_digits(norms, pa.array([n.text for n in norms], pa.string()))


def _with_spoken_digits(
    norms: list[NormalizedText], array: pa.Array
) -> tuple[list[NormalizedText], pa.Array]:
    """NFKC-normalised texts (and their array) with spoken numbers as digits and dashes between
    digits as ``-``, as :func:`normalize`."""
    maybe = pc.match_substring_regex(array, f"{_MAY_BE_SPOKEN}|{_MAY_HOLD_DASH}").to_numpy(
        zero_copy_only=False
    )
    changed = False
    for row in np.flatnonzero(maybe).tolist():
        read = _numbers_read(norms[row].text)
        if read is not norms[row].text:
            norms[row], changed = norms[row]._replace(text=read), True
    return norms, pa.array([n.text for n in norms], pa.string()) if changed else array


@lru_cache(maxsize=1)
def _bulk_unsafe() -> str:
    """An RE2 class of the characters whose texts :func:`normalize_batch` leaves to Python."""
    table, _ = _tables()
    chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    arrow = pc.utf8_normalize(pa.array(chars, pa.string()), form="NFKC").to_pylist()
    differ = "".join(
        f"\\x{{{ord(c):x}}}" for c, n in zip(chars, arrow, strict=True) if c.translate(table) != n
    )
    jamo = r"\x{1100}-\x{11ff}\x{3130}-\x{318f}\x{a960}-\x{a97f}\x{d7b0}-\x{d7ff}"
    return rf"[\p{{M}}{jamo}\x{{10000}}-\x{{10ffff}}{differ}]"


def _with_offsets(text: str, table: dict[int, str | None]) -> NormalizedText:
    """Normalise a text whose length changes, recording where each output character comes from."""
    pieces: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        mapped = table.get(ord(char), char)
        if not mapped:
            continue
        pieces.append(mapped)
        offsets.extend([index] * len(mapped))
    return NormalizedText(text, "".join(pieces), tuple(offsets))
