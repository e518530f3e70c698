"""The vectorised HMM and majority voter give skweak's models and votes."""

import random
import warnings

import numpy as np
import pytest
from spacy.tokens import Doc, Span

from scripts.corpus.docbin import write_docs
from scripts.corpus.parallel import Parallelism
from scripts.labelmodel import training_corpus as tc
from scripts.labelmodel.voters import VectorisedHMM, VectorisedMajorityVoter
from tests import reference as ref

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from skweak.aggregation import HMM, MajorityVoter

LABELS = ["ORG", "PER", "LOC", "MISC"]
# "places_cased"/"places_uncased" and "md"/"md_truecase" are correlated sources by skweak's naming rule
SOURCES = ["md", "md_truecase", "places_cased", "places_uncased", "rule", "doc_history"]


def random_corpus(vocab, n_docs=120, seed=0):
    """Docs whose sources agree on a hidden truth most of the time, err, and sometimes say nothing."""
    rng = random.Random(seed)
    docs = []
    for i in range(n_docs):
        words = [f"w{rng.randint(0, 50)}" for _ in range(rng.randint(1, 25))]
        doc = Doc(vocab, words=words)
        truth, k = [], 0
        while k < len(doc):
            length = rng.randint(1, 3)
            if rng.random() < 0.3 and k + length <= len(doc):
                truth.append((k, k + length, rng.choice(LABELS)))
            k += length + rng.randint(0, 2)
        for source in SOURCES:
            if rng.random() < 0.2:
                continue  # this source has no span group in this doc
            spans = []
            for start, end, label in truth:
                if rng.random() < 0.7:
                    spans.append((start, end, label if rng.random() < 0.85 else rng.choice(LABELS)))
            doc.spans[source] = [Span(doc, s, e, label=lab) for s, e, lab in spans]
        doc.user_data.update({"split": "train", "index": i, "doc_id": i // 5})
        docs.append(doc)
    return docs


def votes(docs, name):
    return [[(s.start, s.end, s.label_) for s in d.spans[name]] for d in docs]


def probs(docs, name):
    return [d.spans[name].attrs["probs"] for d in docs]


def assert_probs_close(a, b):
    assert [p.keys() for p in a] == [p.keys() for p in b]
    for pa, pb in zip(a, b):
        for token in pa:
            assert pa[token].keys() == pb[token].keys()
            for label in pa[token]:
                assert pa[token][label] == pytest.approx(pb[token][label], rel=1e-6, abs=1e-9)


def test_hmm_fit_and_votes_equal_skweaks(vocab):
    docs = random_corpus(vocab)
    ours, theirs = VectorisedHMM("hmm", LABELS), HMM("hmm", LABELS)
    ours.fit([d.copy() for d in docs])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.fit([d.copy() for d in docs])
    assert len(theirs.corr_counts) > 0  # the correlated sources are in play
    np.testing.assert_allclose(ours.hmm.startprob_, theirs.hmm.startprob_, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(ours.hmm.transmat_, theirs.hmm.transmat_, rtol=1e-7, atol=1e-12)
    assert ours.emit_probs.keys() == theirs.emit_probs.keys()
    for source in theirs.emit_probs:
        np.testing.assert_allclose(ours.emit_probs[source], theirs.emit_probs[source], rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(ours.weights[source], theirs.weights[source], rtol=1e-6)
    for pair in theirs.corr_counts:
        np.testing.assert_allclose(ours.corr_counts[pair], theirs.corr_counts[pair])
    mine = list(ours.pipe([d.copy() for d in docs], batch_size=7))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        skweaks = list(theirs.pipe([d.copy() for d in docs]))
    assert votes(mine, "hmm") == votes(skweaks, "hmm")
    assert any(votes(mine, "hmm"))
    assert_probs_close(probs(mine, "hmm"), probs(skweaks, "hmm"))
    assert [d.spans["hmm"].attrs["sources"] for d in mine] == [d.spans["hmm"].attrs["sources"] for d in skweaks]


@pytest.mark.parametrize("weights", [None, {"md": 2.0, "rule": 0.5, "doc_history": 0.0}])
def test_majority_votes_equal_skweaks(vocab, weights):
    docs = random_corpus(vocab, seed=1)
    mine = list(VectorisedMajorityVoter("mv", LABELS, initial_weights=weights).pipe([d.copy() for d in docs]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        voter = MajorityVoter("mv", LABELS, sequence_labelling=True, initial_weights=weights)
        skweaks = list(voter.pipe([d.copy() for d in docs]))
    assert votes(mine, "mv") == votes(skweaks, "mv")
    assert_probs_close(probs(mine, "mv"), probs(skweaks, "mv"))
    assert [d.spans["mv"].attrs["sources"] for d in mine] == [d.spans["mv"].attrs["sources"] for d in skweaks]


def test_unfitted_hmm_refuses_to_vote(vocab):
    with pytest.raises(RuntimeError, match="not yet trained"):
        list(VectorisedHMM("hmm", LABELS).pipe(random_corpus(vocab, n_docs=2)))


def test_sharded_fit_equals_fit_on_the_sample(vocab, tmp_path):
    docs = random_corpus(vocab, n_docs=90, seed=2)
    write_docs(tmp_path / "train", docs, shard_size=20)
    kept = {s: [] for s in SOURCES if s != "rule"}
    sharded = VectorisedHMM("hmm", LABELS)
    n = tc.fit_hmm(sharded, tmp_path / "train", kept, max_docs=50, seed=3, parallel=Parallelism(2, 20))
    direct = ref.fit(VectorisedHMM("hmm", LABELS), tc.fit_sample([d.copy() for d in docs], 50, 3), kept)
    assert n == 50
    assert "rule" not in sharded.emit_probs  # only the kept functions
    assert np.array_equal(sharded.hmm.transmat_, direct.hmm.transmat_)
    for source in direct.emit_probs:
        assert np.array_equal(sharded.emit_probs[source], direct.emit_probs[source])


def test_hmm_ignores_a_source_it_was_not_fitted_on(vocab):
    """A function that never fired on the fitted docs (train) but fires on dev has no emission model: the HMM
    votes as if it were absent (it raised KeyError on CoNLL fed as raw text: `dateline` reads CoNLL's dates)."""
    docs = random_corpus(vocab)
    hmm = VectorisedHMM("hmm", LABELS)
    hmm.fit([d.copy() for d in docs])
    with_new = []
    for doc in docs[:30]:
        doc = doc.copy()
        doc.spans["new_function"] = [Span(doc, 0, 1, label="ORG")]
        with_new.append(doc)
    voted = list(hmm.pipe(with_new))
    plain = list(hmm.pipe([d.copy() for d in docs[:30]]))
    assert votes(voted, "hmm") == votes(plain, "hmm")
    assert all("new_function" not in d.spans["hmm"].attrs["sources"] for d in voted)
