"""Argilla records of the weak labels: one record per sentence (pure functions, no server).

A record of a sentence (one spaCy Doc) has:

* field ``text``: the sentence;
* question ``entities`` (required span question): pre-filled with the aggregate's spans (the HMM
  or the majority vote) as its suggestion; the reviewer corrects it and submits;
* one optional question per labelling function, ``lf_<name>``, each carrying that function's spans
  as its own suggestion (``agent=<name>``): Argilla keeps only one suggestion per question, so this
  is how every function's opinion is shown side by side. With view ``span`` (default) it is a span
  question over its own copy of the sentence (Argilla allows one span question per field); with
  view ``text`` it is a text question ("EU [ORG] · German [MISC]") and one markdown field lists
  the functions that fired: compact when there are many functions;
* question ``gold`` (optional), whose suggestion (``agent="gold"``) holds the gold entities
  where the corpus has them (dev/test);
* metadata ``split``, ``sentence`` (the index), ``doc_id``, ``functions`` (terms: which functions
  fired), ``n_functions`` and ``disagreement`` (integers), so the UI can filter "records where
  function X fired" and sort by disagreement.

Record ids are ``f"{split}-{sha1 of the text}"``: pushing again updates the records in place, a sentence that
appears twice in a split is one record, and a review stays with the text it was made on.
"""

import hashlib
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from ..corpus import docbin
from ..corpus.docbin import text_sha1
from ..corpus.labels import GOLD
from ..util.errors import UserError

MAIN_QUESTION = "entities"
GOLD_QUESTION = "gold"
LF_PREFIX = "lf_"
SUMMARY_FIELD = "functions_fired"
VIEWS = ("span", "text")


class ReviewError(UserError):
    """A review error: one line that says what to do."""


def question_name(function: str) -> str:
    """The question of a labelling function: Argilla names are lowercase letters,
    digits, '_' and '-', so other names ("Corp (end)") get a short hash suffix
    to keep two functions from sharing a question."""
    safe = re.sub(r"[^a-z0-9_-]+", "_", function.lower()).strip("_") or "fn"
    if safe != function:
        safe = f"{safe}_{hashlib.sha1(function.encode('utf8')).hexdigest()[:6]}"
    return LF_PREFIX + safe


def agent_name(function: str) -> str:
    """Argilla agents allow letters, digits, whitespace and -_:./ only."""
    return re.sub(r"[^a-zA-Z0-9\-_:./\s]", "", function).strip() or "labelling-function"


def field_name(question: str) -> str:
    """The text field that a reference span question annotates."""
    return f"{question}_text"


def group_spans(doc: Doc, group: str, labels: Sequence[str]) -> List[Span]:
    if group not in doc.spans:
        return []
    spans = [span for span in doc.spans[group] if span.label_ in labels]
    # Argilla's span question does not allow overlaps: keep the longest spans.
    return sorted(filter_spans(spans), key=lambda s: s.start)


def spans_to_value(spans: Sequence[Span]) -> List[Dict[str, Any]]:
    """spaCy spans -> Argilla span values (character offsets in doc.text)."""
    return [{"start": s.start_char, "end": s.end_char, "label": s.label_} for s in spans]


def span_scores(doc: Doc, group: str, spans: Sequence[Span]) -> Optional[List[float]]:
    """One score per span from skweak's ``attrs["probs"]`` when present."""
    if group not in doc.spans:
        return None
    probs = doc.spans[group].attrs.get("probs")
    if not probs:
        return None
    positions = {(s.start, s.end, s.label_): i for i, s in enumerate(doc.spans[group])}
    scores = []
    for span in spans:
        i = positions.get((span.start, span.end, span.label_))
        entry = probs.get(i) if i is not None else None
        if entry is None:
            entry = probs.get(str(i)) if i is not None else None
        value = entry.get(span.label_) if isinstance(entry, dict) else entry
        if not isinstance(value, (int, float)):
            return None
        scores.append(float(min(max(value, 0.0), 1.0)))
    return scores


def disagreement(doc: Doc, functions: Sequence[str], labels: Sequence[str]) -> int:
    """Tokens on which two or more functions propose different spans or labels."""
    per_token: Dict[int, set] = {}
    covering: Counter = Counter()
    for function in functions:
        for span in group_spans(doc, function, labels):
            for i in range(span.start, span.end):
                per_token.setdefault(i, set()).add((span.start, span.end, span.label_))
                covering[i] += 1
    return sum(1 for i, proposals in per_token.items() if covering[i] >= 2 and len(proposals) > 1)


def record_id(doc: Doc) -> str:
    """`split-<sha1 of the text, 16 hex>`: a record is its text, so a re-push after sentences were inserted
    or deleted upstream updates the same records, and an edited sentence becomes a new record (the old
    one, and any review of it, stays)."""
    return f"{doc.user_data['split']}-{text_sha1(doc)[:16]}"


def spans_to_text(text: str, value: Sequence[Dict[str, Any]]) -> str:
    """Span values as a short line: "EU [ORG] · German [MISC]"."""
    return " · ".join(f"{text[v['start'] : v['end']]} [{v['label']}]" for v in value)


def functions_summary(text: str, proposals: Sequence[Tuple[str, Sequence[Dict[str, Any]]]]) -> str:
    """Markdown list of what each function that fired proposed (text view)."""
    if not proposals:
        return "_No labelling function fired on this sentence._"
    return "\n".join(f"- **{name}**: {spans_to_text(text, value)}" for name, value in proposals)


def suggestion(question: str, value: Any, score: Optional[List[float]], agent: str) -> Dict[str, Any]:
    return {"question_name": question, "value": value, "score": score, "agent": agent}


def record_suggestions(
    doc: Doc, labels: Sequence[str], aggregate: str, fired: Sequence[str], view: str
) -> Tuple[List[Dict[str, Any]], List[Tuple[str, List[Dict[str, Any]]]]]:
    """The suggestions of a record: the aggregate's (main question), each function's that fired, gold's;
    and each fired function's spans as Argilla values (for the text view's summary)."""
    text = doc.text.rstrip()
    out = []
    agg_spans = group_spans(doc, aggregate, labels)
    if agg_spans:
        out.append(
            suggestion(
                MAIN_QUESTION, spans_to_value(agg_spans), span_scores(doc, aggregate, agg_spans), agent_name(aggregate)
            )
        )
    proposals = []
    for function in fired:
        spans = group_spans(doc, function, labels)
        value = spans_to_value(spans)
        proposals.append((function, value))
        if view == "span":
            out.append(
                suggestion(question_name(function), value, span_scores(doc, function, spans), agent_name(function))
            )
        else:
            out.append(suggestion(question_name(function), spans_to_text(text, value), None, agent_name(function)))
    gold = group_spans(doc, GOLD, labels)
    if gold:
        out.append(suggestion(GOLD_QUESTION, spans_to_value(gold), None, "gold"))
    return out, proposals


def record_metadata(doc: Doc, labels: Sequence[str], functions: Sequence[str], fired: Sequence[str]) -> Dict[str, Any]:
    """What the UI filters and sorts by: split, sentence, article, the functions that fired, disagreement."""
    metadata = {
        "split": str(doc.user_data.get("split")),
        "sentence": int(doc.user_data.get("index")),
        "doc_id": int(doc.user_data.get("doc_id", -1)),
        "n_functions": len(fired),
        "disagreement": disagreement(doc, functions, labels),
    }
    if fired:
        metadata["functions"] = list(fired)
    return metadata


def doc_to_record(
    doc: Doc, labels: Sequence[str], aggregate: str, functions: Sequence[str], view: str = "span"
) -> Dict[str, Any]:
    """One Doc -> a plain dict describing the record (converted by `push.to_rg_record`).

    view "span": every function has its own span question (and a copy of the
    sentence to highlight); view "text": every function has a text question
    whose suggestion reads "EU [ORG] · German [MISC]", plus one markdown field
    listing the functions that fired (compact when there are many functions).
    """
    if view not in VIEWS:
        raise ReviewError(f"--function-view must be one of {', '.join(VIEWS)}, not {view!r}")
    text = doc.text.rstrip()
    fired = [f for f in functions if group_spans(doc, f, labels)]
    suggestions, proposals = record_suggestions(doc, labels, aggregate, fired, view)
    # Every span question's field is filled, fired or not: the UI submits a
    # (possibly empty) value for every span question, and the server rejects a
    # span response whose field the record lacks.
    fields = {"text": text, field_name(GOLD_QUESTION): text}
    if view == "span":
        for function in functions:
            fields[field_name(question_name(function))] = text
    else:
        fields[SUMMARY_FIELD] = functions_summary(text, proposals)
    return {
        "id": record_id(doc),
        "fields": fields,
        "metadata": record_metadata(doc, labels, functions, fired),
        "suggestions": suggestions,
    }


def read_corpus(path: Path, vocab=None) -> List[Doc]:
    """The docs of a corpus, or a ReviewError that says to make it first."""
    if not Path(path).exists():
        raise ReviewError(f"Input corpus {path} not found: run the steps that create it first")
    return docbin.read_docs(path, vocab)


def sample_docs(docs: Sequence[Doc], n: int, seed: int) -> List[Doc]:
    """A seeded sample of n docs, in corpus order."""
    if n <= 0 or n >= len(docs):
        return list(docs)
    keep = sorted(random.Random(seed).sample(range(len(docs)), n))
    return [docs[i] for i in keep]


def ids_hash(ids: Iterable[str]) -> str:
    return hashlib.sha1("\n".join(sorted(ids)).encode("utf8")).hexdigest()
