"""Voting over the kept functions, balancing empty docs, reviews, and the exported corpus."""

import json

import pytest

from scripts.corpus.docbin import copy_with_ents, read_docs, write_docs
from scripts.corpus.labels import GOLD
from scripts.labelmodel import aggregate as aggregate_step
from scripts.labelmodel import base, registry
from scripts.util.files import write_json
from tests import reference as ref

from .conftest import spans_of

# one process: the pool and Dask are tests/test_parallel.py's
ONE = dict(n_process=1)


def test_select_sources_keeps_only_selected_functions_and_labels(make_doc):
    doc = make_doc(
        "Anna works at Acme",
        spans={
            "gold": [(3, 4, "ORG")],
            "a": [(0, 1, "PER"), (3, 4, "ORG")],
            "b": [(3, 4, "ORG")],
            "c": [(0, 1, "ORG")],
        },
    )
    base.select_sources(doc, {"a": ["ORG"], "b": []})
    assert sorted(doc.spans) == ["a", "b"]  # gold and the dropped function are gone
    assert spans_of(doc, "a") == [(3, 4, "ORG")]
    assert spans_of(doc, "b") == [(3, 4, "ORG")]


def test_majority_vote(make_doc):
    docs = [
        make_doc("Kia Corp said", spans={"x": [(0, 2, "ORG")], "y": [(0, 2, "ORG")], "z": []}, index=0),
        make_doc("nothing here", spans={"x": [], "y": [], "z": []}, index=1),
        make_doc("Acme Group fell", spans={"x": [(0, 2, "ORG")], "y": [], "z": []}, index=2),
    ]
    train, dev = ref.aggregate(docs, [], {"x": ["ORG"], "y": ["ORG"], "z": ["ORG"]}, ["ORG"], "majority")
    assert train == [[(0, 2, "ORG")], [], [(0, 2, "ORG")]]
    assert dev == []


def test_dropped_function_does_not_vote(make_doc):
    docs = [make_doc("Kia Corp said", spans={"x": [(0, 2, "ORG")], "bad": [(2, 3, "ORG")]})]
    train, _ = ref.aggregate(docs, [], {"x": ["ORG"]}, ["ORG"], "majority")
    assert train == [[(0, 2, "ORG")]]


def test_hmm_aggregator_runs(make_doc):
    docs = [
        make_doc(f"Kia Corp said {i}", index=i, spans={"x": [(0, 2, "ORG")], "y": [(0, 2, "ORG")]}) for i in range(5)
    ]
    train, _ = ref.aggregate(docs, [], {"x": [], "y": []}, ["ORG"], "hmm")
    assert train[0] == [(0, 2, "ORG")]


@pytest.mark.parametrize("kind", ["majority", "hmm"])
def test_weights_let_a_precise_function_outvote_two(make_doc, kind):
    """score's precision weights reach skweak's initial_weights: one heavy source beats two light ones."""
    docs = [
        make_doc(
            f"Somerset beat Kent {i}",
            index=i,
            spans={"md": [(0, 1, "LOC")], "sm": [(0, 1, "LOC")], "county": [(0, 1, "ORG")]},
        )
        for i in range(6)
    ]
    kept = {"md": [], "sm": [], "county": []}
    plain, _ = ref.aggregate([d.copy() for d in docs], [], kept, ["ORG", "LOC"], kind)
    weighted, _ = ref.aggregate(
        [d.copy() for d in docs], [], kept, ["ORG", "LOC"], kind, weights={"md": 0.5, "sm": 0.5, "county": 3.0}
    )
    assert plain[0] == [(0, 1, "LOC")]
    assert weighted[0] == [(0, 1, "ORG")]


def test_unknown_aggregator():
    with pytest.raises(ValueError, match="majority, hmm"):
        registry.make("snorkel", ["ORG"])


def test_balance_is_seeded_and_even(make_doc):
    docs = [copy_with_ents(make_doc(f"w{i} x", index=i), [(0, 1, "ORG")] if i % 5 == 0 else []) for i in range(50)]
    out = ref.balance(docs, seed=42)
    assert sum(1 for d in out if d.ents) == 10
    assert sum(1 for d in out if not d.ents) == 10
    assert [d.user_data["index"] for d in out] == [d.user_data["index"] for d in ref.balance(docs, seed=42)]
    assert [d.user_data["index"] for d in out] != [d.user_data["index"] for d in ref.balance(docs, seed=7)]


def test_balance_with_fewer_empty_docs(make_doc):
    docs = [copy_with_ents(make_doc(f"w{i}", index=i), [(0, 1, "ORG")] if i else []) for i in range(4)]
    assert len(ref.balance(docs, seed=1)) == 4


def test_strip_doc_keeps_words_ids_and_only_the_entities(make_doc):
    doc = make_doc("Kia Corp said", spans={"gold": [(0, 2, "ORG")], "x": [(0, 1, "ORG")]}, split="train", index=5)
    new = copy_with_ents(doc, [(0, 2, "ORG")])
    assert [t.text for t in new] == ["Kia", "Corp", "said"]
    assert [(e.start, e.end, e.label_) for e in new.ents] == [(0, 2, "ORG")]
    assert dict(new.spans) == {}
    assert new.user_data == {"split": "train", "index": 5, "doc_id": 0}


def test_reviews_override_weak_labels_and_discard(make_doc):
    docs = [copy_with_ents(make_doc(f"Acme Corp {i}", split="train", index=i), [(0, 1, "ORG")]) for i in range(4)]
    fixed = copy_with_ents(make_doc("Acme Corp 1", split="train", index=1), [(0, 2, "ORG")])
    dropped = make_doc("Acme Corp 2", split="train", index=2)
    dropped.user_data["review_status"] = "discarded"
    dev_review = copy_with_ents(make_doc("Acme Corp 3", split="dev", index=3), [])
    out, counts = ref.apply_reviews(docs, [fixed, dropped, dev_review])
    assert counts == {"reviewed": 1, "discarded": 1, "ignored_other_splits": 1, "not_in_corpus": 0}
    assert [d.user_data["index"] for d in out] == [0, 1, 3]
    assert [(e.start, e.end) for e in out[1].ents] == [(0, 2)]
    assert [(e.start, e.end) for e in out[2].ents] == [(0, 1)]  # a dev review never touches train


def test_a_review_follows_its_text_not_its_sentence_number(make_doc):
    """Upstream, a sentence was inserted before the reviewed one, and another reviewed one was edited: the
    first review applies at its sentence's new place, the second applies nowhere (and is counted)."""
    review = copy_with_ents(make_doc("Acme Petroleum Corp said", split="train", index=0), [(0, 3, "ORG")])
    edited = copy_with_ents(make_doc("Kia Motors fell", split="train", index=1), [(0, 2, "ORG")])
    now = [
        copy_with_ents(make_doc("Siemens shares fell .", split="train", index=0), []),
        copy_with_ents(make_doc("Acme Petroleum Corp said", split="train", index=1), [(0, 1, "ORG")]),
        copy_with_ents(make_doc("Kia Motors rose", split="train", index=2), [(0, 1, "ORG")]),
    ]
    out, counts = ref.apply_reviews(now, [review, edited])
    assert counts["reviewed"] == 1 and counts["not_in_corpus"] == 1
    assert [(e.start, e.end, e.label_) for e in out[0].ents] == []  # the new sentence 0 is untouched
    assert [(e.start, e.end, e.label_) for e in out[1].ents] == [(0, 3, "ORG")]
    assert out[1].user_data.get("reviewed") and not out[2].user_data.get("reviewed")
    assert [(e.start, e.end) for e in out[2].ents] == [(0, 1)]


def test_cli_exports_train_without_gold_in_train(tmp_path, make_doc):
    train = [
        make_doc(f"Kia Corp said {i}", split="train", index=i, spans={"x": [(0, 2, "ORG")] if i < 3 else []})
        for i in range(10)
    ]
    # y is not in the selection (dropped by score): it must not vote
    dev = [
        make_doc(
            "Acme Group fell",
            split="dev",
            index=i,
            spans={"gold": [(0, 2, "ORG"), (2, 3, "PER")], "x": [(0, 2, "ORG")] if i else [], "y": [(2, 3, "ORG")]},
        )
        for i in range(2)
    ]
    write_docs(tmp_path / "train.spacy", train)
    write_docs(tmp_path / "dev.spacy", dev)
    write_json(tmp_path / "sel.json", {"kept": {"x": ["ORG"]}})
    out = tmp_path / "corpus"
    paths = [tmp_path / "train.spacy", tmp_path / "dev.spacy", tmp_path / "sel.json", out, tmp_path / "agg.json"]
    aggregate_step.main(*paths, labels="ORG", aggregator="majority", seed=42, review_dir=out, **ONE)
    train_out = read_docs(out / "train.spacy")
    assert len(train_out) == 6 and sum(1 for d in train_out if d.ents) == 3
    assert all(not d.spans for d in train_out)
    assert not (out / "dev.spacy").exists()  # the model's dev set is convert's
    # for review: every function (dropped ones too), the vote and (dev only) gold
    review_dev = read_docs(out / "dev_aggregated")
    assert sorted(review_dev[1].spans) == ["gold", "majority", "x", "y"]
    assert spans_of(review_dev[1], "y") == [(2, 3, "ORG")]
    assert spans_of(review_dev[1], "majority") == [(0, 2, "ORG")]
    assert spans_of(review_dev[0], "gold") == [(0, 2, "ORG"), (2, 3, "PER")]
    assert all("gold" not in d.spans for d in read_docs(out / "train_aggregated"))
    scores = json.loads((tmp_path / "agg.json").read_text())
    assert scores["dev"]["p"] == pytest.approx(1.0) and scores["dev"]["r"] == pytest.approx(0.5)


def test_cli_refuses_train_with_gold(tmp_path, make_doc):
    write_docs(tmp_path / "train.spacy", [make_doc("a b", split="train", spans={GOLD: [(0, 1, "ORG")]})])
    write_docs(tmp_path / "dev.spacy", [make_doc("a b", spans={GOLD: []})])
    write_json(tmp_path / "sel.json", {"kept": {}})
    with pytest.raises(SystemExit):
        paths = [tmp_path / "train.spacy", tmp_path / "dev.spacy", tmp_path / "sel.json", tmp_path / "c"]
        aggregate_step.main(*paths, tmp_path / "agg.json", labels="ORG", aggregator="majority", seed=1, **ONE)
    assert not (tmp_path / "c" / "train.spacy").exists()


def test_vectorised_one_hots_equal_skweaks(make_doc):
    import numpy as np
    import pandas
    from skweak.generative import HMM

    hmm = registry.make("hmm", ["ORG", "PER", "LOC"])
    docs = [make_doc("Kia Corp met Anna in Oslo", spans={"x": [(0, 2, "ORG"), (3, 4, "PER")], "y": [(5, 6, "LOC")]})]
    ref.fit(hmm, docs, {"x": [], "y": []})
    rng = np.random.default_rng(0)
    obs = pandas.DataFrame(
        {"x": rng.integers(-1, len(hmm.observed_labels), 50), "y": rng.integers(-1, len(hmm.observed_labels), 50)}
    )
    ours, theirs = hmm.to_one_hots(obs), HMM.to_one_hots(hmm, obs)
    assert ours.keys() == theirs.keys()
    assert all(np.array_equal(ours[k], theirs[k]) and ours[k].any() for k in ours)
