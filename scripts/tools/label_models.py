"""Every label model of the registry on the same annotated corpora: dev scores, fit and vote times.

    python -m scripts.tools.label_models corpus/train_annotated corpus/dev_annotated training/lf_selection.json \
        training/label_models.json

Each model is made with `score`'s weights, fitted (if it needs a fit) on the seeded train sample that
`aggregate` uses, then votes over train and dev in this one process; its votes on dev are scored
against gold as `aggregate` scores them. Times are process-seconds of this process, decoding excluded.
Writes the JSON and, beside it, a markdown table (`.md`) that docs/label_models.md shows.
"""

import os
import platform
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Dict, List, Tuple

import srsly
import typer
from wasabi import msg

from ..corpus.docbin import iter_docs, make_vocab
from ..corpus.gold import gold_spans, score_spans
from ..corpus.labels import parse_labels
from ..labelmodel import registry
from ..labelmodel.base import Kept, spans_of, vote
from ..labelmodel.training_corpus import fit_label_model
from ..project import var
from ..util.errors import check_range, run
from ..util.files import markdown_table, write_json, write_text
from ..util.parallel import Parallelism


def compare(
    train_path: Path,
    dev_path: Path,
    kept: Kept,
    weights: Dict[str, float],
    labels: List[str],
    fit_docs: int,
    seed: int,
    shard_size: int,
) -> Tuple[Dict[str, Dict], int]:
    """({model name: its options, fit and vote seconds, dev scores}, train's docs): every model of the
    registry."""
    vocab = make_vocab()
    train, dev = list(iter_docs(train_path, vocab)), list(iter_docs(dev_path, vocab))
    gold = gold_spans(dev, labels)
    out = {}
    for name in registry.names():
        model = registry.make(name, labels, weights)
        fit_s = 0.0
        if model.needs_fit:
            begin = time.process_time()
            fit_label_model(model, train_path, kept, fit_docs, seed, Parallelism(1, shard_size))
            fit_s = time.process_time() - begin
        begin = time.process_time()
        vote(model, [d.copy() for d in train], kept, keep_groups=False)
        vote_train_s = time.process_time() - begin
        begin = time.process_time()
        voted = vote(model, [d.copy() for d in dev], kept, keep_groups=False)
        vote_dev_s = time.process_time() - begin
        scores = score_spans([spans_of(d, name) for d in voted], gold, labels)
        out[name] = {
            "class": type(model).__name__,
            "needs_fit": model.needs_fit,
            "options": model.options(),
            "fit_s": round(fit_s, 2),
            "vote_train_s": round(vote_train_s, 2),
            "vote_dev_s": round(vote_dev_s, 2),
            "dev": scores,
        }
        msg.text(f"{name}: dev F {scores['f']:.3f}, fit {fit_s:.1f} s, votes {vote_train_s + vote_dev_s:.1f} s")
    return out, len(train)


def table(result: Dict) -> str:
    """The markdown table of a result: one row per label model."""
    labels = result["labels"]
    header = ["label model", "dev P", "dev R", "dev F", *[f"{lab} F" for lab in labels], "fit (s)", "votes (s)"]
    rows = []
    for name, m in result["models"].items():
        per = m["dev"].get("per_type", {})
        rows.append(
            [
                f"`{name}`",
                f"{m['dev']['p']:.3f}",
                f"{m['dev']['r']:.3f}",
                f"**{m['dev']['f']:.3f}**",
                *[f"{per.get(lab, {}).get('f', 0):.3f}" for lab in labels],
                f"{m['fit_s']:.1f}" if m["needs_fit"] else "-",
                f"{m['vote_train_s']:.1f} + {m['vote_dev_s']:.1f}",
            ]
        )
    machine = result["machine"]
    head = (
        f"Measured on {result['date']} ({machine['cpu_count']} cores, Python {machine['python']}, "
        f"{machine['processor'] or machine['platform']}); {result['train_docs']} train docs, the HMM's fit on "
        f"at most {result['fit_docs']}, {len(result['kept'])} kept functions, one process; votes: train + dev.\n\n"
    )
    return head + markdown_table(header, rows)


Arg, Opt = typer.Argument, typer.Option


def main(
    train_path: Annotated[Path, Arg(help="Annotated train (corpus/train_annotated)", exists=True)],
    dev_path: Annotated[Path, Arg(help="Annotated dev, with gold (corpus/dev_annotated)", exists=True)],
    selection_path: Annotated[Path, Arg(help="lf_selection.json from `score`", exists=True, dir_okay=False)],
    output: Annotated[Path, Arg(help="JSON of every model's figures (a .md table is written beside it)")],
    labels: Annotated[str, Opt("--labels", "-l", help="Comma-separated labels")] = var("labels"),
    fit_docs: Annotated[int, Opt("--fit-docs", help="Models that need a fit fit on this many train docs")] = var(
        "hmm_fit_docs"
    ),
    seed: Annotated[int, Opt("--seed", help="Seed of the fit's train sample")] = var("seed"),
    shard_size: Annotated[int, Opt("--shard-size", help="Documents per shard, to cut a .spacy train file")] = var(
        "shard_size"
    ),
):
    """Compare every label model of labelmodel/registry.py on dev: scores, fit and vote times."""
    label_list = parse_labels(labels)
    check_range("hmm_fit_docs", fit_docs, 1)
    selection = srsly.read_json(selection_path)
    kept, weights = selection["kept"], selection.get("weights") or {}
    check_range("shard_size", shard_size, 1)
    models, n_train = compare(train_path, dev_path, kept, weights, label_list, fit_docs, seed, shard_size)
    result = {
        "date": date.today().isoformat(),
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor(),
        },
        "labels": label_list,
        "kept": sorted(kept),
        "fit_docs": fit_docs,
        "train_docs": n_train,
        "models": models,
    }
    write_json(output, result)
    write_text(output.with_suffix(".md"), table(result))
    msg.good(f"{len(models)} label models -> {output} and {output.with_suffix('.md')}")


if __name__ == "__main__":
    run(main)
