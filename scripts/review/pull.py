"""Pull: read the records people answered back into the reviewed set (`corpus/reviewed.spacy`).

A review is attached to the text that was reviewed: each pulled review is a Doc of that sentence with
``doc.ents`` set from the reviewer's spans (discarded: no ents) and in ``user_data`` its ``split``,
``index``, ``doc_id``, ``text_sha1``, ``review_status`` (submitted or discarded), ``review_user_id``,
``review_updated_at``, ``review_dataset`` and ``review_record_id``. Drafts and pending records are left out.

A pull merges into what was pulled before, one review per (split, text): a newer response wins, and a
review the server no longer has (a fresh server, a deleted dataset, a reset record) is kept. The set
never shrinks unless `replace` is asked for, and the previous file is copied to a backup before it
changes. A review whose text is in none of the given corpora (edited or deleted upstream) is kept,
counted, and not applied by `aggregate`.
"""

import shutil
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from spacy.tokens import Doc, DocBin
from spacy.util import filter_spans
from spacy.vocab import Vocab

from ..corpus.docbin import load_docbin, reviewed_text_sha1, sha1_of_text, text_sha1
from ..util.files import atomic_path
from .client import DEFAULT_WORKSPACE, connect, get_dataset, resolve_api, server_errors
from .records import MAIN_QUESTION, ReviewError, read_corpus

# When several people answered a record: submitted wins over discarded over draft, then the newest.
STATUS_RANK = {"draft": 0, "discarded": 1, "submitted": 2}
PAGE = 1000  # the server's largest page of GET /datasets/{id}/records
BACKUPS = "reviewed_backups"

Key = Tuple[str, str]  # (split, text sha1): what a review is about


@dataclass
class PullResult:
    """What a pull did: counts (statuses on the server, new/updated/kept reviews, written...) and the backup
    of the previous file, if it changed."""

    counts: Dict[str, int]
    backup: Optional[Path] = None


def server_records(client, dataset) -> Iterator[Dict[str, Any]]:
    """Every record of the dataset with its responses (Argilla 2.x REST; the SDK drops their timestamps)."""
    offset = 0
    while True:
        response = client.http_client.get(
            f"/api/v1/datasets/{dataset.id}/records", params={"include": "responses", "offset": offset, "limit": PAGE}
        )
        response.raise_for_status()
        items = response.json()["items"]
        yield from items
        if len(items) < PAGE:
            return
        offset += PAGE


def best_response(responses: Sequence[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The response that counts: the highest status, then the newest."""
    if not responses:
        return None
    return max(responses, key=lambda r: (STATUS_RANK.get(r["status"], -1), r.get("updated_at") or ""))


def review_of(record: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The review of one REST record, or None when nobody answered it."""
    response = best_response(record.get("responses") or [])
    if response is None:
        return None
    metadata = record.get("metadata") or {}
    values = response.get("values") or {}
    spans = (values.get(MAIN_QUESTION) or {}).get("value") or []
    return {
        "record_id": record.get("external_id") or str(record["id"]),
        "text": record["fields"]["text"],
        "split": str(metadata.get("split", "")),
        "index": metadata.get("sentence"),
        "doc_id": metadata.get("doc_id"),
        "status": response["status"],
        "spans": spans if response["status"] == "submitted" else [],
        "user_id": str(response.get("user_id")),
        "updated_at": response.get("updated_at") or "",
        "metadata": metadata,
    }


def doc_with_reviewed_spans(doc: Doc, spans: Sequence[Dict[str, Any]], labels: Sequence[str]) -> Tuple[Doc, int]:
    """A copy of doc's words with ents from the reviewer's char spans (no span groups); returns (doc, n_dropped)."""
    new = Doc(doc.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc])
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


def review_doc(
    review: Dict[str, Any], corpus_doc: Optional[Doc], vocab: Vocab, labels: Sequence[str], dataset: str
) -> Tuple[Doc, int]:
    """The Doc of a review: the corpus sentence with the same text (its words and ids), or, when the corpus
    no longer has that text, the reviewed text itself (words split on spaces, as the record shows them)."""
    if corpus_doc is not None:
        base = corpus_doc
        user_data = {k: corpus_doc.user_data[k] for k in ("split", "index", "doc_id") if k in corpus_doc.user_data}
    else:
        base = Doc(vocab, words=review["text"].split(" "))
        user_data = {"split": review["split"], "index": review["index"], "doc_id": review["doc_id"]}
    doc, dropped = doc_with_reviewed_spans(base, review["spans"], labels)
    doc.user_data = {**user_data, "text_sha1": text_sha1(doc), **provenance(review, dataset)}
    return doc, dropped


def provenance(review: Dict[str, Any], dataset: str) -> Dict[str, Any]:
    """What a pulled answer keeps of where it came from: its status, who answered and when, the record."""
    return {
        "review_status": review["status"],
        "review_user_id": review["user_id"],
        "review_updated_at": review["updated_at"],
        "review_dataset": dataset,
        "review_record_id": review["record_id"],
    }


def server_counts(counts: Dict[str, int]) -> str:
    """The answers' statuses on the server, as the pull commands print them."""
    return (
        f"On the server: submitted {counts.get('submitted', 0)} · discarded {counts.get('discarded', 0)} · "
        f"draft {counts.get('draft', 0)} (ignored) · pending {counts.get('pending', 0)}"
    )


def review_key(doc: Doc) -> Key:
    return (str(doc.user_data.get("split")), reviewed_text_sha1(doc))


def newer(a: Doc, b: Doc) -> bool:
    """Whether review a was answered after review b (a review without a time is the oldest)."""
    return parse_time(a.user_data.get("review_updated_at")) > parse_time(b.user_data.get("review_updated_at"))


def parse_time(value: Optional[str]) -> datetime:
    if not value:
        return datetime.min.replace(tzinfo=timezone.utc)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def merge_reviews(
    previous: Sequence[Doc], pulled: Sequence[Doc], counts: Counter, key_of: Callable[[Doc], Tuple] = review_key
) -> List[Doc]:
    """One review per key (split and text): the newer of the previous and the pulled one; none is dropped."""
    merged: Dict[Tuple, Doc] = {key_of(d): d for d in previous}
    for doc in pulled:
        key = key_of(doc)
        old = merged.get(key)
        if old is None:
            counts["new"] += 1
        elif newer(doc, old) or doc.user_data.get("review_updated_at") == old.user_data.get("review_updated_at"):
            counts["updated" if doc_state(doc) != doc_state(old) else "unchanged"] += 1
        else:
            counts["older_than_before"] += 1  # e.g. another server with an older answer: the previous one stays
            continue
        merged[key] = doc
    counts["kept_from_before"] = len(merged.keys() - {key_of(d) for d in pulled})
    return sorted(merged.values(), key=lambda d: (str(d.user_data.get("split")), d.user_data.get("index") or 0))


def doc_state(doc: Doc) -> Tuple:
    return (doc.user_data.get("review_status"), [(e.start_char, e.end_char, e.label_) for e in doc.ents])


def read_previous(path: Path, vocab: Vocab) -> List[Doc]:
    """The reviews pulled before (none if the file does not exist)."""
    return list(load_docbin(path).get_docs(vocab)) if Path(path).exists() else []


def backup(path: Path) -> Optional[Path]:
    """Copy the reviewed set to `reviewed_backups/NAME.TIMESTAMP.spacy` beside it, before it changes."""
    if not Path(path).exists():
        return None
    folder = Path(path).parent / BACKUPS
    folder.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    target = folder / f"{Path(path).stem}.{stamp}.spacy"
    n = 1
    while target.exists():
        target = folder / f"{Path(path).stem}.{stamp}-{n}.spacy"
        n += 1
    with atomic_path(target) as tmp:
        shutil.copyfile(path, tmp)
    return target


def server_reviews(
    dataset_name: str,
    workspace: str,
    api_url: Optional[str] = None,
    api_key: Optional[str] = None,
    push_hint: str = "push first (review-push) or pass --dataset",
    check: Optional[Callable[[Any], None]] = None,
) -> Tuple[List[Dict[str, Any]], Counter]:
    """The reviews of a dataset (`review_of` each answered record) and the count of each status (and total);
    `check` is called with the dataset before any record is read (it raises on a dataset of another kind)."""
    url, _ = resolve_api(api_url, api_key)
    client = connect(api_url, api_key)
    statuses: Counter = Counter()
    reviews = []
    try:
        with server_errors(url):
            dataset = get_dataset(client, dataset_name, workspace)
            if dataset is None:
                raise ReviewError(
                    f"Dataset '{dataset_name}' not found in workspace '{workspace}' on {url} (reviews pulled "
                    f"before are unchanged): {push_hint}"
                )
            if check is not None:
                check(dataset)
            for record in server_records(client, dataset):
                statuses["total"] += 1
                review = review_of(record)
                statuses[review["status"] if review else "pending"] += 1
                if review is not None and review["status"] != "draft":
                    reviews.append(review)
    finally:
        client.http_client.close()
    return reviews, statuses


def pull(
    corpora: Sequence[Path],
    output: Path,
    *,
    dataset_name: str,
    labels: Sequence[str],
    workspace: str = DEFAULT_WORKSPACE,
    replace: bool = False,
    api_url: Optional[str] = None,
    api_key: Optional[str] = None,
) -> "PullResult":
    """Merge the dataset's submitted and discarded reviews into `output` (or, with `replace`, write only
    them); the corpora give each review its sentence."""
    import spacy

    vocab = spacy.blank("en").vocab
    previous = read_previous(output, vocab)  # first: a damaged file stops the pull before anything else
    by_text: Dict[Key, Doc] = {}
    for path in corpora:
        for doc in read_corpus(path, vocab):
            by_text.setdefault((str(doc.user_data.get("split")), text_sha1(doc)), doc)
    reviews, counts = server_reviews(dataset_name, workspace, api_url, api_key)
    pulled = []
    for review in reviews:
        key = (review["split"], sha1_of_text(review["text"]))
        doc, dropped = review_doc(review, by_text.get(key), vocab, labels, dataset_name)
        counts["spans_dropped"] += dropped
        pulled.append(doc)
    out = merge_reviews([] if replace else previous, pulled, counts)
    counts["not_in_corpus"] = sum(1 for d in out if review_key(d) not in by_text)
    counts["before"], counts["written"] = len(previous), len(out)
    return PullResult(dict(counts), save_reviews(output, out, bool(previous)))


def save_reviews(output: Path, docs: Sequence[Doc], had_reviews: bool) -> Optional[Path]:
    """Write the reviews atomically, the previous file backed up first when it held any and changes;
    returns the backup."""
    data = DocBin(store_user_data=True, docs=docs).to_bytes()
    if Path(output).exists() and Path(output).read_bytes() == data:
        return None
    saved = backup(output) if had_reviews else None
    with atomic_path(Path(output)) as tmp:
        tmp.write_bytes(data)
    return saved
