"""Gold entities and entity-level scores against them (spaCy's NER scorer), for every system scored."""

from typing import Dict, Iterable, List, Sequence, Set

from spacy.tokens import Doc
from spacy.training import Example

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
