"""The Dawid-Skene label model: what it learns of each function, valid spans, and the workflow's interface."""

import itertools
import pickle

import numpy as np
import pytest
from spacy.tokens import Span

from scripts.labelmodel import registry
from scripts.labelmodel.base import Observations, spans_of, vote
from scripts.labelmodel.dawid_skene import DawidSkene, bio_transitions, constrained_paths

LABELS = ["ORG", "PER"]
STATES = ["O", "B-ORG", "I-ORG", "B-PER", "I-PER"]


def corpus(make_doc, n=60, seed=0):
    """Sentences of "Acme Corp said Ann Lee went": `good` finds both entities, `noisy` calls the company PER
    and misses half, `spotty` finds the person in a third."""
    rng = np.random.default_rng(seed)
    docs = []
    for i in range(n):
        spans = {"good": [(0, 2, "ORG"), (3, 5, "PER")], "noisy": [(0, 2, "PER")] if rng.random() < 0.5 else []}
        if i % 3 == 0:
            spans["spotty"] = [(3, 5, "PER")]
        docs.append(make_doc("Acme Corp said Ann Lee went", index=i, spans=spans))
    return docs


def test_it_learns_which_function_to_trust(make_doc):
    docs = corpus(make_doc)
    model = registry.make("dawid_skene", LABELS).fit(docs)
    good, noisy = model.confusion["good"], model.confusion["noisy"]
    b_org, b_per = STATES.index("B-ORG"), STATES.index("B-PER")
    assert good[b_org, b_org] > 0.9 and noisy[b_org, b_org] < 0.1  # P(says B-ORG | B-ORG)
    assert noisy[b_org, b_per] > 0.3  # noisy calls the company a person
    assert np.allclose(good.sum(axis=1), 1) and model.log_likelihood
    voted = vote(model, docs, {"good": [], "noisy": [], "spotty": []})
    assert all(spans_of(d, "dawid_skene") == [(0, 2, "ORG"), (3, 5, "PER")] for d in voted)


@pytest.mark.parametrize("name", ["dawid_skene", "hmm"])
def test_what_a_generative_model_learnt_of_each_function_is_its_precision_per_label(make_doc, name):
    """`reliability`: the model's own precision of each function, for the labels it says: `good` is right,
    `noisy` calls the company a person (so its PER is mostly wrong); majority learns nothing."""
    docs = corpus(make_doc)
    learnt = registry.make(name, LABELS).fit(docs).reliability()
    assert set(learnt["good"]) == {"ORG", "PER"} and set(learnt["noisy"]) == {"PER"}  # what each says
    assert min(learnt["good"].values()) > 0.9 and learnt["noisy"]["PER"] < 0.5
    assert learnt["spotty"]["PER"] > 0.9
    assert registry.make("majority", LABELS).reliability() == {}


def test_the_posteriors_are_probabilities_and_the_weights_count(make_doc):
    docs = corpus(make_doc)
    kept = {"good": [], "noisy": []}
    trusting_noisy = registry.make("dawid_skene", LABELS, {"good": 0.01, "noisy": 5.0}).fit(docs)
    per_doc = [o for o in trusting_noisy.observed(docs) if o is not None]
    probs = np.concatenate(list(trusting_noisy.doc_probs(Observations(per_doc, len(STATES)))))
    assert np.allclose(probs.sum(axis=1), 1) and (probs >= 0).all()
    voted = vote(trusting_noisy, [d.copy() for d in docs], kept)
    assert any(spans_of(d, "dawid_skene")[:1] == [(0, 2, "PER")] for d in voted)  # the weight moved the vote


def brute_force(logp, start, trans):
    best, best_path = -np.inf, None
    for path in itertools.product(range(logp.shape[1]), repeat=len(logp)):
        score = start[path[0]] + logp[0, path[0]]
        score += sum(trans[a, b] + logp[t + 1, b] for t, (a, b) in enumerate(zip(path, path[1:])))
        if score > best:
            best, best_path = score, path
    return list(best_path)


def test_decoding_is_the_best_valid_path_of_every_doc():
    rng = np.random.default_rng(3)
    lengths = np.array([4, 1, 3, 4, 2])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    probs = rng.dirichlet(np.ones(len(STATES)) * 0.3, size=lengths.sum())
    paths = constrained_paths(probs, starts, lengths, STATES)
    start, trans = bio_transitions(STATES)
    for s, n in zip(starts, lengths):
        assert paths[s : s + n].tolist() == brute_force(np.log(probs[s : s + n]), start, trans)


def test_decoded_spans_are_valid_where_the_most_likely_tags_are_not():
    # token by token the most likely tags are O I-PER B-ORG I-PER: no valid sequence
    probs = np.array(
        [
            [0.9, 0.0, 0.05, 0.05, 0.0],
            [0.3, 0.0, 0.0, 0.3, 0.4],
            [0.1, 0.5, 0.0, 0.4, 0.0],
            [0.1, 0.0, 0.4, 0.0, 0.5],
        ]
    )
    path = constrained_paths(probs, np.array([0]), np.array([4]), STATES).tolist()
    tags = [STATES[i] for i in path]
    for prev, tag in zip(["O"] + tags, tags):
        assert not tag.startswith("I-") or prev in (f"B-{tag[2:]}", tag)
    start, trans = bio_transitions(STATES)
    with np.errstate(divide="ignore"):
        assert path == brute_force(np.log(probs), start, trans) == [0, 0, 1, 2]  # O O B-ORG I-ORG


def test_a_label_model_of_the_registry_votes_like_the_others(make_doc):
    docs = corpus(make_doc, n=12)
    docs.append(make_doc("Nothing here", index=99))
    model = registry.make("dawid_skene", LABELS)
    assert isinstance(model, DawidSkene) and model.needs_fit
    with pytest.raises(RuntimeError):
        vote(model, docs[:1], {"good": []})
    model.fit(docs)
    again = pickle.loads(pickle.dumps(model))  # workers get it pickled
    voted = vote(again, [d.copy() for d in docs], {"good": [], "noisy": []})
    assert voted[-1].spans["dawid_skene"].attrs["aggregated"] and not len(voted[-1].spans["dawid_skene"])
    both = next(i for i, d in enumerate(docs) if len(d.spans.get("noisy", [])))
    group = voted[both].spans["dawid_skene"]
    assert group.attrs["sources"] == ["good", "noisy"] and set(group.attrs["probs"]) <= set(range(6))
    assert all(isinstance(s, Span) for s in group)
    # the shard reader gives the fit the same observations as the docs
    from spacy.tokens import DocBin

    db = DocBin(store_user_data=True, docs=docs)
    assert [o is None for o in model.observed_shard(db, {"good": [], "noisy": []})] == [False] * 12 + [True]


def test_aggregate_runs_it_end_to_end(tmp_path, make_doc):
    import json

    from scripts.corpus.docbin import read_docs, write_docs
    from scripts.labelmodel import aggregate as aggregate_step
    from scripts.util.files import write_json

    train = [d for d in corpus(make_doc, n=30)]
    for d in train:
        d.user_data["split"] = "train"
    dev = corpus(make_doc, n=6, seed=1)
    for d in dev:
        d.spans["gold"] = [Span(d, 0, 2, "ORG"), Span(d, 3, 5, "PER")]
    write_docs(tmp_path / "train.spacy", train)
    write_docs(tmp_path / "dev.spacy", dev)
    write_json(tmp_path / "sel.json", {"kept": {"good": [], "noisy": [], "spotty": []}})
    out = tmp_path / "corpus"
    paths = [tmp_path / "train.spacy", tmp_path / "dev.spacy", tmp_path / "sel.json", out, tmp_path / "agg.json"]
    aggregate_step.main(*paths, labels="ORG,PER", aggregator="dawid_skene", seed=1, n_process=1, fit_docs=20)
    scores = json.loads((tmp_path / "agg.json").read_text())
    assert scores["aggregator"] == "dawid_skene" and scores["dev"]["f"] == pytest.approx(1.0)
    assert set(scores["also"]) == {"majority"}  # the models that need no fit, beside it
    assert all(len(d.ents) == 2 for d in read_docs(out / "train.spacy"))


def test_it_needs_neither_hmmlearn_nor_scikit_learn():
    import subprocess
    import sys

    from .conftest import ROOT

    code = (
        "import sys\n"
        "from scripts.labelmodel import registry\n"
        "model = registry.make('dawid_skene', ['ORG'])\n"
        "print(sorted(m for m in ('hmmlearn', 'sklearn') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
