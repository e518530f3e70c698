"""Aggregate the kept labelling functions into one layer and export the spaCy training corpus.

train: skweak votes (MajorityVoter, or the HMM fitted on train) over the functions that `score`
kept; `doc.ents` is set from the vote; as many empty docs as annotated ones are sampled with the
project seed; reviewed documents (from Argilla, `corpus/reviewed.spacy`) override their weak labels.
dev: gold restricted to the project labels. Only words, entities and ids are written: no labelling
function output and no gold label of train ever reaches the training file.
The aggregated labels are also scored on dev, to show what the model adds over its training labels.
"""
import random
import warnings
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import srsly
import typer
from spacy.tokens import Doc
from tqdm import tqdm
from wasabi import msg

from .evaluate import score_ents
from .util import GOLD, copy_with_ents, make_vocab, parse_labels, read_docs, write_docs, write_json

AGGREGATORS = ("majority", "hmm")


def select_sources(doc: Doc, kept: Dict[str, List[str]]) -> Doc:
    """Keep only the labelling functions (and their labels) that `score` kept; drop all other groups."""
    for name in list(doc.spans):
        if name not in kept:
            del doc.spans[name]
        elif kept[name]:  # [] means every label
            group = doc.spans[name]
            if any(s.label_ not in kept[name] for s in group):
                doc.spans[name] = [s for s in group if s.label_ in kept[name]]
    return doc


def make_aggregator(kind: str, labels: List[str]):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from skweak.aggregation import HMM, MajorityVoter
    if kind == "majority":
        return MajorityVoter(kind, labels, sequence_labelling=True)
    if kind == "hmm":
        return HMM(kind, labels, sequence_labelling=True)
    raise ValueError(f"unknown aggregator {kind!r}: choose one of {', '.join(AGGREGATORS)}")


def aggregate(train: Sequence[Doc], dev: Sequence[Doc], kept: Dict[str, List[str]], labels: List[str],
              kind: str = "majority") -> Tuple[List[List[Tuple[int, int, str]]], List[List[Tuple[int, int, str]]]]:
    """Aggregated (start, end, label) spans for each train and dev doc (the HMM is fitted on train only).

    The docs gain the aggregate's group (`kind`) and keep all their other groups (every function,
    dropped ones included, and gold): what a reviewer sees in Argilla.
    """
    agg = make_aggregator(kind, labels)
    # only kept functions vote (never gold): set the others aside while voting, restore them after
    saved = [{name: list(group) for name, group in d.spans.items()} for d in (*train, *dev)]
    train = [select_sources(d, kept) for d in train]
    dev = [select_sources(d, kept) for d in dev]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "hmm":
            agg.fit(train)
        out = []
        for docs in (train, dev):
            spans = []
            for doc in tqdm(agg.pipe(docs), total=len(docs), desc=f"{kind} {len(docs)} docs", leave=False):
                spans.append([(s.start, s.end, s.label_) for s in doc.spans.get(kind, [])])
            out.append(spans)
    for doc, groups in zip((*train, *dev), saved):
        for name, spans in groups.items():
            doc.spans[name] = spans
    return out[0], out[1]


def apply_reviews(docs: List[Doc], reviewed: Sequence[Doc]) -> Tuple[List[Doc], Dict[str, int]]:
    """Reviewed train docs replace their weak labels; discarded ones leave the training set."""
    by_index = {d.user_data.get("index"): d for d in reviewed if d.user_data.get("split") == "train"}
    counts = {"reviewed": 0, "discarded": 0, "ignored_other_splits": len(reviewed) - len(by_index)}
    out = []
    for doc in docs:
        review = by_index.get(doc.user_data.get("index"))
        if review is None:
            out.append(doc)
            continue
        if [t.text for t in review] != [t.text for t in doc]:
            raise ValueError(f"reviewed train sentence {doc.user_data.get('index')} has other words than the corpus")
        if review.user_data.get("review_status") == "discarded":
            counts["discarded"] += 1
            continue
        doc = copy_with_ents(doc, [(e.start, e.end, e.label_) for e in review.ents])
        doc.user_data["reviewed"] = True
        counts["reviewed"] += 1
        out.append(doc)
    return out, counts


def balance(docs: Sequence[Doc], seed: int) -> List[Doc]:
    """Every doc with entities (or reviewed by a person) plus as many empty ones, sampled with `seed`."""
    annotated = [d for d in docs if d.ents or d.user_data.get("reviewed")]
    empty = [d for d in docs if not (d.ents or d.user_data.get("reviewed"))]
    sample = random.Random(seed).sample(empty, min(len(annotated), len(empty)))
    return sorted(annotated + sample, key=lambda d: d.user_data.get("index", 0))


# fmt: off
def main(
    train_path: Path = typer.Argument(..., help="Annotated train .spacy", exists=True, dir_okay=False),
    dev_path: Path = typer.Argument(..., help="Annotated dev .spacy (with gold)", exists=True, dir_okay=False),
    selection_path: Path = typer.Argument(..., help="lf_selection.json from `score`", exists=True, dir_okay=False),
    output_dir: Path = typer.Argument(..., help="Where train.spacy and dev.spacy go"),
    scores_path: Path = typer.Argument(..., help="JSON with the aggregated labels' scores on dev"),
    labels: str = typer.Option("ORG", "--labels", "-l", help="Comma-separated labels"),
    aggregator: str = typer.Option("majority", "--aggregator", "-a", help="majority or hmm"),
    seed: int = typer.Option(42, "--seed", help="Seed for sampling empty docs"),
    reviewed_path: Optional[Path] = typer.Option(None, "--reviewed", help="Reviewed docs pulled from Argilla"),
    review_dir: Optional[Path] = typer.Option(None, "--review-dir", help="Also write {train,dev}_aggregated.spacy here: every function, the aggregate (+ dev gold), for Argilla"),
):
    # fmt: on
    """Vote over the kept labelling functions and write corpus/train.spacy and corpus/dev.spacy."""
    label_list = parse_labels(labels)
    if aggregator not in AGGREGATORS:
        msg.fail(f"--aggregator must be one of {', '.join(AGGREGATORS)}, not {aggregator!r}", exits=1)
    kept = srsly.read_json(selection_path)["kept"]
    vocab = make_vocab()
    train, dev = read_docs(train_path, vocab), read_docs(dev_path, vocab)
    if any(GOLD in d.spans for d in train):
        msg.fail(f"{train_path} holds gold spans: annotate train with --drop-gold", exits=1)
    gold = [[(s.start, s.end, s.label_) for s in d.spans[GOLD] if s.label_ in label_list] for d in dev]
    train_spans, dev_spans = aggregate(train, dev, kept, label_list, aggregator)
    if review_dir is not None:
        write_docs(review_dir / "train_aggregated.spacy", train)
        write_docs(review_dir / "dev_aggregated.spacy", dev)
    train_docs = [copy_with_ents(d, s) for d, s in zip(train, train_spans)]
    counts = {"reviewed": 0, "discarded": 0}
    if reviewed_path is not None and reviewed_path.exists():
        train_docs, counts = apply_reviews(train_docs, read_docs(reviewed_path, vocab))
    train_out = balance(train_docs, seed)
    n_annotated = sum(1 for d in train_out if d.ents)
    write_docs(output_dir / "train.spacy", train_out)
    write_docs(output_dir / "dev.spacy", (copy_with_ents(d, g) for d, g in zip(dev, gold)))
    dev_pred = [copy_with_ents(d, s) for d, s in zip(dev, dev_spans)]
    dev_gold = [copy_with_ents(d, g) for d, g in zip(dev, gold)]
    scores = score_ents(dev_pred, dev_gold, label_list)
    write_json(scores_path, {"aggregator": aggregator, "labels": label_list, "dev": scores,
                             "sources": sorted(kept), "train_docs": len(train_out),
                             "train_docs_with_entities": n_annotated, "reviews": counts})
    msg.good(f"{aggregator}: {len(train_out)} train docs ({n_annotated} with entities, "
             f"{counts['reviewed']} reviewed, {counts['discarded']} discarded) -> {output_dir}/train.spacy")
    msg.info(f"Aggregated labels on dev: P {scores['p']:.3f} R {scores['r']:.3f} F {scores['f']:.3f}")


if __name__ == "__main__":
    typer.run(main)
