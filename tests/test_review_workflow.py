"""The review loop through the project's own commands, against a real local Argilla server.

before-review (data ... aggregate, review-push) on the CoNLL fixture, one train sentence corrected and
one discarded through the SDK, then review-pull and aggregate: corpus/train.spacy changes exactly
there, and nothing else in it does.
"""

import os
import shutil
import subprocess
import sys
import warnings

import pytest

from scripts.corpus.docbin import read_docs
from scripts.review.records import record_id
from tests.argilla_helpers import argilla_server  # noqa: F401  (fixture)

from .conftest import FIXTURE_CONLL, copy_project

pytestmark = pytest.mark.slow


def run(root, server, *args):
    env = {**os.environ, **server.env(), "CONLL_DIR": str(root / "conll")}
    cmd = [
        sys.executable,
        "-m",
        "spacy",
        "project",
        "run",
        args[0],
        str(root),
        *args[1:],
        "--vars.argilla_dataset",
        "review-workflow",
        "--vars.review_train_sample",
        "0",
    ]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc.stdout


def ents(doc):
    return [(e.start, e.end, e.label_) for e in doc.ents]


@pytest.fixture
def project(tmp_path):
    copy_project(tmp_path)
    shutil.copytree(FIXTURE_CONLL, tmp_path / "conll")
    return tmp_path


def test_reviews_change_the_training_data_exactly_where_submitted(project, argilla_server):  # noqa: F811
    import argilla as rg

    run(project, argilla_server, "before-review")
    before = {d.user_data["index"]: d for d in read_docs(project / "corpus" / "train.spacy")}
    weak = read_docs(project / "corpus" / "train_aggregated")
    # a sentence the vote labelled (it is in the training set) and one it did not
    fixed = next(d for d in weak if d.user_data["index"] in before and len(before[d.user_data["index"]].ents))
    dropped = next(d for d in weak if d.user_data["index"] in before and d.text != fixed.text)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = rg.Argilla(api_url=argilla_server.url, api_key=argilla_server.api_key)
        dataset = client.datasets(name="review-workflow", workspace="argilla")
        records = {r.id: r for r in dataset.records()}
        dev = read_docs(project / "corpus" / "dev_aggregated")
        # one record per text of a split (the fixture's train has every sentence twice)
        assert len(records) == len({record_id(d) for d in weak}) + len({record_id(d) for d in dev})
        rec = records[record_id(fixed)]
        # the reviewer says: the first two tokens are one ORG, and nothing else is an entity
        end = len(" ".join(t.text for t in fixed[:2]))
        rec.responses.add(
            rg.Response(
                "entities", [{"start": 0, "end": end, "label": "ORG"}], user_id=client.me.id, status="submitted"
            )
        )
        gone = records[record_id(dropped)]
        gone.responses.add(rg.Response("entities", [], user_id=client.me.id, status="discarded"))
        dataset.records.log([rec, gone])

    run(project, argilla_server, "review-pull")
    out = run(project, argilla_server, "aggregate")
    n_fixed = sum(d.text == fixed.text for d in weak)
    n_dropped = sum(d.text == dropped.text for d in weak)
    assert n_fixed == n_dropped == 2  # the review of a text applies to each of its sentences
    assert f"{n_fixed} reviewed, {n_dropped} discarded" in out.replace("\n", " ")
    after = {d.user_data["index"]: d for d in read_docs(project / "corpus" / "train.spacy")}
    for doc in after.values():
        if doc.text == fixed.text:
            assert ents(doc) == [(0, 2, "ORG")]
        assert doc.text != dropped.text
    for index, doc in before.items():
        if doc.text not in (fixed.text, dropped.text) and index in after:
            assert ents(after[index]) == ents(doc), index

    # Upstream, a sentence is inserted at the top of train.txt: every index shifts. The loop runs again as
    # a user would; the review stays on its text (now one sentence further down), nothing else gets it.
    train_txt = project / "conll" / "train.txt"
    lines = train_txt.read_text().split("\n")
    assert lines[0].startswith("-DOCSTART-") and lines[1] == ""
    new = ["Siemens NNP B-NP B-ORG", "shares NNS I-NP O", "fell VBD B-VP O", ". . O O", ""]
    train_txt.write_text("\n".join(lines[:2] + new + lines[2:]))
    run(project, argilla_server, "before-review")
    run(project, argilla_server, "review-pull")
    reviews = read_docs(project / "corpus" / "reviewed.spacy")
    assert sorted(d.text for d in reviews) == sorted([fixed.text, dropped.text])
    out = run(project, argilla_server, "aggregate")
    assert f"{n_fixed} reviewed, {n_dropped} discarded" in out.replace("\n", " ")
    shifted = {d.user_data["index"]: d for d in read_docs(project / "corpus" / "train.spacy")}
    if 0 in shifted:  # the new sentence (kept by the balance or not): nobody reviewed it
        assert shifted[0].text.startswith("Siemens") and not shifted[0].user_data.get("reviewed")
    assert shifted[fixed.user_data["index"] + 1].text == fixed.text
    assert ents(shifted[fixed.user_data["index"] + 1]) == [(0, 2, "ORG")]
    for doc in shifted.values():
        assert doc.text != dropped.text
