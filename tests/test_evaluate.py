"""Entity scores with spaCy's scorer, the OntoNotes -> CoNLL map, and the comparison table."""

import pytest
import spacy

from scripts.corpus.docbin import copy_with_ents
from scripts.corpus.gold import gold_docs, score_ents
from scripts.corpus.labels import ONTONOTES_TO_CONLL
from scripts.model import scoring


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


def test_predict_maps_ontonotes_labels_and_keeps_gold_tokens(make_doc):
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", name="ner")
    ruler.add_patterns(
        [
            {"label": "GPE", "pattern": "Paris"},
            {"label": "ORG", "pattern": "Acme"},
            {"label": "DATE", "pattern": "Monday"},
        ]
    )
    docs = [make_doc("Acme opened in Paris on Monday")]
    out = scoring.predict(nlp, docs, ["ORG", "LOC"], ONTONOTES_TO_CONLL)
    assert [(e.text, e.label_) for e in out[0].ents] == [("Acme", "ORG"), ("Paris", "LOC")]
    assert [t.text for t in out[0]] == [t.text for t in docs[0]]


def test_missing_model_says_how_to_install(capsys):
    with pytest.raises(SystemExit):
        scoring.load_pipeline_or_exit("en_core_web_nonexistent")
    out = capsys.readouterr().out
    assert "scripts.tools.setup_model" in out and "vectors_model" in out


def test_comparison_table():
    s = {"p": 0.5, "r": 0.25, "f": 1 / 3, "per_type": {"ORG": {"p": 0.5, "r": 0.25, "f": 1 / 3}}}
    table = scoring.comparison_table({"dev": {"baseline": s, "model": s}, "test": {"model": s}}, ["ORG"])
    assert table.splitlines()[0] == "| split | system | P | R | F | ORG P | ORG R | ORG F |"
    assert "| dev | baseline | 0.500 | 0.250 | 0.333 |" in table
    assert len(table.splitlines()) == 5
