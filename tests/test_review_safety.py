"""No review is lost or misplaced: upstream edits, fresh servers, deleted datasets, partial reviews, repeated
pulls; and the local server is locked down (generated credentials, private home, CORS own origin only).

Against real argilla-server processes on free loopback ports: the session server, and one started here on
a fresh home.
"""

import os
import stat
import warnings
from pathlib import Path

import httpx
import pytest
from spacy.tokens import Doc, DocBin

from scripts.corpus.docbin import text_sha1
from scripts.review.pull import BACKUPS, pull
from scripts.review.push import push
from scripts.review.records import ReviewError, record_id
from tests.argilla_helpers import REVIEW_LABELS, argilla_server, environ, make_docs, read_corpus  # noqa: F401  (fixture)

from .conftest import cli, one_line_failure

BRUSSELS = [{"start": 0, "end": 8, "label": "LOC"}]  # "BRUSSELS 1996-08-22": dev sentence 2


def _rg():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import argilla as rg
    return rg


def write(path: Path, docs) -> Path:
    DocBin(store_user_data=True, docs=docs).to_disk(path)
    return path


def reindex(docs):
    for i, doc in enumerate(docs):
        doc.user_data["index"] = i
    return docs


def sentence(words: str, index: int = 0) -> Doc:
    doc = Doc(make_docs("dev")[0].vocab, words=words.split())
    doc.user_data.update({"split": "dev", "index": index, "doc_id": 9})
    return doc


def respond(server, dataset: str, answers):
    """answers: [(doc, spans, status)]: a person answers (or changes the answer to) the records of these docs,
    as the UI does: a new response, or PUT on the existing one."""
    rg = _rg()
    client = rg.Argilla(api_url=server.url, api_key=server.api_key)
    try:
        ds = client.datasets(name=dataset, workspace="argilla")
        records = {r.id: r for r in ds.records(with_responses=True)}
        http = client.http_client
        listing = http.get(f"/api/v1/datasets/{ds.id}/records", params={"include": "responses", "limit": 1000})
        existing = {item["external_id"]: item["responses"] for item in listing.json()["items"]}
        new = []
        for doc, spans, status in answers:
            rid = record_id(doc)
            values = {"entities": {"value": spans}} if status != "discarded" else None
            if existing.get(rid):
                body = {"values": values, "status": status}
                http.put(f"/api/v1/responses/{existing[rid][0]['id']}", json=body).raise_for_status()
            else:
                records[rid].responses.add(rg.Response("entities", spans, user_id=client.me.id, status=status))
                new.append(records[rid])
        if new:
            ds.records.log(new)
    finally:
        client.http_client.close()


def do_push(server, path, dataset):
    with environ(**server.env()):
        return push(
            [(path, 0)], None, aggregate="majority", dataset_name=dataset, progress=False, labels=REVIEW_LABELS, seed=42
        )


def do_pull(server, corpora, output, dataset, **kwargs):
    with environ(**server.env()):
        return pull(corpora, output, dataset_name=dataset, **{"labels": REVIEW_LABELS, **kwargs})


def by_text(path):
    return {d.text.rstrip(): d for d in read_corpus(path)}


def ents(doc):
    return [(e.text, e.label_) for e in doc.ents]


def test_a_review_follows_its_sentence_when_one_is_inserted_above(argilla_server, tmp_path):  # noqa: F811
    docs = make_docs("dev")
    write(tmp_path / "dev.spacy", docs)
    do_push(argilla_server, tmp_path / "dev.spacy", "safe-insert")
    respond(argilla_server, "safe-insert", [(docs[2], BRUSSELS, "submitted")])
    out = tmp_path / "reviewed.spacy"
    do_pull(argilla_server, [tmp_path / "dev.spacy"], out, "safe-insert")
    # upstream: one sentence inserted at the top, every index shifts by one
    moved = reindex([sentence("Siemens shares fell .")] + make_docs("dev"))
    write(tmp_path / "dev2.spacy", moved)
    info = do_push(argilla_server, tmp_path / "dev2.spacy", "safe-insert")  # no 422: the records are the texts
    assert info["count"] == 6
    result = do_pull(argilla_server, [tmp_path / "dev2.spacy"], out, "safe-insert")
    reviews = read_corpus(out)
    assert len(reviews) == 1 and result.counts["not_in_corpus"] == 0
    review = reviews[0]
    assert review.text.rstrip() == "BRUSSELS 1996-08-22" and review.user_data["index"] == 3
    assert ents(review) == [("BRUSSELS", "LOC")]
    assert "Siemens" not in by_text(out)  # the new sentence 0 got nobody's review


@pytest.mark.parametrize("change", ["edited", "deleted"])
def test_a_review_of_a_sentence_changed_upstream_is_kept_and_not_applied(argilla_server, tmp_path, change):  # noqa: F811
    dataset = f"safe-{change}"
    docs = make_docs("dev")
    write(tmp_path / "dev.spacy", docs)
    do_push(argilla_server, tmp_path / "dev.spacy", dataset)
    respond(argilla_server, dataset, [(docs[2], BRUSSELS, "submitted"), (docs[0], [], "submitted")])
    out = tmp_path / "reviewed.spacy"
    do_pull(argilla_server, [tmp_path / "dev.spacy"], out, dataset)
    now = make_docs("dev")
    if change == "edited":
        now[2] = sentence("BRUSSELS 1996-08-23", index=2)
    else:
        now = reindex(now[:2] + now[3:])
    write(tmp_path / "dev2.spacy", now)
    do_push(argilla_server, tmp_path / "dev2.spacy", dataset)
    result = do_pull(argilla_server, [tmp_path / "dev2.spacy"], out, dataset)
    assert result.counts["not_in_corpus"] == 1 and result.counts["written"] == 2
    kept = by_text(out)["BRUSSELS 1996-08-22"]  # the old text, with the person's answer
    assert ents(kept) == [("BRUSSELS", "LOC")] and kept.user_data["text_sha1"] == text_sha1(docs[2])
    # aggregate's side: the review matches no sentence, so nothing is misplaced
    from tests.reference import apply_reviews

    train_now = [d.copy() for d in now]
    reviews = read_corpus(out)
    for d in train_now + reviews:
        d.user_data["split"] = "train"
    applied, counts = apply_reviews(train_now, reviews)
    assert counts["reviewed"] == 1 and counts["not_in_corpus"] == 1  # sentence 0 (unchanged) only


def test_pull_merges_never_shrinks_and_keeps_a_backup(argilla_server, tmp_path):  # noqa: F811
    """Partial reviews, two pulls in a row, a changed answer, a dataset with none of them, a deleted dataset."""
    docs = make_docs("dev")
    write(tmp_path / "dev.spacy", docs)
    do_push(argilla_server, tmp_path / "dev.spacy", "safe-merge")
    out = tmp_path / "reviewed.spacy"
    # partial: one submitted, one draft, the rest pending
    respond(argilla_server, "safe-merge", [(docs[2], BRUSSELS, "submitted"), (docs[1], [], "draft")])
    first = do_pull(argilla_server, [tmp_path / "dev.spacy"], out, "safe-merge")
    assert first.counts["written"] == 1 and first.counts["draft"] == 1 and first.counts["pending"] == 3
    assert first.backup is None  # nothing before
    # the same pull again: nothing changes, no backup
    again = do_pull(argilla_server, [tmp_path / "dev.spacy"], out, "safe-merge")
    assert again.backup is None and again.counts["unchanged"] == 1
    # the draft is submitted and the first answer changed: both arrive, the old file is backed up
    respond(
        argilla_server,
        "safe-merge",
        [(docs[1], [{"start": 0, "end": 15, "label": "PER"}], "submitted"), (docs[2], [], "discarded")],
    )
    second = do_pull(argilla_server, [tmp_path / "dev.spacy"], out, "safe-merge")
    assert second.counts["new"] == 1 and second.counts["updated"] == 1 and second.counts["written"] == 2
    assert second.backup is not None and second.backup.parent == tmp_path / BACKUPS
    assert len(read_corpus(second.backup)) == 1
    reviews = by_text(out)
    assert reviews["BRUSSELS 1996-08-22"].user_data["review_status"] == "discarded"  # the newer answer
    assert ents(reviews["Peter Blackburn"]) == [("Peter Blackburn", "PER")]
    # a dataset that has none of these reviews (a fresh server, another deployment): they all stay
    do_push(argilla_server, tmp_path / "dev.spacy", "safe-merge-empty")
    third = do_pull(argilla_server, [tmp_path / "dev.spacy"], out, "safe-merge-empty")
    assert third.counts["kept_from_before"] == 2 and third.counts["written"] == 2 and third.backup is None
    # fewer than before only when asked for, and then with a backup
    replaced = do_pull(argilla_server, [tmp_path / "dev.spacy"], out, "safe-merge-empty", replace=True)
    assert replaced.counts["written"] == 0 and len(read_corpus(replaced.backup)) == 2
    write(out, read_corpus(replaced.backup))
    # a deleted dataset: one line, the file untouched
    rg = _rg()
    client = rg.Argilla(api_url=argilla_server.url, api_key=argilla_server.api_key)
    client.datasets(name="safe-merge", workspace="argilla").delete()
    client.http_client.close()
    before = out.read_bytes()
    with pytest.raises(ReviewError, match="not found.*reviews pulled before are unchanged"):
        do_pull(argilla_server, [tmp_path / "dev.spacy"], out, "safe-merge")
    line = one_line_failure(
        cli(
            "scripts.review",
            "pull",
            tmp_path / "dev.spacy",
            "--output",
            out,
            "--dataset",
            "safe-merge",
            env=argilla_server.env(),
        )
    )
    assert "Dataset 'safe-merge' not found" in line
    assert out.read_bytes() == before


# -- the local server, locked down ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory, argilla_server):  # noqa: F811  (after the session server: ports, venv)
    from scripts.argilla_server import launcher

    python = launcher.find_server_python()
    home = tmp_path_factory.mktemp("fresh") / ".argilla"
    creds, changes = launcher.prepare_home(home, python)
    port = launcher.free_port()
    proc = launcher.start_server(home, port, python, log_path=home / "server.log")
    url = f"http://127.0.0.1:{port}"
    launcher.wait_ready(url, creds.api_key, proc, timeout=90)
    state = {"home": home, "python": python, "port": port, "url": url, "proc": proc, "creds": creds}
    yield state
    launcher.stop_server(state["proc"])


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_first_start_generates_private_credentials(fresh_server):
    from scripts.argilla_server.launcher import read_credentials

    home, creds = fresh_server["home"], fresh_server["creds"]
    assert read_credentials(home) == creds
    assert creds.password != "1234" and len(creds.password) >= 20 and creds.api_key != "argilla.apikey"
    assert mode(home) == 0o700
    for name in ("credentials.json", "argilla.db", "server.log"):
        assert mode(home / name) == 0o600, name
    url = fresh_server["url"]
    assert httpx.get(f"{url}/api/v1/me", headers={"X-Argilla-Api-Key": "argilla.apikey"}).status_code == 401
    assert httpx.get(f"{url}/api/v1/me", headers={"X-Argilla-Api-Key": creds.api_key}).status_code == 200
    token = httpx.post(f"{url}/api/v1/token", data={"username": "argilla", "password": "1234"})
    assert token.status_code == 401
    # the review commands find the key by themselves (no ARGILLA_API_KEY), from the project folder
    project = home.parent
    (project / "dev.spacy").write_bytes(DocBin(store_user_data=True, docs=make_docs("dev")).to_bytes())
    env = {"ARGILLA_API_URL": url, "ARGILLA_API_KEY": ""}
    result = cli(
        "scripts.review",
        "pull",
        project / "dev.spacy",
        "--output",
        project / "r.spacy",
        cwd=project,
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    assert "Dataset 'conll2003-weak' not found" in one_line_failure(result)  # got past the key check


def test_cors_allows_only_the_servers_own_origin(fresh_server):
    url, key = fresh_server["url"], fresh_server["creds"].api_key
    preflight = {"Access-Control-Request-Method": "DELETE", "Access-Control-Request-Headers": "x-argilla-api-key"}
    evil = httpx.options(f"{url}/api/v1/me", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in evil.headers
    read = httpx.get(f"{url}/api/v1/me", headers={"Origin": "https://evil.example", "X-Argilla-Api-Key": key})
    assert "access-control-allow-origin" not in read.headers  # the browser keeps the answer from the page
    own = httpx.options(f"{url}/api/v1/me", headers={"Origin": url, **preflight})
    assert own.headers.get("access-control-allow-origin") == url


def test_a_changed_password_takes_effect_and_reviews_survive_the_restart(fresh_server, tmp_path):
    from scripts.argilla_server import launcher

    state = fresh_server
    env = {"ARGILLA_API_URL": state["url"], "ARGILLA_API_KEY": state["creds"].api_key}
    docs = make_docs("dev")
    write(tmp_path / "dev.spacy", docs)

    class Server:
        url, api_key = state["url"], state["creds"].api_key

        @staticmethod
        def env():
            return env

    do_push(Server, tmp_path / "dev.spacy", "restart")
    respond(Server, "restart", [(docs[2], BRUSSELS, "submitted")])
    launcher.stop_server(state["proc"])
    creds, changes = launcher.prepare_home(state["home"], state["python"], password="a-new-password-1")
    assert changes == ["changed the password"] and creds.api_key == state["creds"].api_key
    state["proc"] = launcher.start_server(state["home"], state["port"], state["python"])
    launcher.wait_ready(state["url"], creds.api_key, state["proc"], timeout=90)
    token = f"{state['url']}/api/v1/token"
    assert httpx.post(token, data={"username": "argilla", "password": state["creds"].password}).status_code == 401
    assert httpx.post(token, data={"username": "argilla", "password": "a-new-password-1"}).status_code == 201
    result = do_pull(Server, [tmp_path / "dev.spacy"], tmp_path / "r.spacy", "restart")
    assert result.counts["submitted"] == 1 and ents(read_corpus(tmp_path / "r.spacy")[0]) == [("BRUSSELS", "LOC")]


def test_an_old_home_with_the_well_known_password_gets_new_credentials(tmp_path, argilla_server):  # noqa: F811
    import sqlite3

    from scripts.argilla_server import launcher

    python = launcher.find_server_python()
    home = tmp_path / "old"
    home.mkdir(mode=0o755)
    env = launcher.server_env(home)
    launcher._run_cli(python, ["-m", "argilla_server", "database", "migrate"], env, "migrate")
    launcher._run_cli(python, ["-m", "argilla_server", "database", "users", "create_default", "--quiet"], env, "create")
    os.chmod(home / "argilla.db", 0o644)
    creds, changes = launcher.prepare_home(home, python)
    assert changes and "well-known" in changes[0]
    assert mode(home) == 0o700 and mode(home / "argilla.db") == 0o600
    with sqlite3.connect(home / "argilla.db") as conn:
        assert conn.execute("SELECT api_key FROM users").fetchone()[0] == creds.api_key != "argilla.apikey"


def test_reviews_of_records_from_an_older_push_are_still_pulled_by_text(argilla_server, tmp_path, capsys):  # noqa: F811
    """Before records were their text, ids were split-index: such a record's review is matched by its text."""
    rg = _rg()
    docs = make_docs("dev")
    write(tmp_path / "dev.spacy", docs)
    do_push(argilla_server, tmp_path / "dev.spacy", "safe-legacy")
    client = rg.Argilla(api_url=argilla_server.url, api_key=argilla_server.api_key)
    try:
        ds = client.datasets(name="safe-legacy", workspace="argilla")
        text = docs[2].text.rstrip()
        fields = {f.name: text for f in ds.settings.fields}
        old = rg.Record(id="dev-7", fields=fields, metadata={"split": "dev", "sentence": 7, "doc_id": 0})
        old.responses.add(rg.Response("entities", BRUSSELS, user_id=client.me.id, status="submitted"))
        ds.records.log([old])
    finally:
        client.http_client.close()
    with environ(**argilla_server.env()):
        push(
            [(tmp_path / "dev.spacy", 0)],
            None,
            aggregate="majority",
            dataset_name="safe-legacy",
            progress=True,
            labels=REVIEW_LABELS,
            seed=42,
        )
    assert "1 records from an older push" in capsys.readouterr().out
    result = do_pull(argilla_server, [tmp_path / "dev.spacy"], tmp_path / "r.spacy", "safe-legacy")
    (review,) = read_corpus(tmp_path / "r.spacy")
    assert result.counts["not_in_corpus"] == 0 and review.user_data["index"] == 2  # the corpus's, not the old id's
    assert ents(review) == [("BRUSSELS", "LOC")] and review.user_data["review_record_id"] == "dev-7"


def test_a_fresh_server_cannot_shrink_the_reviewed_set(fresh_server, argilla_server, tmp_path):  # noqa: F811
    """after-review against a new server (new --home, another deployment): the reviews pulled before stay."""
    docs = make_docs("dev")
    write(tmp_path / "dev.spacy", docs)
    do_push(argilla_server, tmp_path / "dev.spacy", "safe-fresh")
    respond(argilla_server, "safe-fresh", [(docs[2], BRUSSELS, "submitted"), (docs[4], [], "discarded")])
    out = tmp_path / "reviewed.spacy"
    do_pull(argilla_server, [tmp_path / "dev.spacy"], out, "safe-fresh")
    before = out.read_bytes()

    class Fresh:
        url, api_key = fresh_server["url"], fresh_server["creds"].api_key

        @staticmethod
        def env():
            return {"ARGILLA_API_URL": Fresh.url, "ARGILLA_API_KEY": Fresh.api_key}

    with pytest.raises(ReviewError, match="not found"):
        do_pull(Fresh, [tmp_path / "dev.spacy"], out, "safe-fresh")
    do_push(Fresh, tmp_path / "dev.spacy", "safe-fresh")  # the same records, nobody's answers
    result = do_pull(Fresh, [tmp_path / "dev.spacy"], out, "safe-fresh")
    assert result.counts["pending"] == 5 and result.counts["kept_from_before"] == 2
    assert out.read_bytes() == before and result.backup is None
