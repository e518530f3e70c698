"""The supervised reference, not part of the method: the same config trained on the gold labels of train.

It shows a user how far weak supervision is from full supervision on their data: the weakly supervised
model's F over the reference's is the measure of the weak labels, the reference itself that of the model.
The `reference` workflow is the only place where the gold labels of train are read into a training file
(corpus/reference_train.spacy); nothing in `all` depends on that file, and `evaluate` shows the scores as a
row of their own, "supervised reference (gold train, not part of the method)".

    python -m scripts.model.reference corpus corpus/train_gold.spacy corpus/reference_train.spacy
    python -m scripts.model.reference score training/reference/model-best corpus training/reference.json
"""

from pathlib import Path
from typing import Annotated, Dict, List, Tuple

import typer
from wasabi import msg

from ..corpus.docbin import CorpusWriter, copy_with_ents, iter_docs, make_vocab
from ..corpus.labels import GOLD, parse_labels
from ..pipeline import components  # noqa: F401  (the trained pipeline's tokenizer and doc_consistency)
from ..project import var
from ..util.errors import UserError, run
from ..util.files import write_json
from .scoring import evaluate_pipeline, load_pipeline_or_exit, standard_corpora
from .trained import check_finished

TRAINED = "trained"


def reference_corpus(train_gold: Path, output: Path, labels: List[str]) -> Tuple[int, int]:
    """Every train sentence with its gold entities of `labels` as doc.ents (none dropped, none balanced: plain
    supervised training), streamed into `output`; (sentences, entities) written."""
    n_docs = n_ents = 0
    vocab = make_vocab()
    with CorpusWriter(output, sharded=False) as out:
        for doc in iter_docs(train_gold, vocab):
            ents = [(s.start, s.end, s.label_) for s in doc.spans.get(GOLD, []) if s.label_ in labels]
            out.add(copy_with_ents(doc, ents))
            n_docs, n_ents = n_docs + 1, n_ents + len(ents)
        if not n_ents:  # inside the block: nothing is written
            raise UserError(
                f"{train_gold}: no gold entity of {', '.join(labels)} in train: the supervised reference needs a "
                "labelled train split (a corpus of unlabelled train text has no reference)"
            )
    return n_docs, n_ents


def score_reference(model: Path, corpus_dir: Path, labels: List[str], steps: int) -> Dict:
    """The reference's scores on every corpus `evaluate` scores (dev, test, the extra test sets)."""
    check_finished(model, "run the reference again")
    nlp = load_pipeline_or_exit(str(model))
    scores = evaluate_pipeline(nlp, standard_corpora(corpus_dir), labels)
    ner = scores.pop("ner", {})
    return {
        "status": TRAINED,
        "model": str(model),
        "steps": steps,
        "labels": labels,
        "splits": list(scores),  # the JSON's keys are sorted: this is the table order
        "scores": scores,
        "ner": ner,
    }


app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0])
Arg, Opt = typer.Argument, typer.Option


@app.command("corpus")
def corpus_cmd(
    train_gold: Annotated[Path, Arg(help="convert's train_gold.spacy (sentences, gold in doc.spans['gold'])")],
    output: Annotated[Path, Arg(help="Training corpus to write (gold in doc.ents)")],
    labels: Annotated[str, Opt("--labels", "-l", help="Comma-separated labels")] = var("labels"),
):
    """Write the gold labels of train as a spaCy training corpus (the reference only)."""
    n_docs, n_ents = reference_corpus(train_gold, output, parse_labels(labels))
    msg.good(f"{n_docs} train sentences with {n_ents} gold entities -> {output} (the supervised reference only)")


@app.command("score")
def score_cmd(
    model: Annotated[Path, Arg(help="The reference pipeline, e.g. training/reference/model-best")],
    corpus_dir: Annotated[Path, Arg(help="Folder with dev.spacy, test.spacy and extra_tests/")],
    output: Annotated[Path, Arg(help="JSON to write (evaluate reads it)")],
    labels: Annotated[str, Opt("--labels", "-l", help="Comma-separated labels")] = var("labels"),
    steps: Annotated[int, Opt("--steps", help="Training steps, recorded with the scores")] = var("max_steps"),
):
    """Score the reference on dev, test and the extra test sets."""
    result = score_reference(model, corpus_dir, parse_labels(labels), steps)
    write_json(output, result)
    for split in result["splits"]:
        s = result["scores"][split]
        msg.info(f"supervised reference on {split}: P {s['p']:.3f} R {s['r']:.3f} F {s['f']:.3f}")
    msg.good(f"Wrote {output}: `spacy project run evaluate` (or `all`) shows it beside the weakly supervised model")


if __name__ == "__main__":
    run(app)
