"""The `baseline` step: a pretrained pipeline (en_core_web_md), zero-shot, on dev and test.

Its OntoNotes labels are mapped to CoNLL's and restricted to the project's labels.
"""

from pathlib import Path
from typing import Annotated

import typer
from wasabi import msg

from ..corpus.errors import run
from ..corpus.files import write_json
from ..corpus.gold import gold_docs, score_ents
from ..corpus.labels import ONTONOTES_TO_CONLL, parse_labels
from ..project import var
from .scoring import SPLITS, gold_corpora, load_pipeline_or_exit, predict

Arg, Opt = typer.Argument, typer.Option


def main(
    model: Annotated[str, Arg(help="Pipeline name or path, e.g. en_core_web_md")],
    corpus_dir: Annotated[Path, Arg(help="Folder with dev_gold.spacy and test_gold.spacy")],
    output: Annotated[Path, Arg(help="JSON to write")],
    labels: Annotated[str, Opt("--labels", "-l", help="Comma-separated labels")] = var("labels"),
):
    """Zero-shot scores of a pretrained pipeline on dev and test."""
    label_list = parse_labels(labels)
    nlp = load_pipeline_or_exit(model)
    scores = {}
    for split, docs in gold_corpora(corpus_dir).items():
        predicted = predict(nlp, docs, label_list, ONTONOTES_TO_CONLL)
        scores[split] = score_ents(predicted, gold_docs(docs, label_list), label_list)
    write_json(output, {"model": model, "labels": label_list, **scores})
    for split in SPLITS:
        msg.info(
            f"{model} on {split}: P {scores[split]['p']:.3f} R {scores[split]['r']:.3f} F {scores[split]['f']:.3f}"
        )


if __name__ == "__main__":
    run(main)
