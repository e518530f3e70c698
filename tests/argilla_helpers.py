"""Shared pieces of the Argilla tests: a real local server and a small corpus.

Test modules import the fixture (``from tests.argilla_helpers import
argilla_server``) so pytest finds it. The server is the one
``python -m scripts.argilla_server`` runs: migrated SQLite database in a temp
home, default owner, the in-process engine, a free port on 127.0.0.1.
When argilla or the server venv is missing the tests fail, saying how to install them.
"""

import dataclasses
import os
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
import spacy
from spacy.tokens import Doc, DocBin

API_KEY = "test.apikey"
PASSWORD = "12345678"

# The labels of the review tests (the CoNLL defaults)
REVIEW_LABELS = ["ORG", "PER", "LOC", "MISC"]


@dataclasses.dataclass
class ArgillaServer:
    url: str
    api_key: str
    password: str
    home: Path
    username: str = "argilla"

    def env(self) -> Dict[str, str]:
        return {"ARGILLA_API_URL": self.url, "ARGILLA_API_KEY": self.api_key}


_SERVER: Optional[ArgillaServer] = None


@pytest.fixture(scope="session")
def argilla_server(request, tmp_path_factory) -> Iterator[ArgillaServer]:
    """One real server for the whole test session, stopped when it ends.

    Importing this fixture into several modules gives each module its own
    fixture definition, so the server is kept in a module global and started
    once; its stop is registered with pytest's config cleanup.
    """
    global _SERVER
    if _SERVER is not None:
        yield _SERVER
        return
    try:
        import argilla  # noqa: F401
    except ImportError:
        pytest.fail("argilla is not installed: pip install -r requirements-argilla.txt")
    from scripts.argilla_server import launcher as serve

    try:
        python = serve.find_server_python()
    except serve.ServeError as exc:
        pytest.fail(str(exc))
    home = tmp_path_factory.mktemp("argilla-home")
    serve.prepare_home(home, python, api_key=API_KEY, password=PASSWORD)
    port = serve.free_port()
    proc = serve.start_server(home, port, python, log_path=home / "server.log")
    url = f"http://127.0.0.1:{port}"
    try:
        serve.wait_ready(url, API_KEY, proc, timeout=90)
    except serve.ServeError:
        serve.stop_server(proc)
        log = (home / "server.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"Argilla server did not start:\n{log}") from None

    def stop():
        global _SERVER
        _SERVER = None
        for client in _CLIENTS.values():
            client.http_client.close()
        _CLIENTS.clear()
        serve.stop_server(proc)

    request.config.add_cleanup(stop)
    _SERVER = ArgillaServer(url=url, api_key=API_KEY, password=PASSWORD, home=home)
    yield _SERVER


# A small CoNLL-like corpus: (words, gold, {function: spans}, aggregate spans)
# spans are (start_token, end_token, label)
SENTENCES: List[Tuple[List[str], list, Dict[str, list], list]] = [
    (
        "EU rejects German call to boycott British lamb .".split(),
        [(0, 1, "ORG"), (2, 3, "MISC"), (6, 7, "MISC")],
        {"title_detector": [(0, 1, "ORG")], "nationality": [(2, 3, "MISC"), (6, 7, "MISC")]},
        [(0, 1, "ORG"), (2, 3, "MISC"), (6, 7, "MISC")],
    ),
    (
        "Peter Blackburn".split(),
        [(0, 2, "PER")],
        {"first_names": [(0, 2, "PER")], "title_detector": [(0, 2, "ORG")]},
        [(0, 2, "PER")],
    ),
    (
        "BRUSSELS 1996-08-22".split(),
        [(0, 1, "LOC")],
        {"title_detector": [(0, 1, "ORG")]},
        [(0, 1, "ORG")],
    ),
    (
        "Germany 's representative to the European Union 's veterinary committee".split(),
        [(0, 1, "LOC"), (5, 7, "ORG")],
        {"gazetteer": [(0, 1, "LOC"), (5, 7, "ORG")], "title_detector": [(5, 6, "MISC")]},
        [(0, 1, "LOC"), (5, 7, "ORG")],
    ),
    (
        "He said .".split(),
        [],
        {},
        [],
    ),
]


def make_docs(split: str = "dev", n: Optional[int] = None, vocab=None) -> List[Doc]:
    vocab = vocab or spacy.blank("en").vocab
    docs = []
    count = n if n is not None else len(SENTENCES)
    for i in range(count):
        words, gold, functions, aggregate = SENTENCES[i % len(SENTENCES)]
        if i >= len(SENTENCES):  # every sentence its own text (a repeated text is one record)
            words = words + [f"#{i}"]
        doc = Doc(vocab, words=words)
        doc.user_data["split"] = split
        doc.user_data["index"] = i
        doc.user_data["doc_id"] = i // 3
        if split != "train":
            doc.spans["gold"] = [_span(doc, s, e, lab) for s, e, lab in gold]
        for name, spans in functions.items():
            doc.spans[name] = [_span(doc, s, e, lab) for s, e, lab in spans]
        doc.spans["majority"] = [_span(doc, s, e, lab) for s, e, lab in aggregate]
        docs.append(doc)
    return docs


def _span(doc: Doc, start: int, end: int, label: str):
    from spacy.tokens import Span

    return Span(doc, start, end, label=label)


def write_corpus(path: Path, split: str = "dev", n: Optional[int] = None) -> Path:
    db = DocBin(store_user_data=True)
    for doc in make_docs(split, n):
        db.add(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(path)
    return path


def rid(split: str, index: int, n: Optional[int] = None) -> str:
    """The record id of sentence `index` of `make_docs(split, n)`."""
    from scripts.review.records import record_id

    return record_id(make_docs(split, n)[index])


def read_corpus(path: Path) -> List[Doc]:
    return list(DocBin().from_disk(path).get_docs(spacy.blank("en").vocab))


_CLIENTS: Dict[str, object] = {}


def client_for(server: ArgillaServer):
    """One SDK client per server, closed when the server stops."""
    import warnings

    if server.url not in _CLIENTS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import argilla as rg
        _CLIENTS[server.url] = rg.Argilla(api_url=server.url, api_key=server.api_key)
    return _CLIENTS[server.url]


def environ(**values: str):
    """Context manager that sets environment variables and restores them."""
    import contextlib

    @contextlib.contextmanager
    def cm():
        old = {k: os.environ.get(k) for k in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    return cm()
