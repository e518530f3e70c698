"""Score every labelling function on dev against gold with skweak's LFAnalysis, and choose what votes.

Token-level precision, recall and F1 per function and label (skweak `lf_empirical_scores`), plus
coverage, overlaps and conflicts. A (function, label) pair whose dev precision is under
`min_precision` is dropped from aggregation; a function that never fires on dev has no evidence
either way: it is flagged as such and votes with `no_evidence_weight` ("min": the smallest weight of the
functions that have evidence, so it is never trusted over them; 0: it does not vote).
`--label-min-precision ORG:0.6` sets another threshold for one label: the models' ORG votes (dev
precision about 0.6, half of the ORG recall) are worth giving to the HMM, which weighs each source,
while the other labels keep the stricter default.

`--weights precision` also gives each kept function a weight for aggregation (skweak's
`initial_weights`): the log-odds of its dev precision, scaled so that precision 0.8 weighs 1. A
club in a results table (precision 0.99) then outvotes the two spaCy models that call it a place.

A negative function (its spans say "no entity") is scored where it contradicts the kept functions: of
the tokens it covers that a kept function labels, the share that gold marks O is its precision; of the
tokens the kept functions label wrongly (gold O), the share it covers is its recall. A preset's
weights set by hand (`weights:`) replace the estimate: the function is kept on all its labels at that
weight, or left out of the vote with 0, and still scored here.
"""

import math
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from spacy.tokens import Doc

from ..corpus.labels import GOLD, NEGATIVE, NOT_ENTITY, lf_names
from ..util.files import markdown_table, write_text
from ..util.stats import wilson

WEIGHTINGS = ("uniform", "precision")
COLUMNS = [
    "function",
    "label",
    "precision",
    "recall",
    "f1",
    "coverage",
    "overlap",
    "conflict",
    "spans",
    "docs",
    "status",
    "weight",
]


def parse_label_thresholds(text: str) -> Dict[str, float]:
    """ "ORG:0.6,MISC:0.75" -> {"ORG": 0.6, "MISC": 0.75}; "" -> {}."""
    out: Dict[str, float] = {}
    for item in filter(None, (i.strip() for i in (text or "").split(","))):
        label, sep, value = item.partition(":")
        label = label.strip()
        try:
            threshold = float(value)
        except ValueError:
            raise ValueError(f"{item!r} is not LABEL:PRECISION (e.g. ORG:0.6)") from None
        if not sep or not 0.0 <= threshold <= 1.0:
            raise ValueError(f"{item!r} is not LABEL:PRECISION with a precision in [0, 1]")
        out[label] = threshold
    return out


def score_functions(
    docs: Sequence[Doc],
    labels: List[str],
    min_precision: float,
    sources: Optional[Sequence[str]] = None,
    label_min_precision: Optional[Dict[str, float]] = None,
) -> List[Dict]:
    """One row per (labelling function, label) with skweak's scores and the keep/drop decision
    (`label_min_precision` overrides `min_precision` for the labels it names)."""
    from skweak.analysis import LFAnalysis

    thresholds = {label: (label_min_precision or {}).get(label, min_precision) for label in labels}
    sources = list(sources) if sources is not None else lf_names(docs)
    if not sources:
        raise ValueError("no labelling-function span groups in the docs: run `annotate` first")
    with warnings.catch_warnings():
        # scipy's int16 FutureWarning from skweak/analysis.py is noise for users of this step
        warnings.simplefilter("ignore", FutureWarning)
        analysis = LFAnalysis(docs, labels, sources=sources)
        scores = analysis.lf_empirical_scores(
            docs, gold_span_name=GOLD, gold_labels=labels + ["O"], print_warnings=False
        )
        coverage = analysis.lf_coverages()
        overlap = analysis.lf_overlaps()
        conflict = analysis.lf_conflicts()
    rows = []
    for source in sources:
        by_label: Dict[str, List] = {}
        for doc in docs:
            for span in doc.spans.get(source, []):
                by_label.setdefault(span.label_, []).append(doc)
        if not by_label:
            rows.append(_row(source, "", status="no dev evidence"))
        tokens: Dict[str, int] = {}
        for doc in docs:
            for span in doc.spans.get(source, []):
                tokens[span.label_] = tokens.get(span.label_, 0) + len(span)
        for label in (lab for lab in labels if lab in by_label):
            sc = scores.get(source, {}).get(label, {})
            p, r, f = (float(sc.get(k, 0.0)) for k in ("precision", "recall", "f1"))
            low, high = wilson(round(p * tokens[label]), tokens[label])  # token-level, as the precision
            rows.append(
                _row(
                    source,
                    label,
                    precision=p,
                    recall=r,
                    f1=f,
                    coverage=_cell(coverage, label, source),
                    overlap=_cell(overlap, label, source),
                    conflict=_cell(conflict, label, source),
                    spans=len(by_label[label]),
                    docs=len({id(d) for d in by_label[label]}),
                    status="kept" if p >= thresholds[label] else "dropped",
                    precision_95=(low, high),
                    threshold=thresholds[label],
                )
            )
    return rows


def uncertain(row: Dict) -> bool:
    """Whether the 95% interval of the row's precision holds its threshold: the keep/drop decision could go
    the other way with other dev data."""
    interval, threshold = row.get("precision_95"), row.get("threshold")
    return bool(interval and threshold is not None and interval[0] < threshold <= interval[1])


def _row(function: str, label: str, **values) -> Dict:
    row: Dict[str, Any] = {c: None for c in COLUMNS}
    row.update({"function": function, "label": label, "spans": 0, "docs": 0, **values})
    return row


def _cell(frame, label: str, source: str):
    try:
        return float(frame.loc[label, source])
    except KeyError:
        return None


def function_weights(rows: List[Dict], weighting: str = "uniform") -> Dict[str, float]:
    """Aggregation weights of the kept functions: none (all 1) for "uniform"; for "precision", the log-odds
    of the function's dev precision over its kept labels (span-weighted), divided by that of 0.8."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"unknown weighting {weighting!r}: choose one of {', '.join(WEIGHTINGS)}")
    if weighting == "uniform":
        return {}
    correct: Dict[str, float] = {}
    spans: Dict[str, int] = {}
    for row in rows:
        if row["status"] == "kept" and row["spans"]:
            correct[row["function"]] = correct.get(row["function"], 0.0) + row["precision"] * row["spans"]
            spans[row["function"]] = spans.get(row["function"], 0) + row["spans"]
    return {function: precision_weight(correct[function] / n) for function, n in spans.items()}


def precision_weight(precision: float) -> float:
    """The weight of a dev precision: its log-odds, scaled so that 0.8 weighs 1."""
    p = min(max(precision, 0.55), 0.99)  # kept functions are over 0.5; 1.0 would weigh infinitely
    return round(math.log(p / (1 - p)) / math.log(0.8 / 0.2), 4)


def parse_no_evidence_weight(value: str) -> Optional[float]:
    """ "min" -> None (the smallest weight of the functions with evidence), else a number >= 0."""
    if str(value).strip() == "min":
        return None
    try:
        weight = float(value)
    except ValueError:
        raise ValueError("must be min or a number >= 0 (0: functions with no dev evidence do not vote)") from None
    if not weight >= 0:
        raise ValueError("must be min or a number >= 0 (0: functions with no dev evidence do not vote)")
    return weight


def selection(
    rows: List[Dict],
    min_precision: float,
    label_min_precision: Optional[Dict[str, float]] = None,
    weighting: str = "uniform",
    no_evidence_weight: Optional[float] = None,
) -> Dict:
    """What aggregation uses: per function, the labels it keeps (functions with no dev evidence keep all,
    unless their weight is 0), and the functions' weights (`function_weights`; a function without one
    weighs 1; one with no dev evidence `no_evidence_weight`, None: the smallest weight of the others)."""
    kept: Dict[str, List[str]] = {}
    dropped: Dict[str, Dict[str, float]] = {}
    unscored: List[str] = []
    for row in rows:
        if row["status"] == "kept":
            kept.setdefault(row["function"], []).append(row["label"])
        elif row["status"] == "dropped":
            dropped.setdefault(row["function"], {})[row["label"]] = row["precision"]
        else:
            unscored.append(row["function"])
    weights = function_weights(rows, weighting)
    if unscored:
        scored = [weights.get(f, 1.0) for f in kept]
        unscored_weight = no_evidence_weight if no_evidence_weight is not None else min(scored, default=1.0)
        for function in unscored:
            if unscored_weight > 0:
                kept.setdefault(function, [])  # [] = every label (nothing to judge it by)
                if unscored_weight != 1.0:
                    weights[function] = round(unscored_weight, 4)
    return {
        "min_precision": min_precision,
        "label_min_precision": dict(label_min_precision or {}),
        "kept": kept,
        "dropped": dropped,
        "no_dev_evidence": unscored,
        "no_evidence_weight": "min" if no_evidence_weight is None else no_evidence_weight,
        "weighting": weighting,
        "weights": weights,
    }


def negative_functions(docs: Sequence[Doc]) -> List[str]:
    """The negative functions that ran on the docs (`annotate` records them), sorted."""
    return sorted({name for doc in docs for name in doc.user_data.get(NEGATIVE, ())})


def score_negative(
    docs: Sequence[Doc], negative: Sequence[str], kept: Dict[str, List[str]], min_precision: float
) -> List[Dict]:
    """One row per negative function, scored on the tokens where it contradicts a kept function (see the
    module docstring); "no dev evidence" where it contradicts none."""
    covered = {name: 0 for name in negative}
    contradicted = {name: 0 for name in negative}
    right = {name: 0 for name in negative}
    spans = {name: 0 for name in negative}
    in_docs = {name: 0 for name in negative}
    wrong_total, n_tokens = 0, 0
    for doc in docs:
        n_tokens += len(doc)
        gold = [False] * len(doc)  # tokens in a gold entity
        for span in doc.spans.get(GOLD, []):
            gold[span.start : span.end] = [True] * len(span)
        labelled = [False] * len(doc)  # tokens a kept function labels
        for name, labels in kept.items():
            if name in covered:
                continue
            for span in doc.spans.get(name, []):
                if not labels or span.label_ in labels:
                    labelled[span.start : span.end] = [True] * len(span)
        wrong_total += sum(1 for i in range(len(doc)) if labelled[i] and not gold[i])
        for name in negative:
            group = doc.spans.get(name, [])
            if not len(group):
                continue
            spans[name] += len(group)
            in_docs[name] += 1
            tokens = {i for span in group for i in range(span.start, span.end)}
            covered[name] += len(tokens)
            hits = [i for i in tokens if labelled[i]]
            contradicted[name] += len(hits)
            right[name] += sum(1 for i in hits if not gold[i])
    rows = []
    for name in negative:
        if not contradicted[name]:
            rows.append(_row(name, NOT_ENTITY, spans=spans[name], docs=in_docs[name], status="no dev evidence"))
            continue
        p = right[name] / contradicted[name]
        r = right[name] / wrong_total if wrong_total else 0.0
        rows.append(
            _row(
                name,
                NOT_ENTITY,
                precision=p,
                recall=r,
                f1=2 * p * r / (p + r) if p + r else 0.0,
                coverage=covered[name] / n_tokens if n_tokens else 0.0,
                conflict=contradicted[name] / covered[name] if covered[name] else 0.0,
                spans=spans[name],
                docs=in_docs[name],
                status="kept" if p >= min_precision else "dropped",
            )
        )
    return rows


HAND_KEPT, HAND_OUT = "kept (weight by hand)", "left out (weight 0 by hand)"


def apply_hand_weights(rows: List[Dict], sel: Dict, hand: Dict[str, float]) -> Dict:
    """A preset's weights set by hand over `selection`'s: a function with a weight is kept on every label it
    has at that weight (rows it dropped say so), one with 0 is left out of the vote; its rows stay."""
    if not hand:
        return sel
    for function, weight in hand.items():
        own = [row for row in rows if row["function"] == function]
        sel["kept"].pop(function, None)
        sel["dropped"].pop(function, None)
        sel["weights"].pop(function, None)
        if weight > 0:
            sel["kept"][function] = [row["label"] for row in own if row["label"] and row["label"] != NOT_ENTITY]
            sel["weights"][function] = float(weight)
        for row in own:
            if weight == 0:
                row["status"] = HAND_OUT
            elif row["status"] != "kept":
                row["status"] = HAND_KEPT
    sel["hand_weights"] = {k: float(v) for k, v in hand.items()}
    return sel


def fmt(value) -> str:
    """A table cell: floats with three decimals, None empty."""
    if value is None:
        return ""
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def write_scores(
    rows: List[Dict],
    csv_path: Path,
    md_path: Path,
    min_precision: float,
    label_min_precision: Optional[Dict[str, float]] = None,
    hand: Optional[Dict[str, float]] = None,
) -> None:
    """lf_scores.csv (one row per function and label) and lf_scores.md (the same, sorted, as a table; the
    weights set by hand marked)."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: fmt(v) for k, v in row.items()})
    write_text(csv_path, buf.getvalue())
    ordered = sorted(rows, key=lambda r: (r["label"], -(r["precision"] or -1), r["function"]))
    hand = hand or {}

    def cell(row: Dict, column: str) -> str:
        if column == "precision 95%":
            interval = row.get("precision_95")
            return f"{interval[0]:.2f}-{interval[1]:.2f}" if interval else ""
        if column == "status" and uncertain(row):
            return f"{row['status']} (95% holds {row['threshold']:g})"
        by_hand = column == "weight" and row["function"] in hand and row["weight"] is not None
        return fmt(row[column]) + (" (hand)" if by_hand else "")

    columns = COLUMNS[:3] + ["precision 95%"] + COLUMNS[3:]
    table = markdown_table(columns, [[cell(r, c) for c in columns] for r in ordered])
    overrides = "".join(f", {lab} under {p}" for lab, p in sorted((label_min_precision or {}).items()))
    notes = ""
    if any(r["label"] == NOT_ENTITY for r in rows):
        notes += (
            f"Negative functions (label {NOT_ENTITY}) are scored where they contradict a kept function: "
            "precision is the share of those tokens that gold marks O, recall the share of the kept functions' "
            "wrong tokens they cover; they vote O there and abstain elsewhere.\n\n"
        )
    if hand:
        notes += (
            "Weights marked (hand) are the preset's (`weights:`), not estimated on dev; 0 leaves a function out "
            "of the vote. With the HMM, skweak's redundancy scaling still applies to them: per label, a function "
            "weighs e^(-0.1 r) times its weight, r the summed share of its votes that the others of its family "
            "(names equal but for _cased/_uncased, or one a prefix or suffix of the other) repeat.\n\n"
        )
    write_text(
        md_path,
        f"# Labelling functions on dev (token level, skweak LFAnalysis)\n\n"
        f"Pairs under min_precision={min_precision}{overrides} are dropped from aggregation; "
        f"the others vote with the function's weight. Precision is per token; its 95% interval (Wilson's, "
        "over the tokens the function labels) is wide where it labels few; a status says where the interval "
        f"holds the threshold, so that other dev data could have decided otherwise.\n\n{notes}{table}",
    )
