"""The `baseline` step: a pretrained pipeline (en_core_web_md by default), zero-shot, on dev and test.

It runs as a user would run it (the text of whole documents through its own tokenizer and every
component: `scoring`), the same way as the trained model in `evaluate`.
Its labels are mapped by `--label-map` ("ontonotes": OntoNotes to CoNLL, the built-in one; "": as they
are; or "FROM:TO,..." pairs, e.g. "PRODUCT:DRUG") and restricted to the project's labels. An empty model
name means no baseline: the figures then compare the model with its weak labels only.
"""

from pathlib import Path
from typing import Annotated, Dict, Optional

import typer
from wasabi import msg

from ..corpus.labels import ONTONOTES_TO_CONLL, parse_labels
from ..project import var
from ..util.errors import UserError, run, setting
from ..util.files import write_json
from .scoring import entity_pipes, load_pipeline_or_exit, score_pipeline, standard_corpora

Arg, Opt = typer.Argument, typer.Option


def parse_label_map(text: str) -> Optional[Dict[str, str]]:
    """ "ontonotes" -> OntoNotes to CoNLL; "" -> None (labels as they are); "A:B,C:D" -> {"A": "B", "C": "D"}."""
    text = text.strip()
    if text == "ontonotes":
        return dict(ONTONOTES_TO_CONLL)
    if not text:
        return None
    out = {}
    for item in (i.strip() for i in text.split(",") if i.strip()):
        source, sep, target = (x.strip() for x in item.partition(":"))
        if not sep or not source or not target:
            raise UserError(f"{item!r} is not FROM:TO (e.g. PRODUCT:DRUG)")
        out[source] = target
    return out


def main(
    model: Annotated[str, Arg(help="Pipeline name or path, e.g. en_core_web_md")],
    corpus_dir: Annotated[Path, Arg(help="Folder with dev.spacy and test.spacy (convert's standard corpora)")],
    output: Annotated[Path, Arg(help="JSON to write")],
    labels: Annotated[str, Opt("--labels", "-l", help="Comma-separated labels")] = var("labels"),
    label_map: Annotated[
        str, Opt("--label-map", help='Its labels to yours: "ontonotes", "" (as they are) or "FROM:TO,..."')
    ] = var("baseline_label_map"),
):
    """Zero-shot scores of a pretrained pipeline on dev and test (an empty model name: no baseline)."""
    label_list = parse_labels(labels)
    try:
        mapping = parse_label_map(label_map)
    except UserError as e:
        raise setting("baseline_label_map", label_map, str(e)) from None
    if not model.strip():
        write_json(output, {"model": None, "labels": label_list})
        msg.info("No baseline (--vars.baseline_model is empty)")
        return
    nlp = load_pipeline_or_exit(model)
    pipes = entity_pipes(nlp)
    if not pipes:
        raise setting("baseline_model", model, f"no pipe of it sets entities (its pipes: {', '.join(nlp.pipe_names)})")
    # the labels it can give at all: its NER's labels, mapped (a row for a corpus it cannot apply to is left out)
    known = {lab for name in pipes for lab in getattr(nlp.get_pipe(name), "labels", ())}
    covers = [lab for lab in label_list if lab in {(mapping or {}).get(k, k if mapping is None else "") for k in known}]
    if not covers:
        msg.warn(f"{model} gives none of the labels {', '.join(label_list)} (--vars.baseline_label_map): no baseline")
        write_json(output, {"model": model, "labels": label_list, "label_map": label_map, "covers": []})
        return
    scores = {}
    for split, refs in standard_corpora(corpus_dir).items():
        with nlp.select_pipes(enable=pipes):
            scores[split] = score_pipeline(nlp, refs, label_list, mapping)["pipeline"]
        msg.info(
            f"{model} on {split}: P {scores[split]['p']:.3f} R {scores[split]['r']:.3f} F {scores[split]['f']:.3f}"
        )
    write_json(output, {"model": model, "labels": label_list, "label_map": label_map, "covers": covers, **scores})


if __name__ == "__main__":
    run(main)
