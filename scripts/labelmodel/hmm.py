"""skweak's HMM, vectorised: the same model and votes (up to float rounding), EM over all docs at once.

skweak runs the E-step doc by doc through pandas frames and hmmlearn's model object: about 3 ms per
CoNLL sentence per EM pass, 40 s to fit on CoNLL train. Here each EM iteration is a few sparse matrix
products over all tokens plus hmmlearn's compiled forward/backward per doc (`patches`). Its own module,
so that hmmlearn and scikit-learn (2 s of imports) load only where the HMM runs.
"""

import warnings
from typing import Dict, Iterator, List, Tuple

import hmmlearn.base
import numpy as np
import scipy.sparse as sp
from hmmlearn.utils import log_normalize

from ..patches import forward_backward_log, log_xi_sum, skweak_em_mstep, skweak_em_reset, skweak_vote_matrix
from .base import LabelModel, Observations, learnt_precision, negative_emission, with_o_where_unobserved
from .majority import MajorityVoterMixin, majority_probs

with warnings.catch_warnings():  # skweak's own imports warn about pandas/scipy deprecations
    warnings.simplefilter("ignore", FutureWarning)
    from skweak.generative import HMM


class VectorisedHMM(LabelModel, HMM):
    """skweak's HMM (`aggregation.HMM(sequence_labelling=True)`, BIO) with EM over all docs at once: a
    start and transition model over the BIO states, an emission model per function, weights scaled down
    for functions of the same family (skweak's redundancy factor). Fitted on train's observations."""

    needs_fit = True

    def options(self) -> Dict:
        return {"redundancy_factor": self.redundancy_factor, "n_iter": 4, "tol": 1e-2}

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

    def pipe(self, docs, batch_size: int = 1000):
        if not hasattr(self, "emit_probs"):
            raise RuntimeError("Model is not yet trained")
        yield from super().pipe(docs, batch_size)

    def sources(self, doc) -> List[str]:
        """The doc's sources; once fitted, only those the HMM has an emission model of: a function that never
        fired on the fitted docs (e.g. on train's tokens) but does on dev has no evidence to weigh."""
        sources = super().sources(doc)
        fitted = getattr(self, "emit_probs", None)
        return sources if fitted is None else [s for s in sources if s in fitted]

    def doc_probs(self, obs: Observations) -> Iterator[np.ndarray]:
        """skweak's `get_posteriors` of each doc: forward and backward doc by doc, then hmmlearn's
        posterior normalisation (`BaseHMM._compute_posteriors_log`: row by row) once over all the docs'
        rows, as in `_accumulate_all`: called per doc, its logsumexp cost more than the forward-backward."""
        frame = self._frame_log_likelihood(obs, self._voting_mask(obs))
        startprob, transmat = self.hmm.startprob_, self.hmm.transmat_
        fwd, bwd = np.empty_like(frame), np.empty_like(frame)
        for start, length in zip(obs.starts.tolist(), obs.lengths.tolist()):
            rows = slice(start, start + length)
            _, fwd[rows], bwd[rows] = forward_backward_log(startprob, transmat, frame[rows])
        log_gamma = fwd + bwd
        log_normalize(log_gamma, axis=1)
        with np.errstate(under="ignore"):
            posteriors = np.exp(log_gamma)
        return obs.doc_rows(posteriors)

    def fit_observed(self, per_doc: List[Tuple[List[str], np.ndarray]], n_iter: int = 4, tol: float = 1e-2):
        """Baum-Welch as in skweak's `GenerativeModelMixin._fit`, from each doc's (sources, observation
        array): counts from a majority voter, then EM."""
        if not per_doc:
            raise RuntimeError("No document found with annotations")
        obs = Observations(per_doc, len(self.observed_labels))
        self.said = obs.said()
        skweak_em_reset(self, obs.sources)
        corr_inc = {pair: obs.co_occurrence(*pair) for pair in self.corr_counts}
        self._add_mv_counts_all(obs, corr_inc)
        self._m_step()
        monitor = hmmlearn.base.ConvergenceMonitor(tol, n_iter, False)
        voting = self._voting_mask(obs)
        for _ in range(n_iter):
            skweak_em_reset(self, obs.sources)
            logprob = self._accumulate_all(obs, voting, corr_inc)
            self._m_step()
            monitor.report(logprob)
            if monitor.converged:
                break
        return self

    def reliability(self) -> Dict[str, Dict[str, float]]:
        """Each function's learnt precision per label (`base.learnt_precision`), the states' prior being the
        transition model's stationary distribution."""
        if not hasattr(self, "emit_probs") or not hasattr(self, "said"):
            return {}
        prior = np.full(len(self.out_labels), 1 / len(self.out_labels))
        for _ in range(200):  # power iteration: a few states
            prior = prior @ self.hmm.transmat_
        return learnt_precision(self.emit_probs, prior, self.out_labels, self.observed_labels, self.said)

    def _m_step(self) -> None:
        """skweak's M-step; a negative function's emission stays fixed (`base.negative_emission`)."""
        skweak_em_mstep(self)
        for source in self.negative & set(self.emit_probs):
            self.emit_probs[source] = negative_emission(self.out_labels, self.observed_labels)

    def _add_mv_counts_all(self, obs: Observations, corr_inc: Dict[Tuple[str, str], np.ndarray]):
        """skweak's `_add_mv_counts` over all tokens at once (majority voting is token by token)."""
        n_corr = {s: sum(1 for s1, _ in self.corr_counts if s1 == s) for s in self.emit_counts}
        weights = {
            s: self.initial_weights.get(s, 1) * np.exp(-self.redundancy_factor * n_corr[s]) for s in self.emit_counts
        }
        mv = MajorityVoterMixin(initial_weights=weights)
        mv.negative = self.negative
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
        return with_o_where_unobserved(
            obs, np.asarray(per_label @ skweak_vote_matrix(self, include_underspec=False)) > 0
        )

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
            doc_logprob, fwd[start:end], bwd[start:end] = forward_backward_log(startprob, transmat, doc_frame)
            if length > 1:
                trans += np.exp(log_xi_sum(fwd[start:end], transmat, bwd[start:end], doc_frame))
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
