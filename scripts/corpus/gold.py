"""Gold entities and entity-level scores against them (spaCy's NER scorer), for every system scored."""

from collections import defaultdict
from typing import Dict, Iterable, List, Sequence, Set, Tuple, Union

from spacy.tokens import Doc, Span
from spacy.training import Example

from .articles import document_groups
from .docbin import copy_with_ents
from .labels import GOLD, SpanTuple


def gold_labels(docs: Iterable[Doc]) -> Set[str]:
    """The labels of the docs' gold spans."""
    return {span.label_ for doc in docs for span in doc.spans.get(GOLD, [])}


def gold_docs(docs: Sequence[Doc], labels: List[str]) -> List[Doc]:
    """Copies of `docs` whose ents are the gold spans of `labels`."""
    return [copy_with_ents(d, [(s.start, s.end, s.label_) for s in d.spans[GOLD] if s.label_ in labels]) for d in docs]


def score_ents(pred: Sequence[Doc], gold: Sequence[Doc], labels: List[str]) -> Dict:
    """Entity-level P/R/F (micro over `labels`) and per label, from spaCy's NER scorer; and the 95% bootstrap
    interval of F (`with_interval`)."""
    from spacy.scorer import get_ner_prf

    examples = [Example(p, g) for p, g in zip(pred, gold)]
    return with_interval(_scores(get_ner_prf(examples), labels), [ner_counts(eg) for eg in examples])


def ner_counts(eg: Example) -> List[Tuple[int, int, int]]:
    """(tp, fp, fn) of each sentence of one document, counted as spaCy's `get_ner_prf` counts them (their sums
    are its counts: tests/test_score.py); an entity is in the sentence of its first gold token."""
    import bisect

    if not eg.y.has_annotation("ENT_IOB"):
        return []
    starts = [s.start for s in eg.y.sents] if eg.y.has_annotation("SENT_START") else [0]
    counts = [[0, 0, 0] for _ in starts]

    def sentence(token: int) -> List[int]:
        return counts[max(0, bisect.bisect_right(starts, token) - 1)]

    golds = {(e.label_, e.start, e.end) for e in eg.y.ents}
    align_x2y = eg.alignment.x2y
    for pred_ent in eg.x.ents:
        indices = align_x2y[pred_ent.start : pred_ent.end]
        if len(indices) and all(token.ent_iob != 0 for token in eg.y[indices[0] : indices[-1] + 1]):
            key = (pred_ent.label_, int(indices[0]), int(indices[-1]) + 1)
            if key in golds:
                sentence(key[1])[0] += 1
                golds.remove(key)
            else:
                sentence(key[1])[1] += 1
    for _, start, _ in golds:
        sentence(start)[2] += 1
    return [(tp, fp, fn) for tp, fp, fn in counts]


# Fewer documents than this, and the bootstrap resamples sentences instead (and says so): a dev set of a few
# documents has no spread over documents to speak of.
MIN_DOCUMENTS = 20
BOOTSTRAP_SAMPLES = 1000


def with_interval(scores: Dict, counts: Sequence[Sequence[Tuple[int, int, int]]], seed: int = 0) -> Dict:
    """`scores` with "f_95": the 95% percentile bootstrap interval of micro F, resampling documents (each a
    list of its sentences' (tp, fp, fn)), or sentences where there are fewer than MIN_DOCUMENTS documents;
    "interval_over" says which, and how many."""
    import numpy as np

    documents = [np.asarray(doc, dtype=float).reshape(-1, 3).sum(axis=0) for doc in counts]
    sentences = [row for doc in counts for row in doc]
    over = "documents" if len(documents) >= MIN_DOCUMENTS else "sentences"
    units = np.asarray(documents if over == "documents" else sentences, dtype=float).reshape(-1, 3)
    if not len(units):
        return {**scores, "f_95": [0.0, 0.0], "interval_over": f"0 {over}"}
    rng = np.random.default_rng(seed)
    sums = np.stack([units[rng.integers(0, len(units), len(units))].sum(axis=0) for _ in range(BOOTSTRAP_SAMPLES)])
    tp, fp, fn = sums[:, 0], sums[:, 1], sums[:, 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.nan_to_num(2 * tp / (2 * tp + fp + fn))
    low, high = np.percentile(f, [2.5, 97.5])
    return {**scores, "f_95": [round(float(low), 4), round(float(high), 4)], "interval_over": f"{len(units)} {over}"}


def gold_spans(docs: Sequence[Doc], labels: List[str]) -> List[List[SpanTuple]]:
    """The gold spans of `labels` of each doc, as (start, end, label): `gold_docs` without the Docs."""
    return [[(s.start, s.end, s.label_) for s in d.spans[GOLD] if s.label_ in labels] for d in docs]


def score_spans(pred: Sequence[Sequence[SpanTuple]], gold: Sequence[Sequence[SpanTuple]], labels: List[str]) -> Dict:
    """`score_ents` of predictions made on the gold's own tokens (the votes), from the spans alone: spaCy's
    `get_ner_prf` counted as it counts them, where the alignment is the identity and every gold token is
    annotated, so that no Doc is copied and no Example aligned (the same figures: tests/test_score.py).
    The spans of a doc, predicted or gold, must not overlap, as doc.ents."""
    from spacy.scorer import PRFScore

    per_type: Dict[str, PRFScore] = defaultdict(PRFScore)
    for predicted, expected in zip(pred, gold):
        golds = {(label, start, end) for start, end, label in expected}
        for start, end, label in predicted:
            key = (label, start, end)
            if key in golds:
                per_type[label].tp += 1
                golds.remove(key)
            else:
                per_type[label].fp += 1
        for label, _, _ in golds:
            per_type[label].fn += 1
    totals = PRFScore()
    for prf in per_type.values():
        totals += prf
    if not len(totals):
        return _scores({"ents_p": None, "ents_r": None, "ents_f": None, "ents_per_type": None}, labels)
    by_type = {k: v.to_dict() for k, v in per_type.items()}
    return _scores(
        {"ents_p": totals.precision, "ents_r": totals.recall, "ents_f": totals.fscore, "ents_per_type": by_type}, labels
    )


def span_counts(
    pred: Sequence[Sequence[SpanTuple]], gold: Sequence[Sequence[SpanTuple]], docs: Sequence[Doc]
) -> List[List[Tuple[int, int, int]]]:
    """(tp, fp, fn) of each sentence (`score_spans`' predictions and gold), grouped by the document of `docs`
    (the sentences' Docs, in order): what `with_interval` resamples."""
    out = []
    for ids in document_groups(docs):
        rows = []
        for i in ids:
            golds = {(label, start, end) for start, end, label in gold[i]}
            tp = sum(1 for start, end, label in pred[i] if (label, start, end) in golds)
            rows.append((tp, len(pred[i]) - tp, len(golds) - tp))
        out.append(rows)
    return out


def _scores(s: Dict, labels: List[str]) -> Dict:
    """get_ner_prf's output as the project reports it: micro P/R/F, and P/R/F of each of `labels`."""
    per_type = s.get("ents_per_type") or {}
    return {
        "p": float(s["ents_p"] or 0.0),
        "r": float(s["ents_r"] or 0.0),
        "f": float(s["ents_f"] or 0.0),
        "per_type": {lab: {k: float(per_type.get(lab, {}).get(k, 0.0)) for k in ("p", "r", "f")} for lab in labels},
    }


def document_doc(sentences: Sequence[Doc], labels: List[str], group: str = GOLD) -> Doc:
    """One Doc of a document's sentence Docs for spaCy's own tools: each sentence on a line of its own (a
    newline token between them, sentence starts set), the spans of `labels` in `group` (gold) as `doc.ents`,
    the ids of the document kept. What `spacy evaluate` reads and `nlp.pipe` gets from a user: the whole text."""
    words: List[str] = []
    spaces: List[bool] = []
    starts: List[Union[bool, int, None]] = []
    ents = []
    for sent in sentences:
        if words:
            spaces[-1] = False
            words.append("\n")
            spaces.append(False)
            starts.append(False)
        offset = len(words)
        words += [t.text for t in sent]
        spaces += [bool(t.whitespace_) for t in sent]
        starts += [True] + [False] * (len(sent) - 1)
        ents += [(offset + s.start, offset + s.end, s.label_) for s in sent.spans.get(group, []) if s.label_ in labels]
    if spaces:
        spaces[-1] = False
    doc = Doc(sentences[0].vocab, words=words, spaces=spaces, sent_starts=starts)
    doc.ents = [Span(doc, s, e, label=lab) for s, e, lab in ents]
    doc.user_data.update({k: sentences[0].user_data[k] for k in ("split", "doc_id") if k in sentences[0].user_data})
    return doc


def document_docs(docs: Sequence[Doc], labels: List[str], group: str = GOLD) -> List[Doc]:
    """`document_doc` of every document of a split's sentence Docs (consecutive, sharing a doc_id)."""
    return [document_doc([docs[i] for i in ids], labels, group) for ids in document_groups(docs)]
