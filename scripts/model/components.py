"""`doc_consistency`: document-level label consistency for the trained NER, a pipeline component.

The NER reads a few words either side of each token, so "Ruch" alone after "Ruch SA", "Somerset"
in a cricket report or "Geraghty" after "Frederick Geraghty" get the label the word looks like
(PER, LOC, ORG). The weak labels get them right through the document-level labelling functions;
this component applies three of them (scripts/lfs/doclevel.py) to the NER's own entities of a
whole article (a Doc with sentence starts):

- the short name of a company that the NER found with its legal form is ORG ("Ruch SA" -> "Ruch");
- the surname of a person that the NER found in full is PER where it stands alone;
- in a cricket article, the first-class counties are ORG.

It uses no gold label and is not trained; the legal forms and the place names that are no company
(from `build-gazetteers`) are read at `initialize` and saved with the pipeline. `spacy train`
loads this file with `--code scripts/model/components.py`; import `scripts.model.components` before
`spacy.load("training/model-best")`.
"""

from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import srsly
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import ensure_path

# absolute imports: `spacy train --code` loads this file as a module of its own, not as part of scripts.model
from scripts.corpus.articles import document_groups
from scripts.corpus.docbin import copy_with_ents
from scripts.corpus.labels import SpanTuple
from scripts.lfs import doclevel as dl

GROUP = "doc_consistency_ner"  # where the NER's entities are read from, while the component runs


@Language.factory("doc_consistency", default_config={"labels": ["ORG", "PER", "LOC", "MISC"]})
def make_doc_consistency(nlp: Language, name: str, labels: List[str]) -> "DocConsistency":
    """`labels`: what it may correct to; `initialize` narrows them to the labels of the pipeline's NER."""
    return DocConsistency(name, labels)


def consistent_entities(
    doc: Doc, ents: Iterable[SpanTuple], labels: Sequence[str], legal_suffixes: frozenset, not_companies: frozenset
) -> List[SpanTuple]:
    """`ents` of an article with the document-level corrections applied: a correction replaces the
    entities it overlaps. Corrections with a label outside `labels` are left out."""
    ents = sorted(set(ents))
    doc.spans[GROUP] = [Span(doc, s, e, label=lab) for s, e, lab in ents]
    try:
        found: List[SpanTuple] = []
        if "ORG" in labels:
            found += dl.org_alias(doc, [GROUP], legal_suffixes, not_companies)
            found += dl.county_team(doc)
        if "PER" in labels:
            found += dl.surnames(doc, [GROUP])
    finally:
        del doc.spans[GROUP]
    out = list(ents)
    for start, end, label in sorted(set(found)):
        out = [x for x in out if not (x[0] < end and start < x[1])] + [(start, end, label)]
    return sorted(out)


class DocConsistency:
    """The component: `doc.ents` made consistent across the article (see the module docstring)."""

    def __init__(self, name: str, labels: Sequence[str]):
        self.name, self.labels = name, list(labels)
        self.legal_suffixes: frozenset = frozenset()
        self.not_companies: frozenset = frozenset()

    def initialize(self, get_examples=None, nlp: Optional[Language] = None, gazetteers_dir: Optional[str] = None):
        """Read the legal forms and the places (cities, countries, states) from build-gazetteers' folder;
        keep only the labels the pipeline's NER predicts (an ORG-only model gets no PER surnames)."""
        if nlp is not None and "ner" in nlp.pipe_names:
            self.labels = [lab for lab in self.labels if lab in nlp.get_pipe("ner").labels]
        if not gazetteers_dir:
            return
        from scripts.lfs import gazetteers as gz

        self.legal_suffixes = gz.legal_suffixes(gazetteers_dir)
        self.not_companies = gz.places_of(gazetteers_dir, "cities") | gz.places_of(gazetteers_dir, "places")

    def __call__(self, doc: Doc) -> Doc:
        ents = consistent_entities(
            doc, [(e.start, e.end, e.label_) for e in doc.ents], self.labels, self.legal_suffixes, self.not_companies
        )
        doc.ents = [Span(doc, s, e, label=lab) for s, e, lab in ents]
        return doc

    def to_disk(self, path, exclude=tuple()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(
            path / "lexicons.json",
            {
                "labels": self.labels,
                "legal_suffixes": sorted(self.legal_suffixes),
                "not_companies": sorted(self.not_companies),
            },
        )

    def from_disk(self, path, exclude=tuple()) -> "DocConsistency":
        data: Dict = srsly.read_json(Path(path) / "lexicons.json")
        self.labels = list(data["labels"])
        self.legal_suffixes = frozenset(data["legal_suffixes"])
        self.not_companies = frozenset(data["not_companies"])
        return self


def articles_consistent(component: DocConsistency, docs: Sequence[Doc]) -> List[Doc]:
    """Sentence Docs with predicted ents -> the same sentences with ents corrected over their whole
    article (consecutive docs sharing (split, doc_id), as the corpus stores them)."""
    out: List[Doc] = []
    for group in document_groups(docs):
        sentences = [docs[i] for i in group]
        merged, offsets = dl.merge(sentences, [])
        ents = [(off + e.start, off + e.end, e.label_) for sent, off in zip(sentences, offsets) for e in sent.ents]
        fixed = consistent_entities(merged, ents, component.labels, component.legal_suffixes, component.not_companies)
        by_sentence = dl.split_back(fixed, offsets, [len(s) for s in sentences])
        out += [copy_with_ents(sent, by_sentence[k]) for k, sent in enumerate(sentences)]
    return out
