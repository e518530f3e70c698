"""Scoring labelling functions on dev with skweak's LFAnalysis, and pruning by min_precision."""

import csv
import json

import pytest

from scripts.corpus.docbin import write_docs
from scripts.labelmodel import lf_scores
from scripts.labelmodel import score as score_cli
from scripts.labelmodel.lf_scores import score_functions, selection

# gold: ORG at (0, 2) in each doc. good_lf is right; bad_lf labels the wrong tokens; silent_lf never fires.
TEXTS = ["Kia Corp said on Monday", "Acme Group fell 3 percent", "Midland Bank Ltd posted a loss"]


@pytest.fixture
def dev_docs(make_doc):
    docs = []
    for i, text in enumerate(TEXTS):
        docs.append(
            make_doc(
                text,
                index=i,
                spans={
                    "gold": [(0, 2, "ORG")],
                    "good_lf": [(0, 2, "ORG")],
                    "bad_lf": [(3, 5, "ORG")] if i else [(0, 2, "ORG")],
                    "silent_lf": [],
                },
            )
        )
    return docs


def by_function(rows):
    return {r["function"]: r for r in rows}


def test_scores_and_decisions(dev_docs):
    rows = by_function(score_functions(dev_docs, ["ORG"], min_precision=0.5))
    assert set(rows) == {"good_lf", "bad_lf", "silent_lf"}  # gold is not a labelling function
    assert rows["good_lf"]["precision"] == pytest.approx(1.0)
    assert rows["good_lf"]["recall"] == pytest.approx(1.0)
    assert rows["good_lf"]["status"] == "kept"
    assert rows["bad_lf"]["precision"] == pytest.approx(1 / 3)
    assert rows["bad_lf"]["status"] == "dropped"
    assert rows["bad_lf"]["spans"] == 3 and rows["bad_lf"]["docs"] == 3
    assert rows["silent_lf"]["status"] == "no dev evidence"
    assert rows["good_lf"]["overlap"] > 0 and rows["good_lf"]["coverage"] > 0


def test_threshold_moves_the_decision(dev_docs):
    rows = by_function(score_functions(dev_docs, ["ORG"], min_precision=0.3))
    assert rows["bad_lf"]["status"] == "kept"


def test_selection(dev_docs):
    sel = selection(score_functions(dev_docs, ["ORG"], 0.5), 0.5)
    assert sel["kept"] == {"good_lf": ["ORG"], "silent_lf": []}
    assert sel["dropped"] == {"bad_lf": {"ORG": pytest.approx(1 / 3)}}
    assert sel["no_dev_evidence"] == ["silent_lf"]


def test_precision_weights(dev_docs):
    rows = score_functions(dev_docs, ["ORG"], 0.3)
    assert selection(rows, 0.3)["weights"] == {}  # uniform: every function weighs 1
    weights = selection(rows, 0.3, weighting="precision")["weights"]
    assert set(weights) == {"good_lf", "bad_lf", "silent_lf"}
    assert weights["good_lf"] > 1 > weights["bad_lf"] > 0
    # silent_lf has no precision to weigh it by: never trusted over the functions with evidence
    assert weights["silent_lf"] == weights["bad_lf"]
    p = [dict(r, precision=0.8, spans=5, status="kept") for r in rows if r["function"] == "good_lf"]
    assert lf_scores.function_weights(p, "precision") == {"good_lf": pytest.approx(1.0)}  # 0.8 weighs 1
    with pytest.raises(ValueError, match="uniform, precision"):
        lf_scores.function_weights(rows, "learned")


def test_no_evidence_weight(dev_docs):
    rows = score_functions(dev_docs, ["ORG"], 0.5)
    assert selection(rows, 0.5)["weights"] == {}  # uniform and "min": all weigh 1
    sel = selection(rows, 0.5, weighting="precision", no_evidence_weight=0.25)
    assert sel["weights"]["silent_lf"] == 0.25 and sel["kept"]["silent_lf"] == []
    sel = selection(rows, 0.5, weighting="precision", no_evidence_weight=0.0)
    assert "silent_lf" not in sel["kept"] and "silent_lf" not in sel["weights"]  # 0: it does not vote
    assert sel["no_dev_evidence"] == ["silent_lf"]  # still flagged
    assert lf_scores.parse_no_evidence_weight("min") is None and lf_scores.parse_no_evidence_weight("0.5") == 0.5
    for bad in ("-1", "lots", "nan"):
        with pytest.raises(ValueError, match="min or a number >= 0"):
            lf_scores.parse_no_evidence_weight(bad)


def test_no_functions_is_an_error(make_doc):
    with pytest.raises(ValueError, match="annotate"):
        score_functions([make_doc("a b", spans={"gold": []})], ["ORG"], 0.5)


def test_cli_writes_csv_markdown_and_selection(tmp_path, dev_docs):
    write_docs(tmp_path / "dev.spacy", dev_docs)
    score_cli.main(tmp_path / "dev.spacy", tmp_path / "out", labels="ORG", min_precision=0.5)
    with open(tmp_path / "out" / "lf_scores.csv") as f:
        table = list(csv.DictReader(f))
    assert {r["function"]: r["status"] for r in table} == {
        "good_lf": "kept",
        "bad_lf": "dropped",
        "silent_lf": "no dev evidence",
    }
    assert "| bad_lf | ORG | 0.333 |" in (tmp_path / "out" / "lf_scores.md").read_text()
    assert json.loads((tmp_path / "out" / "lf_selection.json").read_text())["min_precision"] == 0.5
    score_cli.main(tmp_path / "dev.spacy", tmp_path / "out", labels="ORG", min_precision=0.5, weights="precision")
    sel = json.loads((tmp_path / "out" / "lf_selection.json").read_text())
    assert sel["weighting"] == "precision" and sel["weights"]["good_lf"] > 1
    with open(tmp_path / "out" / "lf_scores.csv") as f:
        weights = {r["function"]: r["weight"] for r in csv.DictReader(f)}
    assert float(weights["good_lf"]) == pytest.approx(sel["weights"]["good_lf"], abs=1e-3)
    assert weights["bad_lf"] == ""  # dropped: no vote


def test_label_threshold_overrides_the_default(dev_docs):
    rows = by_function(score_functions(dev_docs, ["ORG"], min_precision=0.5, label_min_precision={"ORG": 0.3}))
    assert rows["bad_lf"]["status"] == "kept"
    rows = by_function(score_functions(dev_docs, ["ORG"], min_precision=0.3, label_min_precision={"PER": 0.9}))
    assert rows["bad_lf"]["status"] == "kept"  # a threshold for another label changes nothing here
    rows = by_function(score_functions(dev_docs, ["ORG"], min_precision=0.3, label_min_precision={"ORG": 0.5}))
    assert rows["bad_lf"]["status"] == "dropped"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("", {}),
        ("ORG:0.6", {"ORG": 0.6}),
        ("ORG:0.6, MISC:0.75", {"ORG": 0.6, "MISC": 0.75}),
    ],
)
def test_parse_label_thresholds(text, expected):
    assert lf_scores.parse_label_thresholds(text) == expected


@pytest.mark.parametrize("text", ["ORG", "ORG:high", "ORG:1.5", ":0.5x"])
def test_parse_label_thresholds_rejects(text):
    with pytest.raises(ValueError):
        lf_scores.parse_label_thresholds(text)


def test_cli_label_threshold(tmp_path, dev_docs):
    write_docs(tmp_path / "dev.spacy", dev_docs)
    score_cli.main(
        tmp_path / "dev.spacy", tmp_path / "out", labels="ORG", min_precision=0.5, label_min_precision="ORG:0.3"
    )
    sel = json.loads((tmp_path / "out" / "lf_selection.json").read_text())
    assert sel["kept"]["bad_lf"] == ["ORG"] and sel["label_min_precision"] == {"ORG": 0.3}
    assert "ORG under 0.3" in (tmp_path / "out" / "lf_scores.md").read_text()


def test_cli_ignores_a_threshold_for_a_label_not_scored(tmp_path, dev_docs):
    write_docs(tmp_path / "dev.spacy", dev_docs)
    score_cli.main(
        tmp_path / "dev.spacy", tmp_path / "out", labels="ORG", min_precision=0.5, label_min_precision="PER:0.1"
    )
    sel = json.loads((tmp_path / "out" / "lf_selection.json").read_text())
    assert sel["label_min_precision"] == {} and "bad_lf" in sel["dropped"]


def test_span_scores_are_spacys_ner_scores(vocab):
    """score_spans (the votes' spans against gold's, on the same tokens) gives score_ents's figures exactly:
    spaCy's get_ner_prf over copies with the spans as doc.ents. Empty docs, docs without gold, a label
    outside the project's (it counts in the micro figures, as in spaCy), and nothing found at all."""
    import random

    from spacy.tokens import Doc, Span

    from scripts.corpus.docbin import copy_with_ents
    from scripts.corpus.gold import gold_docs, gold_spans, score_ents, score_spans
    from scripts.corpus.labels import GOLD

    labels = ["ORG", "PER", "LOC"]
    rng = random.Random(3)

    def spans(n, pool):
        out, k = [], 0
        while k < n:
            length = rng.randint(1, 3)
            if rng.random() < 0.35 and k + length <= n:
                out.append((k, k + length, rng.choice(pool)))
            k += length + rng.randint(0, 1)
        return out

    docs, pred = [], []
    for _ in range(200):
        doc = Doc(vocab, words=[f"w{j}" for j in range(rng.choice([0, 1, 3, 8, 20]))])
        doc.spans[GOLD] = [Span(doc, s, e, label=lab) for s, e, lab in spans(len(doc), labels + ["MISC"])]
        truth = [(s.start, s.end, s.label_) for s in doc.spans[GOLD]]
        guess = [t for t in truth if rng.random() < 0.7] if rng.random() < 0.5 else spans(len(doc), labels + ["DATE"])
        docs.append(doc)
        pred.append(sorted(guess))
    expected = score_ents([copy_with_ents(d, p) for d, p in zip(docs, pred)], gold_docs(docs, labels), labels)
    found = score_spans(pred, gold_spans(docs, labels), labels)
    interval = {k: expected.pop(k) for k in ("f_95", "interval_over")}
    assert found == expected
    assert interval["f_95"][0] < expected["f"] < interval["f_95"][1]
    assert 0 < found["p"] < 1 and 0 < found["r"] < 1
    empty = [Doc(vocab, words=["a", "b"]) for _ in range(3)]
    for d in empty:
        d.spans[GOLD] = []
    nothing = score_ents([copy_with_ents(d, []) for d in empty], gold_docs(empty, labels), labels)
    assert nothing.pop("interval_over") == "3 sentences" and nothing.pop("f_95") == [0.0, 0.0]
    assert score_spans([[]] * 3, gold_spans(empty, labels), labels) == nothing


def test_per_sentence_counts_add_up_to_spacys_scores(vocab):
    """`ner_counts` (what the bootstrap resamples) sums to the P and R of spaCy's scorer, sentences set or not."""
    from spacy.tokens import Doc, Span
    from spacy.training import Example

    from scripts.corpus.gold import ner_counts, score_ents

    def doc(ents, starts=None):
        d = Doc(vocab, words=[f"w{i}" for i in range(12)], sent_starts=starts)
        d.ents = [Span(d, s, e, label=lab) for s, e, lab in ents]
        return d

    starts = [True] + [False] * 5 + [True] + [False] * 5
    gold = [doc([(0, 2, "ORG"), (7, 8, "PER")], starts), doc([(3, 4, "LOC")])]
    pred = [doc([(0, 2, "ORG"), (7, 9, "PER"), (10, 11, "LOC")]), doc([])]
    rows = [ner_counts(Example(p, g)) for p, g in zip(pred, gold)]
    assert rows[0] == [(1, 0, 0), (0, 2, 1)] and rows[1] == [(0, 0, 1)]  # two sentences, then one
    tp, fp, fn = (sum(r[k] for doc_rows in rows for r in doc_rows) for k in range(3))
    scores = score_ents(pred, gold, ["ORG", "PER", "LOC"])
    assert (scores["p"], scores["r"]) == (tp / (tp + fp), tp / (tp + fn))


def test_the_bootstrap_interval_of_a_known_case():
    """Half the documents right, half wrong: F is the share of right ones in the resample, whose 95% interval
    is about .5 +- 1.96 * sqrt(.25 / n); under MIN_DOCUMENTS documents the sentences are resampled."""
    import math

    from scripts.corpus.gold import MIN_DOCUMENTS, with_interval

    n = 40
    docs = [[(1, 0, 0)] if i % 2 else [(0, 1, 1)] for i in range(n)]
    out = with_interval({"f": 0.5}, docs)
    half = 1.96 * math.sqrt(0.25 / n)
    assert out["interval_over"] == f"{n} documents"
    assert abs(out["f_95"][0] - (0.5 - half)) < 0.04 and abs(out["f_95"][1] - (0.5 + half)) < 0.04
    assert with_interval({"f": 1.0}, [[(1, 0, 0)]] * n)["f_95"] == [1.0, 1.0]
    few = [[(1, 0, 0), (0, 1, 1), (1, 0, 0)]] * (MIN_DOCUMENTS - 1)
    assert with_interval({"f": 0.8}, few)["interval_over"] == f"{3 * (MIN_DOCUMENTS - 1)} sentences"


def test_few_tokens_give_a_wide_precision_interval_and_the_table_says_it_holds_the_threshold(tmp_path, dev_docs):
    """good_lf is right on its 6 tokens: precision 1, but its Wilson interval reaches under .7, so its keep
    could go the other way; bad_lf (2 of 6 tokens right) is dropped under .8 with an interval below it."""
    from scripts.labelmodel.lf_scores import uncertain, write_scores
    from scripts.util.stats import wilson

    rows = by_function(score_functions(dev_docs, ["ORG"], min_precision=0.7))
    assert rows["good_lf"]["precision_95"] == wilson(6, 6) and wilson(6, 6)[0] < 0.7
    assert uncertain(rows["good_lf"]) and not uncertain(rows["silent_lf"])
    bad = by_function(score_functions(dev_docs, ["ORG"], min_precision=0.8))["bad_lf"]
    assert bad["precision_95"] == wilson(2, 6) and wilson(2, 6)[1] < 0.8 and not uncertain(bad)
    write_scores(list(rows.values()), tmp_path / "s.csv", tmp_path / "s.md", 0.7)
    md = (tmp_path / "s.md").read_text()
    assert "| good_lf | ORG | 1.000 | 0.61-1.00 |" in md and "kept (95% holds 0.7)" in md
    assert "precision 95%" not in (tmp_path / "s.csv").read_text()  # the CSV keeps its columns
