"""More dev gold where dev is thin: a seeded sample of train's documents pushed to their own Argilla dataset
without any suggestion, labelled from scratch, and pulled back into `corpus/dev_from_train.spacy`, from
which `convert` moves every fully answered document from train to dev (`scripts.corpus.dev_from_train`).

`push` keeps `documents` documents out in all: those already moved count, a partly answered one is pushed
again (its answers stay: a push carries no response), and raising `documents` adds the next ones of the
same seeded order. `pull` merges as the review pull does: a newer answer wins, none is lost, the previous
file is backed up before it changes.
"""

import heapq
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from spacy.tokens import Doc

from ..corpus.dev_from_train import document_key, documents, read_labelled, sample_rank, unique_texts
from ..corpus.docbin import iter_docs, make_vocab, sha1_of_text, text_sha1
from ..util.files import write_json
from .client import DEFAULT_WORKSPACE, argilla_sdk, connect, get_dataset, resolve_api, server_errors
from .dataset import main_question
from .pull import (
    doc_with_reviewed_spans,
    merge_reviews,
    provenance,
    read_previous,
    save_reviews,
    server_reviews,
)
from .push import push_records
from .records import MAIN_QUESTION, ReviewError, ids_hash

GUIDELINES = (
    "Label every entity of the sentence from scratch: nothing is suggested. These documents leave the "
    "training text and become dev data, the figures that keep or drop rules and choose the model, so label "
    "them as carefully as a test set. Submit every sentence of a document (an empty answer says it has "
    "none): a document moves to dev once all its sentences are answered. Discard a sentence that cannot be "
    "labelled (it is left out of the document). Sort by `document`, then `sentence`, to read in order."
)


@dataclass
class Sampled:
    """A document of the sample: its key, rank in the seeded order and sentences."""

    key: str
    rank: int
    sentences: List[Doc]


def sample_documents(train: Path, n: int, seed: int, done: Sequence[str]) -> List[Sampled]:
    """The first `n` documents of train in the seeded order, left out those whose key is in `done` (already
    labelled): streamed, only `n` documents are held in memory."""
    done_set = set(done)

    def candidates():
        for sentences in documents(iter_docs(train, make_vocab())):
            key = document_key(sentences)
            if key not in done_set:
                yield sample_rank(key, seed), key, sentences

    chosen = heapq.nsmallest(n, candidates(), key=lambda c: c[0]) if n > 0 else []
    return [Sampled(key, len(done_set) + r, sentences) for r, (_, key, sentences) in enumerate(chosen)]


def record_id(key: str, text_hash: str) -> str:
    """One record per sentence text of a document: `dev-<sha1 of document and text, 16 hex>`."""
    return f"dev-{sha1_of_text(key + text_hash)[:16]}"


def sentence_records(doc: Sampled) -> List[Dict[str, Any]]:
    """The records of a document's sentences, each text once, with no suggestion."""
    seen = set()
    out = []
    n = len(unique_texts(doc.sentences))
    for position, sentence in enumerate(doc.sentences):
        t = text_sha1(sentence)
        if t in seen:
            continue
        seen.add(t)
        out.append(
            {
                "id": record_id(doc.key, t),
                "fields": {"text": sentence.text.rstrip()},
                "metadata": {
                    "doc_key": doc.key,
                    "document": doc.rank,
                    "sentence": position,
                    "sentences": n,
                    "doc_id": int(sentence.user_data.get("doc_id", -1)),
                },
                "suggestions": [],
            }
        )
    return out


def dev_settings(labels: Sequence[str]):
    rg = argilla_sdk()
    return rg.Settings(
        fields=[rg.TextField(name="text", title="Sentence (label every entity)", use_markdown=False)],
        questions=[main_question(rg, labels, "Entities: mark every one, then submit (none: submit empty)")],
        metadata=[
            rg.IntegerMetadataProperty("document", title="Document (sample order)"),
            rg.IntegerMetadataProperty("sentence", title="Sentence in the document"),
            rg.IntegerMetadataProperty("sentences", title="Sentences of the document"),
            rg.IntegerMetadataProperty("doc_id", title="Document id in train"),
            rg.TermsMetadataProperty("doc_key", title="Document key"),
        ],
        guidelines=GUIDELINES,
    )


def ensure_dev_dataset(client, name: str, workspace: str, labels: Sequence[str]):
    """The dataset of the dev labelling (created once; a dataset of another kind or labels is refused)."""
    rg = argilla_sdk()
    dataset = get_dataset(client, name, workspace)
    if dataset is None:
        dataset = rg.Dataset(name=name, workspace=workspace, settings=dev_settings(labels), client=client)
        dataset.create()
        return dataset
    check_dev_dataset(dataset, name, labels)
    return dataset


def check_dev_dataset(dataset, name: str, labels: Sequence[str]) -> None:
    """A dataset of the dev labelling (one question, the sentence only) with the same labels, or a ReviewError."""
    questions = {q.name: q for q in dataset.settings.questions}
    fields = {f.name for f in dataset.settings.fields}
    if set(questions) != {MAIN_QUESTION} or fields != {"text"}:
        raise ReviewError(
            f"Dataset '{name}' is not a dev labelling dataset ({len(questions)} questions: it looks like the "
            "review's, which shows suggestions): pass another --vars.argilla_dev_dataset"
        )
    have = sorted(questions[MAIN_QUESTION].labels)
    if have != sorted(labels):
        raise ReviewError(
            f"Dataset '{name}' has labels {','.join(have)}, not {','.join(labels)}: pass the same --vars.labels "
            "(nothing was written)"
        )


def push_dev(
    train: Path,
    labelled: Path,
    manifest: Optional[Path],
    *,
    documents_total: int,
    seed: int,
    dataset_name: str,
    labels: Sequence[str],
    workspace: str = DEFAULT_WORKSPACE,
    api_url: Optional[str] = None,
    api_key: Optional[str] = None,
    progress: bool = True,
) -> Dict[str, Any]:
    """Push the sample's documents not yet labelled, up to `documents_total` in all."""
    if documents_total < 1:
        raise ReviewError(f"--documents {documents_total}: push at least 1 document")
    if not Path(train).exists():
        raise ReviewError(f"{train} not found: run `spacy project run convert` first")
    complete = [key for key, answers in read_labelled(labelled).items() if _complete(answers)]
    sample = sample_documents(train, max(documents_total - len(complete), 0), seed, complete)
    specs = [spec for doc in sample for spec in sentence_records(doc)]
    url, _ = resolve_api(api_url, api_key)
    client = connect(api_url, api_key)
    try:
        with server_errors(url):
            dataset = ensure_dev_dataset(client, dataset_name, workspace, labels)
            count = push_records(dataset, specs, progress=progress) if specs else 0
    finally:
        client.http_client.close()
    info = {
        "dataset": dataset_name,
        "workspace": workspace,
        "documents": len(sample),
        "documents_labelled": len(complete),
        "records": count,
        "ids_sha1": ids_hash(spec["id"] for spec in specs),
        "labels": list(labels),
        "seed": seed,
    }
    if manifest is not None:
        write_json(Path(manifest), info)
    return info


def _complete(answers: Dict[str, Doc]) -> bool:
    """Whether a document's answers cover all its sentences (the count pushed with each record)."""
    n = max((int(d.user_data.get("sentences") or 0) for d in answers.values()), default=0)
    return n > 0 and len(answers) >= n


def dev_key(doc: Doc) -> Tuple[str, str]:
    return (str(doc.user_data.get("doc_key")), doc.user_data.get("text_sha1") or text_sha1(doc))


def answer_doc(review: Dict[str, Any], words_of: Dict[str, Doc], vocab, labels: Sequence[str], dataset: str):
    """The Doc of an answer on the words of its sentence (`words_of`: from train, or from the answer pulled
    before, once convert moved the document out of train), else on the record's text split on spaces."""
    metadata = review["metadata"]
    text_hash = sha1_of_text(review["text"])
    base = words_of.get(text_hash) or Doc(vocab, words=review["text"].split(" "))
    doc, dropped = doc_with_reviewed_spans(base, review["spans"], labels)
    doc.user_data = {
        "split": "dev",
        "doc_key": metadata.get("doc_key"),
        "text_sha1": text_hash,
        **{k: metadata.get(k) for k in ("document", "sentence", "sentences")},
        **provenance(review, dataset),
    }
    return doc, dropped


def pull_dev(
    train: Path,
    output: Path,
    *,
    dataset_name: str,
    labels: Sequence[str],
    workspace: str = DEFAULT_WORKSPACE,
    api_url: Optional[str] = None,
    api_key: Optional[str] = None,
) -> Dict[str, Any]:
    """Merge the dataset's submitted and discarded answers into `output`; the counts of what it did, and
    of the documents now complete (`convert` moves them) and partly answered, and the backup's path."""
    vocab = make_vocab()
    previous = read_previous(output, vocab)  # first: a damaged file stops the pull before anything else
    reviews, counts = server_reviews(
        dataset_name,
        workspace,
        api_url,
        api_key,
        push_hint="push first (dev-push) or pass --vars.argilla_dev_dataset",
        check=lambda dataset: check_dev_dataset(dataset, dataset_name, labels),
    )
    reviews = [r for r in reviews if r["metadata"].get("doc_key")]
    wanted = {sha1_of_text(r["text"]) for r in reviews}
    # the words of each answered sentence: the answer pulled before (its document may have left train), else train
    words_of: Dict[str, Doc] = {dev_key(d)[1]: d for d in previous}
    if wanted - set(words_of) and Path(train).exists():
        for doc in iter_docs(train, vocab):
            key = text_sha1(doc)
            if key in wanted:
                words_of.setdefault(key, doc)
    pulled = []
    for review in reviews:
        doc, dropped = answer_doc(review, words_of, vocab, labels, dataset_name)
        counts["spans_dropped"] += dropped
        pulled.append(doc)
    merged = merge_reviews(previous, pulled, counts, key_of=dev_key)
    by_document: Dict[str, Dict[str, Doc]] = {}
    for doc in merged:
        by_document.setdefault(str(doc.user_data.get("doc_key")), {})[dev_key(doc)[1]] = doc
    result = Counter(counts)
    result["complete"] = sum(1 for answers in by_document.values() if _complete(answers))
    result["partial"] = len(by_document) - result["complete"]
    result["before"], result["written"] = len(previous), len(merged)
    backup = save_reviews(output, merged, bool(previous))
    out: Dict[str, Any] = dict(result)
    out["backup"] = str(backup) if backup is not None else ""
    return out
