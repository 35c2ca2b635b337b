"""Where a personal name the statistical tagger read begins and ends.

The tagger (:mod:`huiliu.pii.tagger`) tags words ``PER``; its word is often a little more or less
than the name. :class:`TaggedNames` turns its words into name spans:

* a role noun (业主, 住户) or a title (王储, 总统) before the name is cut off, and a title or kin
  term after it (先生, 大娘, 总书记);
* a Chinese name (a surname and one or two characters) the tagger ran on into the next word is
  cut where a frequent word of two characters or more begins: 唐胜利康复 → 唐胜利, 李元抚摸 →
  李元 (a three-character name is left whole: 赵新民, not 赵 and 新民; one character is never cut
  off, as transliterated names such as 穆里尼奥 end in characters that are words);
* a two-character Chinese name the tagger ended before a one-character word is read as three
  characters when that character ends many names and is not a particle: 罗毅刚, 茅以升 (not
  孙俊排, 李鹏说);
* a foreign name the tagger split at its ``·`` or dash is read whole: 乌里奇·韦塞尔;
* a name inside another word is found: a proper noun or an organisation that is a name of
  jieba's dictionary (three characters or more) before a term suffix (马克思主义, 克林顿政府),
  or a word that is a title and such a name (总理基里延科);
* what remains is a name when it has two characters or more, holds a Chinese character, is not
  a frequent ordinary word and is not a country (几内亚); or when it is a surname alone that the
  tagger tagged alone or that a title was cut from (王大娘 → 王), unless the surname is also a
  preposition (于) or a country's one-character abbreviation (伊, 巴).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from huiliu.pii.config import PersonSpec
from huiliu.pii.recognizers.cn.lexicon import (
    common_word,
    country_names,
    name_final_counts,
    tagged_name,
    word_tags,
)
from huiliu.pii.tagger import Tags, Word

_NEVER = re.compile(r"(?!)")
_FOREIGN_JOINERS = "·•—－-"
_WORD_TAGS_HOLDING_NAMES = frozenset({"nz", "nw", "ORG", "n"})
"""Tagger labels of words that may hold a name (马克思主义 nz, 克林顿政府 ORG, 总理基里延科 n)."""
_MIN_NAME_INSIDE = 2


def _hanzi(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff"


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


class TaggedNames:
    """Name spans from the tagger's words, under a :class:`PersonSpec`."""

    def __init__(self, spec: PersonSpec, is_word: Callable[[str], bool] = common_word) -> None:
        surnames = spec.surname_characters
        self._surnames = frozenset(surnames)
        self._compounds = frozenset(spec.compound_surnames)
        self._particles = frozenset(spec.weak_followers) | frozenset(spec.not_in_names)
        before = [*spec.context, *spec.titles_before]
        self._before = re.compile(f"(?:{_alternation(before)})+:?") if before else _NEVER
        self._title = re.compile(f"(?:{_alternation(spec.titles)})$") if spec.titles else _NEVER
        self._title_start = re.compile(f"(?:{_alternation(spec.titles)})") if spec.titles else _NEVER
        self._term_suffix = (
            re.compile(f"(?:{_alternation(spec.term_suffixes)})$") if spec.term_suffixes else _NEVER
        )
        self._not_alone = frozenset(spec.ambiguous_surnames) | frozenset(spec.not_alone)
        self._final_min = spec.name_final_min
        self._is_word = is_word

    def spans(self, text: str, tags: Tags) -> list[tuple[int, int]]:
        """The names in ``text``, in order, not overlapping."""
        spans: list[tuple[int, int]] = []
        index = 0
        while index < len(tags):
            word = tags[index]
            if word.label == "PER":
                span, index = self._tagged(text, tags, index)
            else:
                span, index = self._inside(text, word), index + 1
            if span is not None and (not spans or spans[-1][1] <= span[0]):
                spans.append(span)
        return spans

    def _surname_at(self, text: str, start: int) -> int:
        """The surname's length at ``start`` (2 for 欧阳), 0 when there is none."""
        if text[start : start + 2] in self._compounds:
            return 2
        return 1 if text[start : start + 1] in self._surnames else 0

    def _tagged(self, text: str, tags: Tags, index: int) -> tuple[tuple[int, int] | None, int]:
        """The name in the tagger's ``PER`` word at ``index`` and the index of the next word to read."""
        word = tags[index]
        start, end = word.start, word.end
        nxt = index + 1
        while nxt < len(tags) and self._foreign_continues(text, end, tags[nxt]):
            end, nxt = tags[nxt].end, nxt + 1
        before = self._before.match(text, start, end)
        if before is not None and before.end() < end:
            start = before.end()
        title = self._title.search(text, start + 1, end)
        if title is not None:
            end = title.start()
        if "·" not in text[start:end]:
            end = self._trimmed(text, start, end)
            if end - start == 2 and nxt < len(tags) and self._name_goes_on(text, start, tags[nxt]):
                end, nxt = end + 1, nxt + 1
        alone = end - start == 1 and (title is not None or word.end - word.start == 1)
        return (start, end) if self._is_name(text, start, end, alone) else None, nxt

    def _foreign_continues(self, text: str, end: int, word: Word) -> bool:
        """Whether ``word`` continues a foreign name ending at ``end`` (乌里奇· 韦塞尔, 差瓦利 ·永猜裕)."""
        piece = text[word.start : word.end]
        if text[end - 1 : end] in _FOREIGN_JOINERS:
            return word.label == "PER" or (len(piece) >= 2 and all(_hanzi(c) for c in piece))
        return (
            len(piece) >= 3
            and piece[0] in _FOREIGN_JOINERS
            and all(_hanzi(c) for c in piece[1:])
            and word.label in ("PER", "w")
        )

    def _trimmed(self, text: str, start: int, end: int) -> int:
        """A Chinese name run on into a word, cut where the word begins (唐胜利康复 → 唐胜利)."""
        if self._surname_at(text, start) != 1:
            return end  # no surname, or a compound one
        if end - start >= 4:
            for stop in (start + 2, start + 3):
                rest = text[stop:end]
                if len(rest) >= 2 and self._is_word(rest):
                    return stop
        return end

    def _name_goes_on(self, text: str, start: int, word: Word) -> bool:
        """Whether a two-character name at ``start`` goes on into the one-character ``word`` (罗毅|刚)."""
        if not self._final_min or word.end - word.start != 1 or self._surname_at(text, start) != 1:
            return False
        char = text[word.start]
        if not _hanzi(char) or char in self._particles or char in self._surnames:
            return False
        return name_final_counts().get(char, 0) >= self._final_min

    def _inside(self, text: str, word: Word) -> tuple[int, int] | None:
        """A name inside a word the tagger did not tag ``PER``: before a term suffix (马克思主义,
        克林顿政府) or after a title (总理基里延科)."""
        if word.label not in _WORD_TAGS_HOLDING_NAMES or word.end - word.start < _MIN_NAME_INSIDE + 1:
            return None
        start, end = word.start, word.end
        before = self._before.match(text, start, end)
        if before is not None and before.end() < end:
            name = text[before.end() : end]
            known = self._known(name) and self._is_name(text, before.end(), end)
            return (before.end(), end) if known else None
        if word.label == "n":
            return None
        suffix = self._term_suffix.search(text, start + _MIN_NAME_INSIDE, end)
        if (
            suffix is not None
            and len(text[start : suffix.start()]) >= 3
            and self._known(text[start : suffix.start()])
        ):
            return start, suffix.start()
        return None

    def _known(self, name: str) -> bool:
        """A name of jieba's dictionary, three characters or more, or two starting with a surname."""
        if len(name) < _MIN_NAME_INSIDE or not tagged_name(name):
            return False
        return len(name) >= 3 or name[0] in self._surnames

    def _is_name(self, text: str, start: int, end: int, alone: bool = False) -> bool:
        name = text[start:end]
        if not name or not any(_hanzi(c) for c in name):
            return False
        if len(name) == 1:
            return alone and name in self._surnames and name not in self._not_alone
        countries = country_names()
        if any(name[:n] in countries for n in range(2, len(name) + 1)):
            return False
        # jieba's dictionary tags some famous names as time words (周恩来): only shorter ones count
        return not (self._is_word(name) and not (len(name) >= 3 and word_tags().get(name) == "t"))
