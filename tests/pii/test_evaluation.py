"""``huiliu pii evaluate``: corpus readers, matching rules and the command, on small hand-made corpora.

The scoring tests give hand-made findings, so they do not depend on the recognizers' accuracy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.errors import ConfigurationError
from huiliu.pii import evaluation
from huiliu.pii.accuracy import match_spans
from huiliu.pii.evaluation import (
    Annotated,
    evaluate,
    read_bio,
    read_cluener,
    read_corpus,
    read_jsonl,
)
from huiliu.pii.scanner import Finding

runner = CliRunner()


def finding(entity: str, start: int, end: int) -> Finding:
    return Finding(entity, start, end, 0.9, "test")


def jsonl(path: Path, rows: Sequence[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_bio_and_bmes_tags_become_spans(tmp_path: Path) -> None:
    path = tmp_path / "c.bio"
    path.write_text(
        "张\tB-PER\n三\tI-PER\n在\tO\n北\tB-LOC\n京\tE-LOC\n\n李\tS-PER\n说\tO\n", encoding="utf-8"
    )
    corpus = read_bio(path)
    assert [(t.text, t.spans, t.line) for t in corpus] == [
        ("张三在北京", (("PER", 0, 2), ("LOC", 3, 5)), 1),
        ("李说", (("PER", 0, 1),), 7),
    ]


def test_bmes_and_bioes_files_with_a_bom_and_spaces(tmp_path: Path) -> None:
    path = tmp_path / "bmes.txt"
    lines = ["欧 B-NR", "阳 M-NR", "修 E-NR", "到 O", "京 S-NS", "", "王 B-PER", "芳 E-PER", "王 S-PER"]
    path.write_text("\n".join(lines) + "\n\n\n", encoding="utf-8-sig")
    corpus = read_bio(path)
    assert [(t.text, t.spans) for t in corpus] == [
        ("欧阳修到京", (("NR", 0, 3), ("NS", 4, 5))),
        ("王芳王", (("PER", 0, 2), ("PER", 2, 3))),
    ]
    result = evaluate(corpus, [[finding("PERSON", 0, 3)], [finding("PERSON", 0, 2)]])
    assert [s.as_dict() for s in result.scores] == [
        {
            "entity_type": "PERSON",
            "planted": 3,
            "found": 2,
            "true_positives": 2,
            "precision": 1.0,
            "recall": 0.6667,
        }
    ]
    assert result.unscored == {"NS": 1}


def test_a_token_longer_than_a_character_keeps_character_offsets(tmp_path: Path) -> None:
    path = tmp_path / "mixed.bio"
    path.write_text("GPS O\n张 B-PER\n三 I-PER\n", encoding="utf-8")
    (text,) = read_bio(path)
    assert (text.text, text.spans) == ("GPS张三", (("PER", 3, 5),))


def test_weibo_characters_with_a_segment_digit(tmp_path: Path) -> None:
    path = tmp_path / "weibo.bio"
    path.write_text("李0\tB-PER.NAM\n开1\tI-PER.NAM\n妈0\tB-PER.NOM\n妈1\tI-PER.NOM\n", encoding="utf-8")
    corpus = read_bio(path)
    assert corpus[0].text == "李开妈妈"
    result = evaluate(corpus, [[finding("PERSON", 0, 2)]])
    person = result.score("PERSON")
    assert person is not None and (person.planted, person.true_positives) == (1, 1)
    assert result.unscored == {"PER.NOM": 1}


def test_cluener_inclusive_ends_are_made_exclusive(tmp_path: Path) -> None:
    path = tmp_path / "dev.json"
    record = {
        "text": "彭小军认为，台湾的发卡模式",
        "label": {"name": {"彭小军": [[0, 2]]}, "address": {"台湾": [[6, 7]]}},
    }
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    (text,) = read_cluener(path)
    assert sorted(text.spans) == [("address", 6, 8), ("name", 0, 3)]
    result = evaluate([text], [[finding("PERSON", 0, 3), finding("ADDRESS", 6, 8)]])
    assert {s.entity_type: s.true_positives for s in result.scores} == {"ADDRESS": 1, "PERSON": 1}


def test_exact_names_and_covered_addresses() -> None:
    text = Annotated("住户王芳家住南明区花果园大街12号3栋", (("PER", 2, 4), ("ADDRESS", 6, 20)))
    near = [finding("PERSON", 2, 5), finding("ADDRESS", 6, 16)]  # 10 of 14 address characters
    result = evaluate([text], [near])
    person, address = result.score("PERSON"), result.score("ADDRESS")
    assert person is not None and person.true_positives == 0 and person.precision == 0
    assert address is not None and address.recall == 1 and address.precision == 1
    assert result.rules == {"ADDRESS": "coverage", "PERSON": "exact"}
    short = evaluate([text], [[finding("ADDRESS", 6, 12)]])  # 6 of 14: under 60%
    assert short.score("ADDRESS").recall == 0  # type: ignore[union-attr]
    assert short.score("ADDRESS").precision == 1  # type: ignore[union-attr]  (it overlaps the address)
    assert evaluate([text], [[finding("ADDRESS", 6, 12)]], min_coverage=0.4).score("ADDRESS").recall == 1  # type: ignore[union-attr]
    strict = evaluate([text], [near], rules={"ADDRESS": "exact"})
    assert strict.score("ADDRESS").recall == 0  # type: ignore[union-attr]
    relaxed = evaluate([text], [near], rules={"PERSON": "overlap"})
    assert relaxed.score("PERSON").recall == 1  # type: ignore[union-attr]


def test_an_address_found_in_two_pieces_is_matched_once() -> None:
    text = Annotated("南明区花果园大街12号", (("ADDRESS", 0, 11),))
    pieces = [[finding("ADDRESS", 0, 3), finding("ADDRESS", 3, 11)]]
    coverage = evaluate([text], pieces).score("ADDRESS")
    assert coverage is not None
    assert (coverage.planted, coverage.found, coverage.true_positives) == (1, 2, 1)
    assert coverage.recall == 1 and coverage.precision == 1  # both pieces overlap the address
    overlap = evaluate([text], pieces, rules={"ADDRESS": "overlap"}).score("ADDRESS")
    assert overlap is not None and overlap.recall == 1 and overlap.precision == 0.5


def test_spans_are_paired_by_largest_overlap() -> None:
    assert match_spans([(0, 4), (4, 8)], [(2, 8)], "overlap") == ({1}, {0})
    assert match_spans([(0, 4), (0, 4)], [(0, 4), (0, 4), (0, 4)], "exact") == ({0, 1}, {0, 1})
    assert match_spans([(0, 10)], [(0, 6)], "coverage", 0.6) == ({0}, {0})
    assert match_spans([(0, 10)], [(0, 5)], "coverage", 0.6) == (set(), {0})


def test_each_span_is_matched_once_and_unscored_types_are_ignored() -> None:
    text = Annotated("王芳和王芳", (("PER", 0, 2), ("LOC", 3, 5)))
    found = [finding("PERSON", 0, 2), finding("PERSON", 0, 2), finding("CN_MOBILE", 3, 5)]
    result = evaluate([text], [found])
    assert [s.entity_type for s in result.scores] == ["PERSON"]
    person = result.scores[0]
    assert (person.planted, person.found, person.true_positives) == (1, 2, 1)
    assert result.unscored == {"LOC": 1}


def test_a_corpus_without_addresses_scores_no_address() -> None:
    corpus = [
        Annotated("记者李明在南明区花果园报道", (("PER", 2, 4),)),
        Annotated("电话13800138000", ()),
    ]
    found = [
        [finding("PERSON", 2, 4), finding("ADDRESS", 5, 11)],
        [finding("CN_MOBILE", 2, 13), finding("PERSON", 0, 2)],
    ]
    result = evaluate(corpus, found)
    assert [s.entity_type for s in result.scores] == ["PERSON"]
    person = result.scores[0]
    assert (person.planted, person.found, person.true_positives) == (1, 2, 1)  # a false name in text 2
    assert person.precision == 0.5
    empty = evaluate([Annotated("今天天气很好", ())], [[finding("PERSON", 0, 2)]])
    assert empty.scores == [] and empty.total.found == 0 and empty.total.precision is None


def test_labels_are_renamed_and_those_the_scanner_cannot_report_are_not_scored() -> None:
    text = Annotated("李明住在南明区花果园大街12号", (("nr", 0, 2), ("LOC", 4, 15), ("ORG", 4, 7)))
    found = [[finding("PERSON", 0, 2), finding("ADDRESS", 4, 15)]]
    plain = evaluate([text], found)
    assert [s.entity_type for s in plain.scores] == ["PERSON"]
    assert plain.unscored == {"LOC": 1, "ORG": 1}
    renamed = evaluate(
        [text], found, labels={"loc": "ADDRESS", "ORG": "ORGANIZATION"}, entities={"PERSON", "ADDRESS"}
    )
    assert [s.entity_type for s in renamed.scores] == ["ADDRESS", "PERSON"]
    assert renamed.unscored == {"ORG": 1}
    assert renamed.total.as_dict() == {
        "entity_type": "TOTAL",
        "planted": 2,
        "found": 2,
        "true_positives": 2,
        "precision": 1.0,
        "recall": 1.0,
    }


def test_examples_name_the_line_of_what_was_missed_and_wrongly_found() -> None:
    corpus = [Annotated("张三和李四", (("PER", 0, 2), ("PER", 3, 5)), line=4)]
    result = evaluate(corpus, [[finding("PERSON", 0, 3)]], examples=5)
    assert [(m["line"], m["annotated"], m["found"]) for m in result.misses] == [
        (4, "张三", ["张三和"]),
        (4, "李四", []),
    ]
    assert [(f["line"], f["found"]) for f in result.false_positives] == [(4, "张三和")]
    assert "misses" not in evaluate(corpus, [[finding("PERSON", 0, 3)]]).as_dict()


def test_a_malformed_line_is_named_with_the_file_and_its_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "张三", "entities": []}\n\n{"text": "李四"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"line 3: not valid JSON") as error:
        read_jsonl(path)
    assert str(path) in str(error.value) and "第 3 行" in str(error.value)
    jsonl(path, [{"text": "张三", "entities": [{"type": "PER", "start": 0, "end": 9}]}])
    with pytest.raises(ConfigurationError, match=r"line 1: PER span 0..9 lies outside the text of 2"):
        read_jsonl(path)
    jsonl(path, [{"text": "张三", "entities": [{"type": "PER", "start": "0", "end": 2}]}])
    with pytest.raises(ConfigurationError, match=r"line 1: expected .*integer start and end"):
        read_jsonl(path)
    bio = tmp_path / "bad.bio"
    bio.write_text("张\tB-PER\n三\tPERSON\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"bad.bio, line 2: expected a character and a tag"):
        read_bio(bio)
    dev = tmp_path / "dev.json"
    jsonl(dev, [{"text": "彭小军认为", "label": {"name": {"彭小军": [[0, 3]]}}}])  # an exclusive end
    with pytest.raises(ConfigurationError, match=r"dev.json, line 1: the name span \[0, 3\].*inclusive"):
        read_cluener(dev)
    gbk = tmp_path / "gbk.jsonl"
    gbk.write_bytes('{"text": "a", "entities": []}\n{"text": "张三"}\n'.encode("gbk"))
    with pytest.raises(ConfigurationError, match=r"gbk.jsonl, line 2: not UTF-8"):
        read_jsonl(gbk)
    with pytest.raises(ConfigurationError, match=r"unknown corpus format 'conll'"):
        read_corpus(path, "conll")
    with pytest.raises(ConfigurationError, match=r"match rule PERSON=fuzzy"):
        evaluate([], [], rules={"PERSON": "fuzzy"})  # type: ignore[dict-item]


def test_the_command_prints_figures_as_json(tmp_path: Path) -> None:
    rows = [
        {"text": "居民张伟反映路灯不亮", "entities": [{"type": "PER", "start": 2, "end": 4}]},
        {"text": "今天天气很好", "entities": []},
    ]
    path = jsonl(tmp_path / "c.jsonl", rows)
    result = runner.invoke(app, ["pii", "evaluate", "--corpus", str(path), "--json"])
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


FOUND = {
    "李明住在南明区花果园大街12号": [finding("PERSON", 0, 2), finding("ADDRESS", 4, 10)],
    "王小红说": [finding("PERSON", 0, 2)],
}


@pytest.fixture
def fixed_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluation, "scan_texts", lambda texts, engine: [FOUND.get(t, []) for t in texts])


@pytest.mark.usefixtures("fixed_findings")
def test_the_command_renames_labels_and_applies_rules(tmp_path: Path) -> None:
    path = tmp_path / "dev.json"
    jsonl(
        path,
        [
            {
                "text": "李明住在南明区花果园大街12号",
                "label": {"name": {"李明": [[0, 1]]}, "loc": {"南明区花果园大街12号": [[4, 14]]}},
            },
            {"text": "王小红说", "label": {"name": {"王小红": [[0, 2]]}}},
        ],
    )
    args = ["pii", "evaluate", "--corpus", str(path), "--format", "cluener", "--json"]
    plain = json.loads(runner.invoke(app, args).stdout)
    assert [e["entity_type"] for e in plain["entities"]] == ["PERSON"]
    assert plain["unscored_labels"] == {"loc": 1}
    assert plain["entities"][0]["recall"] == 0.5
    renamed = runner.invoke(app, [*args, "--label", "loc=ADDRESS", "--match", "PERSON=overlap"])
    assert renamed.exit_code == 0, renamed.output
    data = json.loads(renamed.stdout)
    assert data["match"] == {"ADDRESS": "coverage", "PERSON": "overlap"}
    figures = {e["entity_type"]: (e["true_positives"], e["precision"], e["recall"]) for e in data["entities"]}
    assert figures == {"ADDRESS": (0, 1.0, 0.0), "PERSON": (2, 1.0, 1.0)}  # 6 of 11 characters
    assert data["total"]["planted"] == 3 and data["total"]["true_positives"] == 2
    looser = json.loads(runner.invoke(app, [*args, "--label", "loc=ADDRESS", "--min-coverage", "0.5"]).stdout)
    assert looser["entities"][0]["entity_type"] == "ADDRESS" and looser["entities"][0]["recall"] == 1.0


@pytest.mark.usefixtures("fixed_findings")
def test_the_command_prints_a_table_and_examples(tmp_path: Path) -> None:
    path = tmp_path / "c.bio"
    path.write_text("王 B-PER\n小 I-PER\n红 E-PER\n说 O\n", encoding="utf-8")
    result = runner.invoke(
        app, ["pii", "evaluate", "--corpus", str(path), "--format", "bio", "--errors", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "TP" in result.stdout and "PERSON" in result.stdout and "0.0000" in result.stdout
    assert "missed PERSON (line 1): 王小红 — 王小红说" in result.stdout
    assert "wrongly found PERSON (line 1): 王小" in result.stdout
    plain = runner.invoke(app, ["pii", "evaluate", "--corpus", str(path), "--format", "bio"])
    assert "missed" not in plain.stdout


def test_the_command_refuses_a_bad_option_and_a_missing_file(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["pii", "evaluate", "--corpus", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    bad = runner.invoke(app, ["pii", "evaluate", "--corpus", "x", "--match", "PERSON"])
    assert bad.exit_code == 2 and "NAME=VALUE" in bad.output
    rule = runner.invoke(app, ["pii", "evaluate", "--corpus", "x", "--match", "PERSON=fuzzy"])
    assert rule.exit_code == 2 and "PERSON=fuzzy" in rule.output
    fmt = runner.invoke(app, ["pii", "evaluate", "--corpus", "x", "--format", "conll"])
    assert fmt.exit_code == 2 and "unknown corpus format" in fmt.output
