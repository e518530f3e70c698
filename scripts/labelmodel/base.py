"""The label-model interface: what every label model of `registry` implements, and what they share.

A label model turns what the kept labelling functions say about each token into a probability per
output label (BIO: O, B-X, I-X), and those into spans, written as skweak's aggregators write them.

- `Observations`: the observations of many docs as one token x function matrix (and its one-hot form);
- `LabelModel`: `fit_observed` on train's observations (if `needs_fit`), `doc_probs` of any corpus, then
  `pipe` votes docs (a span group named after the model, with skweak's `probs` attrs) and `observed_shard`
  reads a shard's observations straight from its bytes, for fits in workers;
- `vote`, `select_sources`, `spans_of`: voting over the functions that `score` kept.

A negative function (its spans say "no entity", label NOT_ENTITY) is an O vote on its spans and abstains
elsewhere (-1 in the observations, where an ordinary function's silence is an O vote): the majority vote
counts it with its weight; a generative model gives it a fixed emission (`negative_emission`) instead of
learning one, since it never says anything but O.

To add a label model: a module in this package with a `LabelModel` subclass, its line in
`registry.LABEL_MODELS`, its tests, and its row in docs/label_models.md (`python -m
scripts.tools.label_models`). skweak's generative models are the pattern (`fit(docs)`, posteriors per
token); snorkel's `BaseLabeler` is the same idea over an (examples x functions) matrix.
"""

import warnings
from typing import Any, ClassVar, Dict, FrozenSet, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import scipy.sparse as sp
from spacy.strings import get_string_id
from spacy.tokens import Doc, DocBin, Span
from spacy.util import minibatch

from ..corpus.labels import AGGREGATED, SpanTuple
from ..patches import skweak_label_index, skweak_sources, skweak_spans_to_array, span_groups_of

with warnings.catch_warnings():  # skweak's own imports warn about pandas/scipy deprecations
    warnings.simplefilter("ignore", FutureWarning)
    from skweak.utils import token_array_to_probs, token_array_to_spans

# What `score` keeps: function -> the labels it may vote for ([] means every label).
Kept = Dict[str, List[str]]
# Per doc, (its voting sources, skweak's observation array: tokens x sources, label indices), or None
Observed = Optional[Tuple[List[str], np.ndarray]]


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

    def said(self) -> Dict[str, set]:
        """The labels (indices in `observed_labels`, O aside) each source says somewhere."""
        return {
            s: set(np.unique(self.values[:, i][self.values[:, i] > 0]).tolist()) for i, s in enumerate(self.sources)
        }

    def doc_rows(self, matrix: np.ndarray) -> Iterator[np.ndarray]:
        """The rows of each doc in a (tokens x ...) matrix, in order."""
        for start, length in zip(self.starts.tolist(), self.lengths.tolist()):
            yield matrix[start : start + length]


class LabelModel:
    """A label model over BIO labels: fitted on train's observations, voting on any corpus.

    Mixed into a skweak sequence aggregator (or built like one: `name`, `out_labels` with their BIO
    prefixes, `observed_labels`, `out_labels_no_prefixes`, `initial_weights`), whose constructor is
    `Model(name, labels, initial_weights=...)`. Subclasses implement `doc_probs`, `fit_observed` when
    `needs_fit`, and may decode spans their own way (`decode_all`).
    """

    # False: votes need no fit (majority voting); True: `fit_observed` on train's observations first
    needs_fit: ClassVar[bool] = False
    # the negative functions among the sources (set by `registry.make`)
    negative: FrozenSet[str] = frozenset()

    # what the skweak aggregator this is mixed into provides
    name: str
    observed_labels: List[str]
    out_labels: List[str]
    out_labels_no_prefixes: List[str]
    initial_weights: Dict[str, float]
    label_groups: Dict

    def __init__(self, name: str, labels: List[str], initial_weights: Optional[Dict[str, float]] = None):
        """`name`: the registry's, the span group of the votes; `labels` without prefixes; `initial_weights`:
        function -> weight (default 1), what `score` chose or a user set."""
        super().__init__(name, labels, initial_weights=initial_weights)  # type: ignore[call-arg]
        if not hasattr(self, "initial_weights"):  # skweak's majority voter keeps them as `weights` only
            self.initial_weights = dict(initial_weights or {})

    def options(self) -> Dict[str, Any]:
        """What configures this model beyond its labels and weights (reports show it)."""
        return {}

    def reliability(self) -> Dict[str, Dict[str, float]]:
        """What a fitted model learnt of each function: per label it emits, the probability that a token it
        labels so is of that label (the model's own precision of it); none for a model that learns nothing."""
        return {}

    def fit_observed(self, per_doc: List[Tuple[List[str], np.ndarray]]) -> "LabelModel":
        """Fit on each doc's (sources, observation array), as `observed` or `observed_shard` give them."""
        if self.needs_fit:
            raise NotImplementedError(f"{type(self).__name__} needs a fit_observed")
        return self

    def doc_probs(self, obs: Observations) -> Iterator[np.ndarray]:
        """(tokens x out_labels) probabilities of each doc in `obs`, in order."""
        raise NotImplementedError

    def fit(self, docs: Iterable[Doc]) -> "LabelModel":
        """`fit_observed` on the observations of `docs`."""
        return self.fit_observed([(sources, data) for _, sources, data in self._observed(docs)])

    def sources(self, doc: Any) -> List[str]:
        """The span groups of `doc` that vote: skweak's choice (non-empty, not an aggregate, weight > 0)."""
        return skweak_sources(self, doc)

    def _observed(self, docs: Iterable[Doc]) -> Iterator[Tuple[int, List[str], np.ndarray]]:
        """(position, sources, skweak's observation array) of each doc with at least one source."""
        index = skweak_label_index(self.observed_labels)
        for i, doc in enumerate(docs):
            sources = self.sources(doc)
            if sources and len(doc):
                data = skweak_spans_to_array(doc, sources, index)
                for j, source in enumerate(sources):
                    if source in self.negative:
                        abstain_outside(data, j, [(s.start, s.end) for s in doc.spans[source]])
                yield i, sources, data

    def observed(self, docs: Sequence[Doc]) -> List[Observed]:
        """Per doc, (its sources, skweak's observation array), or None where no source has a span."""
        found = {i: (sources, data) for i, sources, data in self._observed(docs)}
        return [found.get(i) for i in range(len(docs))]

    def observed_kept(self, docs: Sequence[Doc], kept: Kept) -> List[Observed]:
        """`observed([select_sources(doc, kept) for doc in docs])` without changing or copying the docs (their
        other groups stay): for comparing votes over different kept sets of one corpus (`inspect`)."""
        label2idx, prefixes, no_prefix = skweak_label_index(self.observed_labels)
        out: List[Observed] = []
        for doc in docs:
            groups: Dict[str, Any] = {}
            for name in doc.spans:
                if name not in kept:
                    continue
                group = doc.spans[name]
                labels = kept[name]
                if labels and any(s.label_ not in labels for s in group):  # select_sources's new group
                    groups[name] = _Group([s for s in group if s.label_ in labels], {})
                else:
                    groups[name] = group
            sources = self.sources(_Groups(groups))
            if not sources or not len(doc):
                out.append(None)
                continue
            found = {}
            for source in sources:
                group = groups[source].spans if isinstance(groups[source], _Group) else groups[source]
                found[source] = [(s.start, s.end, s.label_ if s.label_ in no_prefix else None) for s in group]
            out.append((sources, self._array(len(doc), sources, found, label2idx, prefixes)))
        return out

    def vote_spans(self, docs: Sequence[Doc], kept: Kept) -> List[List[SpanTuple]]:
        """The spans the model votes on each doc over the `kept` functions (`vote`'s, without a Doc copy)."""
        observed = self.observed_kept(docs, kept)
        present = [(i, o) for i, o in enumerate(observed) if o is not None]
        out: List[List[SpanTuple]] = [[] for _ in docs]
        if not present:
            return out
        obs = Observations([o for _, o in present], len(self.observed_labels))
        probs = list(self.doc_probs(obs))
        for (i, _), found in zip(present, self.decode_all(obs, probs)):
            out[i] = [(start, end, label) for (start, end), label in found.items()]
        return out

    def observed_shard(self, db: DocBin, kept: Kept) -> List[Observed]:
        """`observed([select_sources(doc, kept) for doc in db's docs])` read from the shard's serialised span
        groups, without a Doc or a Span: decoding the docs and their groups was most of the HMM fit's pass
        over train. The sources are the model's own `sources`; the arrays are skweak's `_spans_to_array`,
        span by span (tests/test_aggregators.py holds them equal)."""
        label2idx, prefixes, no_prefix = skweak_label_index(self.observed_labels)
        label_of = {get_string_id(label): label for label in no_prefix}
        kept_ids = {
            name: np.array([get_string_id(lab) for lab in labels], dtype=np.uint64)
            for name, labels in kept.items()
            if labels
        }
        out: List[Observed] = []
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
            sources = self.sources(_Groups(groups))
            if not sources or not len(tokens):
                out.append(None)
                continue
            found = {}
            for source in sources:
                spans = groups[source].spans
                labels = [label_of.get(hashed) for hashed in spans["label"].tolist()]
                found[source] = zip(spans["start"].tolist(), spans["end"].tolist(), labels)
            out.append((sources, self._array(len(tokens), sources, found, label2idx, prefixes)))
        return out

    def _array(
        self, n_tokens: int, sources: List[str], found: Mapping[str, Iterable], label2idx, prefixes
    ) -> np.ndarray:
        """skweak's observation array (tokens x sources) from each source's (start, end, label or None: not one
        of the model's) spans; a negative source's column as `abstain_outside` makes it."""
        data = np.zeros((n_tokens, len(sources)), dtype=np.int16)
        for j, source in enumerate(sources):
            if source in self.negative:
                abstain_outside(data, j, [(start, end) for start, end, _ in found[source]])
                continue
            for start, end, label in found[source]:
                if label is not None:
                    write_span(data, j, start, end, label, label2idx, prefixes)
        return data

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 1000) -> Iterator[Doc]:
        """skweak's `__call__` on each doc (the same spans and attrs), a batch of docs at a time.

        Every token of a doc with a source is kept: skweak's `filter_observations` only drops tokens
        no source votes on, and a source with a span in the doc says O elsewhere (no label groups here).
        """
        if self.label_groups:
            raise ValueError(f"{self.name}: underspecified labels (skweak's label groups) are not supported")
        for batch in minibatch(docs, batch_size):
            yield from self._vote_batch(batch)

    def _vote_batch(self, docs: List[Doc]) -> Iterator[Doc]:
        observed = list(self._observed(docs))
        posteriors, found = {}, {}
        if observed:
            obs = Observations([(sources, data) for _, sources, data in observed], len(self.observed_labels))
            probs = list(self.doc_probs(obs))
            for (i, _, _), doc_probs, doc_spans in zip(observed, probs, self.decode_all(obs, probs)):
                posteriors[i], found[i] = doc_probs, doc_spans
        sources_of = {i: sources for i, sources, _ in observed}
        for i, doc in enumerate(docs):
            if i not in posteriors:
                doc.spans[self.name] = []
                doc.spans[self.name].attrs = {"probs": {}, AGGREGATED: True, "sources": []}
                yield doc
                continue
            post, spans = posteriors[i], found[i]
            doc.spans[self.name] = [Span(doc, start, end, label=label) for (start, end), label in spans.items()]
            doc.spans[self.name].attrs["probs"] = token_array_to_probs(post, self.out_labels)
            doc.spans[self.name].attrs[AGGREGATED] = True
            doc.spans[self.name].attrs["sources"] = list(sources_of[i])
            yield doc

    def decode_all(self, obs: Observations, probs: Sequence[np.ndarray]) -> List[Dict[Tuple[int, int], str]]:
        """The spans {(start, end): label} of each doc of `obs` from its (tokens x out_labels) probabilities:
        skweak's, the most likely label of each token, an I- after O starting a span."""
        return [token_array_to_spans(doc_probs, self.out_labels) for doc_probs in probs]


def abstain_outside(data: np.ndarray, j: int, spans: Sequence[Tuple[int, int]]) -> None:
    """Column `j` of an observation array for a negative function: O (0) on its spans, -1 (abstains) elsewhere."""
    inside = np.zeros(len(data), dtype=bool)
    for start, end in spans:
        inside[start:end] = True
    data[:, j] = np.where(inside, 0, -1)


# The odds a weight of 1 stands for (`lf_scores.function_weights`: precision 0.8 weighs 1)
WEIGHT_ODDS = 0.8 / 0.2


def negative_emission(out_labels: Sequence[str], observed_labels: Sequence[str]) -> np.ndarray:
    """(states x observed labels): what a negative function says, fixed: O, with likelihood 1 where the state
    is O and 1/4 where it is an entity, so that with weight w (an exponent, as skweak weighs its HMM's
    emissions) it shifts the odds of O by 4^w, as a majority vote of weight w would. Its other
    observations never happen."""
    matrix = np.full((len(out_labels), len(observed_labels)), 1e-12)
    o = list(observed_labels).index("O")
    matrix[:, o] = [1.0 if state == "O" else 1 / WEIGHT_ODDS for state in out_labels]
    return matrix


def with_o_where_unobserved(obs: Observations, voting: np.ndarray) -> np.ndarray:
    """A voting mask (tokens x states) in which a token that no function observes (only negative functions
    in its doc, none of them firing there) may be O: nothing says otherwise."""
    unobserved = (obs.values < 0).all(axis=1)
    if unobserved.any():
        voting = voting.copy()
        voting[unobserved, 0] = True
    return voting


class _Group:
    """A serialised span group as `sources` reads it: its length and attrs."""

    def __init__(self, spans: Any, attrs: Dict):
        """`spans`: a record array of serialised spans, or a list of Spans."""
        self.spans, self.attrs = spans, attrs

    def __len__(self) -> int:
        return len(self.spans)


class _Groups:
    """A stand-in Doc for `sources`: `spans` maps each group's name to a `_Group`."""

    def __init__(self, spans: Dict[str, _Group]):
        self.spans = spans


def write_span(data: np.ndarray, j: int, start: int, end: int, label: str, label2idx: Dict, prefixes) -> None:
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


def vote(model: LabelModel, docs: Iterable[Doc], kept: Kept, keep_groups: bool = True) -> List[Doc]:
    """The docs with the model's group (named after it) added; every other group is kept (all functions,
    dropped ones included, and gold): what a reviewer sees in Argilla. Only kept functions vote, never
    gold. With `keep_groups=False` the docs are left with the kept functions' groups and the model's: for
    workers that write the other groups back as the bytes they read (`patches.with_span_group`), since
    saving and restoring them all costs a fifth of the vote."""
    docs = list(docs)
    saved = [{name: list(group) for name, group in d.spans.items()} for d in docs] if keep_groups else []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        voted = list(model.pipe(select_sources(d, kept) for d in docs))
    for doc, groups in zip(voted, saved):
        for name, spans in groups.items():
            doc.spans[name] = spans
    return voted


def spans_of(doc: Doc, group: str) -> List[SpanTuple]:
    """The (start, end, label) spans of a span group ([] if the doc has none)."""
    return [(s.start, s.end, s.label_) for s in doc.spans.get(group, [])]


def learnt_precision(
    emissions: Dict[str, np.ndarray],
    prior: np.ndarray,
    out_labels: Sequence[str],
    observed_labels: Sequence[str],
    said: Dict[str, set],
) -> Dict[str, Dict[str, float]]:
    """`LabelModel.reliability` from each function's (states x observed labels) emission or confusion matrix and
    the states' prior: P(state of L | it says L) = sum over L's B/I states of prior x P(it says L), normalised
    over every state; for the labels it said in the fitted docs (`Observations.said`: the others have only
    the smoothing's mass)."""
    labels = sorted({lab[2:] for lab in out_labels if lab != "O"})
    out: Dict[str, Dict[str, float]] = {}
    for source, matrix in emissions.items():
        found = {}
        for label in labels:
            says = [k for k, lab in enumerate(observed_labels) if lab != "O" and lab[2:] == label]
            if not set(says) & said.get(source, set()):
                continue
            states = [k for k, lab in enumerate(out_labels) if lab != "O" and lab[2:] == label]
            joint = prior * matrix[:, says].sum(axis=1)
            found[label] = round(float(joint[states].sum() / joint.sum()), 3)
        out[source] = found
    return out
