"""Pull: read the records a person answered back into a DocBin.

For each submitted record, a copy of the input Doc with ``doc.ents`` set from the reviewer's spans;
discarded records are kept with ``user_data["review_status"] = "discarded"`` (or dropped); drafts
and pending records are left out. Returns the counts.
"""

from collections import Counter
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple

from spacy.tokens import Doc, DocBin
from spacy.util import filter_spans

from ..corpus.files import atomic_path
from ..project import var
from .client import DEFAULT_WORKSPACE, argilla_sdk, connect, get_dataset, resolve_api, server_errors
from .records import DEFAULT_LABELS, MAIN_QUESTION, ReviewError, read_corpus, record_id, sort_key


def fetch_reviews(dataset) -> Dict[str, Dict[str, Any]]:
    """record id -> {"status", "spans", "user_id"} for every record with a response.

    One query per status, because a discarded (or draft) response may carry no
    values at all, and the SDK then shows no response object for it. When
    several people answered, submitted wins over discarded over draft.
    """
    rg = argilla_sdk()
    reviews: Dict[str, Dict[str, Any]] = {}
    for status in ("draft", "discarded", "submitted"):
        query = rg.Query(filter=rg.Filter([("response.status", "==", status)]))
        for record in dataset.records(query=query, with_responses=True, with_suggestions=False):
            responses = [r for r in record.responses if str(getattr(r.status, "value", r.status)) == status]
            entry = {"status": status, "spans": None, "user_id": None}
            if responses:
                entry["user_id"] = str(responses[0].user_id)
            if status == "submitted":
                # The main question is required, so a submitted response has it;
                # treat a missing one as "no entities".
                main = [r for r in responses if r.question_name == MAIN_QUESTION]
                entry["spans"] = list(main[0].value or []) if main else []
                if main:
                    entry["user_id"] = str(main[0].user_id)
            reviews[record.id] = entry
    return reviews


def doc_with_reviewed_spans(doc: Doc, spans: Sequence[Dict[str, Any]], labels: Sequence[str]) -> Tuple[Doc, int]:
    """A copy of doc with ents from the reviewer's char spans; returns (doc, n_dropped)."""
    new = doc.copy()
    ents = []
    dropped = 0
    for s in spans:
        if s.get("label") not in labels:
            dropped += 1
            continue
        span = new.char_span(int(s["start"]), int(s["end"]), label=s["label"], alignment_mode="expand")
        if span is None:
            dropped += 1
            continue
        ents.append(span)
    kept = filter_spans(ents)
    dropped += len(ents) - len(kept)
    new.set_ents(sorted(kept, key=lambda s: s.start), default="outside")
    return new, dropped


def server_reviews(
    dataset_name: str, workspace: str, api_url: Optional[str] = None, api_key: Optional[str] = None
) -> Tuple[Dict[str, Dict[str, Any]], int]:
    """The reviews of a dataset (`fetch_reviews`) and how many records it has in all."""
    url, _ = resolve_api(api_url, api_key)
    client = connect(api_url, api_key)
    try:
        with server_errors(url):
            dataset = get_dataset(client, dataset_name, workspace)
            if dataset is None:
                raise ReviewError(
                    f"Dataset '{dataset_name}' not found in workspace '{workspace}': "
                    "run `python -m scripts.review push` first or pass --dataset"
                )
            reviews = fetch_reviews(dataset)
            total = sum(1 for _ in dataset.records(with_responses=False, with_suggestions=False))
    finally:
        client.http_client.close()
    return reviews, total


def reviewed_docs(
    reviews: Dict[str, Dict[str, Any]],
    by_id: Dict[str, Doc],
    labels: Sequence[str],
    keep_discarded: bool,
    dataset_name: str,
    counts: Counter,
) -> DocBin:
    """The pushed docs that a person submitted (their spans as ents) or discarded, in corpus order,
    marked with the review's status, user and dataset; `counts` counts what happened."""
    out = DocBin(store_user_data=True)
    for rid in sorted(reviews, key=sort_key):
        review = reviews[rid]
        status = review["status"]
        counts[status] += 1
        if status not in ("submitted", "discarded"):
            continue
        doc = by_id.get(rid)
        if doc is None:
            counts["missing_from_corpus"] += 1
            continue
        if status == "submitted":
            new, dropped = doc_with_reviewed_spans(doc, review["spans"] or [], labels)
            counts["spans_dropped"] += dropped
        else:
            if not keep_discarded:
                continue
            new = doc.copy()
        new.user_data = dict(doc.user_data)
        new.user_data["review_status"] = status
        new.user_data["review_user_id"] = review["user_id"]
        new.user_data["review_dataset"] = dataset_name
        out.add(new)
        counts["written"] += 1
    return out


def pull(
    corpora: Sequence[Path],
    output: Path,
    dataset_name: str = var("argilla_dataset"),
    workspace: str = DEFAULT_WORKSPACE,
    labels: Sequence[str] = DEFAULT_LABELS,
    keep_discarded: bool = True,
    api_url: Optional[str] = None,
    api_key: Optional[str] = None,
) -> Dict[str, int]:
    """Write submitted (and discarded) reviews of the docs of `corpora` to a DocBin; returns counts."""
    import spacy

    vocab = spacy.blank("en").vocab
    by_id: Dict[str, Doc] = {}
    for path in corpora:
        for doc in read_corpus(path, vocab):
            by_id[record_id(doc)] = doc
    reviews, total = server_reviews(dataset_name, workspace, api_url, api_key)
    counts: Counter = Counter()
    out = reviewed_docs(reviews, by_id, labels, keep_discarded, dataset_name, counts)
    counts["pending"] = total - sum(counts[s] for s in ("submitted", "discarded", "draft"))
    counts["total"] = total
    with atomic_path(Path(output)) as tmp:
        out.to_disk(tmp)
    return dict(counts)
