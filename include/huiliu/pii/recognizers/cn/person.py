"""``PERSON``: Chinese personal names, from a surname list, context words and jieba's tags.

A candidate is a surname (one of the registry's list, or a compound one such as 欧阳) followed by
one or two more characters, found in three places:

* right after a context word (居民, 联系人, 户主, 来电人, 住户 …): ``context`` score;
* at the start of a clause (start of text, after punctuation), when a verb or bracket typically
  following a name comes next (反映, 咨询, ``(身份证``), or a particle (已, 说) and jieba's
  part-of-speech dictionary tags the name ``nr``: ``clause`` score; or when the name is the whole
  clause (a column value, "，张伟，"): ``segment`` score;
* right after a found name and a joiner (和, 与, 、): as after a context word.

Where the name ends (two or three characters) is decided by what follows: punctuation or a
follower word (反映, 与, 家庭 …) after the second or third character; when both readings are
equally clear, jieba's dictionary decides (a word tagged ``nr`` is a name). A candidate that is a
frequent ordinary word in jieba's dictionary (严重, 高兴, 苗族) is not a name, and a name the
dictionary tags ``nr`` scores higher. Surnames that are also prepositions (于, 和, 向 …) are only
accepted after a context word. Nothing here knows the given names of any data set: a name is
recognised by its surname and its surroundings.

The statistical tagger votes too: every word it tags ``PER`` is a name it proposes, wherever it
stands. Those words come from the name model (:mod:`huiliu.pii.name_model`) and are taken as they
are, except an ethnic group's name (回族 alone as a value). With the name model switched off
(``model.names: false``) they are LAC's own, with their boundaries put right as
:mod:`huiliu.pii.recognizers.cn.name_spans` describes (titles cut off, run-on words trimmed, split
foreign names joined, names inside terms found). The votes combine as
:mod:`huiliu.pii.recognizers.voting` describes, a name both found taking the tagger's span unless
a follower word right after the rules' name confirms where the rules end it. A person named by
the surname alone, with a mark after it (林老, 刘家, 郭某, 杜氏) or before it (老李), is reported as
the surname: the mark is a form of address, not part of the name. Names in pinyin (联系人：Zhang Wei,
Wang Fang女士) are found where a name is certain, as :mod:`huiliu.pii.recognizers.cn.romanised_names`
describes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import ClassVar

from presidio_analyzer import EntityRecognizer

from huiliu.pii.config import PatternRecognizerSpec, PersonSpec, builtin_spec
from huiliu.pii.recognizers import HANZI, LANGUAGE, ChineseRecognizer, Hit, builtin_context
from huiliu.pii.recognizers.cn.address import CLAN_PLACE_FEATURES, ROAD_NAMED_AFTER, division_prefixes
from huiliu.pii.recognizers.cn.lexicon import (
    common_word,
    country_names,
    tagged_name,
    word_frequencies,
    word_tags,
)
from huiliu.pii.recognizers.cn.name_spans import TaggedNames
from huiliu.pii.recognizers.cn.romanised_names import WHOLE_VALUE, romanised_names, surname_spellings
from huiliu.pii.recognizers.voting import RuleHolds, vote
from huiliu.pii.tagger import Tags

_CLAUSE_BREAK = r" \t\n\r\f\v,.;:!?()\[\]{}<>\"'、·|/"  # spelled out: RE2's \s lacks \v
_RE2_HANZI = r"\x{3400}-\x{9fff}"
STRONG, WEAK, NONE, IMPOSSIBLE = 2, 1, 0, -1
_HANZI_CHAR = re.compile(f"[{HANZI}]")
_NEVER = re.compile(r"(?!)")
_CLAN_PLACES = re.compile(f"[{HANZI}]家[{CLAN_PLACE_FEATURES}]")
"""Rural places named after a clan (李家湾, 孙家寨, 王家组): no person's name."""
_PINYIN_GATE = "[A-Z][A-Za-z]* [A-Z]"
"""What every text holding a name in pinyin (Zhang Wei, ZHANG San) matches."""
_BARE_PINYIN_SCORE = 0.3
"""A value that is only a name in pinyin (Zhang Wei): below the registry's threshold, so a name only
under a column name that hints one."""
_PARTICLES = "的地得了着过"
"""Structural and aspect particles: a name never ends in one."""


@lru_cache(maxsize=1)
def _group_names() -> tuple[frozenset[str], frozenset[str]]:
    """The ethnic groups' names: full (回族) and bare (回, 布依), as the ETHNICITY recognizer has them."""
    spec = builtin_spec("ethnicity")
    assert isinstance(spec, PatternRecognizerSpec)
    full = frozenset(t for p in spec.patterns if not p.whole_value for t in p.terms or ())
    bare = frozenset(t for p in spec.patterns if p.whole_value for t in p.terms or ())
    return full, bare


def _group_name(text: str, start: int, end: int) -> bool:
    """Whether a span is an ethnic group's name, full anywhere or bare as the whole text (a value
    of a 民族 column): never a person's name, though the name model, reading a value alone, can
    take one for a name (a bare 苗 is also a surname)."""
    full, bare = _group_names()
    word = text[start:end]
    return word in full or (word in bare and word == text.strip())


_NOT_A_PERSON_LABEL = re.compile(
    r"(?:籍贯|出生地|户籍|户籍地|所在地|区域|地区|小区|楼盘|品牌|商标|产品|型号|配料|成分|药品|单位|公司|学校|民族)"
    r"[:：]\s*$"
)
"""Labels of a form field whose value is no person (籍贯：黎平, 品牌：华为, 小区：万科城)."""
_BEFORE_A_TITLE = "副代原前现执首总向与及跟对给让被把将从"
"""Characters that stand before a title (副主任, 代局长, 原厂长, 总经理) or are a preposition before one
(向主任, 给局长), and seldom end a name: a name of the tagger ending in one before a title is cut
before it. Particles that also end names (周恩来, 李大同, 刘永为, 刘山在, 李长和) are not among them."""
_BRACKET = re.compile(r"[()（）\[\]【】]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_INITIAL_MARKS = "·.•"
_LIST_MARK = "、"
_LISTED_NAME_RULES = frozenset({"whole_clause", "joined_to_name"})
_PLACE_LABELS = frozenset({"LOC", "ORG"})
_NOT_IN_A_NAME = frozenset("佰仟萬")
"""Characters of amounts written in capitals (伍佰元整, 陆仟元): 伍 and 陆 are surnames too."""


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """A span without the emoji, symbols and punctuation at its edges (王阿姨🌹 → 王阿姨)."""
    while start < end and not _kept(text[start]):
        start += 1
    while end > start and not _kept(text[end - 1]):
        end -= 1
    return start, end


def _kept(char: str) -> bool:
    return char.isalnum() or char == "·"


def _before_bracket(text: str, start: int, end: int) -> tuple[int, int]:
    """A span of the name model cut at a bracket inside it: 阿特金森(martinatkinson → 阿特金森 (a
    name and its spelling in brackets are two)."""
    bracket = _BRACKET.search(text, start + 1, end)
    return (start, bracket.start()) if bracket is not None else (start, end)


def _may_be_a_name(text: str, start: int, end: int) -> bool:
    """Whether a span of the name model may be a name: it holds a letter (not 🙏🙏), and is not an
    ethnic group's name, a division's name (黎平, 云岩区), an amount in capitals (伍佰元整), a
    nickname mixing Chinese characters and Latin words (叶子silence, Mc小小豪; 杨xx and the
    initial of A·约翰森 are no words) or an English phrase (please rename: a lower-case word among
    several). A country's name alone (乌干达) is no name either, whoever found it (:meth:`find`)."""
    name = text[start:end]
    return (
        any(c.isalpha() for c in name)
        and not _group_name(text, start, end)
        and not _division(name)
        and not _NOT_IN_A_NAME.intersection(name)
        and not _mixes_scripts(name)
        and not _english_phrase(name)
    )


def _mixes_scripts(name: str) -> bool:
    if not _has_hanzi(name):
        return False
    for word in _LATIN_WORD.finditer(name):
        placeholder = set(word.group()) <= {"x", "X"}
        initial = len(word.group()) == 1 and name[word.end() : word.end() + 1] in _INITIAL_MARKS
        if not (placeholder or initial):
            return True
    return False


def _english_phrase(name: str) -> bool:
    words = _LATIN_WORD.findall(name)
    return len(words) > 1 and any(word[0].islower() for word in words)


def _among_places(text: str, hit: Hit, tags: Tags) -> bool:
    """Whether a name only the rules found is an item of a list (、) between two items the tagger
    reads as places or organisations (四川、吉林、河南; 康佳、惠普、海尔): the items of a list are of
    one kind, and a name the tagger does not confirm is one of theirs."""
    if hit.voters != "rules" or hit.pattern not in _LISTED_NAME_RULES:
        return False
    if text[hit.start - 1 : hit.start] != _LIST_MARK or text[hit.end : hit.end + 1] != _LIST_MARK:
        return False
    before = next((w for w in tags if w.end == hit.start - 1), None)
    after = next((w for w in tags if w.start == hit.end + 1), None)
    return before is not None and after is not None and {before.label, after.label} <= _PLACE_LABELS


def _division(name: str) -> bool:
    """Whether a name is a division's, written with its level (云岩区, 石阡县, 安顺市; not 马龙 or 江山,
    which are people's names as well as places')."""
    return name[-1:] in "省市县区旗州" and name in division_prefixes()


def _inside_a_name(hit: Hit, starts: set[int], spans: list[tuple[int, int]]) -> bool:
    """Whether a surname found before a title is the end of a longer name (王家卫先生: 卫): no word
    of the tagger starts there, or one of its names covers it."""
    return hit.start not in starts or any(s < hit.end and hit.start < e for s, e in spans)


def _place_of_a_clan(text: str, hit: Hit) -> bool:
    """Whether the hit is a rural place named after a clan, or its surname (王 or 王家 of 王家组)."""
    place = _CLAN_PLACES.match(text, hit.start)
    return place is not None and hit.end <= place.end()


def _has_hanzi(text: str) -> bool:
    return _HANZI_CHAR.search(text) is not None


# Presidio's EntityRecognizer assigns `name` without declaring its type: mypy cannot compare it with ours
class CnPersonRecognizer(ChineseRecognizer, EntityRecognizer):  # type: ignore[misc]
    """Chinese personal names."""

    KIND: ClassVar[str] = "cn_person"
    CONTEXT = builtin_context("person")
    USES_MODEL: ClassVar[bool] = True
    USES_NAME_MODEL: ClassVar[bool] = True

    def __init__(self, spec: PersonSpec | None = None, name: str | None = None) -> None:
        packaged = builtin_spec("person")
        assert isinstance(packaged, PersonSpec)
        self.spec: PersonSpec = spec or packaged
        self._compile(self.spec)
        super().__init__(
            supported_entities=[self.spec.entity],
            name=name or type(self).__name__,
            supported_language=LANGUAGE,
            context=list(self.spec.context),
        )

    def load(self) -> None:
        """Read jieba's dictionary (tags and frequencies) once per process, when the engine is built."""
        word_tags()
        word_frequencies()

    @property
    def gate(self) -> str | None:
        """Texts without a surname after a context word or at a clause start hold no rule candidate.

        With the tagger listening, any text with two Chinese characters may hold a name; so may a
        text with two capitalised words (a name in pinyin).
        """
        return f"[{_RE2_HANZI}]{{2}}|{_PINYIN_GATE}" if self.listens_to_model else self._gate

    def _compile(self, spec: PersonSpec) -> None:
        def alternation(words: list[str]) -> str:
            return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))

        surnames = spec.surname_characters
        self._surnames = frozenset(surnames)
        self._compounds = frozenset(spec.compound_surnames)
        self._joiners = frozenset(spec.joiners)
        surname = f"(?:{alternation(spec.compound_surnames)}|[{re.escape(surnames)}])"
        name_ahead = f"(?={surname}[{HANZI}])"
        starts = f"(?:{alternation(spec.context)}):?|^|[{_CLAUSE_BREAK}]"
        self._gate = (
            f"(?:{starts})(?:{alternation(spec.compound_surnames)}|[{re.escape(surnames)}])[{_RE2_HANZI}]"
            f"|{_PINYIN_GATE}"
        )
        self._after_context = re.compile(f"({alternation(spec.context)}):?{name_ahead}", re.ASCII)
        self._tagged_names = TaggedNames(spec, self._is_word)
        self._after_break = re.compile(f"[{_CLAUSE_BREAK}]+{name_ahead}", re.ASCII)
        self._at_start = re.compile(name_ahead, re.ASCII)
        self._strong = re.compile(alternation(spec.followers)) if spec.followers else None
        self._weak = frozenset(spec.weak_followers) - {" "}
        self._not_in_names = frozenset(spec.not_in_names)
        self._titles = frozenset(spec.titles)
        self._titles_before = sorted(spec.titles_before, key=len, reverse=True)
        long_titles = [t for t in spec.titles if len(t) > 1]
        self._long_title = re.compile(alternation(long_titles)) if long_titles else _NEVER
        self._cut_before_title = frozenset(_BEFORE_A_TITLE)
        self._titled = re.compile(f"({surname})(?=女士|先生|小姐)")
        self._ambiguous = frozenset(spec.ambiguous_surnames)
        self._spellings = surname_spellings(surnames, tuple(spec.compound_surnames))
        self._english_labels = frozenset(label.lower() for label in spec.english_labels)

    def find(self, text: str, tags: Tags | None = None) -> list[Hit]:
        """The names the rules and the tagger find, voted on; a bare surname read with its mark
        (:meth:`_bare_surname`) is cut to the surname once the votes have settled where names end."""
        hits = self.rule_hits(text)
        tags = self.model_tags(text, tags)
        if tags is not None:
            spans = self.model_spans(text, tags)
            starts = {word.start for word in tags}
            starts.update(e for s, e in spans if text[e : e + 1] == text[s] and self._titled_at(text, e))
            hits = [
                hit
                for hit in hits
                if not self._preposition_before_word(text, hit, spans)
                and not (hit.pattern == "surname_and_title" and _inside_a_name(hit, starts, spans))
            ]
            hits = vote(hits, spans, self.spec.scores.model, "model", self._span_holds(text))
            hits = [hit for hit in hits if not _among_places(text, hit, tags)]
        hits = [
            self._household(text, hit)
            for hit in hits
            if not self._word_and_particle(text, hit)
            and not _place_of_a_clan(text, hit)
            and ROAD_NAMED_AFTER.match(text, hit.end) is None
            and not _division(text[hit.start : hit.end])
            and text[hit.start : hit.end] not in country_names()
            and _NOT_A_PERSON_LABEL.search(text, max(0, hit.start - 6), hit.start) is None
        ]
        return [hit._replace(start=s, end=e) for hit in hits for s, e in [self._bare_surname(text, *hit[:2])]]

    def _household(self, text: str, hit: Hit) -> Hit:
        """A two-character name read in a household's name (王建|国户: the household of 王建国), as
        the three-character name; a household word stays (李华|农户, 张明|住户)."""
        end = hit.end
        if end - hit.start != 2 or text[end + 1 : end + 2] != "户" or not self._given_ok(text[end : end + 1]):
            return hit
        if text[end] in self._weak or self._is_word(text[end : end + 2]):
            return hit
        return hit._replace(end=end + 1)

    def _word_and_particle(self, text: str, hit: Hit) -> bool:
        """Whether a three-character name is a frequent ordinary word and a particle (业主高兴地说):
        no name ends in one."""
        word, last = text[hit.start : hit.end - 1], text[hit.end - 1 : hit.end]
        return hit.end - hit.start == 3 and last in _PARTICLES and self._is_word(word)

    def _preposition_before_word(self, text: str, hit: Hit, spans: list[tuple[int, int]]) -> bool:
        """Whether a rule name starting with a surname that is also a preposition (于, 向 …) reads
        better as the preposition before a word: the two characters after it are a frequent word
        (居民于近日, 业主于今年, 租户向房东) and the tagger, listening, found no name there (住户于秀兰,
        业主向红梅 it finds)."""
        if text[hit.start] not in self._ambiguous or not self._is_word(text[hit.start + 1 : hit.start + 3]):
            return False
        return not any(start < hit.end and hit.start < end for start, end in spans)

    def _span_holds(self, text: str) -> RuleHolds:
        """Whether the rules' span of a name beats the tagger's.

        It does when a follower word (反映, 家庭 …) comes right after the rules' name; when
        punctuation does and the name's last character is not a particle that often follows a
        name (李鹏说，: the tagger's 李鹏 wins), unless the tagger read a foreign name whole around
        it (卡尔·刘易斯); when the rules found it after a role noun or
        another name and a particle follows (住户王鹏兵与邻居), unless the tagger's name is the
        rules' and that particle, itself followed by a particle or punctuation (毛泽东、周恩来等: 来
        is read as part of the name); and when the tagger's name is the rules' without its surname
        (程丹丹 against 丹丹).
        """
        strong, weak = self._strong, self._weak

        def holds(rule: Hit, model: tuple[int, int]) -> bool:
            if model[0] <= rule.start and rule.end <= model[1] and "·" in text[model[0] : model[1]]:
                return False  # a foreign name the tagger read whole (卡尔·刘易斯)
            if model == (rule.start, rule.end - 1) and text[rule.end - 1] in weak:
                return False  # the tagger ends the name before an adverb or particle (李强|曾多次)
            after = text[rule.end : rule.end + 1]
            last_is_particle = text[rule.end - 1] in weak
            if strong is not None and strong.match(text, rule.end) is not None:
                return True
            if not after or not "\u3400" <= after <= "\u9fff":
                return not last_is_particle
            if rule.pattern.startswith(("after_context_word", "joined_to_name")) and after in weak:
                return not last_is_particle and not self._model_ends_later(text, rule, model)
            return model[0] > rule.start and model[1] == rule.end and self._has_surname(text, rule.start)

        return holds

    def _model_ends_later(self, text: str, rule: Hit, model: tuple[int, int]) -> bool:
        """Whether the tagger's name is the rules' and one more character, before a clear end."""
        if model[0] != rule.start or model[1] != rule.end + 1:
            return False
        after = text[model[1] : model[1] + 1]
        return not after or not "\u3400" <= after <= "\u9fff" or after in self._weak

    def model_spans(self, text: str, tags: Tags) -> list[tuple[int, int]]:
        """The tagger's names: the name model's as they are (it was trained on where names begin
        and end), or LAC's own put right (see :mod:`huiliu.pii.recognizers.cn.name_spans`)."""
        if self.tagger is not None and self.tagger.names is not None:
            words = [_trimmed(text, word.start, word.end) for word in tags if word.label == "PER"]
            words = [self._without_repeated_surname(text, start, end) for start, end in words]
            words = [self._bounded_by_titles(text, start, end, tags) for start, end in words]
            words = [_before_bracket(text, start, end) for start, end in words]
            return [
                (start, end)
                for start, end in words
                if _may_be_a_name(text, start, end) and not self._english_label(text[start:end])
            ]
        return self._tagged_names.spans(text, tags)

    def _english_label(self, word: str) -> bool:
        """Whether the tagger's name is an English role label of a form (Passenger, Owner's)."""
        return word.lower().removesuffix("'s").removesuffix("’s") in self._english_labels

    def _bounded_by_titles(self, text: str, start: int, end: int, tags: Tags) -> tuple[int, int]:
        """A name of the tagger put right by the titles around it.

        A title before it is cut off (王储玛哈·哇集拉隆功, when two characters or more are left). Before
        a title after it (a word of two characters or more: 主任, 外长, 支队长), a last character that
        begins a title or is a preposition is cut off (托娅副外长, 李明向主任; :data:`_BEFORE_A_TITLE`);
        a two-character name goes on by one
        character that the tagger reads as part of the title's word (朱朗标主任: 标主任), as no
        title is written so.
        """
        for title in self._titles_before:
            if text.startswith(title, start) and end - start - len(title) >= 2:
                start += len(title)
                break
        if self._long_title.match(text, end) is not None:
            cut = end - start >= 3 and text[end - 1] in self._cut_before_title
            return (start, end - 1) if cut else (start, end)
        last = text[end : end + 1]
        if (
            end - start == 2
            and self._given_ok(last)
            and last not in self._cut_before_title
            and self._long_title.match(text, end + 1) is not None
            and any(w.start == end and w.end > end + 1 for w in tags)
        ):
            return start, end + 1
        return start, end

    def _without_repeated_surname(self, text: str, start: int, end: int) -> tuple[int, int]:
        """A name run into its own surname before a title (总监孙晶孙女士, 经理张伟张总): the name."""
        if end - start >= 3 and text[end - 1] == text[start] and self._titled_at(text, end - 1):
            return start, end - 1
        return start, end

    def _titled_at(self, text: str, surname: int) -> bool:
        return any(text.startswith(title, surname + 1) for title in self._titles)

    def _bare_surname(self, text: str, start: int, end: int) -> tuple[int, int]:
        """A name that is a surname and a mark making it a person's (林老, 刘家, 郭某, 杜氏, 老李): the
        surname, as a person named by the surname alone is annotated; any other name as it is."""
        spec = self.spec
        if text[start] in spec.surname_prefixes and self._is_surname(text[start + 1 : end]):
            return start + 1, end
        if text[end - 1] in spec.surname_suffixes and self._is_surname(text[start : end - 1]):
            return start, end - 1
        for cut in (start + 2, start + 1):  # a compound surname first
            if cut < end and self._is_surname(text[start:cut]):
                rest = text[cut:end]
                if rest in self._titles or rest.startswith("某"):  # 周女士, 王警官, 李某某, 罗某
                    return start, cut
                break
        return start, end

    def _is_surname(self, word: str) -> bool:
        return word in self._surnames or word in self._compounds

    def names_by_surname(self, text: str, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` is a surname a mark makes a person's name (王某, 张女士, 老李):
        the form :meth:`_bare_surname` cuts a name to."""
        if not self._is_surname(text[start:end]):
            return False
        marked_after = end < len(text) and text[end] in self.spec.surname_suffixes
        titled = any(text.startswith(title, end) for title in self._titles)
        return marked_after or titled or (start > 0 and text[start - 1] in self.spec.surname_prefixes)

    def rule_hits(self, text: str) -> list[Hit]:
        """The names the rules find (surnames, context words, clause boundaries, jieba's tags)."""
        hits: dict[int, Hit] = {}
        for match in self._after_context.finditer(text):
            hit = self._after_word(text, match.end(), match.group(1))
            if hit is not None:
                hits[hit.start] = hit
        starts = [m.end() for m in self._after_break.finditer(text)]
        if self._at_start.match(text):
            starts.insert(0, 0)
        for start in starts:
            if start not in hits:
                hit = self._at_clause(text, start)
                if hit is not None:
                    hits[start] = hit
        for hit in self._titled_surnames(text):
            hits.setdefault(hit.start, hit)
        spec = self.spec
        for name in romanised_names(text, self._spellings, spec.context, spec.titles, spec.english_labels):
            score = _BARE_PINYIN_SCORE if name.rule == WHOLE_VALUE else spec.scores.context
            hits.setdefault(name.start, Hit(name.start, name.end, score, name.rule, name.word))
        found = sorted(hits.values())
        return self._joined(text, found) if found else found

    def _titled_surnames(self, text: str) -> list[Hit]:
        """A surname right before 女士, 先生 or 小姐, anywhere (已回访苏女士, 回访时白女士): a person
        named by the surname; not when the surname's character ends a word (对于先生们, 任何女士)."""
        hits = []
        for match in self._titled.finditer(text):
            start, end = match.span(1)
            if start > 0 and self._is_word(text[start - 1 : start + 1]):
                continue
            hits.append(Hit(start, end, self.spec.scores.context, "surname_and_title"))
        return hits

    def _joined(self, text: str, hits: list[Hit]) -> list[Hit]:
        """Add names joined to a found name by 和, 与, 、 …: the joiner acts as a context word."""
        starts = {h.start for h in hits}
        queue = list(hits)
        while queue:
            hit = queue.pop()
            start = hit.end + 1
            if (
                text[hit.end : start] in self._joiners
                and start not in starts
                and self._has_surname(text, start)
            ):
                joined = self._after_word(text, start, text[hit.end])
                if joined is not None:
                    joined = joined._replace(pattern="joined_to_name")
                    hits.append(joined)
                    starts.add(start)
                    queue.append(joined)
        return sorted(hits)

    def _has_surname(self, text: str, start: int) -> bool:
        return text[start : start + 1] in self._surnames or text[start : start + 2] in self._compounds

    def _after_word(self, text: str, start: int, word: str) -> Hit | None:
        """A name right after a context word (or a joiner after another name)."""
        found = self._name_end(text, start, allow_unclear=True)
        if found is None:
            return None
        end, strength = found
        if self._is_word(text[start:end]):
            return None
        if strength == STRONG:
            return self._hit(text, start, end, self.spec.scores.context, "after_context_word", word)
        rule = "after_context_word_particle" if strength == WEAK else "after_context_word_jieba_nr"
        return self._hit(text, start, end, self.spec.scores.context_weak, rule, word)

    def _at_clause(self, text: str, start: int) -> Hit | None:
        """A name at the start of a clause, before a typical verb or a bracket, or alone in it."""
        if text[start] in self._ambiguous and text[start : start + 2] not in self._compounds:
            return None
        found = self._name_end(text, start, allow_unclear=False)
        if found is None:
            return None
        end, strength = found
        name = text[start:end]
        if self._is_word(name) or (len(name) == 3 and self._is_word(name[:2])):
            return None
        scores = self.spec.scores
        if strength != STRONG:
            if strength == WEAK and self._tagged_name(name):
                return self._hit(text, start, end, scores.clause, "clause_jieba_nr")
            return None
        if end < len(text) and "\u3400" <= text[end] <= "\u9fff":
            return self._hit(text, start, end, scores.clause, "clause_before_verb")
        if text[end : end + 1] == "(":
            return self._hit(text, start, end, scores.clause, "clause_before_bracket")
        if end == len(text) or not text[end].isalnum():
            return self._hit(text, start, end, scores.segment, "whole_clause")
        return None

    def _hit(self, text: str, start: int, end: int, score: float, rule: str, word: str | None = None) -> Hit:
        if self._tagged_name(text[start:end]):
            score = min(1.0, round(score + self.spec.scores.nr_bonus, 6))
        return Hit(start, end, score, rule, word)

    def _is_word(self, candidate: str) -> bool:
        """Whether jieba's dictionary knows the candidate as a frequent ordinary word (not a name)."""
        return common_word(candidate)

    def _given_ok(self, char: str) -> bool:
        return "\u3400" <= char <= "\u9fff" and char not in self._not_in_names

    def _strength(self, text: str, end: int) -> int:
        """How clearly a name ends at ``end``: punctuation or a follower word, a particle, or not."""
        if end == len(text) or not "\u3400" <= text[end] <= "\u9fff":
            return STRONG
        if self._strong is not None and self._strong.match(text, end):
            return STRONG
        return WEAK if text[end] in self._weak else NONE

    def _tagged_name(self, word: str) -> bool:
        return tagged_name(word)

    def _name_end(self, text: str, start: int, allow_unclear: bool) -> tuple[int, int] | None:
        """Where the name starting at ``start`` ends, and how clearly; None when it is no name."""
        given = start + (2 if text[start : start + 2] in self._compounds else 1)
        if given >= len(text) or not self._given_ok(text[given]):
            return None
        two = self._strength(text, given + 1)
        three = IMPOSSIBLE
        if given + 1 < len(text) and self._given_ok(text[given + 1]):
            three = self._strength(text, given + 2)
        if three > two:
            return given + 2, three
        if two > three:
            return given + 1, two
        return self._tie(text, start, given, two, allow_unclear)

    def _tie(
        self, text: str, start: int, given: int, strength: int, allow_unclear: bool
    ) -> tuple[int, int] | None:
        """Both lengths read equally well: a name in jieba's dictionary, else 2 after a particle, else 3.

        With no clear boundary at all, only a name jieba's dictionary tags ``nr`` is accepted, and
        only when ``allow_unclear`` (after a context word).
        """
        for end in (given + 2, given + 1):
            if self._tagged_name(text[start:end]) and (strength > NONE or allow_unclear):
                return end, strength
        if strength == NONE:
            return None
        return (given + 1, WEAK) if strength == WEAK else (given + 2, STRONG)
