"""The vectorised HMM and majority voter give skweak's models and votes."""

import random
import warnings

import numpy as np
import pytest
from spacy.tokens import Doc, Span

from scripts.corpus.docbin import write_docs
from scripts.labelmodel import training_corpus as tc
from scripts.labelmodel.hmm import VectorisedHMM
from scripts.labelmodel.majority import VectorisedMajorityVoter
from scripts.util.parallel import Parallelism
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
    n = tc.fit_label_model(sharded, tmp_path / "train", kept, max_docs=50, seed=3, parallel=Parallelism(2, 20))
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


def test_observations_read_from_the_shard_bytes_equal_the_docs(vocab):
    """`observed_shard` (span-group bytes, no Doc) gives what `observed` gives on the decoded docs after
    `select_sources`: kept labels, skweak's attrs, a group under two names, overlaps, unknown labels."""
    from spacy.tokens import DocBin

    from scripts.labelmodel.base import select_sources

    docs = [d for d in random_corpus(vocab, n_docs=90, seed=4) if {"md", "rule", "places_cased"} <= set(d.spans)]
    docs[3].spans["rule"].attrs["aggregated"] = True  # skweak leaves aggregated groups out...
    docs[4].spans["md"].attrs["avoid_in_aggregation"] = True  # ...and those marked to avoid
    docs[5].spans["md"] = docs[5].spans["places_cased"]  # one group stored under two names
    docs[6].spans["rule"] = [Span(docs[6], 0, 1, label="ORG"), Span(docs[6], 0, len(docs[6]), label="PER")]
    docs[7].spans["places_uncased"] = [Span(docs[7], 0, 1, label="DATE")]  # a label the vote does not know
    docs[8].spans["md"] = [Span(docs[8], 0, 1, label="LOC"), Span(docs[8], 1, 2, label="ORG")]
    docs[8].spans["md"].attrs["aggregated"] = True  # its LOC filtered below: a new group, attrs gone
    docs.append(Doc(vocab, words=[]))
    docs.append(Doc(vocab, words="no kept source".split()))
    docs[-1].spans["gold"] = [Span(docs[-1], 0, 1, label="ORG")]
    data = DocBin(store_user_data=True, docs=docs).to_bytes()
    kept = {"md": ["ORG", "PER"], "md_truecase": [], "places_cased": [], "places_uncased": ["LOC", "DATE"], "rule": []}
    fitted = VectorisedHMM("hmm", LABELS)
    fitted.fit([select_sources(d.copy(), {k: v for k, v in kept.items() if k != "rule"}) for d in docs[:40]])
    aggregators = [VectorisedHMM("hmm", LABELS), fitted, VectorisedMajorityVoter("mv", LABELS)]
    aggregators.append(VectorisedMajorityVoter("mv", LABELS, initial_weights={"md_truecase": 0.0}))
    for agg in aggregators:
        db = DocBin(store_user_data=True).from_bytes(data)
        decoded = [select_sources(d, kept) for d in db.get_docs(vocab)]
        expected, found = agg.observed(decoded), agg.observed_shard(db, kept)
        assert [e is None for e in expected] == [f is None for f in found]
        for e, f in zip(expected, found):
            if e is not None:
                assert e[0] == f[0] and e[1].dtype == f[1].dtype and np.array_equal(e[1], f[1])
        assert sum(e is not None for e in expected) > len(docs) // 2
    assert len(docs) > 30
    sources = [o[0] for o in fitted.observed_shard(DocBin().from_bytes(data), kept) if o is not None]
    unfitted = [o[0] for o in aggregators[0].observed_shard(DocBin().from_bytes(data), kept) if o is not None]
    assert not any("rule" in s for s in sources) and any("rule" in s for s in unfitted)  # not fitted on it


def test_batched_posteriors_are_hmmlearns_per_doc(vocab):
    """The vote's posteriors, normalised once over all docs, are bit for bit hmmlearn's, doc by doc."""
    from hmmlearn import _hmmc

    from scripts.labelmodel.base import Observations

    docs = random_corpus(vocab, n_docs=80, seed=5)
    hmm = VectorisedHMM("hmm", LABELS).fit([d.copy() for d in docs])
    per_doc = [(sources, data) for _, sources, data in hmm._observed(docs)]
    obs = Observations(per_doc, len(hmm.observed_labels))
    frame = hmm._frame_log_likelihood(obs, hmm._voting_mask(obs))
    batched = list(hmm.doc_probs(obs))
    assert len(batched) == len(per_doc) > 50
    for (start, length), probs in zip(zip(obs.starts.tolist(), obs.lengths.tolist()), batched):
        doc_frame = frame[start : start + length]
        _, fwd = _hmmc.forward_log(hmm.hmm.startprob_, hmm.hmm.transmat_, doc_frame)
        bwd = _hmmc.backward_log(hmm.hmm.startprob_, hmm.hmm.transmat_, doc_frame)
        assert np.array_equal(probs, hmm.hmm._compute_posteriors_log(fwd, bwd))
