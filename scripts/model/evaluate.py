"""The `evaluate` step: the trained pipeline on dev and test, beside the baseline and its training labels.

Writes training/metrics.json and metrics.md. The pipeline runs as a user runs it: `nlp.pipe` over the
text of whole documents (convert's dev.spacy and test.spacy), through its own tokenizer, the NER and
`doc_consistency`, so the figure is the one `spacy evaluate training/model-best corpus/test.spacy --code
scripts/pipeline/components.py` prints and the installed package delivers. The NER alone (the same run,
before doc_consistency) is scored too, to show what the component adds.
"""

from collections import Counter
from pathlib import Path
from typing import Annotated, Dict

import srsly
import typer
from wasabi import msg

from ..corpus.labels import parse_labels
from ..pipeline import components  # noqa: F401  (the trained pipeline's tokenizer and doc_consistency)
from ..project import var
from ..util.errors import fine_tunes, run
from ..util.files import write_json, write_text
from .diagnostics import diagnose, markdown
from .scoring import (  # noqa: F401  (evaluate_pipeline: the reference scores with it too)
    REFERENCE,
    comparison_table,
    evaluate_pipeline,
    load_pipeline_or_exit,
    score_pipeline,
    standard_corpora,
    summary_table,
)
from .trained import FINISHED, check_finished

Arg, Opt = typer.Argument, typer.Option


def main(
    model_path: Annotated[Path, Arg(help="Trained pipeline, e.g. training/model-best")],
    corpus_dir: Annotated[Path, Arg(help="Folder with dev.spacy and test.spacy (convert's standard corpora)")],
    baseline_path: Annotated[Path, Arg(help="JSON from `baseline`")],
    aggregate_path: Annotated[Path, Arg(help="JSON from `aggregate` (weak labels scored on dev)")],
    output_dir: Annotated[Path, Arg(help="Where metrics.json and metrics.md go")],
    labels: Annotated[str, Opt("--labels", "-l", help="Comma-separated labels")] = var("labels"),
    reference: Annotated[
        Path, Opt("--reference", help="JSON from the `reference` workflow (the model trained on gold train)")
    ] = Path("training/reference.json"),
    selection: Annotated[
        Path, Opt("--selection", help="score's lf_selection.json: the labels the kept functions emit")
    ] = Path("training/lf_selection.json"),
    train_gold: Annotated[
        Path, Opt("--train-gold", help="convert's count of train's gold entities (whether a reference can train)")
    ] = Path("corpus/train_gold_count.json"),
):
    """Score the trained model on dev and test and compare it with the baseline and its training labels."""
    label_list = parse_labels(labels)
    check_finished(model_path)
    nlp = load_pipeline_or_exit(str(model_path))
    corpora = standard_corpora(corpus_dir)
    scores = evaluate_pipeline(nlp, corpora, label_list)
    ner_only = scores.pop("ner", {})
    base = srsly.read_json(baseline_path)
    if base.get("model") and not base.get("covers", label_list):  # it gives none of the labels: no row
        base = {"model": None}
    agg = srsly.read_json(aggregate_path)
    ref = srsly.read_json(reference) if reference.is_file() else {}
    metrics: Dict = {"labels": label_list, "splits": list(scores)}
    # the weak labels' scores: on dev (which chose them), and on the held-out sets (scored only)
    votes = {"dev": {"scores": agg["dev"], "also": agg.get("also", {})}, **agg.get("held_out", {})}
    for split in scores:
        metrics[split] = {f"baseline ({base['model']})": base[split]} if base.get("model") and split in base else {}
        weak = votes.get(split)
        if weak:
            for kind, other in sorted(weak["also"].items()):
                metrics[split][f"weak labels ({kind})"] = other
            metrics[split][f"weak labels ({agg['aggregator']})"] = weak["scores"]
        if ner_only:
            metrics[split]["weakly supervised model, NER alone"] = ner_only[split]
        metrics[split]["weakly supervised model"] = scores[split]
        if split in ref.get("scores", {}):
            metrics[split][REFERENCE] = ref["scores"][split]
    dev = corpora.get("dev", [])
    kept = srsly.read_json(selection)["kept"] if selection.is_file() else None
    found = diagnose(
        label_list,
        dict(Counter(e.label_ for d in dev for e in d.ents)),
        len(dev),
        None if kept is None else {lab for labs in kept.values() for lab in labs},
        scores.get("dev"),
        agg.get("dev"),
        base.get("dev") if base.get("model") else None,
        best_at_last(model_path),
    )
    metrics["diagnostics"] = found
    write_json(output_dir / "metrics.json", metrics)
    table = summary_table(metrics, label_list) + "\n\n## Per label\n\n" + comparison_table(metrics, label_list)
    if ref.get("scores"):
        reference_note = (
            f"The {REFERENCE} is the same config trained on the gold labels of train ({ref.get('steps')} steps): "
            "how far weak supervision is from full supervision, not a result of the method."
        )
    elif has_gold(train_gold):
        reference_note = (
            "The supervised reference (the same config trained on gold train) is not trained: "
            "`spacy project run reference`."
        )
    else:  # train has no gold: there is no reference to train
        reference_note = ""
    note = (
        f"{trained_with(model_path)}Models (baseline, weakly supervised, reference) run on the text of whole "
        "documents, as `spacy evaluate` and a user's `nlp.pipe` do; the weak labels are the votes on the corpus's "
        f"own tokens. {reference_note}"
    ).strip() + "\n\n"
    write_text(output_dir / "metrics.md", f"# Entity-level scores (spaCy scorer)\n\n{note}{table}\n\n{markdown(found)}")
    print(table)
    if found:
        msg.divider("What the figures say")
        for d in found:
            msg.warn(d["message"])
    msg.good(f"Wrote {output_dir / 'metrics.json'} and {output_dir / 'metrics.md'}")


def trained_with(model_best: Path) -> str:
    """What trained the model, from train's marker: the config, the pipeline it fine-tuned, the steps."""
    marker = model_best / FINISHED
    if not marker.is_file():
        return ""
    done = srsly.read_json(marker)
    overrides = done.get("overrides", {})
    config = done.get("config", "?")
    source = f", {overrides.get('paths.source')}'s NER fine-tuned" if fine_tunes(Path(config)) else ", from scratch"
    steps = overrides.get("training.max_steps")
    return f"The weakly supervised model: `{config}`{source}{f', at most {steps} steps' if steps else ''}. "


def best_at_last(model_best: Path) -> bool:
    """Whether training's best dev score is its last evaluation's: model-best's score is model-last's. (Not a
    dep: model-last changes only with model-best, whose marker is one; a pulled project may lack it.)"""
    metas = [model_best / "meta.json", model_best.parent / "model-last" / "meta.json"]
    if not all(m.is_file() for m in metas):
        return False
    best, last = (srsly.read_json(m).get("performance", {}).get("ents_f") for m in metas)
    return best is not None and best == last


def has_gold(count_path: Path) -> bool:
    """Whether train has gold entities, from convert's count (train's gold itself is read by no step of the
    method)."""
    return count_path.is_file() and srsly.read_json(count_path).get("train_gold_entities", 0) > 0


if __name__ == "__main__":
    run(main)
