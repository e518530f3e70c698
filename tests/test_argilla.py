"""Push to and pull from a real local Argilla server (no mocks).

The server is started once per test run by tests/argilla_helpers.py.
"""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from scripts.corpus.docbin import text_sha1
from scripts.corpus.labels import lf_names
from scripts.review import records as review
from scripts.review.pull import pull
from scripts.review.push import push
from tests.argilla_helpers import (
    REVIEW_LABELS,
    argilla_server,  # noqa: F401  (fixture)
    client_for,
    environ,
    make_docs,
    read_corpus,
    write_corpus,
)

ROOT = Path(__file__).resolve().parents[1]
DATASET = "test-review"


def _rg():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import argilla as rg
    return rg


def by_sentence(records):
    """Records by "split-sentence" (their metadata), as the tests name them; ids are text hashes."""
    return {f"{r.metadata['split']}-{r.metadata['sentence']}": r for r in records}


# -- pure helpers --------------------------------------------------------------


def test_doc_to_record_spans_and_metadata():
    doc = make_docs("dev")[0]
    functions = lf_names([doc], exclude=("majority",))
    assert functions == ["nationality", "title_detector"]
    spec = review.doc_to_record(doc, ["ORG", "MISC", "PER", "LOC"], "majority", functions)
    assert spec["id"] == review.record_id(doc) and spec["id"].startswith("dev-") and len(spec["id"]) == 20
    text = spec["fields"]["text"]
    main = [s for s in spec["suggestions"] if s["question_name"] == review.MAIN_QUESTION][0]
    assert [text[v["start"] : v["end"]] for v in main["value"]] == ["EU", "German", "British"]
    agents = {s["agent"] for s in spec["suggestions"]}
    assert agents == {"majority", "nationality", "title_detector", "gold"}
    assert spec["metadata"]["functions"] == ["nationality", "title_detector"]
    assert spec["metadata"]["disagreement"] == 0


def test_labels_option_filters_spans_and_disagreement():
    doc = make_docs("dev")[1]  # first_names says PER, title_detector says ORG
    functions = lf_names([doc], exclude=("majority",))
    assert review.disagreement(doc, functions, ["PER", "ORG"]) == 2
    spec = review.doc_to_record(doc, ["ORG"], "majority", functions)
    assert spec["metadata"]["functions"] == ["title_detector"]
    assert all(v["label"] == "ORG" for s in spec["suggestions"] for v in s["value"])


# -- against the server --------------------------------------------------------


@pytest.fixture(scope="module")
def pushed(argilla_server, tmp_path_factory):  # noqa: F811
    tmp = tmp_path_factory.mktemp("push")
    dev = write_corpus(tmp / "dev.spacy", "dev")
    train = write_corpus(tmp / "train.spacy", "train", n=20)
    manifest = tmp / "manifest.json"
    with environ(**argilla_server.env()):
        info = push(
            [(dev, 0), (train, 4)],
            manifest,
            aggregate="majority",
            dataset_name=DATASET,
            progress=False,
            batch_size=3,
            labels=REVIEW_LABELS,
            seed=42,
        )
    return {"dev": dev, "train": train, "manifest": manifest, "info": info, "server": argilla_server}


def test_push_records_suggestions_metadata(pushed):
    info = pushed["info"]
    assert info["count"] == 5 + 4
    manifest = json.loads(pushed["manifest"].read_text())
    assert manifest["count"] == 9 and manifest["dataset"] == DATASET and len(manifest["ids_sha1"]) == 40
    client = client_for(pushed["server"])
    dataset = client.datasets(name=DATASET, workspace="argilla")
    records = by_sentence(dataset.records(with_suggestions=True))
    assert len(records) == 9
    assert sum(1 for key in records if key.startswith("train-")) == 4
    first = records["dev-0"]
    by_question = {s.question_name: s for s in first.suggestions}
    assert by_question["entities"].agent == "majority"
    assert by_question["lf_title_detector"].agent == "title_detector"
    assert by_question["lf_title_detector"].value == [{"start": 0, "end": 2, "label": "ORG"}]
    assert by_question["gold"].agent == "gold"
    assert first.metadata["doc_id"] == 0 and first.metadata["split"] == "dev"
    rg = _rg()
    fired = dataset.records(
        query=rg.Query(filter=rg.Filter([("metadata.functions", "in", ["gazetteer"]), ("metadata.split", "==", "dev")]))
    )
    assert sorted(by_sentence(fired)) == ["dev-3"]
    conflicted = dataset.records(query=rg.Query(filter=rg.Filter([("metadata.disagreement", ">=", 1)])))
    assert set(by_sentence(conflicted)) >= {"dev-1", "dev-3"}
    assert "dev-0" not in by_sentence(conflicted)


def _respond(pushed):
    """A person corrects dev-2, discards dev-4, leaves dev-1 as a draft."""
    rg = _rg()
    client = client_for(pushed["server"])
    dataset = client.datasets(name=DATASET, workspace="argilla")
    user_id = client.me.id
    records = by_sentence(dataset.records(with_suggestions=True, with_responses=True))
    corrected = records["dev-2"]  # "BRUSSELS 1996-08-22": majority says ORG, it is a LOC
    corrected.responses.add(
        rg.Response("entities", [{"start": 0, "end": 8, "label": "LOC"}], user_id=user_id, status="submitted")
    )
    draft = records["dev-1"]
    draft.responses.add(
        rg.Response("entities", [{"start": 0, "end": 5, "label": "PER"}], user_id=user_id, status="draft")
    )
    # The UI discards with the form's current values (the pre-filled suggestions).
    discarded = records["dev-4"]
    discarded.responses.add(rg.Response("entities", [], user_id=user_id, status="discarded"))
    dataset.records.log([corrected, draft, discarded])


@pytest.fixture(scope="module")
def responded(pushed):
    _respond(pushed)
    return pushed


def test_pull_writes_only_reviewed_docs(responded, tmp_path, monkeypatch):
    import scripts.review.pull as pull_module

    monkeypatch.setattr(pull_module, "PAGE", 2)  # 9 records: five pages of the server's record list
    out = tmp_path / "reviewed.spacy"
    with environ(**responded["server"].env()):
        counts = pull([responded["dev"], responded["train"]], out, dataset_name=DATASET, labels=REVIEW_LABELS).counts
    assert counts["submitted"] == 1 and counts["discarded"] == 1 and counts["draft"] == 1
    assert counts["pending"] == 6 and counts["written"] == 2 and counts["new"] == 2
    docs = {f"{d.user_data['split']}-{d.user_data['index']}": d for d in read_corpus(out)}
    assert set(docs) == {"dev-2", "dev-4"}
    original = {f"dev-{d.user_data['index']}": d for d in read_corpus(responded["dev"])}
    reviewed = docs["dev-2"]
    assert [t.text for t in reviewed] == [t.text for t in original["dev-2"]]
    assert [(e.text, e.label_) for e in reviewed.ents] == [("BRUSSELS", "LOC")]
    assert reviewed.user_data["review_status"] == "submitted"
    assert reviewed.user_data["doc_id"] == original["dev-2"].user_data["doc_id"]
    assert reviewed.user_data["text_sha1"] == text_sha1(original["dev-2"])
    assert reviewed.user_data["review_updated_at"] and reviewed.user_data["review_dataset"] == DATASET
    assert not reviewed.spans  # the reviewed set holds words and the reviewer's entities, not every function
    assert docs["dev-4"].user_data["review_status"] == "discarded"


def test_repush_is_idempotent_and_keeps_responses(responded, tmp_path):
    with environ(**responded["server"].env()):
        info = push(
            [(responded["dev"], 0), (responded["train"], 4)],
            tmp_path / "m.json",
            aggregate="majority",
            dataset_name=DATASET,
            progress=False,
            labels=REVIEW_LABELS,
            seed=42,
        )
    assert info["ids_sha1"] == responded["info"]["ids_sha1"]
    client = client_for(responded["server"])
    dataset = client.datasets(name=DATASET, workspace="argilla")
    records = by_sentence(dataset.records(with_responses=True))
    assert len(records) == 9
    answers = [
        (r.question_name, r.value, str(r.status.value if hasattr(r.status, "value") else r.status))
        for r in records["dev-2"].responses
    ]
    assert ("entities", [{"start": 0, "end": 8, "label": "LOC"}], "submitted") in answers


def test_wrong_labels_on_existing_dataset(pushed, tmp_path):
    with environ(**pushed["server"].env()):
        with pytest.raises(review.ReviewError, match="has labels"):
            push(
                [(pushed["dev"], 0)],
                tmp_path / "m.json",
                aggregate="majority",
                dataset_name=DATASET,
                labels=["ORG"],
                progress=False,
                seed=42,
            )
    assert not (tmp_path / "m.json").exists()


def test_wrong_workspace(pushed, tmp_path):
    with environ(**pushed["server"].env()):
        with pytest.raises(review.ReviewError, match="Workspace 'nope' not found.*--workspace"):
            pull([pushed["dev"]], tmp_path / "r.spacy", dataset_name=DATASET, workspace="nope", labels=REVIEW_LABELS)
    assert not (tmp_path / "r.spacy").exists()


def _cli(args, env_updates, cwd=ROOT):
    env = dict(os.environ)
    env.update(env_updates)
    return subprocess.run(
        [sys.executable, "-m", "scripts.review", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _one_line_failure(result) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout
    assert "Traceback" not in result.stderr
    return lines[0]


def test_cli_server_down(tmp_path):
    from scripts.argilla_server.launcher import free_port

    dev = write_corpus(tmp_path / "dev.spacy")
    url = f"http://127.0.0.1:{free_port()}"
    manifest = tmp_path / "m.json"
    env = {"ARGILLA_API_URL": url, "ARGILLA_API_KEY": "some.key"}
    result = _cli(["push", str(dev), "--manifest", str(manifest), "--aggregate", "majority"], env)
    line = _one_line_failure(result)
    assert f"No Argilla server at {url}" in line and "argilla-serve" in line and "ARGILLA_API_URL" in line
    assert not manifest.exists()
    out = tmp_path / "reviewed.spacy"
    result = _cli(["pull", str(dev), "--output", str(out)], env)
    _one_line_failure(result)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["dev.spacy"]


def test_cli_wrong_key(argilla_server, tmp_path):  # noqa: F811
    dev = write_corpus(tmp_path / "dev.spacy")
    out = tmp_path / "reviewed.spacy"
    result = _cli(
        ["pull", str(dev), "--output", str(out)],
        {"ARGILLA_API_URL": argilla_server.url, "ARGILLA_API_KEY": "wrong.key"},
    )
    line = _one_line_failure(result)
    assert "rejected the API key" in line and "ARGILLA_API_KEY" in line
    assert not out.exists()


def test_cli_push_and_pull(argilla_server, tmp_path):  # noqa: F811
    dev = write_corpus(tmp_path / "dev.spacy")
    manifest = tmp_path / "m.json"
    env = argilla_server.env()
    result = _cli(
        [
            "push",
            str(dev),
            "--manifest",
            str(manifest),
            "--dataset",
            "cli-test",
            "--labels",
            "ORG,MISC",
            "--aggregate",
            "majority",
        ],
        env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(manifest.read_text())["labels"] == ["ORG", "MISC"]
    out = tmp_path / "reviewed.spacy"
    result = _cli(["pull", str(dev), "--output", str(out), "--dataset", "cli-test", "--labels", "ORG,MISC"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pending 5" in result.stdout
    assert read_corpus(out) == []


def test_server_restart_keeps_index(argilla_server, tmp_path):  # noqa: F811
    """A second server on the same home rebuilds the in-process index from SQLite."""
    # Use a copy of the database so the session server is not disturbed.
    import shutil

    from scripts.argilla_server import launcher as serve

    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(argilla_server.home / "argilla.db", home / "argilla.db")
    python = serve.find_server_python()
    port = serve.free_port()
    proc = serve.start_server(home, port, python, log_path=home / "server.log")
    try:
        url = f"http://127.0.0.1:{port}"
        serve.wait_ready(url, argilla_server.api_key, proc, timeout=90)
        rg = _rg()
        client = rg.Argilla(api_url=url, api_key=argilla_server.api_key)
        try:
            dataset = client.datasets(name=DATASET, workspace="argilla")
            assert dataset is not None, "the push tests earlier in this module create the dataset"
            assert len(list(dataset.records())) == 9
            query = rg.Query(
                filter=rg.Filter([("metadata.functions", "in", ["gazetteer"]), ("metadata.split", "==", "dev")])
            )
            assert list(by_sentence(dataset.records(query=query))) == ["dev-3"]
        finally:
            client.http_client.close()
    finally:
        serve.stop_server(proc)


def test_server_requirements_pin_same_version():
    from scripts.argilla_server.launcher import server_requirements

    client_pins = [
        line.strip()
        for line in (ROOT / "requirements-argilla.txt").read_text().splitlines()
        if line.startswith("argilla==")
    ]
    assert client_pins == ["argilla==2.8.0"]
    assert "argilla-server==2.8.0" in server_requirements()
    # the constraints file pins every package of the server venv, and agrees with the #server: pins
    from scripts.argilla_server.launcher import CONSTRAINTS

    pinned = dict(line.split("==") for line in CONSTRAINTS.read_text().splitlines() if "==" in line)
    assert len(pinned) > 50
    for req in server_requirements():
        name, version = req.split("==")
        assert pinned[name] == version


def test_benchmark_push_reports_what_it_logged(argilla_server, tmp_path):  # noqa: F811
    """The review-benchmark command's measurement: every doc logged once, timing recorded (not asserted)."""
    import spacy
    from spacy.tokens import Doc, DocBin, Span

    from scripts.tools.review_benchmark import benchmark_push
    from tests.argilla_helpers import SENTENCES

    vocab = spacy.blank("en").vocab
    db = DocBin(store_user_data=True)
    for i in range(40):
        words, gold, _, _ = SENTENCES[i % len(SENTENCES)]
        doc = Doc(vocab, words=words + [str(i)])  # 40 texts: a repeated one would be one record
        doc.user_data.update({"split": "dev", "index": i, "doc_id": i // 10})
        doc.spans["gold"] = doc.spans["majority"] = doc.spans["lf0"] = [
            Span(doc, s, e, label=lab) for s, e, lab in gold
        ]
        db.add(doc)
    db.to_disk(tmp_path / "bench.spacy")
    result = benchmark_push(
        tmp_path / "bench.spacy",
        ["PER", "ORG", "LOC", "MISC"],
        api_url=argilla_server.url,
        api_key=argilla_server.api_key,
        dataset="bench-test",
    )
    assert result["records"] == 40
    assert result["seconds"] > 0 and result["records_per_second"] > 0
    client = client_for(argilla_server)
    assert len(list(client.datasets(name="bench-test", workspace="argilla").records())) == 40


def test_sort_by_disagreement_and_metadata_metrics(pushed):
    """What the UI's Sort and Filters menus call: sort by a metadata property, metadata metrics."""
    import httpx

    server = pushed["server"]
    headers = {"X-Argilla-Api-Key": server.api_key}
    dataset = client_for(server).datasets(name=DATASET, workspace="argilla")
    body = {
        "query": {},
        "filters": {
            "and": [{"type": "terms", "scope": {"entity": "metadata", "metadata_property": "split"}, "values": ["dev"]}]
        },
        "sort": [{"scope": {"entity": "metadata", "metadata_property": "disagreement"}, "order": "desc"}],
    }
    r = httpx.post(f"{server.url}/api/v1/datasets/{dataset.id}/records/search", headers=headers, json=body)
    assert r.status_code == 200, r.text
    values = [item["record"]["metadata"]["disagreement"] for item in r.json()["items"]]
    assert len(values) == 5 and values == sorted(values, reverse=True) and values[0] > 0
    props = httpx.get(f"{server.url}/api/v1/me/datasets/{dataset.id}/metadata-properties", headers=headers).json()
    functions = [p for p in props["items"] if p["name"] == "functions"][0]
    metrics = httpx.get(f"{server.url}/api/v1/metadata-properties/{functions['id']}/metrics", headers=headers).json()
    terms = {v["term"] for v in metrics["values"]}
    assert {"title_detector", "gazetteer", "first_names", "nationality"} <= terms


def test_names_argilla_accepts():
    assert review.question_name("sports_results") == "lf_sports_results"
    assert review.question_name("Corp (end)").startswith("lf_corp_end_")
    assert review.question_name("Foo") != review.question_name("foo")
    assert review.agent_name("U.N. (start)") == "U.N. start"


def test_text_view(argilla_server, tmp_path):  # noqa: F811
    """--function-view text: one text question per function, one markdown summary field."""
    dev = write_corpus(tmp_path / "dev.spacy")
    with environ(**argilla_server.env()):
        push(
            [(dev, 0)],
            tmp_path / "m.json",
            aggregate="majority",
            dataset_name="text-view",
            progress=False,
            view="text",
            labels=REVIEW_LABELS,
            seed=42,
        )
        with pytest.raises(review.ReviewError, match="--function-view text"):
            push(
                [(dev, 0)],
                tmp_path / "m2.json",
                aggregate="majority",
                dataset_name="text-view",
                progress=False,
                view="span",
                labels=REVIEW_LABELS,
                seed=42,
            )
    dataset = client_for(argilla_server).datasets(name="text-view", workspace="argilla")
    records = by_sentence(dataset.records(with_suggestions=True))
    first = records["dev-0"]
    by_question = {s.question_name: s for s in first.suggestions}
    assert by_question["lf_nationality"].value == "German [MISC] · British [MISC]"
    assert by_question["lf_nationality"].agent == "nationality"
    assert "**title_detector**: EU [ORG]" in first.fields[review.SUMMARY_FIELD]
    assert "No labelling function fired" in records["dev-4"].fields[review.SUMMARY_FIELD]
    rg = _rg()
    record = records["dev-3"]
    record.responses.add(
        rg.Response(
            "entities",
            [{"start": 0, "end": 7, "label": "LOC"}],
            user_id=client_for(argilla_server).me.id,
            status="submitted",
        )
    )
    dataset.records.log([record])
    out = tmp_path / "reviewed.spacy"
    with environ(**argilla_server.env()):
        counts = pull([dev], out, dataset_name="text-view", labels=REVIEW_LABELS).counts
    assert counts["submitted"] == 1
    assert [(e.text, e.label_) for e in read_corpus(out)[0].ents] == [("Germany", "LOC")]


def test_repush_removes_suggestions_of_functions_that_stopped_firing(argilla_server, tmp_path):  # noqa: F811
    """A function that no longer fires on a sentence loses its suggestion there; the others stay."""
    from spacy.tokens import DocBin

    from tests.argilla_helpers import make_docs

    dataset_name = "test-stale"
    docs = make_docs("dev")
    fired = next((d, name) for d in docs for name in d.spans if name not in ("gold", "majority") and len(d.spans[name]))
    doc, name = fired
    rid = review.record_id(doc)
    DocBin(store_user_data=True, docs=docs).to_disk(tmp_path / "dev.spacy")
    with environ(**argilla_server.env()):
        first = push(
            [(tmp_path / "dev.spacy", 0)],
            None,
            aggregate="majority",
            dataset_name=dataset_name,
            progress=False,
            labels=REVIEW_LABELS,
            seed=42,
        )
        doc.spans[name] = []  # the function was fixed: it no longer fires on this sentence
        DocBin(store_user_data=True, docs=docs).to_disk(tmp_path / "dev2.spacy")
        again = push(
            [(tmp_path / "dev2.spacy", 0)],
            None,
            aggregate="majority",
            dataset_name=dataset_name,
            progress=False,
            labels=REVIEW_LABELS,
            seed=42,
        )
    assert first["stale_suggestions_removed"] == 0 and again["stale_suggestions_removed"] == 1
    dataset = client_for(argilla_server).datasets(name=dataset_name, workspace="argilla")
    record = next(r for r in dataset.records(with_suggestions=True) if r.id == rid)
    questions = {s.question_name for s in record.suggestions}
    assert review.question_name(name) not in questions
    assert "entities" in questions or not doc.spans["majority"]  # the vote's suggestion is still there


@pytest.mark.parametrize("path", ["/wrong/path", "/api/v1/me"])
def test_cli_url_that_is_not_the_api(argilla_server, tmp_path, path):  # noqa: F811
    """A URL with a path (the UI's page, an endpoint) answers with something else than the API: one line."""
    dev = write_corpus(tmp_path / "dev.spacy")
    out = tmp_path / "reviewed.spacy"
    env = {"ARGILLA_API_URL": argilla_server.url + path, "ARGILLA_API_KEY": argilla_server.api_key}
    line = _one_line_failure(_cli(["pull", str(dev), "--output", str(out)], env))
    assert argilla_server.url + path in line and "ARGILLA_API_URL" in line, line
    assert not out.exists()


def test_any_label_set_round_trips(argilla_server, tmp_path):  # noqa: F811
    """A corpus of one's own labels (here DRUG and CONDITION): pushed as suggestions, reviewed, pulled back."""
    from spacy.tokens import DocBin, Span

    docs = []
    for doc in review_docs_with_labels(
        read_corpus(write_corpus(tmp_path / "conll.spacy")), {"ORG": "DRUG", "MISC": "CONDITION"}
    ):
        docs.append(doc)
    dev = tmp_path / "dev.spacy"
    DocBin(store_user_data=True, docs=docs).to_disk(dev)
    with environ(**argilla_server.env()):
        push(
            [(dev, 0)],
            tmp_path / "m.json",
            dataset_name="drugs",
            labels=["DRUG", "CONDITION"],
            aggregate="majority",
            progress=False,
            seed=42,
        )
    client = client_for(argilla_server)
    dataset = client.datasets(name="drugs", workspace="argilla")
    question = next(q for q in dataset.settings.questions if q.name == "entities")
    assert set(question.labels) == {"DRUG", "CONDITION"}
    records = by_sentence(dataset.records(with_suggestions=True, with_responses=True))
    first = records["dev-0"]
    suggested = {s.question_name: s.value for s in first.suggestions}
    assert {v["label"] for v in suggested["entities"]} <= {"DRUG", "CONDITION"}
    rg = _rg()
    first.responses.add(
        rg.Response("entities", [{"start": 0, "end": 2, "label": "DRUG"}], user_id=client.me.id, status="submitted")
    )
    dataset.records.log([first])
    out = tmp_path / "reviewed.spacy"
    with environ(**argilla_server.env()):
        counts = pull([dev], out, dataset_name="drugs", labels=["DRUG", "CONDITION"]).counts
    assert counts["submitted"] == 1
    (reviewed,) = read_corpus(out)
    assert [(e.start_char, e.end_char, e.label_) for e in reviewed.ents] == [(0, 2, "DRUG")]
    assert isinstance(reviewed.ents[0], Span)


def review_docs_with_labels(docs, mapping):
    """The helper corpus with its labels renamed (gold, functions, aggregate); spans of other labels dropped."""
    from spacy.tokens import Span

    for doc in docs:
        for name in list(doc.spans):
            doc.spans[name] = [
                Span(doc, s.start, s.end, label=mapping[s.label_]) for s in doc.spans[name] if s.label_ in mapping
            ]
        yield doc
