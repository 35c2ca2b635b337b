"""The name model's training tool: what it trains on and what it holds out (PyTorch is not needed here)."""

from __future__ import annotations

from tools.train_name_model import _a_name, person_spans, surname_flags, without_people_of


def test_the_resume_corpus_names_are_people_not_companies_or_posts() -> None:
    tags = ["B-NAME", "E-NAME", "O", *["B-NAME"] + ["M-NAME"] * 6 + ["E-NAME"], "O", "S-NAME"]
    text = "高勇，华兰生物工程公司，李"
    spans = person_spans(tags, ("-NAME",))
    assert [text[a:b] for a, b in spans] == ["高勇", "华兰生物工程公司", "李"]
    assert [text[a:b] for a, b in spans if _a_name(text[a:b])] == ["高勇", "李"]
    assert not _a_name("PMIMember")


def test_holding_out_people_drops_every_sentence_that_names_them() -> None:
    msra = [
        (f"第{i}句，王小明出席。", [(4, 7)]) if i % 2 else (f"第{i}句，李华讲话。", [(4, 6)])
        for i in range(8)
    ]
    others = [("王小明在北京。", [(0, 3)]), ("张伟在上海。", [(0, 2)]), ("李华和张伟。", [(0, 2), (3, 5)])]
    assert {t[a:b] for t, spans in msra + others for a, b in spans} == {"王小明", "李华", "张伟"}
    split, rest = without_people_of(msra + others, {t for t, _ in msra}, every=3, most=2)
    assert [t for t, _ in split] == ["第0句，李华讲话。", "第3句，王小明出席。"]
    held = {"李华", "王小明"}
    assert all(not any(p in t for p in held) for t, _ in rest)
    assert ("张伟在上海。", [(0, 2)]) in rest
    assert not {t for t, _ in split} & {t for t, _ in rest}


def test_surname_flags_mark_the_registry_s_surnames_by_the_tagger_s_character_ids() -> None:
    from huiliu.pii.tagger import LexicalTagger

    flags = surname_flags()
    vocab = LexicalTagger()._vocab
    assert flags[vocab["尉"]].tolist() == [1, 1]  # a surname, and 尉迟 begins with it
    assert flags[vocab["仲"]].tolist()[0] == 1
    assert flags[vocab["欧"]].tolist()[1] == 1  # 欧阳
    assert flags[vocab["的"]].tolist() == [0, 0]
