"""What the figures say to do: each check fires where it should and stays silent otherwise."""

from collections import Counter

from scripts.corpus.conll import conll_to_dataset, dataset_to_docs
from scripts.corpus.gold import document_docs
from scripts.model.diagnostics import FEW_ENTITIES, diagnose, markdown

from .conftest import FIXTURE_CONLL

LABELS = ["PER", "ORG", "LOC", "MISC"]
PLENTY = {label: 100 for label in LABELS}


def checks(**changes):
    args = dict(
        labels=LABELS,
        dev_entities=PLENTY,
        dev_documents=200,
        emitted=set(LABELS),
        model={"f": 0.85},
        weak={"f": 0.80},
        baseline={"f": 0.60},
        best_at_last=False,
    )
    args.update(changes)
    return [d["check"] for d in diagnose(**args)]


def test_a_healthy_run_says_nothing():
    assert checks() == []
    assert "Nothing to act on" in markdown([])


def test_each_check_fires_on_what_it_checks():
    assert checks(dev_documents=1) == ["few_documents"]
    assert checks(dev_entities={**PLENTY, "MISC": FEW_ENTITIES - 1}) == ["few_entities"]
    assert checks(emitted={"PER", "ORG", "LOC"}) == ["label_not_emitted"]
    assert checks(model={"f": 0.78}) == ["below_labels"]
    assert checks(model={"f": 0.55}) == ["below_labels", "below_baseline"]
    # within chance: the model's interval reaches its labels' F (the full CoNLL data: .854 [.833-.877] and .855)
    assert checks(model={"f": 0.854, "f_95": [0.833, 0.877]}, weak={"f": 0.855}) == []
    assert checks(model={"f": 0.70, "f_95": [0.66, 0.74]}, weak={"f": 0.80}) == ["below_labels"]
    assert checks(best_at_last=True) == ["best_at_last"]
    # no baseline, no weak labels, no selection: those checks cannot fire
    assert checks(model={"f": 0.1}, weak=None, baseline=None, emitted=None) == []


def test_the_small_conll_fixture_has_too_few_misc_entities_on_dev():
    sentences = list(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / "dev.txt"), "dev"))
    dev = document_docs(sentences, LABELS)
    counts = Counter(e.label_ for d in dev for e in d.ents)
    found = diagnose(LABELS, dict(counts), len(dev), set(LABELS), None, None, None, False)
    assert {d["check"] for d in found} >= {"few_entities"}
    assert any(d["message"].startswith(f"dev has {counts['MISC']} MISC entit") for d in found)
    assert len(dev) == 3 and "few_documents" not in {d["check"] for d in found}
