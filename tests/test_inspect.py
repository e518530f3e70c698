"""`inspect`: a function's right and wrong spans on dev, its intervals, the vote with and without it, the gaps
no function covers, and the page a person reads."""

import json
import textwrap

import pytest

from scripts.corpus.docbin import write_docs
from scripts.labelmodel import aggregate as aggregate_step
from scripts.labelmodel import registry
from scripts.labelmodel import score as score_step
from scripts.labelmodel.base import spans_of, vote
from scripts.lfs import inspect
from scripts.util.stats import wilson
from tests.browser_helpers import browser  # noqa: F401  (fixture)

from .conftest import cli


def test_a_function_s_errors_are_sorted_into_false_positives_boundaries_and_misses(make_doc):
    docs = [
        make_doc(
            "Acme Corp hired Ann Lee in Bonn",
            spans={"gold": [(0, 2, "ORG"), (3, 5, "PER"), (6, 7, "LOC")], "f": [(0, 1, "ORG"), (6, 7, "ORG")]},
        ),
        make_doc("Kia rose", spans={"gold": [(0, 1, "ORG")], "f": [(0, 1, "ORG")]}),
    ]
    c = inspect.classify(docs[0], "f", ["ORG"])
    assert c == {"right": [], "fp": [(6, 7, "ORG")], "boundary": [(0, 1, "ORG")], "miss": []}
    assert inspect.classify(docs[0], "f", ["PER"])["miss"] == [(3, 5, "PER")]
    [row] = inspect.function_table(docs, "f", ["ORG"], others=[])
    assert (row["spans"], row["right"], row["false_positives"], row["boundary_errors"]) == (3, 1, 1, 1)
    assert row["precision"] == pytest.approx(1 / 3) and row["recall"] == pytest.approx(1 / 2)
    lists = inspect.error_lists(docs, "f", ["ORG"], "vote", top=5)
    assert [(e["text"], e["count"]) for e in lists["fp"]] == [("Bonn", 1)] and "Bonn LOC" in lists["fp"][0]["gold"]
    assert [e["text"] for e in lists["boundary"]] == ["Acme"] and lists["miss"] == []


def test_few_spans_give_a_wide_interval():
    low, high = wilson(3, 3)
    assert low < 0.45 and high == pytest.approx(1.0)
    low, high = wilson(300, 300)
    assert low > 0.98
    assert wilson(0, 0) == (0.0, 1.0)


def test_the_vote_without_copies_is_the_vote(make_doc):
    docs = [
        make_doc("Acme Corp said Inc rose", index=i, spans={"a": [(0, 2, "ORG")], "b": [(0, 1, "PER"), (3, 4, "ORG")]})
        for i in range(3)
    ]
    kept = {"a": ["ORG"], "b": ["ORG"]}
    model = registry.make("majority", ["ORG", "PER"], {"a": 2.0})
    assert model.vote_spans(docs, kept) == [
        spans_of(d, "majority") for d in vote(model, [d.copy() for d in docs], kept)
    ]
    assert spans_of(docs[0], "b") == [(0, 1, "PER"), (3, 4, "ORG")]  # untouched


def score_and_aggregate(tmp_path, out, presets):
    """`score` then `aggregate` (majority votes) of tmp_path's train and dev, into `out`."""
    score_step.main(
        tmp_path / "dev.spacy",
        out,
        labels="ORG,PER",
        min_precision=0.0,
        label_min_precision="",
        weights="precision",
        no_evidence_weight="min",
        preset="p",
        presets=tmp_path / presets,
    )
    paths = [tmp_path / "train.spacy", tmp_path / "dev.spacy", out / "lf_selection.json", out / "c"]
    aggregate_step.main(
        *paths, out / "agg.json", labels="ORG,PER", aggregator="majority", seed=1, review_dir=out / "c", n_process=1
    )


def inspect_args(tmp_path, code):
    """inspect's options for the fixture of `project_files`: its preset, code, labels, dev and selection."""
    return [
        *("--presets", tmp_path / "p.yml", "--preset", "p", "--code", code, "--labels", "ORG,PER"),
        *("--dev", tmp_path / "c" / "dev_aggregated", "--selection", tmp_path / "lf_selection.json"),
    ]


def project_files(tmp_path, make_doc):
    """An annotated train and dev, scored and aggregated with majority votes; a user's code with a function
    that no preset names."""

    def sentence(i, split):
        spans = {"a": [(0, 2, "ORG")], "b": [(3, 4, "ORG")] if i % 2 else []}
        if split == "dev":
            spans["gold"] = [(0, 2, "ORG")] + ([(3, 4, "PER")] if i else [])
        return make_doc("Acme Corp met Smith in Bonn", split=split, index=i, doc_id=i, spans=spans)

    write_docs(tmp_path / "train.spacy", [sentence(i, "train") for i in range(12)])
    write_docs(tmp_path / "dev.spacy", [sentence(i, "dev") for i in range(9)])
    score_and_aggregate(tmp_path, tmp_path, "p.yml")
    code = tmp_path / "lfs"
    code.mkdir()
    (code / "mine.py").write_text(
        textwrap.dedent(
            """
        from scripts.lfs.registry import labelling_function

        @labelling_function("a", labels=["ORG"])
        def a(doc):
            yield 0, 2, "ORG"

        @labelling_function("b", labels=["ORG"])
        def b(doc):
            if doc.user_data["index"] % 2:
                yield 3, 4, "ORG"

        @labelling_function("smith_person", labels=["PER"])
        def smith_person(doc):
            for tok in doc:
                if tok.text == "Smith":
                    yield tok.i, tok.i + 1, "PER"
        """
        )
    )
    return code


def test_inspect_a_new_function_and_one_of_the_preset(tmp_path, make_doc, browser):  # noqa: F811
    (tmp_path / "p.yml").write_text("p: [a, b]\n")
    code = project_files(tmp_path, make_doc)
    common = [
        *inspect_args(tmp_path, code),
        "--vote",
        "majority",
        "--output",
        tmp_path / "out",
        "--train",
        tmp_path / "train.spacy",
    ]
    # what a fitted HMM learnt of it, as aggregate writes it, beside the dev figures
    fitted = {"aggregator": "hmm", "reliability": {"smith_person": {"PER": 0.7}}}
    (tmp_path / "hmm.json").write_text(json.dumps(fitted))
    result = cli("scripts.lfs.inspect", "smith_person", *common, "--gaps", "--scores", tmp_path / "hmm.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| hmm P |" in result.stdout and "| 0.700 |" in result.stdout
    report = json.loads((tmp_path / "out" / "smith_person.json").read_text())
    [row] = report["functions"]["smith_person"]["labels"]
    assert (row["label"], row["spans"], row["right"], row["false_positives"]) == ("PER", 9, 8, 1)
    assert row["learnt_precision"] == 0.7
    fps = report["functions"]["smith_person"]["fp"]
    assert [(e["text"], e["count"]) for e in fps] == [("Smith", 1)] and report["functions"]["smith_person"][
        "miss"
    ] == []
    assert "vote" in report and report["vote"]["with"] > report["vote"]["without"]
    assert {g["text"] for g in report["gaps"]} == {"Smith", "Bonn"}  # capitalised, and no kept function labels them
    # the vote with the preset's functions as they are is aggregate's majority vote
    result = cli("scripts.lfs.inspect", "a", *common)
    assert result.returncode == 0, result.stdout + result.stderr
    scores = json.loads((tmp_path / "agg.json").read_text())
    assert json.loads((tmp_path / "out" / "a.json").read_text())["vote"]["with"] == pytest.approx(scores["dev"]["f"])
    # the page: gold, the function and the vote, errors marked
    tab = browser.new_page()
    tab.goto((tmp_path / "out" / "smith_person.html").as_uri())
    assert tab.locator("section").count() > 0 and "PER ✗" in tab.inner_text("body")
    assert tab.locator("mark").count() > 0
    tab.close()


def test_an_unknown_function_is_one_line(tmp_path, make_doc):
    (tmp_path / "p.yml").write_text("p: [a, b]\n")
    code = project_files(tmp_path, make_doc)
    result = cli(
        "scripts.lfs.inspect",
        "smith_persn",
        "--presets",
        tmp_path / "p.yml",
        "--preset",
        "p",
        "--code",
        code,
        "--labels",
        "ORG",
        "--output",
        tmp_path / "out",
    )
    assert (
        result.returncode == 1
        and "unknown labelling function 'smith_persn' (did you mean smith_person?)" in result.stdout
    )
    assert not (tmp_path / "out").exists()


def test_the_document_level_functions_run_again_where_the_inspected_function_feeds_them(tmp_path):
    """With a new function that feeds the document vote, the document-level spans are those of an annotate
    with it in the preset; without it, those of one without it (where it found nothing: as they were)."""
    from scripts.corpus.conll import conll_to_dataset, dataset_to_docs
    from scripts.lfs.annotate import annotate_docs

    from .conftest import FIXTURE_CONLL, function_settings

    code = tmp_path / "lfs"
    code.mkdir()
    (code / "mine.py").write_text(
        textwrap.dedent(
            """
        from scripts.lfs.registry import labelling_function

        @labelling_function("corp_org", labels=["ORG"], roles=["doc_vote", "doc_seed"])
        def corp_org(doc):
            for tok in doc[1:]:
                if tok.text == "Corp":
                    yield tok.i - 1, tok.i + 1, "ORG"
        """
        )
    )
    document = ["doc_majority_cased", "doc_history", "doc_propagate"]
    base = ["shire_team", "Federal (start)", *document]
    (tmp_path / "p.yml").write_text(json.dumps({"base": base, "more": ["corp_org", *base]}))
    labels = ["PER", "ORG", "LOC", "MISC"]

    def settings(preset):
        return function_settings(labels, preset, str(tmp_path), str(tmp_path / "p.yml"), str(code))

    def dev():
        return list(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / "dev.txt"), "dev"))

    def groups(docs):
        return [{n: spans_of(d, n) for n in document if n in d.spans} for d in docs]

    without = annotate_docs(dev(), settings("base"))
    expected = annotate_docs(dev(), settings("more"))
    docs = [d.copy() for d in without]
    before = {"corp_org": [[] for _ in docs]}
    inspect.rerun(docs, settings("base"), ["corp_org"])
    assert any("corp_org" in d.spans for d in docs)
    with_docs, without_docs, ran = inspect.document_states(docs, settings("base"), ["corp_org"], before)
    assert sorted(ran) == sorted(document)
    assert groups(with_docs) == groups(expected) != groups(without)
    assert groups(without_docs) == groups(without)
    assert all("corp_org" not in d.spans for d in without_docs) and any("corp_org" in d.spans for d in with_docs)


def test_the_vote_with_a_new_function_is_what_score_and_aggregate_then_give(tmp_path, make_doc):
    """A function no preset names yet votes in inspect's figure as `score` would let it (its token-level
    precision, its weight): adding it to the preset, then score and aggregate, gives the same dev F."""
    from spacy.tokens import Span

    from scripts.corpus.docbin import read_docs

    (tmp_path / "p.yml").write_text("p: [a, b]\n")
    code = project_files(tmp_path, make_doc)
    args = [*inspect_args(tmp_path, code), "--vote", "majority", "--output", tmp_path / "out"]
    result = cli("scripts.lfs.inspect", "smith_person", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "score (per token, as training/lf_scores.md): PER 0.889 kept" in result.stdout
    vote = json.loads((tmp_path / "out" / "smith_person.json").read_text())["vote"]
    # as a user then does: the function in the preset, annotate (its spans on the docs), score, aggregate
    for name in ("train", "dev"):
        docs = read_docs(tmp_path / f"{name}.spacy")
        for doc in docs:
            doc.spans["smith_person"] = [Span(doc, 3, 4, label="PER")]
        write_docs(tmp_path / f"{name}.spacy", docs)
    (tmp_path / "p2.yml").write_text("p: [a, b, smith_person]\n")
    (tmp_path / "after").mkdir()
    score_and_aggregate(tmp_path, tmp_path / "after", "p2.yml")
    after = json.loads((tmp_path / "after" / "agg.json").read_text())["dev"]["f"]
    assert vote["with"] == pytest.approx(after) and vote["with"] > vote["without"]
