"""Where a name the tagger read begins and ends: its words put right, then the whole engine.

The tagger's words are written out here (what LAC gives on such sentences), so each rule is
checked on its own; the last tests run the real engine with the real tagger.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from huiliu.pii.config import PersonSpec, builtin_spec, load_config
from huiliu.pii.engine import build_engine
from huiliu.pii.recognizers.cn.name_spans import TaggedNames
from huiliu.pii.tagger import Word


@pytest.fixture(scope="module")
def names() -> TaggedNames:
    spec = builtin_spec("person")
    assert isinstance(spec, PersonSpec)
    return TaggedNames(spec)


def words(text: str, *pieces: tuple[str, str]) -> tuple[Word, ...]:
    """The tagger's words: ``(piece, label)`` in order, covering ``text``."""
    out, at = [], 0
    for piece, label in pieces:
        assert text.startswith(piece, at), (piece, at)
        out.append(Word(at, at + len(piece), label))
        at += len(piece)
    assert at == len(text)
    return tuple(out)


def found(names: TaggedNames, text: str, *pieces: tuple[str, str]) -> list[str]:
    return [text[a:b] for a, b in names.spans(text, words(text, *pieces))]


def test_a_name_run_on_into_a_word_is_cut_where_the_word_begins(names: TaggedNames) -> None:
    assert found(names, "唐胜利康复回乡", ("唐胜利康复", "PER"), ("回乡", "v")) == ["唐胜利"]
    assert found(names, "李元抚摸着", ("李元抚摸", "PER"), ("着", "u")) == ["李元"]


def test_three_character_and_transliterated_names_are_left_whole(names: TaggedNames) -> None:
    assert found(names, "我叫赵新民", ("我", "r"), ("叫", "v"), ("赵新民", "PER")) == ["赵新民"]
    assert found(names, "穆里尼奥有点", ("穆里尼奥", "PER"), ("有点", "d")) == ["穆里尼奥"]


def test_a_name_cut_one_character_short_goes_on_when_that_character_ends_names(names: TaggedNames) -> None:
    text = "荣获茅以升桥梁大奖"
    tagged = (("荣获", "v"), ("茅以", "PER"), ("升", "v"), ("桥梁", "n"), ("大奖", "n"))
    assert found(names, text, *tagged) == ["茅以升"]
    text = "罗毅刚胜出"
    assert found(names, text, ("罗毅", "PER"), ("刚", "d"), ("胜出", "v")) == ["罗毅刚"]


def test_a_particle_or_verb_after_a_name_is_not_taken_into_it(names: TaggedNames) -> None:
    assert found(names, "李鹏说，", ("李鹏", "PER"), ("说", "v"), ("，", "w")) == ["李鹏"]
    assert found(names, "孙俊排第二", ("孙俊", "PER"), ("排", "v"), ("第二", "m")) == ["孙俊"]
    assert found(names, "王磊和张新", ("王磊", "PER"), ("和", "c"), ("张新", "PER")) == ["王磊", "张新"]


def test_a_foreign_name_split_at_its_dot_or_dash_is_read_whole(names: TaggedNames) -> None:
    text = "乌里奇·韦塞尔说"
    assert found(names, text, ("乌里奇·", "PER"), ("韦塞尔", "PER"), ("说", "v")) == ["乌里奇·韦塞尔"]
    text = "差瓦利·永猜裕表示"
    assert found(names, text, ("差瓦利", "PER"), ("·永猜裕", "w"), ("表示", "v")) == ["差瓦利·永猜裕"]


def test_titles_before_and_after_a_name_are_cut_off(names: TaggedNames) -> None:
    assert found(names, "王储玛哈", ("王储玛哈", "PER")) == ["玛哈"]
    assert found(names, "江总书记指出", ("江总书记", "PER"), ("指出", "v")) == ["江"]
    assert found(names, "王大娘说", ("王大娘", "PER"), ("说", "v")) == ["王"]


def test_a_name_inside_a_term_or_after_a_title_is_found(names: TaggedNames) -> None:
    assert found(names, "坚持马克思主义", ("坚持", "v"), ("马克思主义", "nz")) == ["马克思"]
    assert found(names, "克林顿政府表示", ("克林顿政府", "ORG"), ("表示", "v")) == ["克林顿"]
    assert found(names, "社会主义", ("社会主义", "nz")) == []
    assert found(names, "总理基里延科", ("总理基里延科", "n")) == ["基里延科"]


def test_countries_common_words_and_lone_prepositions_are_not_names(names: TaggedNames) -> None:
    assert found(names, "几内亚比绍", ("几内亚", "PER"), ("比绍", "LOC")) == []
    assert found(names, "于", ("于", "PER")) == []
    assert found(names, "伊", ("伊", "PER")) == []
    assert found(names, "吕说", ("吕", "PER"), ("说", "v")) == ["吕"]


def test_the_engine_reports_the_corrected_spans(tmp_path: Path) -> None:
    # these corrections apply to LAC's own names: the engine with the name model switched off
    registry = tmp_path / "lac_names.yaml"
    registry.write_text("model: {names: false}\n", encoding="utf-8")
    engine = build_engine(load_config(registry), registry)
    assert engine.tagger is not None and engine.tagger.names is None
    for text, name in [
        ("因为单从目前最新世界排名上看，孙俊排第二、罗毅刚排第三、董炯则排在第五。", "罗毅刚"),
        ("60年前，毛泽东、周恩来等老一代革命家联名发出了号召。", "周恩来"),
    ]:
        spans = [text[f.start : f.end] for f in engine.analyze(text) if f.entity_type == "PERSON"]
        assert name in spans, spans
