"""``huiliu pii evaluate``: corpus readers, matching rules and the command, on small hand-made corpora."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.errors import ConfigurationError
from huiliu.pii.evaluation import Annotated, evaluate, read_bio, read_cluener, read_jsonl
from huiliu.pii.scanner import Finding


def finding(entity: str, start: int, end: int) -> Finding:
    return Finding(entity, start, end, 0.9, "test")


def test_bio_and_bmes_tags_become_spans(tmp_path: Path) -> None:
    path = tmp_path / "c.bio"
    path.write_text(
        "张\tB-PER\n三\tI-PER\n在\tO\n北\tB-LOC\n京\tE-LOC\n\n李\tS-PER\n说\tO\n", encoding="utf-8"
    )
    corpus = read_bio(path)
    assert [(t.text, t.spans) for t in corpus] == [
        ("张三在北京", (("PER", 0, 2), ("LOC", 3, 5))),
        ("李说", (("PER", 0, 1),)),
    ]


def test_weibo_characters_with_a_segment_digit(tmp_path: Path) -> None:
    path = tmp_path / "weibo.bio"
    path.write_text("李0\tB-PER.NAM\n开1\tI-PER.NAM\n妈0\tB-PER.NOM\n妈1\tI-PER.NOM\n", encoding="utf-8")
    corpus = read_bio(path)
    assert corpus[0].text == "李开妈妈"
    result = evaluate(corpus, [[finding("PERSON", 0, 2)]])
    person = result.score("PERSON")
    assert person is not None and (person.planted, person.true_positives) == (1, 1)


def test_cluener_inclusive_ends_are_made_exclusive(tmp_path: Path) -> None:
    path = tmp_path / "dev.json"
    record = {
        "text": "彭小军认为，台湾的发卡模式",
        "label": {"name": {"彭小军": [[0, 2]]}, "address": {"台湾": [[6, 7]]}},
    }
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    (text,) = read_cluener(path)
    assert sorted(text.spans) == [("address", 6, 8), ("name", 0, 3)]


def test_exact_names_and_covered_addresses() -> None:
    text = Annotated("住户王芳家住南明区花果园大街12号3栋", (("PER", 2, 4), ("ADDRESS", 6, 20)))
    near = [finding("PERSON", 2, 5), finding("ADDRESS", 6, 16)]  # 10 of 14 address characters
    result = evaluate([text], [near])
    person, address = result.score("PERSON"), result.score("ADDRESS")
    assert person is not None and person.true_positives == 0 and person.precision == 0
    assert address is not None and address.recall == 1 and address.precision == 1
    short = evaluate([text], [[finding("ADDRESS", 6, 12)]])  # 6 of 14: under 60%
    assert short.score("ADDRESS").recall == 0  # type: ignore[union-attr]
    assert short.score("ADDRESS").precision == 1  # type: ignore[union-attr]  (it overlaps the address)
    relaxed = evaluate([text], [near], rules={"PERSON": "overlap"})
    assert relaxed.score("PERSON").recall == 1  # type: ignore[union-attr]


def test_each_span_is_matched_once_and_unscored_types_are_ignored() -> None:
    text = Annotated("王芳和王芳", (("PER", 0, 2), ("LOC", 3, 5)))
    found = [finding("PERSON", 0, 2), finding("PERSON", 0, 2), finding("CN_MOBILE", 3, 5)]
    result = evaluate([text], [found])
    assert [s.entity_type for s in result.scores] == ["PERSON"]
    person = result.scores[0]
    assert (person.planted, person.found, person.true_positives) == (1, 2, 1)


def test_a_malformed_line_is_named_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "张三", "entities": []}\n{"text": "李四"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"line 2: not valid JSON"):
        read_jsonl(path)
    path.write_text(
        '{"text": "张三", "entities": [{"type": "PER", "start": 0, "end": 9}]}\n', encoding="utf-8"
    )
    with pytest.raises(ConfigurationError, match=r"line 1: span 0..9 lies outside the text of 2 characters"):
        read_jsonl(path)
    bio = tmp_path / "bad.bio"
    bio.write_text("张\tB-PER\n三\tPERSON\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"line 2: expected a character and a tag"):
        read_bio(bio)


def test_the_command_prints_figures_as_json(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    rows = [
        {"text": "居民张伟反映路灯不亮", "entities": [{"type": "PER", "start": 2, "end": 4}]},
        {"text": "今天天气很好", "entities": []},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = CliRunner().invoke(app, ["pii", "evaluate", "--corpus", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["texts"] == 2
    assert data["entities"] == [
        {
            "entity_type": "PERSON",
            "planted": 1,
            "found": 1,
            "true_positives": 1,
            "precision": 1.0,
            "recall": 1.0,
        }
    ]


def test_the_command_refuses_a_bad_option_and_a_missing_file(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["pii", "evaluate", "--corpus", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    bad = runner.invoke(app, ["pii", "evaluate", "--corpus", "x", "--match", "PERSON"])
    assert bad.exit_code == 2 and "NAME=VALUE" in bad.output
