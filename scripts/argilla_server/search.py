"""The in-process search engine's logic, as pure functions over its index documents (no server needed).

An index document is what `engine` keeps per record, like Elasticsearch's source::

    {"id", "external_id", "fields": {name: text}, "status", "inserted_at", "updated_at",
     "metadata": {name: value}, "responses": [{"id", "status", "user_id", "values": {question: value}}],
     "suggestions": {question: {"type", "agent", "score", "value"}}, "vectors": {settings id: [float]}}

Standard library only: this module runs in the server venv and is tested in the project's.
"""

import math
import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple
from uuid import UUID

Document = Dict[str, Any]
WORD = re.compile(r"\w+", re.UNICODE)


def as_list(value) -> list:
    """None -> [], a list or tuple -> a list, anything else -> [it]."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def plain(value):
    """Enum members and UUIDs as plain strings, for comparisons."""
    if isinstance(value, UUID):
        return str(value)
    if hasattr(value, "value") and not isinstance(value, (int, float, str)):
        return value.value
    return value


def words(text: str) -> List[str]:
    """The lower-cased words of a text."""
    return [w.lower() for w in WORD.findall(text)]


def text_match(doc: Document, query: str, field: Optional[str] = None) -> bool:
    """Every word of `query` is a word of the field `field` (or of any field); an empty query matches."""
    wanted = words(query)
    if not wanted:
        return True
    texts = [doc["fields"].get(field)] if field else list(doc["fields"].values())
    haystack = set()
    for text in texts:
        if text is not None:
            haystack.update(words(text if isinstance(text, str) else str(text)))
    return all(w in haystack for w in wanted)


def terms_match(values: Iterable, wanted: Iterable) -> bool:
    """Some value is one of the wanted terms (compared as strings)."""
    terms = {str(plain(v)) for v in wanted}
    return any(str(plain(v)) in terms for v in values)


def range_match(values: Iterable, ge=None, le=None) -> bool:
    """Some number (not a bool) lies in [ge, le] (an open end when None)."""
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if ge is not None and v < ge:
            continue
        if le is not None and v > le:
            continue
        return True
    return False


def responses_of(doc: Document, user_id: Optional[str] = None) -> List[dict]:
    """The responses of a document, only those of `user_id` when given."""
    return [r for r in doc["responses"] if user_id is None or r["user_id"] == user_id]


def status_match(responses: Sequence[dict], statuses: Iterable[str], pending: str = "pending") -> bool:
    """A response has one of `statuses`, or there is none and `pending` is wanted."""
    wanted = {str(plain(s)) for s in statuses}
    if pending in wanted and not responses:
        return True
    return any(r["status"] in wanted for r in responses)


def sort_value(values: Iterable, ascending: bool = True):
    """What a document sorts by: the mean of its numbers, else its smallest (ascending) or largest
    value; None when it has none (such documents sort last)."""
    present = [plain(v) for v in values if v is not None]
    if not present:
        return None
    numbers = [v for v in present if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if numbers:
        return sum(numbers) / len(numbers)
    return min(present) if ascending else max(present)


def sort_docs(docs: Sequence[Document], keys: Sequence[Tuple[Callable[[Document], Any], bool]]) -> List[Document]:
    """Documents sorted by several keys, the first most significant: each key is (value of a document,
    descending). Stable sorts from the last key to the first; documents without a value go last."""
    out = list(docs)
    for value_of, descending in reversed(keys):
        present = [(value_of(d), d) for d in out]
        with_value = [p for p in present if p[0] is not None]
        without = [p[1] for p in present if p[0] is None]
        try:
            with_value.sort(key=lambda p: p[0], reverse=descending)
        except TypeError:  # values of mixed types: compare them as strings
            with_value.sort(key=lambda p: str(p[0]), reverse=descending)
        out = [p[1] for p in with_value] + without
    return out


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors (0 if either is zero)."""
    dot = sum(x * y for x, y in zip(a, b))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def most_similar(
    docs: Iterable[Document],
    key: str,
    value: Sequence[float],
    exclude: Optional[str] = None,
    least: bool = False,
    max_results: int = 100,
    threshold: Optional[float] = None,
) -> List[Tuple[float, Document]]:
    """(score, document) of the documents with a vector `key`, most similar to `value` first (least
    similar first with `least`); score is (1 + cosine) / 2, in [0, 1]. At most `max_results`, then
    those under `threshold` dropped; the document `exclude` (the query's own record) is left out."""
    scored = []
    for doc in docs:
        vec = doc["vectors"].get(key)
        if vec is None or doc["id"] == exclude:
            continue
        sim = cosine(value, vec)
        scored.append(((1.0 + (-sim if least else sim)) / 2.0, doc))
    scored.sort(key=lambda p: p[0], reverse=True)
    scored = scored[:max_results]
    if threshold is not None:
        scored = [p for p in scored if p[0] >= threshold]
    return scored


def status_counts(statuses: Iterable[str]) -> Dict[str, int]:
    """{"total": n, status: count, ...} (a dataset's or a user's progress)."""
    counts: Dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return {"total": sum(counts.values()), **counts}


def terms_counts(values: Iterable) -> Tuple[int, List[Tuple[str, int]]]:
    """Terms metadata metrics: how many terms in all, and per term in how many documents it is (most
    frequent first, then alphabetical). Each value is one document's term or list of terms."""
    counts: Dict[str, int] = {}
    total = 0
    for value in values:
        terms = [str(t) for t in as_list(value)]
        total += len(terms)
        for term in set(terms):
            counts[term] = counts.get(term, 0) + 1
    return total, sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def number_range(values: Iterable) -> Tuple[Any, Any]:
    """(min, max) of the numbers among the values (each a number or a list), (None, None) if none."""
    numbers = [n for v in values for n in as_list(v) if isinstance(n, (int, float))]
    return (min(numbers), max(numbers)) if numbers else (None, None)
