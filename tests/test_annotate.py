"""Annotation: every function writes its group, parallel equals serial, train never keeps gold."""

from scripts.corpus.conll import conll_to_dataset, dataset_to_docs
from scripts.corpus.docbin import corpus_files, read_docs, write_docs
from scripts.corpus.labels import FUNCTIONS, GOLD, lf_names
from scripts.lfs.annotate import annotate_corpora, annotate_docs
from scripts.lfs.annotator import build_annotator
from scripts.util.parallel import Parallelism
from tests.conftest import function_settings

from .conftest import FIXTURE_CONLL

TUTORIAL = function_settings(["ORG"], "tutorial")


def fixture_docs():
    return list(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / "train.txt"), "train"))


def as_tuples(docs):
    return [
        (
            d.text,
            d.user_data["index"],
            sorted((k, tuple((s.start, s.end, s.label_) for s in g)) for k, g in d.spans.items()),
        )
        for d in docs
    ]


def test_each_function_writes_its_group_where_it_fires_and_finds_the_fixture_orgs():
    docs = annotate_docs(fixture_docs(), TUTORIAL)
    names = build_annotator(TUTORIAL).names
    # every doc names the functions that ran; a group is there only where its function found something
    assert all(d.user_data[FUNCTIONS] == names for d in docs)
    groups = [set(d.spans) - {GOLD} for d in docs]
    assert all(g <= set(names) and all(len(d.spans[n]) for n in g) for d, g in zip(docs, groups))
    assert lf_names(docs) == sorted(names)
    found = {d[s.start : s.end].text for d in docs for n in names for s in d.spans.get(n, [])}
    assert {
        "Loznica",
        "Bournemouth",
        "Peterborough",
        "Derbyshire",
        "Caltex Petroleum Corp",
        "Kia Corp",
        "Federal Reserve Board",
        "U.N. Security Council",
    } <= found
    # a capitalised sentence-initial "The" is swallowed, as in the tutorial (a known weakness)
    assert "The Labour Party" in found


def test_parallel_equals_serial(tmp_path):
    serial = annotate_docs(fixture_docs(), TUTORIAL)
    write_docs(tmp_path / "gold.spacy", fixture_docs())
    annotate_corpora([(tmp_path / "gold.spacy", tmp_path / "parallel", False)], TUTORIAL, Parallelism(2, 7))
    parallel = read_docs(tmp_path / "parallel")
    assert len(corpus_files(tmp_path / "parallel")) > 1
    assert as_tuples(parallel) == as_tuples(serial)


def test_drop_gold(tmp_path):
    write_docs(tmp_path / "gold.spacy", fixture_docs())
    annotate_corpora([(tmp_path / "gold.spacy", tmp_path / "train", True)], TUTORIAL, Parallelism(2, 10))
    docs = read_docs(tmp_path / "train")
    assert docs and not any(GOLD in d.spans for d in docs)
    assert all(GOLD in d.spans for d in annotate_docs(fixture_docs(), TUTORIAL))


def _broken(doc):
    if doc.user_data.get("index") == 5:
        raise ZeroDivisionError("boom")
    return iter(())


def test_a_function_failing_in_a_worker_names_itself_and_the_doc(tmp_path, monkeypatch):
    """Through the fork pool the error comes back with its message; nothing is written."""
    import pytest
    from skweak.heuristics import FunctionAnnotator

    from scripts.lfs import annotator
    from scripts.lfs.annotator import LabellingFunctionError, LabellingFunctions

    broken = LabellingFunctions(["ORG"]).add_annotators(FunctionAnnotator("broken_lf", _broken))
    monkeypatch.setitem(annotator._ANNOTATORS, TUTORIAL, broken)
    write_docs(tmp_path / "gold.spacy", fixture_docs())
    with pytest.raises(LabellingFunctionError) as e:
        annotate_corpora([(tmp_path / "gold.spacy", tmp_path / "out", False)], TUTORIAL, Parallelism(2, 3))
    assert "'broken_lf'" in str(e.value) and "ZeroDivisionError" in str(e.value)
    assert "test_annotate.py:" in str(e.value)  # the line of the function's own code that raised
    assert "train sentence 5 " in str(e.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gold.spacy"]  # no half-written output


def test_train_and_dev_in_one_run_equal_two_runs(tmp_path):
    """`--dev`: one pool for both corpora; train loses its gold spans, dev keeps them for scoring."""
    docs = fixture_docs()
    write_docs(tmp_path / "train_gold.spacy", docs[:8])
    write_docs(tmp_path / "dev_gold.spacy", docs[8:])
    both = annotate_corpora(
        [
            (tmp_path / "train_gold.spacy", tmp_path / "train", True),
            (tmp_path / "dev_gold.spacy", tmp_path / "dev", False),
        ],
        TUTORIAL,
        Parallelism(2, 3),
    )
    alone = [
        *annotate_corpora([(tmp_path / "train_gold.spacy", tmp_path / "train1", True)], TUTORIAL, Parallelism(1, 3)),
        *annotate_corpora([(tmp_path / "dev_gold.spacy", tmp_path / "dev1", False)], TUTORIAL, Parallelism(1, 3)),
    ]
    assert both == alone and both[0]["docs"] == 8 and both[1]["docs"] == len(docs) - 8
    for name in ("train", "dev"):
        assert [f.read_bytes() for f in corpus_files(tmp_path / name)] == [
            f.read_bytes() for f in corpus_files(tmp_path / f"{name}1")
        ]
    assert not any(GOLD in d.spans for d in read_docs(tmp_path / "train"))
    assert all(GOLD in d.spans for d in read_docs(tmp_path / "dev"))
