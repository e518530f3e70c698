"""Any spaCy pipeline as a labelling function (`registry.pipeline`, or a preset's `pipelines:`)."""

from typing import Dict, Sequence

from spacy.tokens import Doc, Span

from ..pretrained.pipelines import entities, load_whole
from ..pretrained.runs import Run
from ..util.errors import UserError


class PipelineFunction:
    """Any spaCy pipeline (an installed package or a path) as a labelling function over batches of docs:
    its entities whose label is in `label_map`, renamed (e.g. {"PRODUCT": "DRUG"}); the rest ignored. The
    entities are the `pretrained` step's where it ran the pipeline (a preset's `pipelines:`), else the
    pipeline runs here."""

    def __init__(self, name: str, model: str, label_map: Dict[str, str], labels: Sequence[str], batch_size: int = 256):
        self.name, self.model, self.batch_size = name, model, batch_size
        self.run = Run(model, "pipeline")
        self.label_map = {k: v for k, v in label_map.items() if v in labels}

    def load(self):
        try:
            return load_whole(self.model)
        except OSError as e:
            raise UserError(
                f"labelling function {self.name!r}: cannot load the spaCy pipeline {self.model!r} "
                f"({str(e).split('.')[0]}): install it (pip install ...) or give a path to it"
            ) from None

    def annotate(self, docs: Sequence[Doc]) -> None:
        if any(self.run.group not in d.spans for d in docs):
            self.load()  # one line if it is not installed
        for doc, found in zip(docs, entities(self.run, docs, self.batch_size)):
            doc.spans[self.name] = [
                Span(doc, s, e, label=self.label_map[label]) for s, e, label in found if label in self.label_map
            ]
