"""The review contract (scripts/review/__init__.py): a reviewed set written by another tool, with spaCy alone,
is applied by `aggregate` as the contract says."""

import hashlib
import json
import re

import spacy
from spacy.tokens import DocBin

from scripts.corpus.docbin import read_docs, write_docs  # noqa: E402  (only to build the annotated corpora)
from scripts.labelmodel import aggregate as aggregate_step
from scripts.review import __doc__ as CONTRACT
from scripts.util.files import write_json

from .conftest import ROOT


def reviewed_set(path, reviews):
    """What a second review tool writes: a DocBin of Docs of the sentence's words, ents and user_data."""
    nlp = spacy.blank("en")
    db = DocBin(store_user_data=True)
    for words, ents, user_data in reviews:
        doc = spacy.tokens.Doc(nlp.vocab, words=words)
        doc.ents = [spacy.tokens.Span(doc, s, e, label=lab) for s, e, lab in ents]
        doc.user_data.update(user_data)
        db.add(doc)
    db.to_disk(path)


def sha1(text):
    return hashlib.sha1(text.rstrip().encode("utf8")).hexdigest()


def test_a_reviewed_set_written_by_another_tool_is_applied_as_the_contract_says(tmp_path, make_doc):
    texts = ["Kia Corp said 0", "Acme Group fell 1", "Siemens rose 2", "Kia Corp said 3", "Volvo fell 4"]
    train = [make_doc(t, split="train", index=i, spans={"x": [(0, 1, "ORG")]}) for i, t in enumerate(texts)]
    dev = [make_doc("Acme Group fell", split="dev", index=0, spans={"gold": [(0, 2, "ORG")], "x": [(0, 1, "ORG")]})]
    write_docs(tmp_path / "train.spacy", train)
    write_docs(tmp_path / "dev.spacy", dev)
    write_json(tmp_path / "sel.json", {"kept": {"x": ["ORG"]}})
    reviewed_set(
        tmp_path / "reviewed.spacy",
        [
            # submitted, with its text's hash: its ents replace the weak labels
            (texts[1].split(), [(0, 2, "ORG")], {"split": "train", "text_sha1": sha1(texts[1]), "review_status": "x"}),
            # discarded: leaves training
            (texts[2].split(), [], {"split": "train", "text_sha1": sha1(texts[2]), "review_status": "discarded"}),
            # no text_sha1: computed from the text; no entities: the sentence has none
            (texts[3].split(), [], {"split": "train", "review_status": "submitted"}),
            # a dev review never trains
            (texts[4].split(), [(0, 1, "PER")], {"split": "dev", "review_status": "submitted"}),
            # a text no longer in train: kept, counted, not applied
            (["Gone", "Ltd"], [(0, 2, "ORG")], {"split": "train", "review_status": "submitted"}),
        ],
    )
    out = tmp_path / "corpus"
    paths = [tmp_path / "train.spacy", tmp_path / "dev.spacy", tmp_path / "sel.json", out, tmp_path / "agg.json"]
    aggregate_step.main(
        *paths, labels="ORG", aggregator="majority", seed=1, reviewed_path=tmp_path / "reviewed.spacy", n_process=1
    )
    by_text = {d.text.rstrip(): [(e.start, e.end, e.label_) for e in d.ents] for d in read_docs(out / "train.spacy")}
    assert by_text[texts[1]] == [(0, 2, "ORG")]  # the review, not the vote's (0, 1)
    assert texts[2] not in by_text  # discarded
    assert by_text[texts[3]] == []  # reviewed: no entities
    assert by_text[texts[4]] == [(0, 1, "ORG")]  # the dev review left train's vote alone
    assert by_text[texts[0]] == [(0, 1, "ORG")]
    reviews = json.loads((tmp_path / "agg.json").read_text())["reviews"]
    assert reviews == {"reviewed": 2, "discarded": 1, "ignored_other_splits": 1, "not_in_corpus": 1}


def test_the_contract_names_every_key_aggregate_reads():
    """What `aggregate` reads of a review (labelmodel/reviews.py, corpus/docbin.py) is in the written contract."""
    code = (ROOT / "scripts" / "labelmodel" / "reviews.py").read_text()
    code += (ROOT / "scripts" / "corpus" / "docbin.py").read_text()
    read = set(re.findall(r'user_data(?:\.get\(|\[)"(\w+)"', code)) - {"reviewed"}  # set by aggregate itself
    assert {"split", "text_sha1", "review_status"} <= read
    for key in read:
        assert f'`doc.user_data["{key}"]`' in CONTRACT or f"`{key}`" in CONTRACT, key
    assert "store_user_data=True" in CONTRACT and "`doc.ents`" in CONTRACT and '"discarded"' in CONTRACT
