"""Dev documents labelled from scratch out of train: where dev is thin, a person labels a seeded sample of
train's documents (`spacy project run dev-push`, then `dev-pull`), and `convert` moves every document
whose sentences are all answered from train to dev, the person's entities as its gold.

The file (`corpus/dev_from_train.spacy`, created empty by `data`) is a DocBin saved with
`store_user_data=True`, one Doc per answered sentence, its entities in `doc.ents` and in `user_data`:

- `doc_key`: the document the sentence was labelled in (`document_key`: the sha1 of its sentences' texts),
  so that a document is found again when the corpus shifts upstream;
- `text_sha1`: the sentence's text (`scripts.corpus.docbin.sha1_of_text`);
- `review_status`: "submitted" (the entities are the gold; none: the sentence has none) or "discarded"
  (the sentence is left out of the dev document);
- for provenance: `review_updated_at`, `review_user_id`, `review_dataset`, `review_record_id`, and the
  sample's `document` (its rank) and `sentence` (the position in the document).

A document moves only once each of its sentence texts has an answer; until then it stays in train. The
entities are mapped onto the sentence by character offsets, so a changed tokenizer keeps them. Which
documents are sampled is `sample_rank`'s order: stable when others leave train, so pushing again after a
pull adds the next documents instead of drawing another sample.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence

from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from .articles import article_chunks
from .docbin import make_vocab, read_docs, text_sha1
from .labels import GOLD

FILE = "dev_from_train.spacy"
DISCARDED = "discarded"


def document_key(sentences: Sequence[Doc]) -> str:
    """A document's identity: the sha1 of its sentences' texts, in order (its doc_id moves with the corpus)."""
    h = hashlib.sha1()
    for doc in sentences:
        h.update(text_sha1(doc).encode("ascii"))
    return h.hexdigest()


def sample_rank(key: str, seed: int) -> str:
    """The order the documents are sampled in: a seeded hash of each, independent of the others."""
    return hashlib.sha1(f"{seed}:{key}".encode("ascii")).hexdigest()


def documents(docs: Iterable[Doc]) -> Iterator[List[Doc]]:
    """The sentences of each document (article), streamed in corpus order."""
    return article_chunks(docs, 1)


def unique_texts(sentences: Sequence[Doc]) -> List[str]:
    """The text hashes of a document's sentences, each once (a repeated sentence is labelled once)."""
    return list(dict.fromkeys(text_sha1(doc) for doc in sentences))


def read_labelled(path: Optional[Path]) -> Dict[str, Dict[str, Doc]]:
    """The answered sentences of the file, by document key, then text hash (none if no file)."""
    out: Dict[str, Dict[str, Doc]] = {}
    if path is None or not Path(path).exists():
        return out
    for doc in read_docs(path, make_vocab()):
        key = doc.user_data.get("doc_key")
        if key:
            out.setdefault(key, {})[doc.user_data.get("text_sha1") or text_sha1(doc)] = doc
    return out


def complete(sentences: Sequence[Doc], answers: Dict[str, Doc]) -> bool:
    return all(t in answers for t in unique_texts(sentences))


def labelled_sentence(sentence: Doc, answer: Doc, labels: Sequence[str]) -> Doc:
    """The train sentence as a dev sentence: same words, the person's entities of `labels` as gold."""
    spans = []
    for ent in answer.ents:
        if ent.label_ not in labels:
            continue
        span = sentence.char_span(ent.start_char, ent.end_char, label=ent.label_, alignment_mode="expand")
        if span is not None:
            spans.append(span)
    doc = Doc(sentence.vocab, words=[t.text for t in sentence], spaces=[bool(t.whitespace_) for t in sentence])
    doc.spans[GOLD] = [Span(doc, s.start, s.end, label=s.label_) for s in sorted(filter_spans(spans))]
    return doc


@dataclass
class DevFromTrain:
    """Moves the labelled documents out of a train stream (`train`) and gives them back as dev sentences
    (`dev_sentences`, after the train stream is consumed)."""

    labelled: Dict[str, Dict[str, Doc]]
    labels: Sequence[str]
    moved: List[List[Doc]] = field(default_factory=list)
    partial: int = 0
    gold: Counter = field(default_factory=Counter)
    removed_sentences: int = 0  # train's sentences of the moved documents (discarded ones too)
    removed_gold: Counter = field(default_factory=Counter)  # train's own gold of them (CoNLL), never used

    def train(self, docs: Iterable[Doc]) -> Iterator[Doc]:
        """Train's sentences without the documents whose every sentence has an answer."""
        for sentences in documents(docs):
            answers = self.labelled.get(document_key(sentences)) if self.labelled else None
            if not answers:
                yield from sentences
            elif complete(sentences, answers):
                self.moved.append(self.dev_document(sentences, answers))
                self.removed_sentences += len(sentences)
                self.removed_gold.update(span.label_ for doc in sentences for span in doc.spans.get(GOLD, []))
            else:
                self.partial += 1
                yield from sentences

    def dev_document(self, sentences: Sequence[Doc], answers: Dict[str, Doc]) -> List[Doc]:
        out = []
        for sentence in sentences:
            answer = answers[text_sha1(sentence)]
            if answer.user_data.get("review_status") == DISCARDED:
                continue
            doc = labelled_sentence(sentence, answer, self.labels)
            doc.user_data["from_train"] = {k: sentence.user_data.get(k) for k in ("index", "doc_id")}
            self.gold.update(span.label_ for span in doc.spans[GOLD])
            out.append(doc)
        return out

    def dev_sentences(self, last_index: int, last_doc_id: int) -> List[Doc]:
        """The moved documents' sentences, numbered after dev's last sentence and document."""
        out = []
        documents = [d for d in self.moved if d]
        for k, sentences in enumerate(documents):
            for doc in sentences:
                last_index += 1
                doc.user_data.update({"split": "dev", "index": last_index, "doc_id": last_doc_id + 1 + k})
                out.append(doc)
        return out

    def describe(self) -> str:
        n = sum(len(d) for d in self.moved)
        text = f"{len(self.moved)} documents labelled from train moved to dev ({n} sentences"
        text += f", {sum(self.gold.values())} entities)" + (
            f"; {self.partial} partly labelled stay in train" if self.partial else ""
        )
        return text
