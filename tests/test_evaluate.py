"""Entity scores with spaCy's scorer, the OntoNotes -> CoNLL map, and the comparison table."""

import os

import pytest
import spacy
from spacy.tokens import Doc, Span

from scripts.corpus.docbin import copy_with_ents
from scripts.corpus.gold import gold_docs, score_ents
from scripts.corpus.labels import ONTONOTES_TO_CONLL
from scripts.model import scoring
from scripts.pipeline import components  # noqa: F401  (doc_consistency)


def test_score_ents_micro_and_per_label(make_doc):
    gold = [copy_with_ents(make_doc("Kia Corp hired Anna Berg"), [(0, 2, "ORG"), (3, 5, "PER")])]
    pred = [copy_with_ents(make_doc("Kia Corp hired Anna Berg"), [(0, 2, "ORG"), (3, 4, "PER")])]
    s = score_ents(pred, gold, ["ORG", "PER"])
    assert s["p"] == pytest.approx(0.5) and s["r"] == pytest.approx(0.5)
    assert s["per_type"]["ORG"]["f"] == pytest.approx(1.0)
    assert s["per_type"]["PER"]["f"] == pytest.approx(0.0)


def test_gold_docs_keep_only_the_labels(make_doc):
    doc = make_doc("Kia Corp hired Anna", spans={"gold": [(0, 2, "ORG"), (3, 4, "PER")]})
    assert [(e.text, e.label_) for e in gold_docs([doc], ["ORG"])[0].ents] == [("Kia Corp", "ORG")]


def ruler_pipeline():
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", name="ner")
    ruler.add_patterns(
        [
            {"label": "GPE", "pattern": "Paris"},
            {"label": "ORG", "pattern": [{"TEXT": "Acme"}, {"TEXT": "-"}, {"TEXT": "Bell"}]},
            {"label": "DATE", "pattern": "Monday"},
        ]
    )
    return nlp


def reference(words, ents):
    doc = Doc(spacy.blank("en").vocab, words=words)
    doc.ents = [Span(doc, s, e, label=lab) for s, e, lab in ents]
    return doc


def test_score_pipeline_runs_the_text_and_maps_ontonotes_labels():
    """The pipeline tokenises the text itself ("Acme-Bell" becomes three tokens); the scorer aligns them
    with the reference's one token, as `spacy evaluate` does."""
    ref = reference(["Acme-Bell", "opened", "in", "Paris", "on", "Monday"], [(0, 1, "ORG"), (3, 4, "LOC")])
    scores = scoring.score_pipeline(ruler_pipeline(), [ref], ["ORG", "LOC"], ONTONOTES_TO_CONLL)["pipeline"]
    assert scores["f"] == pytest.approx(1.0)
    unmapped = scoring.score_pipeline(ruler_pipeline(), [ref], ["ORG", "LOC"])["pipeline"]
    assert unmapped["r"] == pytest.approx(0.5) and unmapped["p"] == pytest.approx(1.0)  # GPE and DATE dropped


def test_score_pipeline_scores_a_stage_and_the_whole_pipeline_from_one_run():
    nlp = ruler_pipeline()
    nlp.add_pipe("doc_consistency", config={"labels": ["ORG", "LOC"]})
    ref = reference("CRICKET - Kent beat Acme-Bell".split(), [(2, 3, "ORG"), (4, 5, "ORG")])
    scores = scoring.score_pipeline(nlp, [ref], ["ORG", "LOC"], ONTONOTES_TO_CONLL, stage="ner")
    assert scores["ner"]["r"] == pytest.approx(0.5)  # the ruler misses Kent
    assert scores["pipeline"]["f"] == pytest.approx(1.0)  # doc_consistency: a county in a cricket report


def test_score_pipeline_in_worker_processes_gives_the_same_scores():
    """Batches of documents go to two forked workers in turn: the same entities as in one process, in order
    (the refs differ, so a doc scored against another's reference would show)."""
    nlp = ruler_pipeline()
    nlp.add_pipe("doc_consistency", config={"labels": ["ORG", "LOC"]})
    refs = [
        reference(["Acme-Bell", "opened", "in", "Paris"], [(0, 1, "ORG"), (3, 4, "LOC")]),
        reference(["Paris", "beat", "Kent"], [(0, 1, "ORG")]),
        reference(["CRICKET", "-", "Kent", "beat", "Acme-Bell"], [(2, 3, "ORG"), (4, 5, "ORG")]),
    ] * 3
    args = (nlp, refs, ["ORG", "LOC"], ONTONOTES_TO_CONLL, "ner", 2)
    assert scoring.scoring_processes(len(refs), 2) == min(2, os.cpu_count() or 1)
    alone = scoring.score_pipeline(*args, n_process=1)
    assert scoring.score_pipeline(*args, n_process=2) == alone
    assert alone["ner"]["p"] == pytest.approx(3 / 4)  # "Paris beat Kent": the ruler says place, the reference ORG
    assert scoring.scoring_processes(64) == 1 and scoring.scoring_processes(65) == min(2, os.cpu_count() or 1)


def test_missing_model_says_how_to_install(capsys):
    with pytest.raises(SystemExit):
        scoring.load_pipeline_or_exit("en_core_web_nonexistent")
    out = capsys.readouterr().out
    assert "scripts.tools.setup_model" in out and "vectors_model" in out


@pytest.mark.parametrize(
    "name, hint",
    [("en_weak_ner_missing", "packages/en_weak_ner_missing-VERSION"), ("training/nowhere/model-best", "train")],
)
def test_missing_package_or_folder_says_how_to_get_it(name, hint, capsys):
    with pytest.raises(SystemExit):
        scoring.load_pipeline_or_exit(name)
    out = capsys.readouterr().out.replace("\n", " ")
    assert hint in out and "setup_model" not in out


def test_comparison_table():
    s = {"p": 0.5, "r": 0.25, "f": 1 / 3, "per_type": {"ORG": {"p": 0.5, "r": 0.25, "f": 1 / 3}}}
    table = scoring.comparison_table({"dev": {"baseline": s, "model": s}, "test": {"model": s}}, ["ORG"])
    assert table.splitlines()[0] == "| split | system | P | R | F | ORG P | ORG R | ORG F |"
    assert "| dev | baseline | 0.500 | 0.250 | 0.333 |" in table
    assert len(table.splitlines()) == 5
