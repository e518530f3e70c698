"""Human review of the weak labels in Argilla 2.x: push documents, pull reviews.

``push`` logs each sentence (one spaCy Doc) as one Argilla record:

* field ``text``: the sentence;
* question ``entities`` (required span question): pre-filled with the
  aggregate's spans (e.g. the majority vote or the HMM) as its suggestion; the
  reviewer corrects it and submits;
* one optional question per labelling function, ``lf_<name>``, each
  carrying that function's spans as its own suggestion (``agent=<name>``):
  Argilla keeps only one suggestion per question, so this is how every
  function's opinion is shown side by side. With ``--function-view span``
  (default) it is a span question over its own copy of the sentence (Argilla
  allows one span question per field); with ``--function-view text`` it is a
  text question ("EU [ORG] · German [MISC]") and one markdown field lists the
  functions that fired: compact when there are many functions;
* question ``gold`` (optional), whose suggestion (``agent="gold"``) holds the
  CoNLL gold entities where the corpus has them (dev/test);
* metadata ``split``, ``sentence`` (the index), ``doc_id``, ``functions`` (terms: which
  functions fired), ``n_functions`` and ``disagreement`` (integers), so the UI
  can filter "records where function X fired" and sort by disagreement.

Record ids are ``f"{split}-{index}"``: pushing again updates the records in
place, and never touches the responses people submitted (the bulk upsert only
adds or replaces what a record carries, and pushed records carry no response).

``pull`` reads the records a person answered back into a DocBin: for each
submitted record, a copy of the input Doc with ``doc.ents`` set from the
reviewer's spans; discarded records are kept with
``user_data["review_status"] = "discarded"`` (or dropped with
``--discarded drop``); drafts and pending records are left out. Counts are
printed.

The server is ``python -m scripts.argilla_serve`` (local) or any Argilla 2.x
deployment given by ``ARGILLA_API_URL`` and ``ARGILLA_API_KEY``.
"""
import contextlib
import hashlib
import os
import random
import re
import warnings
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import typer
from spacy.tokens import Doc, DocBin, Span
from spacy.util import filter_spans
from tqdm import tqdm
from wasabi import color, msg

from . import util
from .atomic import atomic_path, write_json

DEFAULT_API_URL = "http://127.0.0.1:6900"
DEFAULT_API_KEY = "argilla.apikey"  # the local server's default owner key
DEFAULT_WORKSPACE = "argilla"
DEFAULT_DATASET = "conll2003-review"
DEFAULT_LABELS = ("PER", "ORG", "LOC", "MISC")
MAIN_QUESTION = "entities"
GOLD_QUESTION = "gold"
GOLD_GROUP = util.GOLD
AGGREGATES = util.AGGREGATES  # span groups that are never labelling functions
LF_PREFIX = "lf_"
SUMMARY_FIELD = "functions_fired"
VIEWS = ("span", "text")
START_HINT = "start it with `spacy project run argilla-serve` (python -m scripts.argilla_serve) or set ARGILLA_API_URL"

Arg = typer.Argument
Opt = typer.Option


class ReviewError(Exception):
    """An error with a one-line message that says what to do."""


# --------------------------------------------------------------------------
# Pure helpers (no server): spans, records, metadata


def parse_labels(labels: str) -> List[str]:
    out = [label.strip() for label in labels.split(",") if label.strip()]
    if not out:
        raise ReviewError("--labels is empty: pass e.g. --labels PER,ORG,LOC,MISC")
    return out


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


def labelling_functions(docs: Iterable[Doc], aggregate: str) -> List[str]:
    """Every span group except gold and the aggregates, sorted."""
    names = set()
    for doc in docs:
        names.update(doc.spans.keys())
    return sorted(names - {GOLD_GROUP, aggregate, *AGGREGATES})


def _group_spans(doc: Doc, group: str, labels: Sequence[str]) -> List[Span]:
    if group not in doc.spans:
        return []
    spans = [span for span in doc.spans[group] if span.label_ in labels]
    # Argilla's span question does not allow overlaps: keep the longest spans.
    return sorted(filter_spans(spans), key=lambda s: s.start)


def spans_to_value(spans: Sequence[Span]) -> List[Dict[str, Any]]:
    """spaCy spans -> Argilla span values (character offsets in doc.text)."""
    return [{"start": s.start_char, "end": s.end_char, "label": s.label_} for s in spans]


def _span_scores(doc: Doc, group: str, spans: Sequence[Span]) -> Optional[List[float]]:
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
        for span in _group_spans(doc, function, labels):
            for i in range(span.start, span.end):
                per_token.setdefault(i, set()).add((span.start, span.end, span.label_))
                covering[i] += 1
    return sum(1 for i, proposals in per_token.items() if covering[i] >= 2 and len(proposals) > 1)


def record_id(doc: Doc) -> str:
    return f"{doc.user_data['split']}-{doc.user_data['index']}"


def spans_to_text(text: str, value: Sequence[Dict[str, Any]]) -> str:
    """Span values as a short line: "EU [ORG] · German [MISC]"."""
    return " · ".join(f"{text[v['start']:v['end']]} [{v['label']}]" for v in value)


def functions_summary(text: str, proposals: Sequence[Tuple[str, Sequence[Dict[str, Any]]]]) -> str:
    """Markdown list of what each function that fired proposed (text view)."""
    if not proposals:
        return "_No labelling function fired on this sentence._"
    return "\n".join(f"- **{name}**: {spans_to_text(text, value)}" for name, value in proposals)


def doc_to_record(
    doc: Doc, labels: Sequence[str], aggregate: str, functions: Sequence[str], view: str = "span"
) -> Dict[str, Any]:
    """One Doc -> a plain dict describing the record (converted by to_rg_record).

    view "span": every function has its own span question (and a copy of the
    sentence to highlight); view "text": every function has a text question
    whose suggestion reads "EU [ORG] · German [MISC]", plus one markdown field
    listing the functions that fired (compact when there are many functions).
    """
    if view not in VIEWS:
        raise ReviewError(f"--function-view must be one of {', '.join(VIEWS)}, not {view!r}")
    text = doc.text.rstrip()
    fired = [f for f in functions if _group_spans(doc, f, labels)]
    suggestions = []
    agg_spans = _group_spans(doc, aggregate, labels)
    if agg_spans:
        suggestions.append(
            {
                "question_name": MAIN_QUESTION,
                "value": spans_to_value(agg_spans),
                "score": _span_scores(doc, aggregate, agg_spans),
                "agent": agent_name(aggregate),
            }
        )
    proposals = []
    for function in fired:
        spans = _group_spans(doc, function, labels)
        value = spans_to_value(spans)
        proposals.append((function, value))
        if view == "span":
            suggestion = {"value": value, "score": _span_scores(doc, function, spans)}
        else:
            suggestion = {"value": spans_to_text(text, value), "score": None}
        suggestion.update({"question_name": question_name(function), "agent": agent_name(function)})
        suggestions.append(suggestion)
    gold = _group_spans(doc, GOLD_GROUP, labels)
    if gold:
        suggestions.append(
            {"question_name": GOLD_QUESTION, "value": spans_to_value(gold), "score": None, "agent": "gold"}
        )
    metadata = {
        "split": str(doc.user_data.get("split")),
        "sentence": int(doc.user_data.get("index")),
        "doc_id": int(doc.user_data.get("doc_id", -1)),
        "n_functions": len(fired),
        "disagreement": disagreement(doc, functions, labels),
    }
    if fired:
        metadata["functions"] = list(fired)
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
        "metadata": metadata,
        "suggestions": suggestions,
    }


def read_docs(path: Path, vocab=None) -> List[Doc]:
    if not Path(path).exists():
        raise ReviewError(f"Input corpus {path} not found: run the steps that create it first")
    return util.read_docs(path, vocab)


def sample_docs(docs: Sequence[Doc], n: int, seed: int) -> List[Doc]:
    """A seeded sample of n docs, in corpus order."""
    if n <= 0 or n >= len(docs):
        return list(docs)
    keep = sorted(random.Random(seed).sample(range(len(docs)), n))
    return [docs[i] for i in keep]


def ids_hash(ids: Iterable[str]) -> str:
    return hashlib.sha1("\n".join(sorted(ids)).encode("utf8")).hexdigest()


# --------------------------------------------------------------------------
# Server side


def _rg():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import argilla as rg
    return rg


def _is_connection_error(exc: BaseException) -> bool:
    import httpx

    while exc is not None:
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, ConnectionError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def resolve_api(api_url: Optional[str] = None, api_key: Optional[str] = None) -> Tuple[str, str]:
    url = api_url or os.environ.get("ARGILLA_API_URL") or DEFAULT_API_URL
    key = api_key or os.environ.get("ARGILLA_API_KEY") or DEFAULT_API_KEY
    return url.rstrip("/"), key


@contextlib.contextmanager
def server_errors(api_url: str) -> Iterator[None]:
    """Turn SDK and connection errors into ReviewError with one line of advice."""
    _rg()
    from argilla._exceptions import ArgillaCredentialsError, ArgillaError

    try:
        yield
    except ReviewError:
        raise
    except ArgillaCredentialsError as exc:
        raise ReviewError(
            f"Argilla at {api_url} rejected the API key: set ARGILLA_API_KEY "
            f"(the local server's default is {DEFAULT_API_KEY})"
        ) from exc
    except Exception as exc:
        if _is_connection_error(exc):
            raise ReviewError(f"No Argilla server at {api_url}: {START_HINT}") from exc
        name = type(exc).__name__
        if name == "UnauthorizedError":
            raise ReviewError(
                f"Argilla at {api_url} rejected the API key: set ARGILLA_API_KEY "
                f"(the local server's default is {DEFAULT_API_KEY})"
            ) from exc
        if name == "ForbiddenError":
            raise ReviewError(
                f"The ARGILLA_API_KEY user may not do this on {api_url}: use an owner or admin key"
            ) from exc
        if isinstance(exc, ArgillaError):
            detail = " ".join(str(exc).split())
            raise ReviewError(f"Argilla at {api_url} refused the request ({detail[:300]})") from exc
        raise


def connect(api_url: Optional[str] = None, api_key: Optional[str] = None, retries: int = 1):
    url, key = resolve_api(api_url, api_key)
    rg = _rg()
    with server_errors(url):
        client = rg.Argilla(api_url=url, api_key=key, retries=retries)
        client.me  # fails fast on a wrong key
    return client


def get_workspace(client, workspace: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = client.workspaces(workspace)
    if ws is None:
        names = ", ".join(w.name for w in client.workspaces) or "none"
        raise ReviewError(
            f"Workspace '{workspace}' not found on {client.api_url} (have: {names}): pass --workspace NAME"
        )
    return ws


def get_dataset(client, name: str, workspace: str):
    ws = get_workspace(client, workspace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return client.datasets(name=name, workspace=ws)


def build_settings(
    labels: Sequence[str], functions: Sequence[str], with_gold: bool, aggregate: str, view: str = "span"
):
    rg = _rg()
    questions = [
        rg.SpanQuestion(
            name=MAIN_QUESTION,
            field="text",
            labels=list(labels),
            allow_overlapping=False,
            required=True,
            title="Entities: correct the suggested spans, then submit",
            description=f"Pre-filled with the aggregate '{aggregate}'. Discard a sentence that should be dropped.",
        )
    ]
    # Argilla allows one span question per text field, so every reference
    # question gets its own copy of the sentence.
    fields = [rg.TextField(name="text", title="Sentence (correct the entities here)", use_markdown=False)]
    if with_gold:
        fields.append(rg.TextField(name=field_name(GOLD_QUESTION), title="CoNLL gold", required=False))
        questions.append(
            rg.SpanQuestion(
                name=GOLD_QUESTION,
                field=field_name(GOLD_QUESTION),
                labels=list(labels),
                allow_overlapping=False,
                required=False,
                title="CoNLL gold entities (reference only)",
            )
        )
    if view == "text":
        fields.append(
            rg.TextField(name=SUMMARY_FIELD, title="What the labelling functions proposed", use_markdown=True,
                         required=False)
        )
    for function in functions:
        qname = question_name(function)
        title = f"Labelling function '{function}' (reference only)"
        if view == "text":
            questions.append(rg.TextQuestion(name=qname, title=title, required=False, use_markdown=False))
            continue
        fields.append(rg.TextField(name=field_name(qname), title=f"LF: {function}", required=False))
        questions.append(
            rg.SpanQuestion(
                name=qname,
                field=field_name(qname),
                labels=list(labels),
                allow_overlapping=False,
                required=False,
                title=title,
            )
        )
    metadata = [
        rg.TermsMetadataProperty("split", title="Split"),
        rg.IntegerMetadataProperty("sentence", title="Sentence index"),
        rg.IntegerMetadataProperty("doc_id", title="CoNLL document"),
        rg.TermsMetadataProperty("functions", title="Functions that fired", options=list(functions) or None),
        rg.IntegerMetadataProperty("n_functions", title="Number of functions that fired"),
        rg.IntegerMetadataProperty("disagreement", title="Disagreement (tokens)"),
    ]
    guidelines = (
        "Correct the entity spans in **Entities** (pre-filled with the aggregate "
        f"`{aggregate}`) and submit. Discard a sentence that should not be used. "
        "The other questions show what each labelling function (and the CoNLL gold, where present) "
        "proposed; they are for reference. Filter by the `functions` metadata and sort by `disagreement`."
    )
    return rg.Settings(
        fields=fields,
        questions=questions,
        metadata=metadata,
        guidelines=guidelines,
    )


def ensure_dataset(
    client, name: str, workspace: str, labels, functions, with_gold: bool, aggregate: str, view: str = "span"
):
    """The existing dataset (checked for compatible labels and view) or a new one."""
    rg = _rg()
    dataset = get_dataset(client, name, workspace)
    if dataset is None:
        settings = build_settings(labels, functions, with_gold, aggregate, view)
        dataset = rg.Dataset(name=name, workspace=workspace, settings=settings, client=client)
        dataset.create()
        return dataset
    existing = {q.name: q for q in dataset.settings.questions}
    main = existing.get(MAIN_QUESTION)
    if main is None:
        raise ReviewError(f"Dataset '{name}' exists but has no '{MAIN_QUESTION}' question: pass another --dataset")
    has_summary = any(f.name == SUMMARY_FIELD for f in dataset.settings.fields)
    if any(q.startswith(LF_PREFIX) for q in existing) and has_summary != (view == "text"):
        other = "text" if has_summary else "span"
        raise ReviewError(
            f"Dataset '{name}' was created with --function-view {other}: pass it again or another --dataset"
        )
    have = sorted(main.labels if isinstance(main.labels, list) else list(main.labels))
    if have != sorted(labels):
        raise ReviewError(
            f"Dataset '{name}' has labels {','.join(have)}, not {','.join(labels)}: "
            "pass the same --labels or another --dataset"
        )
    return dataset


def to_rg_record(
    spec: Dict[str, Any], known_questions: Optional[set] = None, known_fields: Optional[Sequence[str]] = None
):
    """An rg.Record; with the dataset's questions and fields known, suggestions
    for unknown questions are dropped and every field of the dataset is filled."""
    rg = _rg()
    fields = dict(spec["fields"])
    if known_fields is not None:
        text = fields["text"]
        fields = {name: fields.get(name, text) for name in known_fields}
    suggestions = []
    for s in spec["suggestions"]:
        if known_questions is not None and s["question_name"] not in known_questions:
            continue
        suggestions.append(
            rg.Suggestion(
                question_name=s["question_name"], value=s["value"], score=s["score"], agent=s["agent"]
            )
        )
    return rg.Record(id=spec["id"], fields=fields, metadata=spec["metadata"], suggestions=suggestions)


@contextlib.contextmanager
def _quiet_sdk_progress():
    """The SDK draws a bar per log() call; we draw one for the whole push."""
    import argilla.records._dataset_records as mod

    original = mod.tqdm
    mod.tqdm = lambda iterable=None, **kwargs: iterable
    try:
        yield
    finally:
        mod.tqdm = original


def push_records(dataset, specs: Sequence[Dict[str, Any]], batch_size: int = 256, progress: bool = True) -> int:
    known = {q.name for q in dataset.settings.questions}
    known_fields = [f.name for f in dataset.settings.fields]
    unknown = sorted({s["question_name"] for spec in specs for s in spec["suggestions"]} - known)
    if unknown:
        msg.warn(
            f"Dataset '{dataset.name}' has no question for {', '.join(unknown)}: "
            "those suggestions are skipped (push to a new --dataset to see them)"
        )
    n = 0
    with _quiet_sdk_progress(), tqdm(total=len(specs), unit="rec", desc="Logging", disable=not progress) as bar:
        for start in range(0, len(specs), batch_size):
            batch = [to_rg_record(spec, known, known_fields) for spec in specs[start : start + batch_size]]
            dataset.records.log(batch, batch_size=len(batch))
            n += len(batch)
            bar.update(len(batch))
    return n


def existing_suggestions(dataset) -> Dict[str, Tuple[Any, Dict[str, Any]]]:
    """Record id -> (server id, {question name: suggestion id}) for the records already in the dataset."""
    out = {}
    with _quiet_sdk_progress():
        for record in dataset.records(with_suggestions=True, with_responses=False):
            by_question = {s.question_name: s._model.id for s in record.suggestions if s._model.id is not None}
            out[record.id] = (record._server_id, by_question)
    return out


def remove_stale_suggestions(client, before: Dict[str, Tuple[Any, Dict[str, Any]]],
                             specs: Sequence[Dict[str, Any]]) -> int:
    """Delete the suggestions a re-push no longer makes (a function that stopped firing on a sentence);
    `before` is `existing_suggestions` from before the push. Returns how many were deleted."""
    n = 0
    for spec in specs:
        if spec["id"] not in before:
            continue
        server_id, by_question = before[spec["id"]]
        now = {s["question_name"] for s in spec["suggestions"]}
        stale = [str(sid) for question, sid in by_question.items() if question not in now]
        if stale:
            response = client.http_client.delete(f"/api/v1/records/{server_id}/suggestions",
                                                 params={"ids": ",".join(stale)})  # fmt: skip
            response.raise_for_status()
            n += len(stale)
    return n


def push(
    corpora: Sequence[Tuple[Path, int]],
    manifest: Optional[Path],
    dataset_name: str = DEFAULT_DATASET,
    workspace: str = DEFAULT_WORKSPACE,
    labels: Sequence[str] = DEFAULT_LABELS,
    aggregate: str = "majority",
    seed: int = 0,
    batch_size: int = 256,
    api_url: Optional[str] = None,
    api_key: Optional[str] = None,
    progress: bool = True,
    view: str = "span",
) -> Dict[str, Any]:
    """Log docs to Argilla; corpora = [(path, sample_size or 0 for all)]."""
    docs: List[Doc] = []
    for path, n in corpora:
        docs.extend(sample_docs(read_docs(path), n, seed))
    functions = labelling_functions(docs, aggregate)
    specs = [doc_to_record(doc, labels, aggregate, functions, view) for doc in docs]
    ids = [spec["id"] for spec in specs]
    if len(set(ids)) != len(ids):
        raise ReviewError("Record ids (split-index) are not unique: check user_data['split'] and ['index']")
    with_gold = any(GOLD_GROUP in doc.spans for doc in docs)
    if progress and docs and not any(aggregate in doc.spans for doc in docs):
        msg.warn(f"No span group '{aggregate}' in the docs: the main question starts empty (see --aggregate)")
    url, _ = resolve_api(api_url, api_key)
    client = connect(api_url, api_key)
    try:
        with server_errors(url):
            dataset = ensure_dataset(
                client, dataset_name, workspace, labels, functions, with_gold, aggregate, view
            )
            before = existing_suggestions(dataset)
            count = push_records(dataset, specs, batch_size=batch_size, progress=progress)
            stale = remove_stale_suggestions(client, before, specs)
    finally:
        client.http_client.close()
    info = {
        "dataset": dataset_name,
        "workspace": workspace,
        "count": count,
        "stale_suggestions_removed": stale,
        "ids_sha1": ids_hash(ids),
        "labels": list(labels),
        "aggregate": aggregate,
        "function_view": view,
        "functions": functions,
    }
    if manifest is not None:
        write_json(Path(manifest), info)
    return info


def fetch_reviews(dataset) -> Dict[str, Dict[str, Any]]:
    """record id -> {"status", "spans", "user_id"} for every record with a response.

    One query per status, because a discarded (or draft) response may carry no
    values at all, and the SDK then shows no response object for it. When
    several people answered, submitted wins over discarded over draft.
    """
    rg = _rg()
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


def apply_review(doc: Doc, spans: Sequence[Dict[str, Any]], labels: Sequence[str]) -> Tuple[Doc, int]:
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


def pull(
    corpora: Sequence[Path],
    output: Path,
    dataset_name: str = DEFAULT_DATASET,
    workspace: str = DEFAULT_WORKSPACE,
    labels: Sequence[str] = DEFAULT_LABELS,
    keep_discarded: bool = True,
    api_url: Optional[str] = None,
    api_key: Optional[str] = None,
) -> Dict[str, int]:
    """Write submitted (and discarded) reviews to a DocBin; returns counts."""
    import spacy

    vocab = spacy.blank("en").vocab
    by_id: Dict[str, Doc] = {}
    for path in corpora:
        for doc in read_docs(path, vocab):
            by_id[record_id(doc)] = doc
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
    counts: Counter = Counter()
    out = DocBin(store_user_data=True)
    for rid in sorted(reviews, key=_sort_key):
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
            new, dropped = apply_review(doc, review["spans"] or [], labels)
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
    counts["pending"] = total - sum(counts[s] for s in ("submitted", "discarded", "draft"))
    counts["total"] = total
    with atomic_path(Path(output)) as tmp:
        out.to_disk(tmp)
    return dict(counts)


def _sort_key(rid: str):
    split, _, index = rid.rpartition("-")
    return (split, int(index)) if index.isdigit() else (rid, 0)


# --------------------------------------------------------------------------
# CLI

app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0])


def fail(text: str) -> None:
    """msg.fail on one line (wasabi wraps at 80 columns), then exit 1."""
    line = f"\u2718 {text}"
    if msg.show_color:
        line = color(line, fg=msg.colors["red"])
    print(line, flush=True)
    raise SystemExit(1)


def _run(fn):
    try:
        return fn()
    except ReviewError as exc:
        fail(str(exc))


@app.command("push")
def push_cli(
    # fmt: off
    dev: Path = Arg(..., help="DocBin with the docs to review (e.g. corpus/dev_weak.spacy)", exists=False),
    manifest: Path = Opt(..., "--manifest", "-m", help="JSON manifest written after a successful push"),
    train: Optional[Path] = Opt(None, "--train", help="Also push a seeded sample of this DocBin"),
    train_sample: int = Opt(200, "--train-sample", help="Number of --train docs to push (0 = all)"),
    seed: int = Opt(0, "--seed", help="Seed of the train sample"),
    labels: str = Opt(",".join(DEFAULT_LABELS), "--labels", "-l", help="Comma-separated labels"),
    aggregate: str = Opt("majority", "--aggregate", "-a", help="Span group of the aggregate (the main suggestion)"),
    dataset: str = Opt(DEFAULT_DATASET, "--dataset", "-d", help="Argilla dataset name"),
    workspace: str = Opt(DEFAULT_WORKSPACE, "--workspace", "-w", help="Argilla workspace"),
    batch_size: int = Opt(256, "--batch-size", help="Records per request"),
    function_view: str = Opt("span", "--function-view", help="span: a highlighted copy of the sentence per function; text: one line per function (compact with many functions)"),
    api_url: Optional[str] = Opt(None, "--api-url", help="Argilla URL (default: $ARGILLA_API_URL or the local server)"),
    # fmt: on
):
    """Log docs with every labelling function's spans to Argilla for review.
    The API key is read from $ARGILLA_API_KEY (default: the local server's)."""

    def go():
        corpora = [(dev, 0)]
        if train is not None:
            corpora.append((train, train_sample))
        info = push(
            corpora,
            manifest,
            dataset_name=dataset,
            workspace=workspace,
            labels=parse_labels(labels),
            aggregate=aggregate,
            seed=seed,
            batch_size=batch_size,
            api_url=api_url,
            view=function_view,
        )
        url, _ = resolve_api(api_url)
        msg.good(
            f"Logged {info['count']} records to '{dataset}' ({len(info['functions'])} labelling functions)",
            f"Review at {url} · manifest {manifest}",
        )

    _run(go)


@app.command("pull")
def pull_cli(
    # fmt: off
    corpora: List[Path] = Arg(..., help="The DocBins that were pushed (to copy words and user_data)"),
    output: Path = Opt(..., "--output", "-o", help="DocBin to write (e.g. corpus/reviewed.spacy)"),
    labels: str = Opt(",".join(DEFAULT_LABELS), "--labels", "-l", help="Comma-separated labels"),
    dataset: str = Opt(DEFAULT_DATASET, "--dataset", "-d", help="Argilla dataset name"),
    workspace: str = Opt(DEFAULT_WORKSPACE, "--workspace", "-w", help="Argilla workspace"),
    discarded: str = Opt("keep", "--discarded", help="keep (marked user_data['review_status']='discarded') or drop"),
    api_url: Optional[str] = Opt(None, "--api-url", help="Argilla URL (default: $ARGILLA_API_URL or the local server)"),
    # fmt: on
):
    """Read submitted reviews back into a DocBin with doc.ents set by the reviewer."""

    def go():
        if discarded not in ("keep", "drop"):
            raise ReviewError("--discarded must be 'keep' or 'drop'")
        counts = pull(
            corpora,
            output,
            dataset_name=dataset,
            workspace=workspace,
            labels=parse_labels(labels),
            keep_discarded=discarded == "keep",
            api_url=api_url,
        )
        msg.text(
            f"submitted {counts.get('submitted', 0)} · discarded {counts.get('discarded', 0)} · "
            f"draft {counts.get('draft', 0)} (ignored) · pending {counts.get('pending', 0)} (ignored)"
        )
        if counts.get("missing_from_corpus"):
            msg.warn(f"{counts['missing_from_corpus']} reviewed records are not in the given corpora")
        if counts.get("spans_dropped"):
            msg.warn(f"{counts['spans_dropped']} reviewed spans had another label or overlapped and were dropped")
        msg.good(f"Wrote {counts.get('written', 0)} reviewed docs to {output}")

    _run(go)


if __name__ == "__main__":
    app()
