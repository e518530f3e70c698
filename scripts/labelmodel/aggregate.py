"""The `aggregate` step: vote over the kept labelling functions and export the spaCy corpora.

Writes `corpus/train.spacy` (the votes, reviews applied, empty docs balanced: `training_corpus`),
the voted corpora with every function's group for Argilla (`--review-dir`), and the votes' scores
on dev, to show what the model adds over its training labels. (The model's dev set, gold in doc.ents,
is `convert`'s corpus/dev.spacy.)
"""

from pathlib import Path
from typing import Annotated, Optional

import srsly
import typer
from wasabi import msg

from ..corpus.docbin import make_vocab, read_docs
from ..corpus.labels import parse_labels
from ..project import var
from ..util import timing
from ..util.errors import check_range, run, setting
from ..util.files import write_json
from ..util.parallel import Parallelism
from . import registry
from .training_corpus import GoldInTrainError, vote_train_and_dev, write_dev

Arg, Opt = typer.Argument, typer.Option


def main(
    train_path: Annotated[Path, Arg(help="Annotated train: a folder of .spacy shards or one .spacy file", exists=True)],
    dev_path: Annotated[Path, Arg(help="Annotated dev (with gold): a folder of shards or a .spacy file", exists=True)],
    selection_path: Annotated[Path, Arg(help="lf_selection.json from `score`", exists=True, dir_okay=False)],
    output_dir: Annotated[Path, Arg(help="Where train.spacy goes")],
    scores_path: Annotated[Path, Arg(help="JSON with the aggregated labels' scores on dev")],
    labels: Annotated[str, Opt("--labels", "-l", help="Comma-separated labels")] = var("labels"),
    aggregator: Annotated[str, Opt("--aggregator", "-a", help="The label model (labelmodel/registry.py)")] = var(
        "aggregator"
    ),
    seed: Annotated[int, Opt("--seed", help="Seed for sampling empty docs and the HMM's training sample")] = var(
        "seed"
    ),
    reviewed_path: Annotated[Optional[Path], Opt("--reviewed", help="Reviewed docs pulled from Argilla")] = None,
    review_dir: Annotated[
        Optional[Path],
        Opt("--review-dir", help="Also write {train,dev}_aggregated/ here: every function, the aggregate (+ dev gold)"),
    ] = None,
    fit_docs: Annotated[
        int,
        Opt("--fit-docs", help="A label model that needs a fit (the HMM) fits on at most this many train docs"),
    ] = var("hmm_fit_docs"),
    n_process: Annotated[int, Opt("--n-process", "-n", help="Worker processes (0: all cores)")] = var("n_process"),
    shard_size: Annotated[int, Opt("--shard-size", help="Documents per shard")] = var("shard_size"),
    scheduler: Annotated[
        str, Opt("--scheduler", help="Dask scheduler address (default: $DASK_SCHEDULER_ADDRESS); empty: this machine")
    ] = var("dask_scheduler"),
    train_name: Annotated[
        str, Opt("--train-name", help="The training corpus in output_dir: a .spacy file, or a folder of shards")
    ] = "train.spacy",
    held_out: Annotated[
        Optional[Path], Opt("--held-out", help="Annotated held-out sets (a folder per set, with gold): scored only")
    ] = None,
):
    """Vote over the kept labelling functions and write corpus/train.spacy."""
    timing.start()
    label_list = parse_labels(labels)
    if aggregator not in registry.names():
        raise setting("aggregator", aggregator, f"must be one of {', '.join(registry.names())}")
    check_range("hmm_fit_docs", fit_docs, 1)
    selection = srsly.read_json(selection_path)
    kept, weights = selection["kept"], selection.get("weights") or {}
    negative = [name for name in selection.get("negative") or [] if name in kept]
    parallel = Parallelism.from_options(n_process, shard_size, scheduler)
    reviewed = read_docs(reviewed_path, make_vocab()) if reviewed_path is not None and reviewed_path.exists() else []
    agg = registry.make(aggregator, label_list, weights, negative)
    review_train = review_dir / "train_aggregated" if review_dir else None
    try:
        counts, dev, held_out_scores = vote_train_and_dev(
            agg,
            kept,
            label_list,
            train_path,
            dev_path,
            output_dir / train_name,
            seed,
            fit_docs,
            reviewed,
            review_train,
            parallel,
            held_out,
        )
    except GoldInTrainError as e:
        msg.fail(f"{train_path}: {e}", exits=1)
    except ConnectionError as e:
        msg.fail(str(e), exits=1)
    if review_dir:
        with timing.phase("writing"):
            write_dev(dev, review_dir / "dev_aggregated", shard_size)
    if counts.get("fit_docs"):
        msg.text(f"Fitted {aggregator} on {counts['fit_docs']} train docs")
    reviews = {k: counts[k] for k in ("reviewed", "discarded", "ignored_other_splits", "not_in_corpus")}
    n_annotated = counts.get("with_entities", 0)
    write_json(
        scores_path,
        {
            "aggregator": aggregator,
            "labels": label_list,
            "dev": dev.scores,
            "also": dev.also,
            "held_out": held_out_scores,
            "sources": sorted(kept),
            "train_docs": counts["docs"],
            "train_docs_with_entities": n_annotated,
            "reviews": reviews,
            # what a generative label model learnt of each function (`LabelModel.reliability`)
            "reliability": agg.reliability(),
        },
    )
    msg.good(
        f"{aggregator}: {counts['docs']} of {counts['voted']} train docs ({n_annotated} with entities, "
        f"{counts['reviewed']} reviewed, {counts['discarded']} discarded) -> {output_dir / train_name}"
    )
    if counts["not_in_corpus"]:
        msg.warn(
            f"{counts['not_in_corpus']} train reviews in {reviewed_path} are of sentences no longer in {train_path} "
            "(edited or deleted upstream): kept in the file, not applied"
        )
    low, high = dev.scores["f_95"]
    msg.info(
        f"Aggregated labels on dev: P {dev.scores['p']:.3f} R {dev.scores['r']:.3f} F {dev.scores['f']:.3f} "
        f"(95%: {low:.3f}-{high:.3f}, resampling {dev.scores['interval_over']})"
    )
    for name, result in held_out_scores.items():
        msg.info(f"Aggregated labels on {name} (scored only): F {result['scores']['f']:.3f}")
    msg.info(timing.summary())
    timing.report()


if __name__ == "__main__":
    run(main)
