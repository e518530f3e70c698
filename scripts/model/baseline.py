"""The `baseline` step: a pretrained pipeline (en_core_web_md by default), zero-shot, on dev (on test: `final`).

It runs as a user would run it (the text of whole documents through its own tokenizer and every
component: `scoring`), the same way as the trained model in `evaluate`.
Its labels are mapped by `--label-map` ("ontonotes": OntoNotes to CoNLL, the built-in one; "": as they
are; or "FROM:TO,..." pairs, e.g. "PRODUCT:DRUG") and restricted to the project's labels. An empty model
name means no baseline: the figures then compare the model with its weak labels only.
"""

from pathlib import Path
from typing import Annotated

import typer
from wasabi import msg

from ..corpus.labels import parse_labels
from ..project import var
from ..util.errors import UserError, run, setting
from ..util.files import write_json
from .scoring import parse_label_map, score_baseline, standard_corpora

Arg, Opt = typer.Argument, typer.Option


def main(
    model: Annotated[str, Arg(help="Pipeline name or path, e.g. en_core_web_md")],
    corpus_dir: Annotated[Path, Arg(help="Folder with dev.spacy and test.spacy (convert's standard corpora)")],
    output: Annotated[Path, Arg(help="JSON to write")],
    labels: Annotated[str, Opt("--labels", "-l", help="Comma-separated labels")] = var("labels"),
    label_map: Annotated[
        str, Opt("--label-map", help='Its labels to yours: "ontonotes", "" (as they are) or "FROM:TO,..."')
    ] = var("baseline_label_map"),
):
    """Zero-shot scores of a pretrained pipeline on dev (an empty model name: no baseline)."""
    label_list = parse_labels(labels)
    try:
        mapping = parse_label_map(label_map)
    except UserError as e:
        raise setting("baseline_label_map", label_map, str(e)) from None
    if not model.strip():
        write_json(output, {"model": None, "labels": label_list})
        msg.info("No baseline (--vars.baseline_model is empty)")
        return
    covers, scores = score_baseline(model, mapping, standard_corpora(corpus_dir), label_list)
    if not covers:
        msg.warn(f"{model} gives none of the labels {', '.join(label_list)} (--vars.baseline_label_map): no baseline")
    for split, s in scores.items():
        msg.info(f"{model} on {split}: P {s['p']:.3f} R {s['r']:.3f} F {s['f']:.3f}")
    write_json(output, {"model": model, "labels": label_list, "label_map": label_map, "covers": covers, **scores})


if __name__ == "__main__":
    run(main)
