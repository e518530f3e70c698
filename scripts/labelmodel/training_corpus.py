"""The training corpus made from the votes: fit the label model, vote over train and dev, balance, export.

train: the label model's votes (`registry`: the majority voter, or a model such as the HMM fitted on a
seeded sample of train) over the
functions that `score` kept; `doc.ents` is set from the vote, reviews replace their sentences'
weak labels, and as many empty docs as annotated ones are sampled with the seed. Workers vote the
shards; this process moves their bytes and keeps one flag per doc, so memory holds a few shards.
dev: voted and scored against gold in one worker, while the train shards are voted.
Only words, entities and ids reach the training file: no labelling function output, no gold.
"""

import contextlib
import pickle
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

import numpy as np
from spacy.tokens import Doc, DocBin
from tqdm import tqdm

from ..corpus.docbin import (
    IDS,
    CorpusWriter,
    corpus_files,
    docs_from_bytes,
    iter_shards,
    load_docbin,
    make_vocab,
    n_shards,
    shard_from_bytes,
    shard_vocab,
)
from ..corpus.gold import gold_spans, score_spans, span_counts, with_interval
from ..corpus.labels import GOLD
from ..patches import CopiesWithEnts, docbin_rows, docs_to_bytes, with_span_group
from ..util import timing
from ..util.errors import UserError
from ..util.files import temp_prefix
from ..util.parallel import Parallelism, Runner, ordered_map, runner_or
from . import registry
from .base import Kept, LabelModel, spans_of, vote
from .reviews import keep_for_training, reviewed_training_doc, train_reviews


class GoldInTrainError(ValueError):
    """The train corpus still holds gold spans."""


def fit_sample(docs: Iterable, max_docs: int, seed: int) -> List:
    """At most `max_docs` items, drawn uniformly from the stream with `seed` (reservoir sampling), in order.

    A corpus no bigger than `max_docs` comes back whole, so a model fits on all of CoNLL train.
    """
    rng = random.Random(seed)
    sample: List[Tuple[int, object]] = []
    for i, doc in enumerate(docs):
        if i < max_docs:
            sample.append((i, doc))
        else:
            j = rng.randint(0, i)
            if j < max_docs:
                sample[j] = (i, doc)
    return [doc for _, doc in sorted(sample, key=lambda x: x[0])]


@dataclass
class ObserveJob:
    """A train shard whose observations a label model fits on: the model's name, the labels, the kept
    functions and the shard."""

    model: str
    labels: List[str]
    kept: Kept
    data: bytes
    negative: Tuple[str, ...] = ()


def observe_shard(job: ObserveJob) -> Tuple[List[Optional[Tuple[List[str], np.ndarray]]], Dict[str, float]]:
    """Worker side: per doc of a shard, what the kept functions say (`LabelModel.observed`), for the fit;
    and the worker's time per phase."""
    with timing.phase("reading"):
        db = DocBin(store_user_data=True).from_bytes(job.data)
    with timing.phase("fitting"):
        observed = registry.make(job.model, job.labels, negative=job.negative).observed_shard(db, job.kept)
    return observed, timing.take()


def fit_label_model(
    agg: LabelModel,
    train_path: Path,
    kept: Kept,
    max_docs: int,
    seed: int,
    parallel: Parallelism = Parallelism(),
    run: Optional[Runner] = None,
) -> int:
    """Fit the label model on a seeded sample of at most `max_docs` train docs (`fit_sample`); returns the
    sample size.

    Workers read the shards and send back only the observation arrays, which this process samples
    and fits on: the same sample, and the same fit, as fitting on `fit_sample(docs, ...)`.
    """
    jobs = (
        ObserveJob(agg.name, agg.out_labels_no_prefixes, kept, data, tuple(sorted(agg.negative)))
        for data in iter_shards(train_path, parallel.shard_size)
    )
    with runner_or(run, parallel) as run:
        sample = fit_sample(_observations(ordered_map(run, observe_shard, jobs)), max_docs, seed)
    observations = [o for o in sample if o is not None]
    if not observations:  # skweak would say "No document found with annotations"
        raise UserError(
            f"{train_path}: no kept labelling function fires on any train sentence for the labels "
            f"{', '.join(agg.out_labels_no_prefixes)}: check --vars.labels and training/lf_scores.md"
        )
    with timing.phase("fitting"):
        agg.fit_observed(observations)
    return len(sample)


def _observations(results: Iterable[Tuple[List, Dict[str, float]]]) -> Iterator:
    """The observations of each shard's result, in order (the workers' timings added here)."""
    for observed, seconds in results:
        timing.add(seconds)
        yield from observed


@dataclass
class VoteJob:
    """A train shard to vote: the pickled (fitted) aggregator, the kept functions, the shard, the reviewed
    train docs (DocBin bytes, few) and whether the full voted docs are wanted (for Argilla)."""

    aggregator: bytes
    kept: Kept
    data: bytes
    reviews: bytes
    want_full: bool


@dataclass
class VoteResult:
    """A voted train shard: the full voted docs (every group) if wanted, the slim training docs (words, ids,
    entities; discarded ones left out), and per slim doc whether it always goes into training and whether
    it has entities; the review counts."""

    full: Optional[bytes]
    slim: bytes
    n_docs: int
    always: List[bool]
    has_ents: List[bool]
    counts: Dict[str, int] = field(default_factory=dict)
    matched: List[str] = field(default_factory=list)  # text hashes of the reviews applied
    seconds: Dict[str, float] = field(default_factory=dict)  # the worker's time per phase (timing)


def vote_shard(job: VoteJob) -> VoteResult:
    """Worker side: vote over one shard and apply the reviews of its docs."""
    vocab = shard_vocab()
    with timing.phase("reading"):
        db, docs = shard_from_bytes(job.data, vocab)
        reviews = docs_from_bytes(job.reviews, vocab)
    if any(GOLD in d.spans for d in docs):
        raise GoldInTrainError("the train corpus holds gold spans: annotate train with --drop-gold")
    with timing.phase("voting"):
        agg = pickle.loads(job.aggregator)
        voted = vote(agg, docs, job.kept, keep_groups=False)
    with timing.phase("writing"):
        by_text, counts = train_reviews(reviews)
        matched: Set[str] = set()
        # the training docs: words, ids and the vote's entities (a reviewer's instead, where there is one)
        slim = CopiesWithEnts(db, vocab, IDS)
        always, has_ents = [], []
        for i, doc in enumerate(voted):
            training = reviewed_training_doc(doc, by_text, counts, matched)
            if training is doc:  # no review: a copy with the vote's entities
                ents = [(s.start, s.end, s.label) for s in doc.spans.get(agg.name, [])]
                slim.add_copy(i, ents, doc.user_data)
                always.append(bool(ents))
                has_ents.append(bool(ents))
            elif training is not None:  # reviewed (None: the reviewer discarded it)
                slim.add(training)
                always.append(keep_for_training(training))
                has_ents.append(bool(training.ents))
        del counts["ignored_other_splits"]
        # every function's group as read, plus the vote: for Argilla
        full = with_span_group(db, voted, agg.name) if job.want_full else None
        slim_bytes = slim.to_bytes()
    return VoteResult(
        full=full,
        slim=slim_bytes,
        n_docs=len(docs),
        always=always,
        has_ents=has_ents,
        counts=counts,
        matched=sorted(matched),
        seconds=timing.take(),
    )


def balance_mask(always: Sequence[bool], seed: int) -> List[bool]:
    """Which docs to keep: every `always` one plus as many others (or all, if fewer), sampled with `seed`."""
    empty = [i for i, a in enumerate(always) if not a]
    n_annotated = len(always) - len(empty)
    chosen = set(random.Random(seed).sample(empty, min(n_annotated, len(empty))))
    return [a or i in chosen for i, a in enumerate(always)]


def export_train(
    agg,
    kept: Kept,
    train_path: Path,
    output: Path,
    seed: int,
    reviewed: Sequence[Doc] = (),
    review_output: Optional[Path] = None,
    parallel: Parallelism = Parallelism(),
    run: Optional[Runner] = None,
) -> Dict[str, int]:
    """Vote over the train corpus shard by shard and write the balanced training corpus to `output`.

    Workers vote and apply the reviews (in this process, forked processes or Dask); this process
    only moves their bytes and keeps one flag per doc, then a second pass over a temp folder of the
    slim voted docs writes the balance. With `review_output`, the voted docs with every function's
    group are written there too (for Argilla).
    """
    by_text, counts = train_reviews(reviewed)
    reviews = docs_to_bytes(by_text.values())
    matched: Set[str] = set()
    output.parent.mkdir(parents=True, exist_ok=True)
    agg_bytes, shard_size = pickle.dumps(agg), parallel.shard_size
    jobs = (
        VoteJob(agg_bytes, kept, data, reviews, review_output is not None)
        for data in iter_shards(train_path, shard_size)
    )
    always: List[bool] = []
    ents: List[bool] = []
    sizes: List[int] = []  # slim docs per voted shard
    # named like atomic_dir's temp folders, so that a later run removes it if this one is killed
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=temp_prefix(Path("voted")), suffix=".tmp") as tmp:
        with (
            runner_or(run, parallel) as run,
            CorpusWriter(Path(tmp) / "voted", shard_size) as voted,
            CorpusWriter(review_output, shard_size) if review_output else contextlib.nullcontext() as for_review,
        ):
            results = ordered_map(run, vote_shard, jobs)
            for result in tqdm(
                results, total=n_shards(train_path), desc=f"{agg.name} train", unit="shard", leave=False
            ):
                timing.add(result.seconds)
                if for_review is not None:
                    for_review.add_shard(result.full, result.n_docs)
                voted.add_shard(result.slim, len(result.always))
                sizes.append(len(result.always))
                always += result.always
                ents += result.has_ents
                for key, value in result.counts.items():
                    counts[key] += value
                matched.update(result.matched)
        mask = balance_mask(always, seed)
        counts["with_entities"] = sum(e for e, keep in zip(ents, mask) if keep)
        with timing.phase("writing"):
            n_docs = write_balanced(corpus_files(Path(tmp) / "voted"), sizes, mask, output, shard_size)
    counts.update(docs=n_docs, voted=len(always), not_in_corpus=len(by_text.keys() - matched))
    return counts


def write_balanced(
    shards: Sequence[Path], sizes: Sequence[int], mask: Sequence[bool], output: Path, shard_size: Optional[int]
) -> int:
    """Write the docs of `shards` (`sizes` docs each) that `mask` keeps to `output`; returns how many."""
    vocab = make_vocab()
    with CorpusWriter(output, shard_size) as out:
        start = 0
        for path, n_docs in zip(shards, sizes):
            data = path.read_bytes()
            keep = mask[start : start + n_docs]
            start += n_docs
            if all(keep):  # every doc kept: the shard moves as bytes, never decoded
                out.add_shard(data, n_docs)
                continue
            # the kept rows of the shard's arrays into the file (a folder of shards is cut by CorpusWriter.add)
            part = None if out.sharded else docbin_rows(load_docbin(path, data), keep)
            if part is not None:
                out.add_docbin(part)
                continue
            for doc, kept_doc in zip(docs_from_bytes(data, vocab), keep):
                if kept_doc:
                    out.add(doc)
    return out.n_docs


@dataclass
class DevJob:
    """Dev to vote and score: the pickled (fitted) aggregator, the kept functions, dev's shards, the labels."""

    aggregator: bytes
    kept: Kept
    shards: List[bytes]
    labels: List[str]
    keep_voted: bool = True  # send the voted shards back (dev, for Argilla; a held-out set is scored only)


@dataclass
class DevResult:
    """Voted dev: its shards with every group (for Argilla) and their sizes, the label model's scores on dev
    and, under `also`, those of every other model that needs no fit (majority voting), for comparison."""

    voted: List[Tuple[bytes, int]]
    scores: Dict
    also: Dict
    seconds: Dict[str, float] = field(default_factory=dict)  # the worker's time per phase (timing)


def vote_dev(job: DevJob) -> DevResult:
    """Vote over dev (with gold) shard by shard and score the votes (worker side, or in this process)."""
    agg = pickle.loads(job.aggregator)
    vocab = shard_vocab()
    voted_shards, dev, gold = [], [], []
    for data in job.shards:
        with timing.phase("reading"):
            db, docs = shard_from_bytes(data, vocab)
        with timing.phase("scoring"):
            gold += gold_spans(docs, job.labels)  # before the vote, which leaves only the kept groups
        with timing.phase("voting"):
            voted = vote(agg, docs, job.kept, keep_groups=False)
        if job.keep_voted:
            with timing.phase("writing"):
                voted_shards.append((with_span_group(db, voted, agg.name), len(voted)))
        dev += voted
    with timing.phase("scoring"):
        predicted = [spans_of(d, agg.name) for d in dev]
        scores = with_interval(score_spans(predicted, gold, job.labels), span_counts(predicted, gold, dev))
    # the models that need no fit on dev too, so that a fitted model is seen beside them (a fitted model is
    # only scored when it is the one that ran). They vote over the same kept groups; their own groups
    # replace nothing that is still needed (dev's scores and shards are made).
    also = {}
    for name in registry.names():
        if name != agg.name and not registry.model_class(name).needs_fit:
            with timing.phase("scoring"):
                other = registry.make(name, job.labels, agg.initial_weights, agg.negative)
                voted_other = vote(other, dev, job.kept, keep_groups=False)
                predicted = [spans_of(d, name) for d in voted_other]
                also[name] = with_interval(score_spans(predicted, gold, job.labels), span_counts(predicted, gold, dev))
    return DevResult(voted_shards, scores, also, timing.take())


def vote_train_and_dev(
    agg,
    kept: Kept,
    labels: List[str],
    train_path: Path,
    dev_path: Path,
    train_output: Path,
    seed: int,
    fit_docs: int,
    reviewed: Sequence[Doc] = (),
    review_output: Optional[Path] = None,
    parallel: Parallelism = Parallelism(),
    held_out: Optional[Path] = None,
) -> Tuple[Dict[str, int], DevResult, Dict[str, Dict]]:
    """The aggregate step's work in one pool: fit the label model (if it `needs_fit`), then vote
    train into `train_output` (`export_train`) while workers vote and score dev and each held-out set of
    `held_out` on `labels` (`vote_dev`). Returns export_train's counts (plus `fit_docs`), the voted dev,
    and the held-out scores {name: {"scores", "also"}} (scored only: nothing is chosen on them, and their
    votes are not kept)."""
    dev_shards = list(timing.timed(iter_shards(dev_path, parallel.shard_size), "reading"))
    held_out_sets = held_out_folders(held_out)
    with parallel.runner() as run:
        n_fit = fit_label_model(agg, train_path, kept, fit_docs, seed, parallel, run=run) if agg.needs_fit else 0
        # dev and the held-out sets go to the workers first, so that they are voted and scored while the
        # train shards are
        agg_bytes = pickle.dumps(agg)
        jobs = [DevJob(agg_bytes, kept, dev_shards, labels)] + [
            DevJob(agg_bytes, kept, list(timing.timed(iter_shards(p, parallel.shard_size), "reading")), labels, False)
            for p in held_out_sets
        ]
        futures = None if run.submit is None else [run.submit(vote_dev, job) for job in jobs]
        counts = export_train(agg, kept, train_path, train_output, seed, reviewed, review_output, parallel, run=run)
        results = [vote_dev(job) for job in jobs] if futures is None else [f.result() for f in futures]
    for result in results:
        timing.add(result.seconds)
    counts["fit_docs"] = n_fit
    held = {p.name: {"scores": r.scores, "also": r.also} for p, r in zip(held_out_sets, results[1:])}
    return counts, results[0], held


def score_held_out(
    agg,
    kept: Kept,
    labels: List[str],
    train_path: Path,
    held_out: Path,
    seed: int,
    fit_docs: int,
    parallel: Parallelism = Parallelism(),
) -> Dict[str, Dict]:
    """The weak labels of each held-out set of `held_out` scored (`final`): the label model fitted on train as
    `aggregate` fits it (the same seeded sample: the same model), then each set voted and scored; nothing kept.
    {name: {"scores", "also"}}."""
    with parallel.runner() as run:
        if agg.needs_fit:
            fit_label_model(agg, train_path, kept, fit_docs, seed, parallel, run=run)
        agg_bytes = pickle.dumps(agg)
        jobs = [
            DevJob(agg_bytes, kept, list(timing.timed(iter_shards(p, parallel.shard_size), "reading")), labels, False)
            for p in held_out_folders(held_out)
        ]
        results = [vote_dev(job) for job in jobs]
    for result in results:
        timing.add(result.seconds)
    return {p.name: {"scores": r.scores, "also": r.also} for p, r in zip(held_out_folders(held_out), results)}


def held_out_folders(folder: Optional[Path]) -> List[Path]:
    """The annotated held-out sets of `folder` (a folder per set: test, the extra test sets), by name."""
    if folder is None or not Path(folder).is_dir():
        return []
    return sorted(p for p in Path(folder).iterdir() if p.is_dir())


def write_dev(dev: DevResult, review_output: Path, shard_size: int) -> None:
    """The voted dev shards (every group) to `review_output` (for Argilla). The model's dev set, gold in
    doc.ents, is convert's dev.spacy."""
    with CorpusWriter(review_output, shard_size) as out:
        for data, n_docs in dev.voted:
            out.add_shard(data, n_docs)
