"""The `evaluate` step: the trained pipeline on dev and test, beside the baseline and its training labels.

Writes training/metrics.json and metrics.md. The pipeline runs as a user runs it: `nlp.pipe` over the
text of whole documents (convert's dev.spacy and test.spacy), through its own tokenizer, the NER and
`doc_consistency`, so the figure is the one `spacy evaluate training/model-best corpus/test.spacy --code
scripts/pipeline/components.py` prints and the installed package delivers. The NER alone (the same run,
before doc_consistency) is scored too, to show what the component adds.
"""

from pathlib import Path
from typing import Annotated, Dict

import srsly
import typer
from wasabi import msg

from ..corpus.labels import parse_labels
from ..pipeline import components  # noqa: F401  (the trained pipeline's tokenizer and doc_consistency)
from ..project import var
from ..util.errors import run
from ..util.files import write_json, write_text
from .scoring import (  # noqa: F401  (evaluate_pipeline: the reference scores with it too)
    comparison_table,
    evaluate_pipeline,
    load_pipeline_or_exit,
    score_pipeline,
    standard_corpora,
    summary_table,
)
from .trained import check_finished

REFERENCE = "supervised reference (gold train, not part of the method)"


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
):
    """Score the trained model on dev and test and compare it with the baseline and its training labels."""
    label_list = parse_labels(labels)
    check_finished(model_path)
    nlp = load_pipeline_or_exit(str(model_path))
    scores = evaluate_pipeline(nlp, standard_corpora(corpus_dir), label_list)
    ner_only = scores.pop("ner", {})
    base = srsly.read_json(baseline_path)
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
    write_json(output_dir / "metrics.json", metrics)
    table = summary_table(metrics, label_list) + "\n\n## Per label\n\n" + comparison_table(metrics, label_list)
    note = (
        "Models (baseline, weakly supervised, reference) run on the text of whole documents, as `spacy evaluate` "
        "and a user's `nlp.pipe` do; the weak labels are the votes on the corpus's own tokens. "
        + (
            f"The {REFERENCE} is the same config trained on the gold labels of train ({ref.get('steps')} steps): "
            "how far weak supervision is from full supervision, not a result of the method."
            if ref.get("scores")
            else "The supervised reference (the same config trained on gold train) is not trained: "
            "`spacy project run reference`."
        )
        + "\n\n"
    )
    write_text(output_dir / "metrics.md", f"# Entity-level scores (spaCy scorer)\n\n{note}{table}")
    print(table)
    msg.good(f"Wrote {output_dir / 'metrics.json'} and {output_dir / 'metrics.md'}")


if __name__ == "__main__":
    run(main)
