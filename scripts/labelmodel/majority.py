"""skweak's majority voter, vectorised: the same votes (up to float rounding) for all tokens at once.

skweak counts votes token by token in Python (`np.apply_along_axis` over a pandas frame per doc); here
the observations of many docs are one sparse token x function matrix and the vote is a matrix product.
"""

import warnings
from typing import Dict, FrozenSet, Iterator

import numpy as np
import scipy.sparse as sp

from ..patches import skweak_vote_matrix
from .base import LabelModel, Observations

with warnings.catch_warnings():  # skweak's own imports warn about pandas/scipy deprecations
    warnings.simplefilter("ignore", FutureWarning)
    from skweak.voting import MajorityVoterMixin, SequentialMajorityVoter


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
    """skweak's `MajorityVoterMixin.aggregate` for every token at once (it works row by row).

    skweak's O score depends on the entity votes alone (3 ** -their weight): an ordinary function's silence
    never outvotes a label. A negative function's O on its span is a vote: its weight joins O's score,
    as an entity vote's weight joins its label's (`voter.negative`; none: skweak's vote exactly)."""
    negative: FrozenSet[str] = getattr(voter, "negative", frozenset()) & frozenset(obs.sources)
    weights = {**voter.weights, **{s: 0.0 for s in negative}} if negative else voter.weights
    votes = label_votes(obs, weights)
    if voter.observed_labels[0] == "O":
        votes = voter.normalise_o_labels(votes)
    if negative:
        for s in negative:
            column = obs.sources.index(s)
            votes[:, 0] += np.where(obs.values[:, column] == 0, voter.weights.get(s, 1), 0).astype(np.float32)
    out = votes.dot(skweak_vote_matrix(voter))
    return out / (np.expand_dims(out.sum(axis=1), axis=1) + 1e-30)


class VectorisedMajorityVoter(LabelModel, SequentialMajorityVoter):
    """skweak's SequentialMajorityVoter (`aggregation.MajorityVoter(sequence_labelling=True)`), batched:
    each function's vote weighs its weight, O votes normalised as skweak does. Nothing to fit."""

    def doc_probs(self, obs: Observations) -> Iterator[np.ndarray]:
        return obs.doc_rows(majority_probs(self, obs))
