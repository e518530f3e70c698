"""Annotation: every function writes its group, parallel equals serial, train never keeps gold."""
from scripts.annotate import annotate_docs, annotate_parallel
from scripts.convert import conll_to_dataset, dataset_to_docs
from scripts.lfs import build_annotator
from scripts.util import GOLD

from .conftest import FIXTURE_CONLL


def fixture_docs():
    return list(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / "train.txt"), "train"))


def as_tuples(docs):
    return [(d.text, d.user_data["index"], sorted((k, tuple((s.start, s.end, s.label_) for s in g))
                                                   for k, g in d.spans.items())) for d in docs]


def test_each_function_writes_its_group_and_finds_the_fixture_orgs():
    docs = annotate_docs(fixture_docs(), ["ORG"])
    names = build_annotator(["ORG"]).names
    assert all(set(names) <= set(d.spans) for d in docs)
    found = {d[s.start:s.end].text for d in docs for n in names for s in d.spans[n]}
    assert {"Loznica", "Bournemouth", "Peterborough", "Derbyshire", "Caltex Petroleum Corp", "Kia Corp",
            "Federal Reserve Board", "U.N. Security Council"} <= found
    # a capitalised sentence-initial "The" is swallowed, as in the tutorial (a known weakness)
    assert "The Labour Party" in found


def test_parallel_equals_serial():
    serial = annotate_docs(fixture_docs(), ["ORG"])
    parallel = annotate_parallel(fixture_docs(), ["ORG"], n_process=2, shard_size=7)
    assert as_tuples(parallel) == as_tuples(serial)


def test_drop_gold():
    docs = annotate_parallel(fixture_docs(), ["ORG"], n_process=2, shard_size=10, drop_gold=True)
    assert docs and not any(GOLD in d.spans for d in docs)
    assert all(GOLD in d.spans for d in annotate_docs(fixture_docs(), ["ORG"]))


def _broken(doc):
    if doc.user_data.get("index") == 5:
        raise ZeroDivisionError("boom")
    return iter(())


def test_a_function_failing_in_a_worker_names_itself_and_the_doc(tmp_path, monkeypatch):
    """Through the fork pool the error comes back with its message; nothing is written."""
    import pytest
    from skweak.heuristics import FunctionAnnotator

    from scripts import annotate
    from scripts.lfs import LabellingFunctionError, LabellingFunctions
    from scripts.util import write_docs

    broken = LabellingFunctions(["ORG"]).add_annotators(FunctionAnnotator("broken_lf", _broken))
    monkeypatch.setitem(annotate._ANNOTATORS, (("ORG",), "tutorial", "corpus/gazetteers"), broken)
    write_docs(tmp_path / "gold.spacy", fixture_docs())
    with pytest.raises(LabellingFunctionError) as e:
        annotate.annotate_corpus(tmp_path / "gold.spacy", tmp_path / "out", ["ORG"], n_process=2, shard_size=3,
                                 preset="tutorial", gazetteer_dir="corpus/gazetteers")  # fmt: skip
    assert "'broken_lf'" in str(e.value) and "ZeroDivisionError" in str(e.value)
    assert "train sentence 5 " in str(e.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gold.spacy"]  # no half-written output


def test_train_and_dev_in_one_run_equal_two_runs(tmp_path):
    """`--dev`: one pool for both corpora; train loses its gold spans, dev keeps them for scoring."""
    from scripts.annotate import annotate_corpora, annotate_corpus
    from scripts.util import GOLD, corpus_files, read_docs, write_docs

    docs = fixture_docs()
    write_docs(tmp_path / "train_gold.spacy", docs[:8])
    write_docs(tmp_path / "dev_gold.spacy", docs[8:])
    both = annotate_corpora([(tmp_path / "train_gold.spacy", tmp_path / "train", True),
                             (tmp_path / "dev_gold.spacy", tmp_path / "dev", False)], ["ORG"], n_process=2,
                            shard_size=3, preset="tutorial")  # fmt: skip
    alone = [annotate_corpus(tmp_path / "train_gold.spacy", tmp_path / "train1", ["ORG"], shard_size=3,
                             drop_gold=True, preset="tutorial"),
             annotate_corpus(tmp_path / "dev_gold.spacy", tmp_path / "dev1", ["ORG"], shard_size=3, preset="tutorial")]
    assert both == alone and both[0]["docs"] == 8 and both[1]["docs"] == len(docs) - 8
    for name in ("train", "dev"):
        assert [f.read_bytes() for f in corpus_files(tmp_path / name)] == \
            [f.read_bytes() for f in corpus_files(tmp_path / f"{name}1")]
    assert not any(GOLD in d.spans for d in read_docs(tmp_path / "train"))
    assert all(GOLD in d.spans for d in read_docs(tmp_path / "dev"))
