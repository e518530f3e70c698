"""Gold entities and entity-level scores against them (spaCy's NER scorer), for every system scored."""

from typing import Dict, Iterable, List, Sequence, Set, Union

from spacy.tokens import Doc, Span
from spacy.training import Example

from .articles import document_groups
from .docbin import copy_with_ents
from .labels import GOLD


def gold_labels(docs: Iterable[Doc]) -> Set[str]:
    """The labels of the docs' gold spans."""
    return {span.label_ for doc in docs for span in doc.spans.get(GOLD, [])}


def gold_docs(docs: Sequence[Doc], labels: List[str]) -> List[Doc]:
    """Copies of `docs` whose ents are the gold spans of `labels`."""
    return [copy_with_ents(d, [(s.start, s.end, s.label_) for s in d.spans[GOLD] if s.label_ in labels]) for d in docs]


def score_ents(pred: Sequence[Doc], gold: Sequence[Doc], labels: List[str]) -> Dict:
    """Entity-level P/R/F (micro over `labels`) and per label, from spaCy's NER scorer."""
    from spacy.scorer import get_ner_prf

    examples = [Example(p, g) for p, g in zip(pred, gold)]
    s = get_ner_prf(examples)
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
