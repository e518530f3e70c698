"""All labelling functions of the project, in one place.

`build_annotator(labels)` returns the skweak `CombinedAnnotator` that the `annotate` step applies:
each labelling function writes its spans to `doc.spans[NAME]`. Layers are added by one method
each, so what the project uses is visible at a glance.
"""
from functools import partial
from typing import Iterable, List

from skweak.base import CombinedAnnotator
from skweak.heuristics import FunctionAnnotator
from spacy.tokens import Doc

from ..util import doc_ref
from . import tutorial


class LabellingFunctionError(RuntimeError):
    """A labelling function raised: the message names the function and the document."""


class LabellingFunctions(CombinedAnnotator):
    """The project's labelling functions; errors name the function and the doc that broke it."""

    def __init__(self, labels: Iterable[str]):
        super().__init__()
        self.labels = list(labels)

    def add_tutorial_annotators(self) -> "LabellingFunctions":
        """The tutorial's 23 ORG functions: sports tables, keyword-anchored titles, -shire teams."""
        if "ORG" not in self.labels:
            return self
        self.add_annotator(FunctionAnnotator("sports_results", tutorial.sports_results))
        self.add_annotator(FunctionAnnotator("sports_match", tutorial.sports_match))
        for keyword in tutorial.TITLE_START:
            func = partial(tutorial.title_detector, keyword=keyword, reverse=False)
            self.add_annotator(FunctionAnnotator(f"{keyword} (start)", func))
        for keyword in tutorial.TITLE_END:
            func = partial(tutorial.title_detector, keyword=keyword, reverse=True)
            self.add_annotator(FunctionAnnotator(f"{keyword} (end)", func))
        self.add_annotator(FunctionAnnotator("shire_team", tutorial.shire_team))
        return self

    @property
    def names(self) -> List[str]:
        return [a.name for a in self.annotators]

    def __call__(self, doc: Doc) -> Doc:
        for annotator in self.annotators:
            doc = self._run(annotator, doc)
        return doc

    def pipe(self, docs: Iterable[Doc]) -> Iterable[Doc]:
        for doc in docs:
            yield self(doc)

    def _run(self, annotator, doc: Doc) -> Doc:
        try:
            out = annotator(doc)
        except Exception as e:
            raise LabellingFunctionError(
                f"labelling function {annotator.name!r} raised {type(e).__name__}: {e} on {doc_ref(doc)}"
            ) from e
        # Only the project's labels go into the corpus (an LF may know more than we train).
        group = out.spans[annotator.name]
        if any(span.label_ not in self.labels for span in group):
            out.spans[annotator.name] = [s for s in group if s.label_ in self.labels]
        return out


def build_annotator(labels: Iterable[str]) -> LabellingFunctions:
    """The labelling functions for `labels` (e.g. ["ORG"])."""
    return LabellingFunctions(labels).add_tutorial_annotators()
