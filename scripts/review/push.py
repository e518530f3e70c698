"""Push: log documents to Argilla, every labelling function's spans as suggestions, stale ones removed.

Pushing again updates the records in place and never touches the responses people submitted (the
bulk upsert only adds or replaces what a record carries, and pushed records carry no response).
"""

import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from spacy.tokens import Doc
from tqdm import tqdm
from wasabi import msg

from ..corpus.labels import GOLD, lf_names
from ..patches import quiet_sdk_progress, suggestion_ids
from ..util.files import write_json
from .client import DEFAULT_WORKSPACE, argilla_sdk, connect, resolve_api, server_errors
from .dataset import ensure_dataset
from .records import doc_to_record, ids_hash, read_corpus, record_id, sample_docs

LEGACY_ID = re.compile(r"^(train|dev|test)-\d+$")  # record ids before they were the sentence's text hash


def to_rg_record(
    spec: Dict[str, Any], known_questions: Optional[set] = None, known_fields: Optional[Sequence[str]] = None
):
    """An rg.Record; with the dataset's questions and fields known, suggestions
    for unknown questions are dropped and every field of the dataset is filled."""
    rg = argilla_sdk()
    fields = dict(spec["fields"])
    if known_fields is not None:
        text = fields["text"]
        fields = {name: fields.get(name, text) for name in known_fields}
    suggestions = []
    for s in spec["suggestions"]:
        if known_questions is not None and s["question_name"] not in known_questions:
            continue
        suggestions.append(
            rg.Suggestion(question_name=s["question_name"], value=s["value"], score=s["score"], agent=s["agent"])
        )
    return rg.Record(id=spec["id"], fields=fields, metadata=spec["metadata"], suggestions=suggestions)


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
    with quiet_sdk_progress(), tqdm(total=len(specs), unit="rec", desc="Logging", disable=not progress) as bar:
        for start in range(0, len(specs), batch_size):
            batch = [to_rg_record(spec, known, known_fields) for spec in specs[start : start + batch_size]]
            dataset.records.log(batch, batch_size=len(batch))
            n += len(batch)
            bar.update(len(batch))
    return n


def existing_suggestions(dataset) -> Dict[str, Tuple[Any, Dict[str, Any]]]:
    """Record id -> (server id, {question name: suggestion id}) for the records already in the dataset."""
    out = {}
    with quiet_sdk_progress():
        for record in dataset.records(with_suggestions=True, with_responses=False):
            out[record.id] = suggestion_ids(record)
    return out


def remove_stale_suggestions(
    client, before: Dict[str, Tuple[Any, Dict[str, Any]]], specs: Sequence[Dict[str, Any]]
) -> int:
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
            response = client.http_client.delete(
                f"/api/v1/records/{server_id}/suggestions", params={"ids": ",".join(stale)}
            )
            response.raise_for_status()
            n += len(stale)
    return n


def first_of_each_text(docs: Sequence[Doc]) -> List[Doc]:
    """One doc per (split, text): a sentence repeated in a split is one record, and one review."""
    seen = set()
    out = []
    for doc in docs:
        rid = record_id(doc)
        if rid not in seen:
            seen.add(rid)
            out.append(doc)
    return out


def push(
    corpora: Sequence[Tuple[Path, int]],
    manifest: Optional[Path],
    *,
    dataset_name: str,
    labels: Sequence[str],
    aggregate: str,
    seed: int,
    workspace: str = DEFAULT_WORKSPACE,
    batch_size: int = 256,
    api_url: Optional[str] = None,
    api_key: Optional[str] = None,
    progress: bool = True,
    view: str = "span",
) -> Dict[str, Any]:
    """Log docs to Argilla; corpora = [(path, sample_size or 0 for all)], a sample drawn with `seed`;
    `aggregate` names the label model's span group (the main suggestion)."""
    docs: List[Doc] = []
    for path, n in corpora:
        docs.extend(sample_docs(read_corpus(path), n, seed))
    docs = first_of_each_text(docs)
    functions = lf_names(docs, exclude=(aggregate,))
    specs = [doc_to_record(doc, labels, aggregate, functions, view) for doc in docs]
    ids = [spec["id"] for spec in specs]
    with_gold = any(GOLD in doc.spans for doc in docs)
    if progress and docs and not any(aggregate in doc.spans for doc in docs):
        msg.warn(f"No span group '{aggregate}' in the docs: the main question starts empty (see --aggregate)")
    url, _ = resolve_api(api_url, api_key)
    client = connect(api_url, api_key)
    try:
        with server_errors(url):
            dataset = ensure_dataset(client, dataset_name, workspace, labels, functions, with_gold, aggregate, view)
            before = existing_suggestions(dataset)
            legacy = sum(1 for rid in before if LEGACY_ID.match(rid))
            if legacy and progress:
                msg.warn(
                    f"Dataset '{dataset_name}' has {legacy} records from an older push (ids split-index): they stay "
                    "as they are, and their reviews are still pulled (matched by text); a new --dataset is cleaner"
                )
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
