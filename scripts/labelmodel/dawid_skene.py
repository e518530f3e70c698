"""Dawid-Skene over BIO tags: each labelling function's class-conditional accuracy, learnt by EM.

Every token has a latent BIO state, independent of its neighbours; each function has a confusion matrix,
P(what it says | the state), so a function that is right about PER but confuses ORG with LOC is weighed
label by label. EM starts from the weighted majority vote, as skweak's generative models do, and the
functions' weights (from `score`) are exponents on their probabilities, as in skweak's HMM. Unlike the HMM
there are no transitions: a token's posterior is what the functions say about that token alone, and the
spans come from a constrained Viterbi over the posteriors (an I-X only after B-X or I-X), so they are
always valid spans. numpy throughout: one sparse token x function matrix for all docs (`base.Observations`),
and the decoding steps through positions, all docs at once. (skweak's `NaiveBayes` is the same model for
text classification, one label per doc.)
"""

import warnings
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from ..patches import skweak_vote_matrix
from .base import LabelModel, Observations, learnt_precision, negative_emission, with_o_where_unobserved
from .majority import majority_probs

with warnings.catch_warnings():  # skweak's own imports warn about pandas/scipy deprecations
    warnings.simplefilter("ignore", FutureWarning)
    from skweak.aggregation import AbstractAggregator, SequenceAggregatorMixin
    from skweak.utils import token_array_to_spans
    from skweak.voting import MajorityVoterMixin

IMPOSSIBLE = -1e30  # log score of a path that breaks BIO (not -inf: no nan from -inf - -inf)


class DawidSkene(LabelModel, SequenceAggregatorMixin):
    """A confusion matrix per function over BIO states, fitted by EM on train's observations."""

    needs_fit = True

    def __init__(
        self,
        name: str,
        labels: List[str],
        initial_weights: Optional[Dict[str, float]] = None,
        n_iter: int = 20,
        tol: float = 1e-4,
        concentration: float = 1.0,
    ):
        AbstractAggregator.__init__(self, name, labels)
        SequenceAggregatorMixin.__init__(self, "BIO")
        self.initial_weights = dict(initial_weights or {})
        self.weights = dict(self.initial_weights)
        self.n_iter, self.tol, self.concentration = n_iter, tol, concentration
        self.confusion: Dict[str, np.ndarray] = {}  # function -> (states x observed labels)
        self.prior = np.full(len(self.out_labels), 1 / len(self.out_labels))
        self.said: Dict[str, set] = {}  # the labels each function said in the fitted docs

    def options(self) -> Dict:
        return {"n_iter": self.n_iter, "tol": self.tol, "concentration": self.concentration}

    def sources(self, doc) -> List[str]:
        """Once fitted, only the functions it has a confusion matrix of (as the HMM)."""
        sources = super().sources(doc)
        return [s for s in sources if s in self.confusion] if self.confusion else sources

    def reliability(self) -> Dict[str, Dict[str, float]]:
        """Each function's learnt precision per label (`base.learnt_precision`) from its confusion matrix."""
        return learnt_precision(self.confusion, self.prior, self.out_labels, self.observed_labels, self.said)

    def fit_observed(self, per_doc: List[Tuple[List[str], np.ndarray]]) -> "DawidSkene":
        if not per_doc:
            raise RuntimeError("No document found with annotations")
        obs = Observations(per_doc, len(self.observed_labels))
        self.said = obs.said()
        voter = MajorityVoterMixin(initial_weights=self.initial_weights)
        voter.negative = self.negative
        voter.out_labels, voter.observed_labels, voter.label_groups = self.out_labels, self.observed_labels, {}
        posteriors = majority_probs(voter, obs).astype(np.float64)
        voting = self._voting_mask(obs)
        previous = -np.inf
        self.log_likelihood: List[float] = []
        for _ in range(self.n_iter):
            self._m_step(obs, posteriors)
            posteriors, loglik = self._e_step(obs, voting)
            self.log_likelihood.append(loglik)
            if loglik - previous < self.tol * abs(loglik):
                break
            previous = loglik
        return self

    def _m_step(self, obs: Observations, posteriors: np.ndarray) -> None:
        """Confusion matrices and the state prior from the expected counts, with a prior that each function
        mostly says the true state (`concentration` on the diagonal)."""
        counts = np.asarray(obs.onehot.T @ posteriors)  # (sources*labels x states)
        same = np.zeros((len(self.out_labels), len(self.observed_labels)))
        for i, label in enumerate(self.out_labels):
            same[i, self.observed_labels.index(label)] = self.concentration
        for s, source in enumerate(obs.sources):
            matrix = obs.block(counts, s).T + same + 1e-6
            self.confusion[source] = matrix / matrix.sum(axis=1, keepdims=True)
            if source in self.negative:  # it only ever says O: a fixed likelihood, not a learnt one
                self.confusion[source] = negative_emission(self.out_labels, self.observed_labels)
        prior = posteriors.sum(axis=0) + 1.0
        self.prior = prior / prior.sum()

    def _frame(self, obs: Observations, voting: np.ndarray) -> np.ndarray:
        """(tokens x states): log prior + the functions' weighted log P(what they say | state); a state no
        function votes for is impossible (skweak's rule for its HMM)."""
        log_probs = [self.weights.get(s, 1) * np.log(self.confusion[s]).T for s in obs.sources]
        frame = np.asarray(obs.onehot @ np.vstack(log_probs)) + np.log(self.prior)
        return np.where(voting, frame, -np.inf)

    def _e_step(self, obs: Observations, voting: np.ndarray) -> Tuple[np.ndarray, float]:
        frame = self._frame(obs, voting)
        top = frame.max(axis=1, keepdims=True)
        with np.errstate(under="ignore"):
            exp = np.exp(frame - top)
        total = exp.sum(axis=1, keepdims=True)
        return exp / total, float((np.log(total) + top).sum())

    def _voting_mask(self, obs: Observations) -> np.ndarray:
        """(tokens x states): some function says the state (or a label that votes for it)."""
        n = obs.n_labels
        said = np.zeros((obs.values.shape[0], n), dtype=bool)
        rows, cols = np.nonzero(obs.values >= 0)
        said[rows, obs.values[rows, cols]] = True
        return with_o_where_unobserved(
            obs, (said.astype(np.float32) @ skweak_vote_matrix(self, include_underspec=False)) > 0
        )

    def doc_probs(self, obs: Observations) -> Iterator[np.ndarray]:
        if not self.confusion:
            raise RuntimeError("Model is not yet trained")
        posteriors, _ = self._e_step(obs, self._voting_mask(obs))
        return obs.doc_rows(posteriors)

    def decode_all(self, obs: Observations, probs: Sequence[np.ndarray]) -> List[Dict[Tuple[int, int], str]]:
        """The most likely valid BIO path of each doc (Viterbi over the log posteriors) as spans."""
        paths = constrained_paths(np.concatenate(probs), obs.starts, obs.lengths, self.out_labels)
        return [token_array_to_spans(path, self.out_labels) for path in obs.doc_rows(paths)]


def bio_transitions(labels: Sequence[str]) -> Tuple[np.ndarray, np.ndarray]:
    """(start scores, transition scores previous x next): 0 where BIO allows it, IMPOSSIBLE where not (an
    I-X only after B-X or I-X)."""
    n = len(labels)
    start, trans = np.zeros(n), np.zeros((n, n))
    for j, label in enumerate(labels):
        if label.startswith("I-"):
            start[j] = IMPOSSIBLE
            for i, prev in enumerate(labels):
                if prev not in (f"B-{label[2:]}", label):
                    trans[i, j] = IMPOSSIBLE
    return start, trans


def constrained_paths(probs: np.ndarray, starts: np.ndarray, lengths: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Per token, the state of its doc's best valid path (max of the summed log probabilities); docs are the
    rows `starts[d]:starts[d]+lengths[d]` of `probs`. Steps through positions, every doc at once."""
    start_scores, trans = bio_transitions(labels)
    with np.errstate(divide="ignore"):
        logp = np.maximum(np.log(probs), IMPOSSIBLE)
    order = np.argsort(-lengths, kind="stable")  # longest first: the docs still running are a prefix
    starts, lengths = starts[order], lengths[order]
    n_docs, n_states = len(order), probs.shape[1]
    back = np.zeros(probs.shape, dtype=np.int32)
    path = np.zeros(len(probs), dtype=np.int64)
    if not n_docs:
        return path
    delta = logp[starts] + start_scores
    final = np.zeros((n_docs, n_states))
    for t in range(int(lengths.max())):
        active = int(np.searchsorted(-lengths, -t, side="left"))  # docs longer than t
        if t:
            rows = starts[:active] + t
            scores = delta[:active, :, None] + trans[None]  # (docs, previous, next)
            back[rows] = scores.argmax(axis=1)
            delta = scores.max(axis=1) + logp[rows]
        ending = lengths[:active] == t + 1
        final[:active][ending] = delta[ending]
    state = final.argmax(axis=1)
    for t in range(int(lengths.max()) - 1, -1, -1):
        active = int(np.searchsorted(-lengths, -t, side="left"))
        rows = starts[:active] + t
        ends_here = lengths[:active] == t + 1
        current = np.where(ends_here, final[:active].argmax(axis=1), state[:active])
        path[rows] = current
        state[:active] = back[rows, current]
    return path
