"""More dev gold through the project's own commands, against a real local Argilla server: dev-push sends a
seeded sample of train's documents without suggestions, a person answers one document whole and one in
part, dev-pull brings the answers back, and convert moves exactly the whole one from train to dev.
"""

import json
import os
import shutil
import subprocess
import sys
import warnings

import pytest

from scripts.corpus.dev_from_train import document_key, documents
from scripts.corpus.docbin import read_docs
from scripts.corpus.labels import GOLD
from tests.argilla_helpers import argilla_server  # noqa: F401  (fixture)

from .conftest import FIXTURE_CONLL, copy_project, spans_of

pytestmark = pytest.mark.slow
DATASET = "dev-labelling"


def run(root, server, *args):
    env = {**os.environ, **server.env(), "CONLL_DIR": str(root / "conll")}
    env.pop("EXTRA_TESTS", None)
    cmd = [sys.executable, "-m", "spacy", "project", "run", args[0], str(root)]
    cmd += ["--vars.argilla_dev_dataset", DATASET, "--vars.dev_label_documents", "2", *args[1:]]  # later vars win
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc.stdout


@pytest.fixture
def project(tmp_path):
    copy_project(tmp_path)
    shutil.copytree(FIXTURE_CONLL, tmp_path / "conll")
    return tmp_path


def records_by_document(dataset):
    out = {}
    for record in dataset.records(with_suggestions=True, with_responses=True):
        out.setdefault(record.metadata["document"], []).append(record)
    return {k: sorted(v, key=lambda r: r.metadata["sentence"]) for k, v in out.items()}


def test_a_labelled_document_leaves_train_for_dev(project, argilla_server):  # noqa: F811
    import argilla as rg

    run(project, argilla_server, "data")
    run(project, argilla_server, "convert")
    train_before = read_docs(project / "corpus" / "train_gold.spacy")
    dev_before = read_docs(project / "corpus" / "dev_gold.spacy")
    keys_before = [document_key(d) for d in documents(train_before)]
    out = run(project, argilla_server, "dev-push")
    assert "of 2 train documents" in out
    manifest = json.loads((project / "corpus" / "argilla_dev_push.json").read_text())
    assert manifest["documents"] == 2 and manifest["documents_labelled"] == 0

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = rg.Argilla(api_url=argilla_server.url, api_key=argilla_server.api_key)
        dataset = client.datasets(name=DATASET, workspace="argilla")
        by_doc = records_by_document(dataset)
        assert sorted(by_doc) == [0, 1]
        assert all(not r.suggestions for rs in by_doc.values() for r in rs)  # from scratch: no suggestion, no gold
        whole, part = by_doc[0], by_doc[1]
        assert manifest["records"] == len(whole) + len(part)
        first = whole[0]
        word = first.fields["text"].split(" ")[0]
        answers = [
            rg.Response(
                "entities", [{"start": 0, "end": len(word), "label": "LOC"}], user_id=client.me.id, status="submitted"
            )
        ]
        answers += [rg.Response("entities", [], user_id=client.me.id, status="submitted") for _ in whole[1:]]
        for record, response in zip(whole, answers):
            record.responses.add(response)
        part[0].responses.add(rg.Response("entities", [], user_id=client.me.id, status="submitted"))
        dataset.records.log(whole + part[:1])

    out = run(project, argilla_server, "dev-pull")
    assert "1 documents complete" in out and "1 partly labelled" in out
    out = run(project, argilla_server, "convert")
    assert "1 documents labelled from train moved to dev" in out
    train = read_docs(project / "corpus" / "train_gold.spacy")
    dev = read_docs(project / "corpus" / "dev_gold.spacy")
    moved_key = whole[0].metadata["doc_key"]
    assert [document_key(d) for d in documents(train)] == [k for k in keys_before if k != moved_key]
    added = dev[len(dev_before) :]
    moved = next(d for d in documents(train_before) if document_key(d) == moved_key)
    assert [d.text for d in added] == [d.text for d in moved]
    assert added[0].text.rstrip() == first.fields["text"]
    assert spans_of(added[0], GOLD) == [(0, 1, "LOC")]
    assert all(not spans_of(d, GOLD) for d in added[1:])

    # pushing again: the moved document counts, the partly answered one goes out again with its answer kept
    out = run(project, argilla_server, "dev-push")
    manifest = json.loads((project / "corpus" / "argilla_dev_push.json").read_text())
    assert manifest["documents"] == 1 and manifest["documents_labelled"] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = records_by_document(client.datasets(name=DATASET, workspace="argilla"))
    assert sorted(again) == [0, 1] and len(again[1][0].responses) == 1
    run(project, argilla_server, "dev-pull")
    assert len(read_docs(project / "corpus" / "dev_from_train.spacy")) == len(whole) + 1


def test_the_review_dataset_is_refused_for_dev_labelling(argilla_server, tmp_path):  # noqa: F811
    from scripts.review.dev import pull_dev, push_dev
    from scripts.review.push import push
    from scripts.review.records import ReviewError
    from tests.argilla_helpers import REVIEW_LABELS, environ, write_corpus

    dev = write_corpus(tmp_path / "dev.spacy", "dev")
    train = write_corpus(tmp_path / "train.spacy", "train", n=6)
    with environ(**argilla_server.env()):
        push([(dev, 0)], None, aggregate="majority", dataset_name="with-suggestions", labels=REVIEW_LABELS, seed=1)
        with pytest.raises(ReviewError, match="not a dev labelling dataset"):
            push_dev(
                train,
                tmp_path / "none.spacy",
                None,
                documents_total=1,
                seed=1,
                dataset_name="with-suggestions",
                labels=REVIEW_LABELS,
            )
        out = tmp_path / "labelled.spacy"
        with pytest.raises(ReviewError, match="not a dev labelling dataset"):
            pull_dev(train, out, dataset_name="with-suggestions", labels=REVIEW_LABELS)
        push_dev(train, out, None, documents_total=1, seed=1, dataset_name="dev-labels", labels=REVIEW_LABELS)
        with pytest.raises(ReviewError, match=r"has labels .*\(nothing was written\)"):
            pull_dev(train, out, dataset_name="dev-labels", labels=["ORG"])
        assert not out.exists()


def test_pulling_again_after_the_move_keeps_the_labelled_words(tmp_path, argilla_server):  # noqa: F811
    """Raw text: "Lima." is two tokens in train, one when a record's text is split on spaces. Once convert
    moved the document out of train, a second dev-pull must keep the words it pulled first (the gold stays
    "Lima", not "Lima.")."""
    import argilla as rg

    copy_project(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.txt").write_text(
        "Peter Novak flew to Lima. He met Anna Berg in Lima.\nAnna Berg joined Kia Corp in Oslo.\nRain fell.\n"
    )
    (data / "dev.jsonl").write_text(
        json.dumps(
            {
                "text": "Kia hired Anna in Oslo.",
                "spans": [
                    {"start": 0, "end": 3, "label": "ORG"},
                    {"start": 10, "end": 14, "label": "PER"},
                    {"start": 18, "end": 22, "label": "LOC"},
                ],
            }
        )
        + "\n"
    )
    own = ["--vars.train_data", str(data / "train.txt"), "--vars.dev_data", str(data / "dev.jsonl")]
    own += ["--vars.argilla_dev_dataset", "dev-raw", "--vars.labels", "ORG,PER,LOC", "--vars.dev_label_documents", "1"]
    run(tmp_path, argilla_server, "data", *own)
    run(tmp_path, argilla_server, "convert", *own)
    run(tmp_path, argilla_server, "dev-push", *own)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = rg.Argilla(api_url=argilla_server.url, api_key=argilla_server.api_key)
        dataset = client.datasets(name="dev-raw", workspace="argilla")
        records = list(dataset.records())
        for record in records:
            text = record.fields["text"]
            spans = [
                {"start": text.index(w), "end": text.index(w) + len(w), "label": lab}
                for w, lab in (("Lima", "LOC"), ("Oslo", "LOC"))
                if w in text
            ]
            record.responses.add(rg.Response("entities", spans, user_id=client.me.id, status="submitted"))
        dataset.records.log(records)
    run(tmp_path, argilla_server, "dev-pull", *own)
    run(tmp_path, argilla_server, "convert", *own)
    labelled = (tmp_path / "corpus" / "dev_from_train.spacy").read_bytes()
    out = run(tmp_path, argilla_server, "dev-pull", *own)
    assert "0 changed" in out.replace("\n", " ")
    assert (tmp_path / "corpus" / "dev_from_train.spacy").read_bytes() == labelled
    run(tmp_path, argilla_server, "convert", *own)
    dev = read_docs(tmp_path / "corpus" / "dev_gold.spacy")
    golds = {span.text for doc in dev for span in doc.spans[GOLD]}
    assert golds & {"Lima", "Oslo"} and not golds & {"Lima.", "Oslo."}
