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

import hmmlearn.base
import numpy as np
import scipy.sparse as sp
from hmmlearn import _hmmc
from hmmlearn.utils import log_normalize
from spacy.tokens import Doc, Span
from spacy.util import minibatch

with warnings.catch_warnings():  # skweak's own imports warn about pandas/scipy deprecations
    warnings.simplefilter("ignore", FutureWarning)
    from skweak import utils as skweak_utils
    from skweak.generative import HMM
    from skweak.voting import MajorityVoterMixin, SequentialMajorityVoter

from ..corpus.labels import AGGREGATORS, SpanTuple

# What `score` keeps: function -> the labels it may vote for ([] means every label).
Kept = Dict[str, List[str]]


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


class VectorisedMajorityVoter(BatchedVoting, SequentialMajorityVoter):
    """skweak's SequentialMajorityVoter (`aggregation.MajorityVoter(sequence_labelling=True)`), batched."""

    def _doc_probs(self, obs: Observations) -> Iterator[np.ndarray]:
        probs = majority_probs(self, obs)
        for start, length in zip(obs.starts.tolist(), obs.lengths.tolist()):
            yield probs[start : start + length]


class VectorisedHMM(BatchedVoting, HMM):
    """skweak's HMM (`aggregation.HMM(sequence_labelling=True)`, BIO) with EM over all docs at once."""

    def to_one_hots(self, obs) -> Dict[str, np.ndarray]:
        """skweak's one-hot matrices, filled with numpy instead of token by token (used when voting)."""
        values = obs.to_numpy()
        rows = np.arange(values.shape[0])
        out = {}
        for k, source in enumerate(obs.columns):
            matrix = np.zeros((values.shape[0], len(self.observed_labels)), dtype=bool)
            fired = values[:, k] >= 0
            matrix[rows[fired], values[fired, k]] = True
            out[source] = matrix
        return out

    def pipe(self, docs: Iterable[Doc], batch_size: int = 1000) -> Iterator[Doc]:
        if not hasattr(self, "emit_probs"):
            raise RuntimeError("Model is not yet trained")
        yield from super().pipe(docs, batch_size)

    def _get_sources_to_aggregate(self, doc: Doc) -> List[str]:
        """The doc's sources; once fitted, only those the HMM has an emission model of: a function that never
        fired on the fitted docs (e.g. on train's tokens) but does on dev has no evidence to weigh."""
        sources = super()._get_sources_to_aggregate(doc)
        fitted = getattr(self, "emit_probs", None)
        return sources if fitted is None else [s for s in sources if s in fitted]

    def _doc_probs(self, obs: Observations) -> Iterator[np.ndarray]:
        frame = self._frame_log_likelihood(obs, self._voting_mask(obs))
        for start, length in zip(obs.starts.tolist(), obs.lengths.tolist()):
            yield self._posteriors(frame[start : start + length])

    def _posteriors(self, frame: np.ndarray) -> np.ndarray:
        """skweak's `get_posteriors` from one doc's frame log-likelihoods."""
        _, fwd = _hmmc.forward_log(self.hmm.startprob_, self.hmm.transmat_, frame)
        bwd = _hmmc.backward_log(self.hmm.startprob_, self.hmm.transmat_, frame)
        return self.hmm._compute_posteriors_log(fwd, bwd)

    def fit(self, docs: Iterable[Doc], n_iter: int = 4, tol: float = 1e-2):
        """Baum-Welch as in skweak's `GenerativeModelMixin._fit`: counts from a majority voter, then EM."""
        return self.fit_observed([(sources, data) for _, sources, data in self._observed(docs)], n_iter, tol)

    def fit_observed(self, per_doc: List[Tuple[List[str], np.ndarray]], n_iter: int = 4, tol: float = 1e-2):
        """`fit` from each doc's (sources, observation array), as `observed` gives them."""
        if not per_doc:
            raise RuntimeError("No document found with annotations")
        obs = Observations(per_doc, len(self.observed_labels))
        self._reset_counts(obs.sources)
        corr_inc = {pair: obs.co_occurrence(*pair) for pair in self.corr_counts}
        self._add_mv_counts_all(obs, corr_inc)
        self._do_mstep_latent()
        self._do_mstep_emissions()
        monitor = hmmlearn.base.ConvergenceMonitor(tol, n_iter, False)
        monitor._reset()
        voting = self._voting_mask(obs)
        for _ in range(n_iter):
            self._reset_counts(obs.sources)
            logprob = self._accumulate_all(obs, voting, corr_inc)
            self._do_mstep_latent()
            self._do_mstep_emissions()
            monitor.report(logprob)
            if monitor.converged:
                break
        return self

    def _add_mv_counts_all(self, obs: Observations, corr_inc: Dict[Tuple[str, str], np.ndarray]):
        """skweak's `_add_mv_counts` over all tokens at once (majority voting is token by token)."""
        n_corr = {s: sum(1 for s1, _ in self.corr_counts if s1 == s) for s in self.emit_counts}
        weights = {
            s: self.initial_weights.get(s, 1) * np.exp(-self.redundancy_factor * n_corr[s]) for s in self.emit_counts
        }
        mv = MajorityVoterMixin(initial_weights=weights)
        mv.out_labels, mv.observed_labels, mv.label_groups = self.out_labels, self.observed_labels, self.label_groups
        agg = majority_probs(mv, obs).astype(np.float64)
        self.start_counts += agg[obs.starts].sum(axis=0)
        self.trans_counts += agg[obs.next - 1].T @ agg[obs.next]
        self._add_emissions(obs, agg)
        for pair, inc in corr_inc.items():
            self.corr_counts[pair] += inc

    def _voting_mask(self, obs: Observations) -> np.ndarray:
        """(tokens x states): some source votes for the state (skweak sets the others to -inf)."""
        n = obs.n_labels
        per_label = obs.onehot @ sp.vstack([sp.identity(n, format="csr")] * len(obs.sources))
        return np.asarray(per_label @ self._get_vote_matrix(include_underspec=False)) > 0

    def _frame_log_likelihood(self, obs: Observations, voting: np.ndarray) -> np.ndarray:
        """skweak's `_get_log_likelihood` for all tokens: the sum over sources of log P(observation | state)."""
        log_probs = []
        with np.errstate(divide="ignore"):  # log(0) = -inf: an impossible state, as in skweak
            for s in obs.sources:
                probs = self.emit_probs[s] ** self.weights.get(s, 1)
                log_probs.append(np.log(probs).T)  # (labels x states)
        frame = np.asarray(obs.onehot @ np.vstack(log_probs))
        frame = np.where(voting, frame, -np.inf)
        if np.isnan(frame).any() or frame.max(axis=1).min() < -100000:
            raise RuntimeError(f"No valid state found at position {frame.max(axis=1).argmin()}")
        return frame

    def _add_emissions(self, obs: Observations, state_probs: np.ndarray):
        counts = obs.onehot.T @ state_probs  # (sources*labels x states)
        for s, source in enumerate(obs.sources):
            self.emit_counts[source] += obs.block(counts, s).T

    def _accumulate_all(
        self, obs: Observations, voting: np.ndarray, corr_inc: Dict[Tuple[str, str], np.ndarray]
    ) -> float:
        """skweak's `_accumulate_statistics` summed over all docs; returns the total log-likelihood."""
        frame = self._frame_log_likelihood(obs, voting)
        startprob, transmat = self.hmm.startprob_, self.hmm.transmat_
        fwd, bwd = np.empty_like(frame), np.empty_like(frame)
        trans = np.zeros_like(self.trans_counts)
        logprob = 0.0
        for start, length in zip(obs.starts.tolist(), obs.lengths.tolist()):
            end = start + length
            doc_frame = frame[start:end]
            doc_logprob, fwd[start:end] = _hmmc.forward_log(startprob, transmat, doc_frame)
            bwd[start:end] = _hmmc.backward_log(startprob, transmat, doc_frame)
            if length > 1:
                trans += np.exp(_hmmc.compute_log_xi_sum(fwd[start:end], transmat, bwd[start:end], doc_frame))
            logprob += doc_logprob
        log_gamma = fwd + bwd
        log_normalize(log_gamma, axis=1)  # row by row, as hmmlearn's _compute_posteriors_log
        with np.errstate(under="ignore"):
            posteriors = np.exp(log_gamma)
        self.start_counts += posteriors[obs.starts].sum(axis=0)
        self.trans_counts += trans
        self._add_emissions(obs, posteriors)
        for pair, inc in corr_inc.items():
            self.corr_counts[pair] += inc
        return logprob


def make_aggregator(kind: str, labels: List[str], weights: Optional[Dict[str, float]] = None):
    """skweak's aggregator `kind`; `weights` (function -> weight, default 1) are its initial_weights."""
    if kind == "majority":  # skweak.aggregation.MajorityVoter(sequence_labelling=True)
        return VectorisedMajorityVoter(kind, labels, initial_weights=weights or None)
    if kind == "hmm":  # skweak.aggregation.HMM(sequence_labelling=True) is this class
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


def vote(agg, docs: Iterable[Doc], kept: Kept) -> List[Doc]:
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


def spans_of(doc: Doc, group: str) -> List[SpanTuple]:
    """The (start, end, label) spans of a span group ([] if the doc has none)."""
    return [(s.start, s.end, s.label_) for s in doc.spans.get(group, [])]
