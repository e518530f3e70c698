"""skweak's HMM and majority voter, vectorised: the same models and outputs (up to float rounding).

skweak builds a pandas frame and one-hot matrices per doc and counts votes token by token in
Python; its HMM runs the E-step doc by doc: about 3 ms per CoNLL sentence per EM pass, 40 s to
fit on CoNLL train. Here the observations of many docs go into one token x source matrix; the
HMM's EM iteration and both voters are a few sparse matrix products over all tokens, plus
hmmlearn's compiled forward/backward per doc. Votes are written as skweak's `__call__` writes them.

`make_aggregator` picks one by name; `vote` runs it over the functions that `score` kept.
"""

import warnings
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import scipy.sparse as sp
from spacy.strings import get_string_id
from spacy.tokens import Doc, DocBin, Span
from spacy.util import minibatch

with warnings.catch_warnings():  # skweak's own imports warn about pandas/scipy deprecations
    warnings.simplefilter("ignore", FutureWarning)
    from skweak import utils as skweak_utils
    from skweak.voting import MajorityVoterMixin, SequentialMajorityVoter

from ..corpus.docbin import span_groups_of
from ..corpus.labels import AGGREGATORS, SpanTuple

# What `score` keeps: function -> the labels it may vote for ([] means every label).
Kept = Dict[str, List[str]]


def __getattr__(name: str):
    """`VectorisedHMM` from `hmm` when asked for: hmmlearn and scikit-learn (2 s of imports) load only
    where the HMM is used, not in every step that votes (annotate's document-level functions, majority)."""
    if name == "VectorisedHMM":
        from .hmm import VectorisedHMM

        return VectorisedHMM
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Observations:
    """The observations of many docs as one matrix.

    `values[t, s]` is the index (in `observed_labels`) of what source `s` says about token `t`, as
    in skweak's `spans_to_array`: 0 (O) where a source with spans in the doc says nothing, -1 where
    the source has no span in the doc (skweak leaves it out of that doc's frame). `onehot` is the
    same as a sparse (tokens x sources*labels) 0/1 matrix.
    """

    def __init__(self, per_doc: List[Tuple[List[str], np.ndarray]], n_labels: int):
        self.sources = sorted({s for sources, _ in per_doc for s in sources})
        column = {s: i for i, s in enumerate(self.sources)}
        self.lengths = np.array([len(data) for _, data in per_doc], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        n_tokens, n_sources = int(self.lengths.sum()), len(self.sources)
        self.values = np.full((n_tokens, n_sources), -1, dtype=np.int32)
        for start, (sources, data) in zip(self.starts, per_doc):
            self.values[start : start + len(data), [column[s] for s in sources]] = data
        self.n_labels = n_labels
        rows, cols = np.nonzero(self.values >= 0)
        self.onehot = sp.csr_matrix(
            (np.ones(len(rows)), (rows, cols * n_labels + self.values[rows, cols])),
            shape=(n_tokens, n_sources * n_labels),
        )
        # consecutive token pairs inside a doc, for transition counts
        inside = np.ones(n_tokens, dtype=bool)
        inside[self.starts] = False
        self.next = np.nonzero(inside)[0]
        self.doc_id = np.repeat(np.arange(len(per_doc)), self.lengths)

    def block(self, matrix: np.ndarray, s: int) -> np.ndarray:
        """Rows of source `s` in a (sources*labels x ...) matrix."""
        return matrix[s * self.n_labels : (s + 1) * self.n_labels]

    def co_occurrence(self, a: str, b: str) -> np.ndarray:
        """For each pair of labels (i of `b`, j of `a`), in how many docs some token has both.

        skweak adds `np.dot(X[b].T, X[a])` of two boolean one-hot matrices per doc: a boolean, so
        each doc counts once.
        """
        n, ia, ib = self.n_labels, self.sources.index(a), self.sources.index(b)
        both = (self.values[:, ia] >= 0) & (self.values[:, ib] >= 0)
        codes = (self.doc_id[both] * n + self.values[both, ib]) * n + self.values[both, ia]
        return np.bincount(np.unique(codes) % (n * n), minlength=n * n).reshape(n, n).astype(float)


def label_votes(obs: Observations, weights: Dict[str, float]) -> np.ndarray:
    """(tokens x observed labels): the summed weight of the sources that say each label (skweak's
    weighted bincount, as float32)."""
    n = obs.n_labels
    w = np.array([weights.get(s, 1) for s in obs.sources], dtype=float)
    to_label = sp.csr_matrix(
        (np.repeat(w, n), (np.arange(len(w) * n), np.tile(np.arange(n), len(w)))), shape=(len(w) * n, n)
    )
    return (obs.onehot @ to_label).toarray().astype(np.float32)


def majority_probs(voter: MajorityVoterMixin, obs: Observations) -> np.ndarray:
    """skweak's `MajorityVoterMixin.aggregate` for every token at once (it works row by row)."""
    votes = label_votes(obs, voter.weights)
    if voter.observed_labels[0] == "O":
        votes = voter.normalise_o_labels(votes)
    out = votes.dot(voter._get_vote_matrix())
    return out / (np.expand_dims(out.sum(axis=1), axis=1) + 1e-30)


class BatchedVoting:
    """`pipe` for skweak sequence aggregators: the spans and attrs of skweak's `__call__`, a batch at a time."""

    # what the skweak aggregator this is mixed into provides
    name: str
    observed_labels: List[str]
    out_labels: List[str]
    label_groups: Dict
    _get_sources_to_aggregate: Callable[[Doc], List[str]]

    def _doc_probs(self, obs: Observations) -> Iterator[np.ndarray]:
        """(tokens x output labels) probabilities of each doc in `obs`."""
        raise NotImplementedError

    def _observed(self, docs: Iterable[Doc]) -> Iterator[Tuple[int, List[str], np.ndarray]]:
        """(position, sources, skweak's observation array) of each doc with at least one source."""
        label2idx, prefixes, no_prefix = skweak_utils._index_labels(self.observed_labels, strip_prefixes=False)
        for i, doc in enumerate(docs):
            sources = self._get_sources_to_aggregate(doc)
            if sources and len(doc):
                yield i, sources, skweak_utils._spans_to_array(doc, sources, label2idx, no_prefix, prefixes)

    def observed(self, docs: Sequence[Doc]) -> List[Optional[Tuple[List[str], np.ndarray]]]:
        """Per doc, (its sources, skweak's observation array), or None where no source has a span."""
        found = {i: (sources, data) for i, sources, data in self._observed(docs)}
        return [found.get(i) for i in range(len(docs))]

    def observed_shard(self, db: DocBin, kept: Kept) -> List[Optional[Tuple[List[str], np.ndarray]]]:
        """`observed([select_sources(doc, kept) for doc in db's docs])` read from the shard's serialised span
        groups, without a Doc or a Span: decoding the docs and their groups was most of the HMM fit's pass
        over train. The sources are the aggregator's own `_get_sources_to_aggregate`; the arrays are
        skweak's `_spans_to_array`, span by span (tests/test_aggregators.py holds them equal)."""
        label2idx, prefixes, no_prefix = skweak_utils._index_labels(self.observed_labels, strip_prefixes=False)
        label_of = {get_string_id(label): label for label in no_prefix}
        kept_ids = {
            name: np.array([get_string_id(lab) for lab in labels], dtype=np.uint64)
            for name, labels in kept.items()
            if labels
        }
        out: List[Optional[Tuple[List[str], np.ndarray]]] = []
        for tokens, raw in zip(db.tokens, db.span_groups):
            groups = {}
            for name, (attrs, spans) in span_groups_of(raw).items():
                if name not in kept:
                    continue
                if name in kept_ids:
                    mask = np.isin(spans["label"].astype(np.uint64), kept_ids[name])
                    if not mask.all():  # select_sources writes a new group: its attrs are gone
                        spans, attrs = spans[mask], {}
                groups[name] = _Group(spans, attrs)
            sources = self._get_sources_to_aggregate(_Groups(groups))  # type: ignore[arg-type]
            if not sources or not len(tokens):
                out.append(None)
                continue
            data = np.zeros((len(tokens), len(sources)), dtype=np.int16)
            for j, source in enumerate(sources):
                spans = groups[source].spans
                for hashed, start, end in zip(spans["label"].tolist(), spans["start"].tolist(), spans["end"].tolist()):
                    label = label_of.get(hashed)
                    if label is not None:
                        _write_span(data, j, start, end, label, label2idx, prefixes)
            out.append((sources, data))
        return out

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 1000) -> Iterator[Doc]:
        """skweak's `__call__` on each doc (the same spans and attrs), a batch of docs at a time.

        Every token of a doc with a source is kept: skweak's `filter_observations` only drops tokens
        no source votes on, and a source with a span in the doc says O elsewhere (no label groups here).
        """
        if self.label_groups:  # underspecified labels: skweak's own path
            yield from (super(BatchedVoting, self).__call__(doc) for doc in docs)  # type: ignore[misc]
            return
        for batch in minibatch(docs, batch_size):
            yield from self._vote_batch(batch)

    def _vote_batch(self, docs: List[Doc]) -> Iterator[Doc]:
        observed = list(self._observed(docs))
        posteriors = {}
        if observed:
            obs = Observations([(sources, data) for _, sources, data in observed], len(self.observed_labels))
            for (i, _, _), probs in zip(observed, self._doc_probs(obs)):
                posteriors[i] = probs
        sources_of = {i: sources for i, sources, _ in observed}
        for i, doc in enumerate(docs):
            if i not in posteriors:
                doc.spans[self.name] = []
                doc.spans[self.name].attrs = {"probs": {}, "aggregated": True, "sources": []}
                yield doc
                continue
            post = posteriors[i]
            spans = skweak_utils.token_array_to_spans(post, self.out_labels)
            doc.spans[self.name] = [Span(doc, start, end, label=label) for (start, end), label in spans.items()]
            doc.spans[self.name].attrs["probs"] = skweak_utils.token_array_to_probs(post, self.out_labels)
            doc.spans[self.name].attrs["aggregated"] = True
            doc.spans[self.name].attrs["sources"] = list(sources_of[i])
            yield doc


class _Group:
    """A serialised span group as `_get_sources_to_aggregate` reads it: its length and attrs."""

    def __init__(self, spans: np.ndarray, attrs: Dict):
        self.spans, self.attrs = spans, attrs

    def __len__(self) -> int:
        return len(self.spans)


class _Groups:
    """A stand-in Doc for `_get_sources_to_aggregate`: `spans` maps each group's name to a `_Group`."""

    def __init__(self, spans: Dict[str, _Group]):
        self.spans = spans


def _write_span(data: np.ndarray, j: int, start: int, end: int, label: str, label2idx: Dict, prefixes) -> None:
    """One span into column `j` of an observation array, as skweak's `_spans_to_array` writes it."""
    if prefixes is None:
        data[start:end, j] = label2idx[label]
        return
    if "U" in prefixes and end - start == 1:
        data[start, j] = label2idx["U-%s" % label]
        return
    if "B" in prefixes:
        data[start, j] = label2idx["B-%s" % label]
    if "I" in prefixes:
        data[(start + 1) if "B" in prefixes else start : (end - 1) if "L" in prefixes else end, j] = label2idx[
            "I-%s" % label
        ]
    if "L" in prefixes:
        data[end - 1, j] = label2idx["L-%s" % label]


class VectorisedMajorityVoter(BatchedVoting, SequentialMajorityVoter):
    """skweak's SequentialMajorityVoter (`aggregation.MajorityVoter(sequence_labelling=True)`), batched."""

    def _doc_probs(self, obs: Observations) -> Iterator[np.ndarray]:
        probs = majority_probs(self, obs)
        for start, length in zip(obs.starts.tolist(), obs.lengths.tolist()):
            yield probs[start : start + length]


def make_aggregator(kind: str, labels: List[str], weights: Optional[Dict[str, float]] = None):
    """skweak's aggregator `kind`; `weights` (function -> weight, default 1) are its initial_weights."""
    if kind == "majority":  # skweak.aggregation.MajorityVoter(sequence_labelling=True)
        return VectorisedMajorityVoter(kind, labels, initial_weights=weights or None)
    if kind == "hmm":  # skweak.aggregation.HMM(sequence_labelling=True) is this class
        from .hmm import VectorisedHMM

        return VectorisedHMM(kind, labels, initial_weights=weights or None)
    raise ValueError(f"unknown aggregator {kind!r}: choose one of {', '.join(AGGREGATORS)}")


def select_sources(doc: Doc, kept: Kept) -> Doc:
    """Keep only the labelling functions (and their labels) that `score` kept; drop all other groups."""
    for name in list(doc.spans):
        if name not in kept:
            del doc.spans[name]
        elif kept[name]:  # [] means every label
            group = doc.spans[name]
            if any(s.label_ not in kept[name] for s in group):
                doc.spans[name] = [s for s in group if s.label_ in kept[name]]
    return doc


def vote(agg, docs: Iterable[Doc], kept: Kept, keep_groups: bool = True) -> List[Doc]:
    """The docs with the aggregate's group (named after the aggregator) added; every other group is kept
    (all functions, dropped ones included, and gold): what a reviewer sees in Argilla. Only kept
    functions vote, never gold. With `keep_groups=False` the docs are left with the kept functions'
    groups and the aggregate's: for workers that write the other groups back as the bytes they read
    (`docbin.with_span_group`), since saving and restoring them all costs a fifth of the vote."""
    docs = list(docs)
    saved = [{name: list(group) for name, group in d.spans.items()} for d in docs] if keep_groups else []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        voted = list(agg.pipe(select_sources(d, kept) for d in docs))
    for doc, groups in zip(voted, saved):
        for name, spans in groups.items():
            doc.spans[name] = spans
    return voted


def spans_of(doc: Doc, group: str) -> List[SpanTuple]:
    """The (start, end, label) spans of a span group ([] if the doc has none)."""
    return [(s.start, s.end, s.label_) for s in doc.spans.get(group, [])]
