"""The `evaluate` step: the trained pipeline on dev and test, beside the baseline and its training labels.

Writes training/metrics.json and metrics.md. The NER runs sentence by sentence, as it was trained,
then `doc_consistency` over each whole article; the NER alone is scored too.
"""

from pathlib import Path
from typing import Annotated, Dict, List, Sequence

import srsly
import typer
from spacy.tokens import Doc
from wasabi import msg

from ..corpus.errors import UserError, run
from ..corpus.files import write_json, write_text
from ..corpus.gold import gold_docs, score_ents
from ..corpus.labels import parse_labels
from ..project import var
from .components import articles_consistent  # and registers doc_consistency, which the trained pipeline holds
from .scoring import SPLITS, comparison_table, gold_corpora, load_pipeline_or_exit, predict
from .train import FINISHED, finished


def evaluate_pipeline(nlp, corpora: Dict[str, Sequence[Doc]], labels: List[str]) -> Dict:
    """Scores per split of the pipeline. A `doc_consistency` component corrects the NER's sentences over
    each whole article; then {"ner": the NER alone} is scored too (the same predictions), so that
    what the component adds is visible."""
    out: Dict = {}
    for split, docs in corpora.items():
        gold = gold_docs(docs, labels)
        ner = predict(nlp, docs, labels)
        if "doc_consistency" in nlp.pipe_names:
            out.setdefault("ner", {})[split] = score_ents(ner, gold, labels)
            ner = articles_consistent(nlp.get_pipe("doc_consistency"), ner)
        out[split] = score_ents(ner, gold, labels)
    return out


Arg, Opt = typer.Argument, typer.Option


def main(
    model_path: Annotated[Path, Arg(help="Trained pipeline, e.g. training/model-best")],
    corpus_dir: Annotated[Path, Arg(help="Folder with dev_gold.spacy and test_gold.spacy")],
    baseline_path: Annotated[Path, Arg(help="JSON from `baseline`")],
    aggregate_path: Annotated[Path, Arg(help="JSON from `aggregate` (weak labels scored on dev)")],
    output_dir: Annotated[Path, Arg(help="Where metrics.json and metrics.md go")],
    labels: Annotated[str, Opt("--labels", "-l", help="Comma-separated labels")] = var("labels"),
):
    """Score the trained model on dev and test and compare it with the baseline and its training labels."""
    label_list = parse_labels(labels)
    if not finished(model_path):
        raise UserError(
            f"{model_path} is not a pipeline that `train` finished (no {FINISHED}: a killed run, or trained "
            "another way): run `spacy project run train`"
        )
    nlp = load_pipeline_or_exit(str(model_path))
    scores = evaluate_pipeline(nlp, gold_corpora(corpus_dir), label_list)
    ner_only = scores.pop("ner", {})
    base = srsly.read_json(baseline_path)
    agg = srsly.read_json(aggregate_path)
    metrics: Dict = {"labels": label_list}
    for split in (s for s in SPLITS if s in scores):
        metrics[split] = {f"baseline ({base['model']})": base[split]} if base.get("model") and split in base else {}
        if split == "dev":
            for kind, other in sorted(agg.get("also", {}).items()):
                metrics[split][f"weak labels ({kind})"] = other
            metrics[split][f"weak labels ({agg['aggregator']})"] = agg["dev"]
        if ner_only:
            metrics[split]["weakly supervised model, NER alone"] = ner_only[split]
        metrics[split]["weakly supervised model"] = scores[split]
    write_json(output_dir / "metrics.json", metrics)
    table = comparison_table(metrics, label_list)
    write_text(output_dir / "metrics.md", f"# Entity-level scores (spaCy scorer)\n\n{table}")
    print(table)
    msg.good(f"Wrote {output_dir / 'metrics.json'} and {output_dir / 'metrics.md'}")


if __name__ == "__main__":
    run(main)
