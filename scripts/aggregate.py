"""Aggregate the kept labelling functions into one layer and export the spaCy training corpus.

train: skweak votes (MajorityVoter, or the HMM fitted on train) over the functions that `score`
kept; `doc.ents` is set from the vote; as many empty docs as annotated ones are sampled with the
project seed; reviewed documents (from Argilla, `corpus/reviewed.spacy`) override their weak labels.
dev: gold restricted to the project labels. Only words, entities and ids are written: no labelling
function output and no gold label of train ever reaches the training file.
The aggregated labels are also scored on dev, to show what the model adds over its training labels.
"""
import contextlib
import os
import pickle
import random
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import srsly
import typer
from spacy.tokens import Doc, DocBin
from tqdm import tqdm
from wasabi import msg

from .evaluate import gold_docs, score_ents

with warnings.catch_warnings():  # skweak's own imports warn about pandas/scipy deprecations
    warnings.simplefilter("ignore", FutureWarning)
    from skweak.voting import MajorityVoterMixin
from .aggregators import VectorisedHMM, VectorisedMajorityVoter
from .parallel import Runner, ordered_map, runner, runner_or, scheduler_address
from .util import (GOLD, SHARD_SIZE, CorpusWriter, article_chunks, copy_with_ents, corpus_files, iter_shards, make_vocab,
                   parse_labels, read_docs, shard_vocab, write_json)  # fmt: skip

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


def make_aggregator(kind: str, labels: List[str], weights: Optional[Dict[str, float]] = None):
    """skweak's aggregator `kind`; `weights` (function -> weight, default 1) are its initial_weights."""
    if kind == "majority":  # skweak.aggregation.MajorityVoter(sequence_labelling=True)
        return VectorisedMajorityVoter(kind, labels, initial_weights=weights or None)
    if kind == "hmm":  # skweak.aggregation.HMM(sequence_labelling=True) is this class
        return VectorisedHMM(kind, labels, initial_weights=weights or None)
    raise ValueError(f"unknown aggregator {kind!r}: choose one of {', '.join(AGGREGATORS)}")


def fit_sample(docs: Iterable[Doc], max_docs: int, seed: int) -> List[Doc]:
    """At most `max_docs` docs, drawn uniformly from the stream with `seed` (reservoir sampling), in corpus order.

    A corpus no bigger than `max_docs` comes back whole, so the HMM fits on all of CoNLL train.
    """
    rng = random.Random(seed)
    sample: List[Tuple[int, Doc]] = []
    for i, doc in enumerate(docs):
        if i < max_docs:
            sample.append((i, doc))
        else:
            j = rng.randint(0, i)
            if j < max_docs:
                sample[j] = (i, doc)
    return [doc for _, doc in sorted(sample, key=lambda x: x[0])]


def _observe_shard(args) -> List[Optional[Tuple[List[str], np.ndarray]]]:
    """Worker side: per doc of a shard, what the kept functions say (VectorisedHMM.observed), for the fit."""
    labels, kept, data = args
    docs = [select_sources(d, kept) for d in DocBin(store_user_data=True).from_bytes(data).get_docs(shard_vocab())]
    return VectorisedHMM("hmm", labels).observed(docs)


def fit_hmm(agg: VectorisedHMM, train_path: Path, kept: Dict[str, List[str]], max_docs: int, seed: int,
            n_process: int = 1, shard_size: int = SHARD_SIZE, scheduler: Optional[str] = None,
            run: Optional[Runner] = None) -> int:
    """Fit the HMM on a seeded sample of at most `max_docs` train docs (`fit_sample`); returns the sample size.

    Workers read the shards and send back only the observation arrays, which this process samples
    and fits on: the same sample, and the same fit, as `fit(agg, fit_sample(docs, ...), kept)`.
    """
    jobs = ((agg.out_labels_no_prefixes, kept, data) for data in iter_shards(train_path, shard_size))
    with runner_or(run, n_process, scheduler) as run:
        observed = (o for shard in ordered_map(run, _observe_shard, jobs) for o in shard)
        sample = fit_sample(observed, max_docs, seed)
    agg.fit_observed([o for o in sample if o is not None])
    return len(sample)


def fit(agg, docs: Iterable[Doc], kept: Dict[str, List[str]]):
    """Fit the aggregator (the HMM; majority voting has nothing to fit) on the kept functions of `docs`."""
    if not isinstance(agg, MajorityVoterMixin):
        with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):  # skweak prints its EM steps
            warnings.simplefilter("ignore")
            agg.fit([select_sources(d, kept) for d in docs])
    return agg


def vote(agg, docs: Iterable[Doc], kept: Dict[str, List[str]]) -> List[Doc]:
    """The docs with the aggregate's group (named after the aggregator) added; every other group is kept
    (all functions, dropped ones included, and gold): what a reviewer sees in Argilla. Only kept
    functions vote, never gold."""
    docs = list(docs)
    saved = [{name: list(group) for name, group in d.spans.items()} for d in docs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        voted = list(agg.pipe(select_sources(d, kept) for d in docs))
    for doc, groups in zip(voted, saved):
        for name, spans in groups.items():
            doc.spans[name] = spans
    return voted


def _vote_shard(args) -> Tuple[Optional[bytes], bytes, int, List[bool], Dict[str, int], List[bool]]:
    """Worker side: vote over one shard and apply the reviews of its docs.

    In: the pickled (fitted) aggregator, the kept functions, DocBin bytes, the reviewed train docs
    (DocBin bytes, few) and whether the full voted docs are wanted (for Argilla). Out: those full
    docs, the slim training docs (words, ids, entities; discarded ones left out) as DocBin bytes,
    and per slim doc whether it always goes into training, plus review counts.
    """
    agg_bytes, kept, kind, data, reviews, want_full = args
    vocab = shard_vocab()
    docs = list(DocBin(store_user_data=True).from_bytes(data).get_docs(vocab))
    if any(GOLD in d.spans for d in docs):
        raise GoldInTrainError("the train corpus holds gold spans: annotate train with --drop-gold")
    voted = vote(pickle.loads(agg_bytes), docs, kept)
    by_index, counts = train_reviews(list(DocBin(store_user_data=True).from_bytes(reviews).get_docs(vocab)))
    slim = [apply_review(copy_with_ents(d, spans_of(d, kind)), by_index.get(d.user_data.get("index")), counts)
            for d in voted]  # fmt: skip
    slim = [d for d in slim if d is not None]
    full = DocBin(store_user_data=True, docs=voted).to_bytes() if want_full else None
    del counts["ignored_other_splits"]
    slim_bytes = DocBin(store_user_data=True, docs=slim).to_bytes()
    return full, slim_bytes, len(docs), [keep_for_training(d) for d in slim], counts, [bool(d.ents) for d in slim]


def vote_stream(agg, docs: Iterable[Doc], kept: Dict[str, List[str]], n_process: int = 1,
                shard_size: int = SHARD_SIZE, scheduler: Optional[str] = None) -> Iterator[Doc]:
    """`vote` over a stream of docs, shard by shard: in this process, in `n_process` processes, or on Dask."""
    with runner(n_process, scheduler) as run:
        if run.local:
            for chunk in article_chunks(docs, shard_size):
                yield from vote(agg, chunk, kept)
            return
        agg_bytes, vocab, no_reviews = pickle.dumps(agg), make_vocab(), DocBin().to_bytes()
        jobs = ((agg_bytes, kept, agg.name, DocBin(store_user_data=True, docs=c).to_bytes(), no_reviews, True)
                for c in article_chunks(docs, shard_size))  # fmt: skip
        for data, *_ in ordered_map(run, _vote_shard, jobs):
            yield from DocBin(store_user_data=True).from_bytes(data).get_docs(vocab)


def aggregate_dev(agg, kind: str, shards: Sequence[bytes], kept: Dict[str, List[str]], labels: List[str],
                  ) -> Tuple[List[Tuple[bytes, int]], bytes, Dict, Dict]:
    """Vote over dev (with gold) shard by shard. Returns the voted shards (every group, for Argilla) as
    DocBin bytes, the gold docs (the project's labels as ents: the model's dev set) as DocBin bytes,
    the aggregate's scores on dev and, when it is the HMM, majority voting's scores too."""
    vocab = shard_vocab()
    voted_shards, dev = [], []
    for data in shards:
        voted = vote(agg, DocBin(store_user_data=True).from_bytes(data).get_docs(vocab), kept)
        voted_shards.append((DocBin(store_user_data=True, docs=voted).to_bytes(), len(voted)))
        dev += voted
    gold = gold_docs(dev, labels)
    scores = score_ents([copy_with_ents(d, spans_of(d, kind)) for d in dev], gold, labels)
    # the other aggregator on dev too, so both are reported (majority voting needs no fit; the HMM
    # is only scored when it is the one that ran)
    also = {}
    if kind != "majority":
        majority = vote(make_aggregator("majority", labels, agg.initial_weights), [d.copy() for d in dev], kept)
        also["majority"] = score_ents([copy_with_ents(d, spans_of(d, "majority")) for d in majority], gold, labels)
    return voted_shards, DocBin(store_user_data=True, docs=gold).to_bytes(), scores, also


def _aggregate_dev(args):
    agg_bytes, *rest = args
    return aggregate_dev(pickle.loads(agg_bytes), *rest)


class GoldInTrainError(ValueError):
    """The train corpus still holds gold spans."""


def spans_of(doc: Doc, kind: str) -> List[Tuple[int, int, str]]:
    return [(s.start, s.end, s.label_) for s in doc.spans.get(kind, [])]


def aggregate(train: Sequence[Doc], dev: Sequence[Doc], kept: Dict[str, List[str]], labels: List[str],
              kind: str = "majority", weights: Optional[Dict[str, float]] = None,
              ) -> Tuple[List[List[Tuple[int, int, str]]], List[List[Tuple[int, int, str]]]]:
    """Aggregated (start, end, label) spans for each train and dev doc (the HMM is fitted on train only).

    The docs gain the aggregate's group (`kind`) and keep all their other groups.
    """
    agg = fit(make_aggregator(kind, labels, weights), [d.copy() for d in train], kept)
    return [spans_of(d, kind) for d in vote(agg, train, kept)], [spans_of(d, kind) for d in vote(agg, dev, kept)]


def apply_review(doc: Doc, review: Optional[Doc], counts: Dict[str, int]) -> Optional[Doc]:
    """A reviewed train doc replaces its weak labels (None if the reviewer discarded it)."""
    if review is None:
        return doc
    if [t.text for t in review] != [t.text for t in doc]:
        raise ValueError(f"reviewed train sentence {doc.user_data.get('index')} has other words than the corpus")
    if review.user_data.get("review_status") == "discarded":
        counts["discarded"] += 1
        return None
    doc = copy_with_ents(doc, [(e.start, e.end, e.label_) for e in review.ents])
    doc.user_data["reviewed"] = True
    counts["reviewed"] += 1
    return doc


def train_reviews(reviewed: Sequence[Doc]) -> Tuple[Dict[int, Doc], Dict[str, int]]:
    """Reviewed train docs by sentence index, and counts to fill in."""
    by_index = {d.user_data.get("index"): d for d in reviewed if d.user_data.get("split") == "train"}
    return by_index, {"reviewed": 0, "discarded": 0, "ignored_other_splits": len(reviewed) - len(by_index)}


def apply_reviews(docs: List[Doc], reviewed: Sequence[Doc]) -> Tuple[List[Doc], Dict[str, int]]:
    """Reviewed train docs replace their weak labels; discarded ones leave the training set."""
    by_index, counts = train_reviews(reviewed)
    out = [apply_review(d, by_index.get(d.user_data.get("index")), counts) for d in docs]
    return [d for d in out if d is not None], counts


def keep_for_training(doc: Doc) -> bool:
    """Docs with entities, or reviewed by a person, always go into training; the others are sampled."""
    return bool(doc.ents) or bool(doc.user_data.get("reviewed"))


def balance_mask(always: Sequence[bool], seed: int) -> List[bool]:
    """Which docs to keep: every `always` one plus as many others (or all, if fewer), sampled with `seed`."""
    empty = [i for i, a in enumerate(always) if not a]
    n_annotated = len(always) - len(empty)
    chosen = set(random.Random(seed).sample(empty, min(n_annotated, len(empty))))
    return [a or i in chosen for i, a in enumerate(always)]


def balance(docs: Sequence[Doc], seed: int) -> List[Doc]:
    """Every doc with entities (or reviewed by a person) plus as many empty ones, sampled with `seed`."""
    mask = balance_mask([keep_for_training(d) for d in docs], seed)
    return sorted((d for d, m in zip(docs, mask) if m), key=lambda d: d.user_data.get("index", 0))


def export_train(agg, kind: str, train_path: Path, output: Path, kept: Dict[str, List[str]], seed: int,
                 reviewed: Sequence[Doc] = (), review_output: Optional[Path] = None, n_process: int = 1,
                 shard_size: int = SHARD_SIZE, scheduler: Optional[str] = None, run: Optional[Runner] = None,
                 ) -> Dict[str, int]:
    """Vote over the train corpus shard by shard and write the balanced training corpus to `output`.

    Workers vote and apply the reviews (in this process, forked processes or Dask); this process
    only moves their bytes and keeps one flag per doc, then a second pass over a temp folder of
    the slim voted docs writes the balance: memory holds a few shards, not the corpus. With `review_output`, the
    voted docs with every function's group are written there too (for Argilla).
    """
    by_index, counts = train_reviews(reviewed)
    reviews = DocBin(store_user_data=True, docs=list(by_index.values()))
    always: List[bool] = []
    output.parent.mkdir(parents=True, exist_ok=True)
    agg_bytes, vocab = pickle.dumps(agg), make_vocab()
    jobs = ((agg_bytes, kept, kind, data, reviews.to_bytes(), review_output is not None)
            for data in iter_shards(train_path, shard_size, vocab))  # fmt: skip
    total = len(corpus_files(train_path)) if Path(train_path).is_dir() else None
    ents: List[bool] = []
    sizes: List[int] = []  # slim docs per voted shard
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".voted.") as tmp:
        with runner_or(run, n_process, scheduler) as run, \
                CorpusWriter(Path(tmp) / "voted", shard_size) as voted, \
                (CorpusWriter(review_output, shard_size) if review_output else contextlib.nullcontext()) as for_review:
            for full, slim, n_docs, flags, shard_counts, has_ents in tqdm(
                    ordered_map(run, _vote_shard, jobs), total=total, desc=f"{kind} train", unit="shard", leave=False):
                if for_review is not None:
                    for_review.add_shard(full, n_docs)
                voted.add_shard(slim, len(flags))
                sizes.append(len(flags))
                always += flags
                ents += has_ents
                for key, value in shard_counts.items():
                    counts[key] += value
        mask = balance_mask(always, seed)
        counts["with_entities"] = sum(e for e, keep in zip(ents, mask) if keep)
        with CorpusWriter(output, shard_size) as out:
            start = 0
            for path, n_docs in zip(corpus_files(Path(tmp) / "voted"), sizes):
                data = path.read_bytes()
                keep = mask[start:start + n_docs]
                start += n_docs
                if all(keep):  # the usual case: a shard moves as bytes, never decoded
                    out.add_shard(data, n_docs)
                    continue
                for doc, kept_doc in zip(DocBin(store_user_data=True).from_bytes(data).get_docs(vocab), keep):
                    if kept_doc:
                        out.add(doc)
    counts.update(docs=out.n_docs, voted=len(always))
    return counts


# fmt: off
def main(
    train_path: Path = typer.Argument(..., help="Annotated train: a folder of .spacy shards or one .spacy file", exists=True),
    dev_path: Path = typer.Argument(..., help="Annotated dev (with gold): a folder of shards or a .spacy file", exists=True),
    selection_path: Path = typer.Argument(..., help="lf_selection.json from `score`", exists=True, dir_okay=False),
    output_dir: Path = typer.Argument(..., help="Where train.spacy and dev.spacy go"),
    scores_path: Path = typer.Argument(..., help="JSON with the aggregated labels' scores on dev"),
    labels: str = typer.Option("ORG", "--labels", "-l", help="Comma-separated labels"),
    aggregator: str = typer.Option("majority", "--aggregator", "-a", help="majority or hmm"),
    seed: int = typer.Option(42, "--seed", help="Seed for sampling empty docs and the HMM's training sample"),
    reviewed_path: Optional[Path] = typer.Option(None, "--reviewed", help="Reviewed docs pulled from Argilla"),
    review_dir: Optional[Path] = typer.Option(None, "--review-dir", help="Also write {train,dev}_aggregated/ here: every function, the aggregate (+ dev gold), for Argilla"),
    fit_docs: int = typer.Option(20000, "--fit-docs", help="The HMM fits on at most this many train docs (a seeded sample), then applies to all"),
    n_process: int = typer.Option(0, "--n-process", "-n", help="Worker processes for voting (0: all cores)"),
    shard_size: int = typer.Option(SHARD_SIZE, "--shard-size", help="Documents per shard"),
    scheduler: str = typer.Option("", "--scheduler", help="Dask scheduler address (default: $DASK_SCHEDULER_ADDRESS); empty: this machine"),
    train_name: str = typer.Option("train.spacy", "--train-name", help="Name of the training corpus in output_dir: a .spacy file, or a folder of shards for corpora bigger than memory"),
):
    # fmt: on
    """Vote over the kept labelling functions and write corpus/train.spacy and corpus/dev.spacy."""
    label_list = parse_labels(labels)
    if aggregator not in AGGREGATORS:
        msg.fail(f"--aggregator must be one of {', '.join(AGGREGATORS)}, not {aggregator!r}", exits=1)
    selection = srsly.read_json(selection_path)
    kept, weights = selection["kept"], selection.get("weights") or {}
    n_process = n_process or os.cpu_count() or 1
    address = scheduler_address(scheduler)
    vocab = make_vocab()
    reviewed = read_docs(reviewed_path, vocab) if reviewed_path is not None and reviewed_path.exists() else []
    agg = make_aggregator(aggregator, label_list, weights)
    dev_shards = list(iter_shards(dev_path, shard_size))
    try:
        with runner(n_process, address) as run:
            if aggregator == "hmm":
                n_fit = fit_hmm(agg, train_path, kept, fit_docs, seed, shard_size=shard_size, run=run)
                msg.text(f"Fitted the HMM on {n_fit} train docs")
            # dev goes to a worker first, so that it is voted and scored while the train shards are
            dev_job = (pickle.dumps(agg), aggregator, dev_shards, kept, label_list)
            dev_future = None if run.local else run.submit(_aggregate_dev, dev_job)
            counts = export_train(agg, aggregator, train_path, output_dir / train_name, kept, seed, reviewed,
                                  review_dir / "train_aggregated" if review_dir else None, shard_size=shard_size,
                                  run=run)  # fmt: skip
            dev_shards, gold, scores, also = _aggregate_dev(dev_job) if run.local else dev_future.result()
    except GoldInTrainError as e:
        msg.fail(f"{train_path}: {e}", exits=1)
    except ConnectionError as e:
        msg.fail(str(e), exits=1)
    if review_dir is not None:
        with CorpusWriter(review_dir / "dev_aggregated", shard_size) as out:
            for data, n_docs in dev_shards:
                out.add_shard(data, n_docs)
    with CorpusWriter(output_dir / "dev.spacy") as out:
        out.add_shard(gold, sum(n for _, n in dev_shards))
    reviews = {k: counts[k] for k in ("reviewed", "discarded", "ignored_other_splits")}
    n_annotated = counts.get("with_entities", 0)
    write_json(scores_path, {"aggregator": aggregator, "labels": label_list, "dev": scores, "also": also,
                             "sources": sorted(kept), "train_docs": counts["docs"],
                             "train_docs_with_entities": n_annotated, "reviews": reviews})
    msg.good(f"{aggregator}: {counts['docs']} of {counts['voted']} train docs ({n_annotated} with entities, "
             f"{counts['reviewed']} reviewed, {counts['discarded']} discarded) -> {output_dir / train_name}")
    msg.info(f"Aggregated labels on dev: P {scores['p']:.3f} R {scores['r']:.3f} F {scores['f']:.3f}")


if __name__ == "__main__":
    typer.run(main)
