"""The `seeds` step: the training config trained once per seed, each model scored on dev, so that a difference
between two configurations can be read against the spread that another seed alone gives.

Writes training/seeds.json and seeds.md: each seed's dev F (with its 95% interval) and the mean, standard
deviation and range over the seeds. Dev only: the seeds are a means of choosing, and test is for the end.
The models are scored as `evaluate` scores model-best (whole documents through `nlp.pipe`) and not kept.
"""

import statistics
import tempfile
from pathlib import Path
from typing import Annotated, Dict, List, Optional

import typer
from wasabi import msg

from ..corpus.docbin import make_vocab, read_docs
from ..corpus.labels import parse_labels
from ..project import var
from ..util.errors import UserError, run, setting
from ..util.files import markdown_table, write_json, write_text
from .scoring import evaluate_pipeline, load_pipeline_or_exit
from .training import train


def parse_seeds(text: str) -> List[int]:
    """ "1,2,3" -> [1, 2, 3]: two or more distinct integers."""
    try:
        seeds = [int(s) for s in text.replace(" ", "").split(",") if s]
    except ValueError:
        raise setting("seeds", text, "give comma-separated integers, e.g. 1,2,3") from None
    if len(set(seeds)) < 2:
        raise setting("seeds", text, "give two seeds or more, e.g. 1,2,3 (one seed has no spread)")
    return list(dict.fromkeys(seeds))


def summary(per_seed: Dict[int, Dict]) -> Dict:
    """Mean, standard deviation (over the seeds, n - 1) and range of the seeds' dev F."""
    fs = [s["f"] for s in per_seed.values()]
    return {
        "mean": round(statistics.mean(fs), 4),
        "sd": round(statistics.stdev(fs), 4),
        "min": round(min(fs), 4),
        "max": round(max(fs), 4),
        "n": len(fs),
    }


def report(per_seed: Dict[int, Dict], stats: Dict) -> str:
    """seeds.md: a row per seed, then the spread."""
    rows = [[seed, f"{s['f']:.3f}", f"{s['f_95'][0]:.3f}-{s['f_95'][1]:.3f}"] for seed, s in per_seed.items()]
    return (
        "# The same training, one seed each (dev)\n\n"
        + markdown_table(["seed", "dev F", "95% (bootstrap)"], rows)
        + f"\n\nMean **{stats['mean']:.3f}**, standard deviation {stats['sd']:.3f}, range {stats['min']:.3f} to "
        f"{stats['max']:.3f} over {stats['n']} seeds: a difference between two configurations smaller than this "
        "spread may be the seed's.\n"
    )


def main(
    ctx: typer.Context,
    config: Annotated[Path, typer.Argument(help="spaCy config", exists=True, dir_okay=False)],
    dev: Annotated[Path, typer.Argument(help="convert's dev.spacy (whole documents, gold in doc.ents)")],
    output: Annotated[Path, typer.Argument(help="Folder of seeds.json and seeds.md")],
    seeds: Annotated[str, typer.Option("--seeds", help="Comma-separated seeds, two or more")] = var("seeds"),
    labels: Annotated[str, typer.Option("--labels", "-l", help="Comma-separated labels")] = var("labels"),
    patience: Annotated[
        Optional[int], typer.Option("--patience", help="As train's: evaluations without a better dev score")
    ] = var("patience"),
):
    """Train the config once per seed (the options after it are spaCy's overrides, as `train`'s), score each
    model on dev, and report the spread."""
    from ..patches import config_overrides

    seed_list = parse_seeds(seeds)
    label_list = parse_labels(labels)
    if not dev.is_file():
        raise UserError(f"{dev} does not exist: run `spacy project run convert` first")
    dev_docs = read_docs(dev, make_vocab())
    overrides = config_overrides(ctx.args)
    per_seed: Dict[int, Dict] = {}
    output.mkdir(parents=True, exist_ok=True)
    for seed in seed_list:
        msg.divider(f"seed {seed}")
        with tempfile.TemporaryDirectory(dir=output, suffix=".tmp") as tmp:
            train(config, Path(tmp), {**overrides, "system.seed": seed}, patience)
            nlp = load_pipeline_or_exit(str(Path(tmp) / "model-best"))
            scores = evaluate_pipeline(nlp, {"dev": dev_docs}, label_list)["dev"]
        per_seed[seed] = {"f": scores["f"], "p": scores["p"], "r": scores["r"], "f_95": scores["f_95"]}
        msg.info(f"seed {seed}: dev F {scores['f']:.3f} (95% {scores['f_95'][0]:.3f}-{scores['f_95'][1]:.3f})")
    stats = summary(per_seed)
    write_json(output / "seeds.json", {"seeds": {str(k): v for k, v in per_seed.items()}, **stats})
    text = report(per_seed, stats)
    write_text(output / "seeds.md", text)
    print(text)
    msg.good(f"Wrote {output / 'seeds.json'} and {output / 'seeds.md'}")


if __name__ == "__main__":
    app = typer.Typer(add_completion=False)
    app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(main)
    run(app)
