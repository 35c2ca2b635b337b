"""Chinese names written in pinyin (Zhang Wei, ZHANG Weiming, Ouyang Xiu, Wang Fang女士).

Forms, chats and hotline notes often carry a person's name in pinyin. A romanised name is a
surname of the person registry, in pinyin (every reading of its characters: 单 is Shan as well as
Dan, 吕 Lv, Lyu or Lu), then a given name of one or two pinyin syllables, written joined, with a
hyphen or a space (Weiming, Wei-Ming, Wei Ming); the surname capitalised or in capitals, as the
given name. Pinyin syllables come from pypinyin's character table, so nothing here lists them by
hand.

Pinyin spells many English words too (Long, Fan, Bin, He), so a romanised name is only reported
where a Chinese name would be certain: right after a context word of the registry (联系人：Zhang
Wei, 申请人 ZHANG San), an English role label of a form (Applicant: Li Ming, in any case) or an
English title (Mr. Li Ming), right before a title (Wang Fang女士, Li Lei老师), written as passports
and international forms write it, the surname in capitals and the given name not (ZHANG Weiming,
LI Na), or joined to such a name (联系人：Zhang Wei、Li Na).
Any other value that is nothing but a pinyin name (a column of names in pinyin) is reported
with a score below the registry's threshold: it counts for column classification under a name
such as 姓名拼音 or name, not in free text. Hong Kong and Wade-Giles spellings (Chan Tai Man,
Wong) are not pinyin and are not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

_WORD = r"[A-Z][a-z]{0,11}|[A-Z]{1,12}"  # Shangguan, Xiaoming, XIAOMING
_GIVEN = r"[A-Z][a-z]{0,11}(?:-[A-Za-z][a-z]{0,6}| [A-Z][a-z]{0,6})?|[A-Z]{1,12}(?:[- ][A-Z]{1,7})?"
_ROMANISED = re.compile(rf"(?<![A-Za-z])({_WORD}) ({_GIVEN})(?![A-Za-z])", re.ASCII)
_ENGLISH_TITLES = re.compile(r"(?<![A-Za-z])(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.? ?$", re.IGNORECASE)
_LABEL_GAP = re.compile(r"[:：\s]*$")
_JOINER = re.compile(r"[ ]?[、,，/和与及][ ]?")
_U_SPELLINGS = {"lv": ("lyu", "lu", "lü"), "nv": ("nyu", "nu", "nü")}


WHOLE_VALUE = "pinyin_whole_value"
"""A value that is a pinyin name and nothing else: a name only in a column named for names."""


class RomanisedName(NamedTuple):
    """A name found in pinyin: where it stands, and why it is one."""

    start: int
    end: int
    rule: str
    word: str | None


@lru_cache(maxsize=1)
def pinyin_syllables() -> frozenset[str]:
    """Every toneless pinyin syllable of pypinyin's character table (about 420)."""
    from pypinyin.pinyin_dict import pinyin_dict
    from pypinyin.style._utils import replace_symbol_to_no_symbol

    syllables = {
        replace_symbol_to_no_symbol(reading)
        for readings in pinyin_dict.values()
        for reading in readings.split(",")
    }
    return frozenset(s for s in syllables if s.isascii() and s.isalpha()) | _spelled_u(syllables)


def _spelled_u(syllables: Iterable[str]) -> frozenset[str]:
    """ü as people type it: lü, nü as lv, lyu, lu; nv, nyu, nu."""
    return frozenset(spelling for s in syllables if s in _U_SPELLINGS for spelling in _U_SPELLINGS[s])


@lru_cache(maxsize=8)
def surname_spellings(surnames: str, compounds: tuple[str, ...]) -> frozenset[str]:
    """The pinyin of every reading of the registry's surnames, lower case (zhang, shan, ouyang)."""
    from pypinyin import Style, pinyin

    spellings: set[str] = set()
    for surname in [*surnames, *compounds]:
        readings = [pinyin(char, style=Style.NORMAL, heteronym=True)[0] for char in surname]
        joined = [""]
        for options in readings:
            joined = [head + option for head in joined for option in options]
        spellings.update(joined)
    u_spelled = {s.replace("v", "ü") for s in spellings if "v" in s}
    return frozenset(spellings | u_spelled | _spelled_u(spellings))


@lru_cache(maxsize=8)
def _english_label_pattern(labels: tuple[str, ...]) -> re.Pattern[str] | None:
    """A pattern of the English role labels ending a text, a whole word in any case."""
    if not labels:
        return None
    words = "|".join(re.escape(w) for w in sorted(labels, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z])(?:{words})(?:'s name)?$", re.IGNORECASE)


def is_given_name(word: str) -> bool:
    """One or two pinyin syllables (Wei, Weiming, Wei-Ming, Wei Ming)."""
    parts = [p for p in re.split(r"[- ]", word.lower()) if p]
    if len(parts) == 2:
        return all(p in pinyin_syllables() for p in parts)
    (joined,) = parts
    syllables = pinyin_syllables()
    return joined in syllables or any(
        joined[:cut] in syllables and joined[cut:] in syllables for cut in range(1, len(joined))
    )


def romanised_names(
    text: str,
    surnames: frozenset[str],
    context: Iterable[str],
    titles: Iterable[str],
    english_labels: Iterable[str] = (),
) -> list[RomanisedName]:
    """The pinyin names of a text that stand where a name is certain (see the module docstring)."""
    if not any("A" <= c <= "Z" for c in text):
        return []
    context_words, title_words = tuple(context), tuple(t for t in titles if len(t) > 1)
    labels = _english_label_pattern(tuple(english_labels))
    found: list[RomanisedName] = []
    position = 0
    while (match := _ROMANISED.search(text, position)) is not None:
        surname, given = match.group(1), match.group(2)
        start, end = match.span()
        position = match.start(2)  # Mr Li Ming: a word rejected as a surname may be followed by one
        if " " in given and not is_given_name(given):  # Li Ming Called: the name is Li Ming
            given = given.split(" ")[0]
            end = match.start(2) + len(given)
        if surname.lower() not in surnames or not is_given_name(given):
            continue
        position = end
        before = text[max(0, start - 12) : start]
        label = before[: _LABEL_GAP.search(before).start()]  # type: ignore[union-attr]
        word = next((w for w in context_words if label.endswith(w)), None)
        if word is None and labels is not None and (english := labels.search(label)) is not None:
            word = english.group()
        if word is not None:
            found.append(RomanisedName(start, end, "pinyin_after_context_word", word))
        elif _ENGLISH_TITLES.search(before):
            found.append(RomanisedName(start, end, "pinyin_after_title", None))
        elif text.startswith(title_words, end + (text[end : end + 1] == " ")):
            found.append(RomanisedName(start, end, "pinyin_before_title", None))
        elif surname.isupper() and len(surname) > 1 and given[1:2].islower():
            found.append(RomanisedName(start, end, "pinyin_surname_in_capitals", None))
        elif found and found[-1].end < start and _JOINER.fullmatch(text, found[-1].end, start):
            found.append(RomanisedName(start, end, "pinyin_joined", found[-1].word))
        elif not text[:start].strip() and not text[end:].strip():
            found.append(RomanisedName(start, end, WHOLE_VALUE, None))
    return found
