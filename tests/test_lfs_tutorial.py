"""Every tutorial labelling function on positive and negative examples, and the tutorial bugs fixed."""

import pytest
from skweak.heuristics import FunctionAnnotator

from scripts.lfs import tutorial as t
from scripts.lfs.annotator import LabellingFunctionError, LabellingFunctions, build_annotator
from tests.conftest import function_settings

from .conftest import spans_of


def run(func, doc, **kwargs):
    return [(s, e, lab, doc[s:e].text) for s, e, lab in func(doc, **kwargs)]


@pytest.mark.parametrize("text", ["Loznica 4 2 0 2 7 4 6", "Berwick 3 0 0 3 1 14 0", "Hearts 2"])
def test_sports_results_positive(make_doc, text):
    doc = make_doc(text)
    assert run(t.sports_results, doc) == [(0, 1, "ORG", text.split()[0])]


@pytest.mark.parametrize(
    "text",
    ["Loznica", "Loznica 4 2 x 2", "LOZNICA 4 2 0", "4 2 0 2", "Red Star 4 2 0", "Loznica 4 2 0 2-1", "loznica 4 2"],
)
def test_sports_results_negative(make_doc, text):
    assert run(t.sports_results, make_doc(text)) == []


def test_sports_match(make_doc):
    assert run(t.sports_match, make_doc("Bournemouth 1 Peterborough 2")) == [
        (0, 1, "ORG", "Bournemouth"),
        (2, 3, "ORG", "Peterborough"),
    ]
    for text in [
        "Bournemouth 1 Peterborough",
        "Bournemouth 1 Peterborough 2 .",
        "bournemouth 1 peterborough 2",
        "Bournemouth one Peterborough 2",
    ]:
        assert run(t.sports_match, make_doc(text)) == []


@pytest.mark.parametrize(
    "text,keyword,reverse,expected",
    [
        ("Shares of Caltex Petroleum Corp fell", "Corp", True, ["Caltex Petroleum Corp"]),
        ("the U.S. Treasury Department said", "Department", True, ["U.S. Treasury Department"]),
        ("the U.N. Security Council voted", "U.N.", False, ["U.N. Security Council"]),
        ("shares of First Chicago Bank rose", "First", False, ["First Chicago Bank"]),
        # tutorial bug: `elif start:` is false for a keyword at token 0
        ("Federal Reserve Board officials said", "Federal", False, ["Federal Reserve Board"]),
        # tutorial bug: two-word spans were dropped by `start + 2 != idx`
        ("Shares of Kia Corp fell", "Corp", True, ["Kia Corp"]),
        ("the National Union met", "National", False, ["National Union"]),
        # tutorial bug: a run reaching the sentence edge was never emitted
        ("Caltex Petroleum Corp", "Corp", True, ["Caltex Petroleum Corp"]),
        ("said the Federal Reserve", "Federal", False, ["Federal Reserve"]),
        # two matches in one sentence
        ("Kia Corp and Hyundai Motor Corp rose", "Corp", True, ["Kia Corp", "Hyundai Motor Corp"]),
    ],
)
def test_title_detector_positive(make_doc, text, keyword, reverse, expected):
    doc = make_doc(text)
    found = [doc[s:e].text for s, e, lab in sorted(t.title_detector(doc, keyword=keyword, reverse=reverse))]
    assert found == expected


@pytest.mark.parametrize(
    "text,keyword,reverse",
    [
        # tutorial bug: the bare keyword was emitted when no title-case word followed
        ("the Federal budget was cut", "Federal", False),
        ("the corp said Corp profits rose", "Corp", True),
        ("Corp", "Corp", True),
        ("New", "New", False),
        ("prices in new york", "New", False),
        ("a new Corp", "Corp", True),
    ],
)
def test_title_detector_negative(make_doc, text, keyword, reverse):
    assert list(t.title_detector(make_doc(text), keyword=keyword, reverse=reverse)) == []


def test_title_detector_never_emits_the_keyword_alone(make_doc):
    doc = make_doc("Corp said the Corp of Inc Group Corp")
    for reverse in (False, True):
        for s, e, _ in t.title_detector(doc, keyword="Corp", reverse=reverse):
            assert e - s >= 2


def test_shire_team(make_doc):
    doc = make_doc("Derbyshire beat Hampshire and Worcestershire drew")
    assert [x[3] for x in run(t.shire_team, doc)] == ["Derbyshire", "Hampshire", "Worcestershire"]
    for text in ["the shire horse", "Yorkshireman scored", "HAMPSHIRE won"]:
        assert run(t.shire_team, make_doc(text)) == []


def test_the_23_tutorial_functions(make_doc):
    annotator = build_annotator(function_settings(["ORG"], "tutorial"))
    assert len(annotator.names) == len(set(annotator.names)) == 23
    assert {"sports_results", "sports_match", "shire_team", "U.N. (start)", "Newsroom (end)"} <= set(annotator.names)
    doc = annotator(make_doc("Caltex Petroleum Corp beat Derbyshire"))
    assert spans_of(doc, "Corp (end)") == [(0, 3, "ORG")]
    assert spans_of(doc, "shire_team") == [(4, 5, "ORG")]
    # a group only where a function found something (annotate records the functions that ran apart)
    assert set(doc.spans) == {"Corp (end)", "shire_team"}


def test_no_org_functions_without_the_org_label():
    assert build_annotator(function_settings(["PER"], "tutorial")).names == []


def test_a_failing_function_names_itself_and_the_doc(make_doc):
    def broken(doc):
        raise ZeroDivisionError("boom")
        yield

    annotator = LabellingFunctions(["ORG"]).add_annotators(FunctionAnnotator("broken_lf", broken))
    doc = make_doc("Kia Corp said", split="train", index=17, doc_id=3)
    with pytest.raises(LabellingFunctionError) as e:
        list(annotator.pipe([doc]))
    text = str(e.value)
    assert "'broken_lf'" in text and "ZeroDivisionError" in text and "boom" in text
    assert "train sentence 17 (document 3)" in text and "Kia Corp said" in text


def test_spans_outside_the_project_labels_are_dropped(make_doc):
    annotator = LabellingFunctions(["ORG"]).add_annotators(
        FunctionAnnotator("mixed", lambda doc: iter([(0, 1, "PER"), (1, 2, "ORG")]))
    )
    doc = annotator(make_doc("Anna Acme"))
    assert spans_of(doc, "mixed") == [(1, 2, "ORG")]
