"""The local Argilla server's search logic as pure functions: matching, sorting, similarity, metrics.

No server: `scripts.argilla_server.search` is standard library only (the engine that calls it runs in
the server's venv; tests/test_argilla.py drives it through a real server).
"""

import enum
from uuid import UUID

import pytest

from scripts.argilla_server import search


def doc(id, fields=None, metadata=None, responses=(), vectors=None, status="pending"):
    return {
        "id": id,
        "fields": fields or {},
        "metadata": metadata or {},
        "responses": list(responses),
        "suggestions": {},
        "vectors": vectors or {},
        "status": status,
    }


def response(user, status, **values):
    return {"id": f"{user}-{status}", "user_id": user, "status": status, "values": values}


class Status(enum.Enum):
    submitted = "submitted"


def test_plain_and_as_list():
    uid = UUID("12345678-1234-5678-1234-567812345678")
    assert search.plain(uid) == str(uid)
    assert search.plain(Status.submitted) == "submitted"
    assert search.plain(3) == 3 and search.plain("x") == "x"
    assert search.as_list(None) == [] and search.as_list(("a", "b")) == ["a", "b"] and search.as_list(5) == [5]


def test_text_match_wants_every_word_in_one_field_or_any():
    d = doc("1", fields={"text": "EU rejects German call", "gold_text": "Peter Blackburn"})
    assert search.text_match(d, "german EU")  # case-insensitive, any order
    assert search.text_match(d, "")  # no words: everything matches
    assert not search.text_match(d, "German lamb")  # every word must be there
    assert search.text_match(d, "Blackburn")  # any field
    assert not search.text_match(d, "Blackburn", field="text")
    assert not search.text_match(d, "Germ")  # whole words only


def test_terms_and_ranges():
    assert search.terms_match(["dev", "train"], ["train"])
    assert search.terms_match([3], ["3"])  # compared as strings
    assert not search.terms_match(["dev"], ["test"])
    assert search.range_match([2, 9], ge=5)
    assert not search.range_match([2, 9], ge=3, le=8)
    assert not search.range_match([True, "7"], ge=0)  # bools and strings are no numbers
    assert search.range_match([0.5], le=0.5)


def test_responses_by_user_and_status():
    d = doc("1", responses=[response("u1", "submitted"), response("u2", "draft")])
    assert [r["user_id"] for r in search.responses_of(d, "u2")] == ["u2"]
    assert len(search.responses_of(d)) == 2
    assert search.status_match(search.responses_of(d, "u1"), [Status.submitted])
    assert not search.status_match(search.responses_of(d, "u1"), ["discarded"])
    assert search.status_match([], ["pending"])  # no response at all is pending
    assert not search.status_match([], ["submitted"])


def test_sort_value():
    assert search.sort_value([3, 1, 2]) == 2  # numbers: their mean
    assert search.sort_value(["b", "a"], ascending=True) == "a"
    assert search.sort_value(["b", "a"], ascending=False) == "b"
    assert search.sort_value([None]) is None and search.sort_value([]) is None


def test_sort_docs_by_several_keys_missing_values_last():
    docs = [
        doc("a", metadata={"n": 2, "s": "x"}),
        doc("b", metadata={"n": 5, "s": "x"}),
        doc("c", metadata={"s": "y"}),
        doc("d", metadata={"n": 2, "s": "w"}),
    ]
    n = lambda d: d["metadata"].get("n")  # noqa: E731
    s = lambda d: d["metadata"].get("s")  # noqa: E731
    assert [d["id"] for d in search.sort_docs(docs, [(n, True)])] == ["b", "a", "d", "c"]  # stable, missing last
    assert [d["id"] for d in search.sort_docs(docs, [(n, False), (s, False)])] == ["d", "a", "b", "c"]
    mixed = [doc("x", metadata={"v": 2}), doc("y", metadata={"v": "10"})]
    v = lambda d: d["metadata"]["v"]  # noqa: E731
    assert [d["id"] for d in search.sort_docs(mixed, [(v, False)])] == ["y", "x"]  # as strings: "10" < "2"


def test_cosine_and_most_similar():
    assert search.cosine([1, 0], [1, 0]) == pytest.approx(1.0)
    assert search.cosine([1, 0], [0, 1]) == pytest.approx(0.0)
    assert search.cosine([0, 0], [1, 1]) == 0.0
    docs = [
        doc("q", vectors={"v": [1, 0]}),
        doc("near", vectors={"v": [1, 0.1]}),
        doc("far", vectors={"v": [-1, 0]}),
        doc("none"),
    ]
    ranked = search.most_similar(docs, "v", [1, 0], exclude="q")
    assert [d["id"] for _, d in ranked] == ["near", "far"]
    assert ranked[0][0] == pytest.approx((1 + search.cosine([1, 0], [1, 0.1])) / 2) and ranked[1][0] == pytest.approx(
        0.0
    )
    assert [d["id"] for _, d in search.most_similar(docs, "v", [1, 0], exclude="q", least=True)] == ["far", "near"]
    assert [d["id"] for _, d in search.most_similar(docs, "v", [1, 0], max_results=2)] == ["q", "near"]
    assert [d["id"] for _, d in search.most_similar(docs, "v", [1, 0], threshold=0.5)] == ["q", "near"]


def test_progress_and_metadata_metrics():
    assert search.status_counts(["pending", "completed", "pending"]) == {"total": 3, "pending": 2, "completed": 1}
    assert search.status_counts([]) == {"total": 0}
    total, counts = search.terms_counts([["md", "sm"], ["md"], "gazetteer", ["md", "md"]])
    assert total == 6  # every term of every document
    assert counts == [("md", 3), ("gazetteer", 1), ("sm", 1)]  # documents per term, most frequent first
    assert search.number_range([3, [1, 7], "x"]) == (1, 7)
    assert search.number_range(["x"]) == (None, None)


def test_search_needs_nothing_but_the_standard_library():
    import ast
    import sys

    tree = ast.parse(open(search.__file__).read())
    modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert all(m.split(".")[0] in sys.stdlib_module_names for m in modules), modules
