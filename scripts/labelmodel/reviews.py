"""Human reviews in the training corpus: a reviewed train sentence replaces its weak labels, a
discarded one leaves the training set, and reviews of other splits never enter training."""

from typing import Dict, Optional, Sequence, Tuple

from spacy.tokens import Doc

from ..corpus.docbin import copy_with_ents


def train_reviews(reviewed: Sequence[Doc]) -> Tuple[Dict[Optional[int], Doc], Dict[str, int]]:
    """Reviewed train docs by sentence index, and the counts to fill in (reviews of other splits counted)."""
    by_index = {d.user_data.get("index"): d for d in reviewed if d.user_data.get("split") == "train"}
    return by_index, {"reviewed": 0, "discarded": 0, "ignored_other_splits": len(reviewed) - len(by_index)}


def reviewed_training_doc(doc: Doc, review: Optional[Doc], counts: Dict[str, int]) -> Optional[Doc]:
    """The training doc for a voted train doc: itself without a review, the reviewer's entities with one
    (marked `reviewed`), None if the reviewer discarded it. Counts what it applied."""
    if review is None:
        return doc
    if [t.text for t in review] != [t.text for t in doc]:
        raise ValueError(f"reviewed train sentence {doc.user_data.get('index')} has other words than the corpus")
    if review.user_data.get("review_status") == "discarded":
        counts["discarded"] += 1
        return None
    doc = copy_with_ents(doc, [(e.start, e.end, e.label_) for e in review.ents])
    doc.user_data["reviewed"] = True
    counts["reviewed"] += 1
    return doc


def keep_for_training(doc: Doc) -> bool:
    """Docs with entities, or reviewed by a person, always go into training; the others are sampled."""
    return bool(doc.ents) or bool(doc.user_data.get("reviewed"))
