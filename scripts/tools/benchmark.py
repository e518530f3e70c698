"""Benchmark the annotate -> aggregate path: speed, memory, and how they grow with the corpus.

Everything is measured in one run on this machine, each step through its own CLI in a fresh
process timed from the outside:

- pipeline: annotate train + dev, score, aggregate with the project's labelling functions and
  aggregator (what `spacy project run all` does), into a temp folder; target under 60 s;
- no-op: `spacy project run all` when every step is up to date (target under 5 s); skipped, and
  said so, if the project's outputs are stale (it would run the whole workflow);
- scaling: annotate and aggregate on CoNLL train and on synthetic corpora 10x and 50x its size
  (its sentences resampled with the seed, written as shards), with 1 process, all cores, and a
  Dask LocalCluster of that many workers. Memory is the peak summed PSS of every process doing
  the work (the step, its forked workers, the Dask nannies and workers), and the step's own peak
  RSS, both sampled every 0.2 s; target: memory at 50x within 1.5x of 1x.
"""

import os
import platform
import random
import subprocess
import sys
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Dict, Iterator, List, Optional

import typer
from wasabi import msg

from ..corpus.docbin import CorpusWriter, read_docs
from ..corpus.errors import run
from ..corpus.files import markdown_table, write_json, write_text
from ..project import var
from .measure import local_cluster, measure

PIPELINE_TARGET_S, NOOP_TARGET_S, MEMORY_TARGET_RATIO = 60.0, 5.0, 1.5


@dataclass(frozen=True)
class RunSettings:
    """What a benchmarked run of annotate, score and aggregate uses (the project's vars by default)."""

    labels: str = var("labels")
    preset: str = var("preset")
    aggregator: str = var("aggregator")
    gazetteers: str = var("gazetteers_dir")
    min_precision: float = var("min_precision")
    label_min_precision: str = var("label_min_precision")
    weights: str = var("lf_weights")
    n_process: int = 0

    def annotate(self, py: str, source: Path, target: Path, *extra: str) -> List[str]:
        return [
            py,
            "-m",
            "scripts.lfs.annotate",
            str(source),
            str(target),
            "--labels",
            self.labels,
            "--preset",
            self.preset,
            "--gazetteers",
            self.gazetteers,
            *extra,
        ]

    def score(self, py: str, dev: Path, out: Path) -> List[str]:
        return [
            py,
            "-m",
            "scripts.labelmodel.score",
            str(dev),
            str(out),
            "--labels",
            self.labels,
            "--min-precision",
            str(self.min_precision),
            "--label-min-precision",
            self.label_min_precision,
            "--weights",
            self.weights,
        ]

    def aggregate(
        self, py: str, train: Path, dev: Path, selection: Path, out: Path, scores: Path, *extra: str
    ) -> List[str]:
        return [
            py,
            "-m",
            "scripts.labelmodel.aggregate",
            str(train),
            str(dev),
            str(selection),
            str(out),
            str(scores),
            "--labels",
            self.labels,
            "--aggregator",
            self.aggregator,
            *extra,
        ]


def resample(docs, factor: int, seed: int) -> Iterator:
    """`factor` times as many docs, drawn with replacement; ids renumbered (documents of 20 sentences)."""
    rng = random.Random(seed)
    for i in range(len(docs) * factor):
        doc = rng.choice(docs).copy()
        doc.user_data.update({"split": "train", "index": i, "doc_id": i // 20})
        yield doc


def run_pipeline(py: str, corpus: Path, tmp: Path, run: RunSettings) -> Dict:
    """annotate train + dev, score, aggregate (the project's commands) into `tmp`; seconds per step."""
    n = ["--n-process", str(run.n_process)]
    steps = {
        "annotate train + dev": run.annotate(
            py,
            corpus / "train_gold.spacy",
            tmp / "train_annotated",
            "--drop-gold",
            "--dev",
            str(corpus / "dev_gold.spacy"),
            str(tmp / "dev_annotated"),
            *n,
        ),
        "score": run.score(py, tmp / "dev_annotated", tmp),
        "aggregate": run.aggregate(
            py,
            tmp / "train_annotated",
            tmp / "dev_annotated",
            tmp / "lf_selection.json",
            tmp / "out",
            tmp / "agg.json",
            *n,
        ),
    }
    out = {}
    for name, cmd in steps.items():
        out[name] = measure(cmd)
        msg.text(f"pipeline, {name}: {out[name]['seconds']} s, {out[name]['peak_pss_mb']} MB")
    total = round(sum(m["seconds"] for m in out.values()), 1)
    return {
        "preset": run.preset,
        "aggregator": run.aggregator,
        "labels": run.labels,
        "n_process": run.n_process,
        "steps": out,
        "total_seconds": total,
        "target_seconds": PIPELINE_TARGET_S,
        "meets_target": total < PIPELINE_TARGET_S,
    }


def run_noop(project_dir: Path) -> Dict:
    """Time `spacy project run all` if weasel would skip every step; else say why it was not measured."""
    from weasel.cli.run import check_rerun
    from weasel.util import load_project_config

    config = load_project_config(project_dir)
    commands = {c["name"]: c for c in config["commands"]}
    stale = [
        s
        for s in config["workflows"]["all"]
        if not commands[s].get("no_skip") and check_rerun(project_dir, commands[s])
    ]
    if stale:
        return {
            "skipped": f"steps not up to date: {', '.join(stale)} (run `spacy project run all` first)",
            "target_seconds": NOOP_TARGET_S,
        }
    m = measure([sys.executable, "-m", "spacy", "project", "run", "all", str(project_dir)])
    return {"seconds": m["seconds"], "target_seconds": NOOP_TARGET_S, "meets_target": m["seconds"] < NOOP_TARGET_S}


def run_scaling(
    py: str, corpus_dir: Path, tmp: Path, factors: List[int], modes: List[str], run: RunSettings, seed: int
) -> List[Dict]:
    """annotate and aggregate on train resampled to each size factor, once per mode (1, n, dask)."""
    # the functions that aggregate keeps, for this preset (not timed)
    dev_annotated, selection = tmp / "dev_annotated", tmp / "lf_selection.json"
    subprocess.run(run.annotate(py, corpus_dir / "dev_gold.spacy", dev_annotated), check=True, capture_output=True)
    subprocess.run(run.score(py, dev_annotated, tmp), check=True, capture_output=True)
    docs = read_docs(corpus_dir / "train_gold.spacy")
    rows = []
    for factor in factors:
        corpus, annotated = tmp / f"train_x{factor}", tmp / f"train_x{factor}_annotated"
        with CorpusWriter(corpus) as out:
            for doc in docs if factor == 1 else resample(docs, factor, seed):
                out.add(doc)
        n_docs = out.n_docs
        for mode in modes:
            workers = 1 if mode == "1" else run.n_process
            with local_cluster(workers) if mode == "dask" else nullcontext(("", [])) as (address, pids):
                where = ["--n-process", str(workers), "--scheduler", address]
                annotate = run.annotate(py, corpus, annotated, *where, "--drop-gold")
                aggregate = run.aggregate(
                    py,
                    annotated,
                    dev_annotated,
                    selection,
                    tmp / "out",
                    tmp / "agg.json",
                    "--seed",
                    str(seed),
                    "--train-name",
                    "train",
                    *where,
                )
                for step, cmd in (("annotate", annotate), ("aggregate", aggregate)):
                    m = measure(cmd, pids)
                    rows.append(
                        {
                            "step": step,
                            "factor": factor,
                            "docs": n_docs,
                            "mode": "dask" if mode == "dask" else f"{workers} process{'es' if workers > 1 else ''}",
                            **m,
                            "docs_per_second": round(n_docs / m["seconds"], 1),
                        }
                    )
                    msg.text(f"{step} x{factor} ({rows[-1]['mode']}): {m['seconds']} s, {m['peak_pss_mb']} MB")
        subprocess.run(["rm", "-rf", str(corpus), str(annotated), str(tmp / "out")], check=True)
    return rows


def memory_growth(rows: List[Dict], factors: List[int]) -> Dict:
    """Peak memory at the largest factor over the smallest, per step and mode (target: <= 1.5)."""
    lo, hi = min(factors), max(factors)
    out = {}
    for r in rows:
        if r["factor"] == hi:
            base = next(b for b in rows if b["factor"] == lo and b["step"] == r["step"] and b["mode"] == r["mode"])
            out[f"{r['step']} ({r['mode']})"] = round(r["peak_pss_mb"] / base["peak_pss_mb"], 2)
    return {
        "factor": f"{hi}x / {lo}x",
        "ratios": out,
        "target": MEMORY_TARGET_RATIO,
        "meets_target": all(v <= MEMORY_TARGET_RATIO for v in out.values()),
    }


COLUMNS = ["step", "factor", "docs", "mode", "seconds", "docs_per_second", "peak_pss_mb", "peak_rss_mb"]


def report(result: Dict) -> str:
    """The benchmark as markdown."""
    m, p, noop = result["machine"], result["pipeline"], result["noop_all"]
    lines = [f"# Benchmark ({m['cpu_count']} cores, Python {m['python']})\n"]
    if p:
        lines.append(
            f"## Pipeline: annotate + score + aggregate, train + dev ({p['preset']} preset, {p['aggregator']})\n"
        )
        lines.append(
            markdown_table(
                ["step", "seconds", "peak PSS MB"],
                [[k, v["seconds"], v["peak_pss_mb"]] for k, v in p["steps"].items()]
                + [["**total**", f"**{p['total_seconds']}**", ""]],
            )
        )
        lines.append(f"Target under {p['target_seconds']:.0f} s: {'met' if p['meets_target'] else 'missed'}.\n")
    if noop:
        lines.append("## No-op `spacy project run all`\n")
        lines.append(
            f"Skipped: {noop['skipped']}.\n"
            if "skipped" in noop
            else f"{noop['seconds']} s (target under {noop['target_seconds']:.0f} s: "
            f"{'met' if noop['meets_target'] else 'missed'}).\n"
        )
    s = result["scaling"]
    if s["rows"]:
        lines.append(f"## Scaling ({s['preset']} preset, {s['aggregator']}; CoNLL train resampled)\n")
        lines.append(markdown_table(COLUMNS, [[r[c] for c in COLUMNS] for r in s["rows"]]))
        g = s["memory_growth"]
        ratios = ", ".join(f"{k} {v}" for k, v in g["ratios"].items())
        lines.append(
            f"Peak memory {g['factor']}: {ratios} (target <= {g['target']}: "
            f"{'met' if g['meets_target'] else 'missed'}).\n"
        )
    return "\n".join(lines)


Arg, Opt = typer.Argument, typer.Option


def main(
    corpus_dir: Annotated[
        Path, Arg(help="The project's corpus folder (train_gold.spacy, dev_gold.spacy)", exists=True, file_okay=False)
    ],
    output: Annotated[Path, Arg(help="benchmark JSON (a markdown table is written beside it)")],
    factors: Annotated[
        str, Opt("--factors", help="Corpus sizes for scaling, as multiples of the train set")
    ] = "1,10,50",
    modes: Annotated[
        str, Opt("--modes", help="Scaling runs: 1 process, n (all cores), dask (LocalCluster)")
    ] = "1,n,dask",
    n_process: Annotated[
        int, Opt("--n-process", "-n", help="Processes / Dask workers for the parallel runs (0: all cores)")
    ] = var("n_process"),
    labels: Annotated[str, Opt("--labels", "-l", help="Comma-separated labels")] = var("labels"),
    preset: Annotated[str, Opt("--preset", help="Labelling functions of the pipeline run")] = var("preset"),
    aggregator: Annotated[str, Opt("--aggregator", help="Aggregator of the pipeline run")] = var("aggregator"),
    scaling_preset: Annotated[
        str, Opt("--scaling-preset", help="Labelling functions of the scaling runs")
    ] = "tutorial",
    scaling_aggregator: Annotated[str, Opt("--scaling-aggregator", help="Aggregator of the scaling runs")] = "majority",
    min_precision: Annotated[float, Opt("--min-precision", help="As in the project's score step")] = var(
        "min_precision"
    ),
    label_min_precision: Annotated[str, Opt("--label-min-precision", help="As in the project's score step")] = var(
        "label_min_precision"
    ),
    weights: Annotated[
        str, Opt("--weights", help="As in the project's score step (the scaling runs weigh uniformly)")
    ] = var("lf_weights"),
    gazetteers: Annotated[str, Opt("--gazetteers", help="Folder of the lexicons (build-gazetteers)")] = var(
        "gazetteers_dir"
    ),
    project_dir: Annotated[
        Optional[Path], Opt("--project", help="Also time a no-op `spacy project run all` here")
    ] = None,
    pipeline: Annotated[bool, Opt("--pipeline/--no-pipeline", help="Time the full pipeline on train + dev")] = True,
    seed: Annotated[int, Opt("--seed", help="Seed of the resampling and of aggregate")] = var("seed"),
):
    """Measure annotate and aggregate: the full pipeline, a no-op workflow, and throughput/memory as corpora grow."""
    n_process = n_process or os.cpu_count() or 1
    py = sys.executable
    factor_list = [int(f) for f in factors.split(",") if f.strip()]
    mode_list = [m.strip() for m in modes.split(",") if m.strip()]
    run = RunSettings(labels, preset, aggregator, gazetteers, min_precision, label_min_precision, weights, n_process)
    # the scaling runs: the tutorial's rules, majority voting, uniform weights (no override)
    scaling = RunSettings(
        labels, scaling_preset, scaling_aggregator, gazetteers, min_precision, "", "uniform", n_process
    )
    with tempfile.TemporaryDirectory(prefix="benchmark.") as tmp:
        tmp_path = Path(tmp)
        pipe = run_pipeline(py, corpus_dir, tmp_path / "pipeline", run) if pipeline else {}
        noop = run_noop(project_dir) if project_dir is not None else {}
        rows = (
            run_scaling(py, corpus_dir, tmp_path / "scaling", factor_list, mode_list, scaling, seed)
            if factor_list
            else []
        )
    result = {
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "pipeline": pipe,
        "noop_all": noop,
        "scaling": {
            "preset": scaling_preset,
            "aggregator": scaling_aggregator,
            "rows": rows,
            "memory_growth": memory_growth(rows, factor_list) if rows else {},
        },
    }
    write_json(output, result)
    text = report(result)
    write_text(output.with_suffix(".md"), text)
    print(text)
    msg.good(f"Wrote {output} and {output.with_suffix('.md')}")


if __name__ == "__main__":
    run(main)
