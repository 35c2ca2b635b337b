"""jieba's dictionary as a lexicon: which strings are words, which are personal names.

Read once per process (the recognizers' ``load``). jieba's dictionary was built from large
Chinese corpora; its part-of-speech tags (``nr`` personal name, ``ns`` place, ``nz`` other proper
noun, ``t`` time …) and word frequencies are evidence, not truth: it tags some frequent words as
names (阳光) and some names as other words (周恩来 as a time word).
"""

from __future__ import annotations

import logging
from functools import lru_cache

PROPER_NOUN_TAGS = frozenset({"ns", "nt", "nz"})
COMMON_WORD_FREQUENCY = 50
COMMON_PROPER_NOUN_FREQUENCY = 500
COMMON_NAME_TAGGED_FREQUENCY = 1000


@lru_cache(maxsize=1)
def word_tags() -> dict[str, str]:
    """jieba's dictionary: word → part-of-speech tag (``nr`` for personal names)."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    tags: dict[str, str] = jieba.posseg.dt.word_tag_tab
    return tags


@lru_cache(maxsize=1)
def word_frequencies() -> dict[str, int]:
    """jieba's dictionary: word → frequency in its corpus."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.dt.initialize()
    frequencies: dict[str, int] = jieba.dt.FREQ
    return frequencies


def common_word(word: str) -> bool:
    """Whether jieba's dictionary has ``word`` as a frequent word that is not a personal name.

    Place and other proper names (``ns``, ``nz``, ``nt``) must be ten times as frequent as common
    words: 甘宁 or 高建国 are tagged as places but are names here; 汉族 (``nz``) is a word. jieba
    also tags some frequent two-character words as names (阳光, 明白): those count as words.
    """
    tag = word_tags().get(word)
    if tag is None:
        return False
    if tag.startswith("nr"):
        limit = COMMON_NAME_TAGGED_FREQUENCY if len(word) == 2 else None
    else:
        limit = COMMON_PROPER_NOUN_FREQUENCY if tag in PROPER_NOUN_TAGS else COMMON_WORD_FREQUENCY
    return limit is not None and word_frequencies().get(word, 0) >= limit


def tagged_name(word: str) -> bool:
    """Whether jieba's part-of-speech dictionary tags ``word`` as a personal name (``nr``)."""
    return word_tags().get(word, "").startswith("nr") and not common_word(word)


@lru_cache(maxsize=1)
def name_final_counts() -> dict[str, int]:
    """How many three-character personal names of jieba's dictionary end with each character.

    A character that ends many names (军, 刚, 才) is likely the end of a name when the tagger
    stopped one character short of it; one that ends few (说, 在) is not.
    """
    counts: dict[str, int] = {}
    for word, tag in word_tags().items():
        if tag == "nr" and len(word) == 3:
            counts[word[2]] = counts.get(word[2], 0) + 1
    return counts


@lru_cache(maxsize=1)
def country_names() -> frozenset[str]:
    """Chinese names of countries and regions (Faker's ``zh_CN`` address data), two characters or more.

    The tagger sometimes reads a transliterated country (几内亚, 布隆迪) as a person's name.
    """
    from faker.providers.address.zh_CN import Provider

    return frozenset(name for name in Provider.countries if len(name) >= 2)
