"""Reference implementations for the tests: the in-memory, one-process versions of what the steps do
shard by shard. They are built from the production functions and say what the streamed, parallel
paths must equal; no command uses them."""

import contextlib
import pickle
import sys
import warnings
from typing import Dict, Iterable, Iterator, List, Sequence, Tuple

from spacy.tokens import Doc

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    from skweak.voting import MajorityVoterMixin

from scripts.corpus.articles import article_chunks
from scripts.corpus.docbin import docs_from_bytes, make_vocab
from scripts.corpus.labels import SpanTuple
from scripts.labelmodel.base import Kept, select_sources, spans_of, vote
from scripts.labelmodel.registry import make as make_aggregator
from scripts.labelmodel.reviews import keep_for_training, reviewed_training_doc, train_reviews
from scripts.labelmodel.training_corpus import VoteJob, balance_mask, vote_shard
from scripts.patches import docs_to_bytes
from scripts.util.parallel import Parallelism, ordered_map


def fit(agg, docs: Iterable[Doc], kept: Kept):
    """Fit the aggregator (the HMM; majority voting has nothing to fit) on the kept functions of `docs`."""
    if not isinstance(agg, MajorityVoterMixin):
        with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
            warnings.simplefilter("ignore")
            agg.fit([select_sources(d, kept) for d in docs])
    return agg


def aggregate(
    train: Sequence[Doc], dev: Sequence[Doc], kept: Kept, labels: List[str], kind: str = "majority", weights=None
) -> Tuple[List[List[SpanTuple]], List[List[SpanTuple]]]:
    """Aggregated spans of each train and dev doc, in memory (the HMM fitted on train only)."""
    agg = fit(make_aggregator(kind, labels, weights), [d.copy() for d in train], kept)
    return [spans_of(d, kind) for d in vote(agg, train, kept)], [spans_of(d, kind) for d in vote(agg, dev, kept)]


def balance(docs: Sequence[Doc], seed: int) -> List[Doc]:
    """Every doc with entities (or reviewed by a person) plus as many empty ones, sampled with `seed`."""
    mask = balance_mask([keep_for_training(d) for d in docs], seed)
    return sorted((d for d, m in zip(docs, mask) if m), key=lambda d: d.user_data.get("index", 0))


def apply_reviews(docs: List[Doc], reviewed: Sequence[Doc]) -> Tuple[List[Doc], Dict[str, int]]:
    """Reviewed train docs replace their weak labels; discarded ones leave the training set."""
    by_text, counts = train_reviews(reviewed)
    matched: set = set()
    out = [reviewed_training_doc(d, by_text, counts, matched) for d in docs]
    counts["not_in_corpus"] = len(by_text.keys() - matched)
    return [d for d in out if d is not None], counts


def vote_stream(agg, docs: Iterable[Doc], kept: Kept, parallel: Parallelism) -> Iterator[Doc]:
    """The full voted docs, through the production worker (`vote_shard`) wherever `parallel` runs it."""
    with parallel.runner() as run:
        if run.local:
            for chunk in article_chunks(docs, parallel.shard_size):
                yield from vote(agg, chunk, kept)
            return
        agg_bytes, no_reviews = pickle.dumps(agg), docs_to_bytes([])
        jobs = (
            VoteJob(agg_bytes, kept, docs_to_bytes(c), no_reviews, True)
            for c in article_chunks(docs, parallel.shard_size)
        )
        vocab = make_vocab()
        for result in ordered_map(run, vote_shard, jobs):
            yield from docs_from_bytes(result.full, vocab)


def shard_bounds(docs: Sequence[Doc], size: int) -> List[int]:
    """Start indices of shards of about `size` docs; a shard ends only where an article ends."""
    bounds = [0]
    for chunk in article_chunks(docs, size):
        bounds.append(bounds[-1] + len(chunk))
    return bounds[:-1]
