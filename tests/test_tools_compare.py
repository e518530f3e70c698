"""The comparison tools: every label model on the same corpora, and the interleaved A/B of two checkouts."""

import json
import sys

import pytest

from scripts.corpus.docbin import write_docs
from scripts.labelmodel import registry
from scripts.tools import ab, label_models
from scripts.util.errors import UserError
from scripts.util.files import write_json


def test_every_registered_label_model_is_compared_on_dev(tmp_path, make_doc):
    train = [
        make_doc(
            "Acme Corp said Ann Lee went", split="train", index=i, spans={"a": [(0, 2, "ORG")], "b": [(3, 5, "PER")]}
        )
        for i in range(20)
    ]
    dev = [
        make_doc(
            "Acme Corp said Ann Lee went",
            index=i,
            spans={"gold": [(0, 2, "ORG"), (3, 5, "PER")], "a": [(0, 2, "ORG")], "b": [(3, 5, "PER")] if i else []},
        )
        for i in range(4)
    ]
    write_docs(tmp_path / "train", train, shard_size=8)
    write_docs(tmp_path / "dev.spacy", dev)
    write_json(tmp_path / "sel.json", {"kept": {"a": [], "b": []}, "weights": {"a": 1.0, "b": 2.0}})
    out = tmp_path / "label_models.json"
    label_models.main(
        tmp_path / "train", tmp_path / "dev.spacy", tmp_path / "sel.json", out, labels="ORG,PER", fit_docs=10, seed=1
    )
    result = json.loads(out.read_text())
    assert sorted(result["models"]) == sorted(registry.names())
    for name, m in result["models"].items():
        assert m["needs_fit"] == registry.model_class(name).needs_fit
        assert m["dev"]["r"] == pytest.approx(7 / 8) and m["dev"]["p"] == pytest.approx(1.0), name
        assert m["vote_train_s"] >= 0 and m["fit_s"] >= 0
    table = out.with_suffix(".md").read_text()
    assert all(f"`{name}`" in table for name in registry.names()) and "| ORG F |" in table


def test_process_seconds_count_the_command_and_its_children(tmp_path):
    busy = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'sum(range(30_000_000))'])"
    assert ab.process_seconds([sys.executable, "-c", busy], tmp_path) > 0.3  # the child's time is in it
    with pytest.raises(UserError, match="exit 3"):
        ab.process_seconds([sys.executable, "-c", "import sys; sys.exit(3)"], tmp_path)


def test_ab_summary_is_the_median_of_each_side():
    report = ab.summary({"annotate": {"a": [10.0, 30.0, 11.0], "b": [12.0, 11.0, 1.0]}})
    assert report["annotate"] == {"a": 11.0, "b": 11.0, "change": 0.0}
    report = ab.summary({"score": {"a": [2.0], "b": [2.5]}})
    assert report["score"]["change"] == pytest.approx(0.25)
