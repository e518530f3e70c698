"""Human reviews in the training corpus: a reviewed train sentence replaces its weak labels, a discarded
one leaves the training set, and reviews of other splits never enter training.

A review is attached to the text it was made on (`text_sha1`), not to a sentence number: it follows its
sentence when others are inserted or deleted upstream, and a sentence whose text changed loses it. A
review whose text is in no train sentence is kept in the reviewed file, counted, and not applied.
"""

from typing import Dict, Optional, Sequence, Set, Tuple

from spacy.tokens import Doc

from ..corpus.docbin import copy_with_ents, reviewed_text_sha1, text_sha1


def train_reviews(reviewed: Sequence[Doc]) -> Tuple[Dict[str, Doc], Dict[str, int]]:
    """Reviewed train docs by text hash, and the counts to fill in (reviews of other splits counted)."""
    by_text = {reviewed_text_sha1(d): d for d in reviewed if d.user_data.get("split") == "train"}
    counts = {"reviewed": 0, "discarded": 0, "ignored_other_splits": len(reviewed) - len(by_text)}
    return by_text, counts


def reviewed_training_doc(
    doc: Doc, by_text: Dict[str, Doc], counts: Dict[str, int], matched: Set[str]
) -> Optional[Doc]:
    """The training doc for a voted train doc: itself without a review of its text, the reviewer's entities
    with one (marked `reviewed`), None if the reviewer discarded it. Counts what it applied; adds the
    text hashes it applied to `matched`."""
    key = text_sha1(doc)
    review = by_text.get(key)
    if review is None or [t.text for t in review] != [t.text for t in doc]:
        return doc
    matched.add(key)
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
