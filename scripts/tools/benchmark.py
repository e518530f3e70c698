"""Benchmark the workflow: where the time goes, step by step and phase by phase, and how memory grows.

Everything is measured in one run on this machine, each step in a fresh process timed from the outside:

- steps: pretrained-plan, pretrained, annotate, score and aggregate as weasel runs them (`spacy project
  run STEP` in a temp project with a copy of the project's code and links to corpus/ inputs), on train + dev
  (and the held-out sets, which annotate and aggregate score), once with the tutorial's settings (target
  5 s) and once with the project's (target 30 s), the targets judged on annotate + score + aggregate (the
  pretrained step is a one-off that weasel skips while rules change); then `annotate --force --vars.lf_cache
  false` (every function, no cache), and an edit of one module of functions (`edit_module`) with annotate,
  score and aggregate rerun as weasel reruns them, annotate's cache running that module's functions only.
  Each step also reports its phases (scripts/util/timing.py:
  setup, reading, pipelines, functions, fitting, voting, scoring, writing; process-seconds summed over
  its workers), and its wall-clock time minus theirs is start-up and imports (weasel's included);
- in memory: the tutorial's functions, LFAnalysis and skweak's MajorityVoter as one plain script with
  nothing written (scripts/tools/inmemory.py), the yardstick for the steps;
- no-op: `spacy project run all` when every step is up to date (target under 2 s); skipped, and said so,
  if the project's outputs are stale (it would run the whole workflow);
- workflow (`--workflow`, 15 minutes or more): every step of `all` with --force, one by one, with the
  quick settings (`--vars.max_steps 200`, one epoch; target 5 min) and then the defaults (target 10 min), each
  round's model F1 beside its time;
- scaling: annotate and aggregate on CoNLL train and on synthetic corpora 10x and 50x its size (its
  sentences resampled with the seed, written as shards), with 1 process, all cores, and a Dask
  LocalCluster of that many workers. Memory is the peak summed PSS of every process doing the work
  (the step, its forked workers, the Dask nannies and workers), and the step's own peak RSS, both
  sampled every 0.2 s; target: memory at 50x within 1.5x of 1x.
"""

import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Dict, Iterator, List

import typer
from wasabi import msg

from ..corpus.docbin import CorpusWriter, read_docs, write_docs
from ..corpus.sources import SETS
from ..lfs.cache import LAST_RUN
from ..project import ROOT, var
from ..util import timing
from ..util.errors import run
from ..util.files import markdown_table, write_json, write_text
from .measure import local_cluster, measure

NOOP_TARGET_S, MEMORY_TARGET_RATIO = 2.0, 1.5
WORKFLOW_TARGET_S, QUICK_TARGET_S = 600.0, 300.0
# The tutorial's settings (23 ORG functions, majority vote, uniform weights) and its target; the project's
# own settings (the vars) have theirs.
TUTORIAL = {"preset": "tutorial", "labels": "ORG", "aggregator": "majority", "lf_weights": "uniform"}
TUTORIAL_TARGET_S, PROJECT_TARGET_S = 5.0, 30.0
STEPS = ("pretrained-plan", "pretrained", "annotate", "score", "aggregate")
# The targets time these three (what a changed labelling function reruns, too); the pretrained
# step before them is a one-off that weasel skips while rules change, so it is reported beside them.
RULE_CHANGE = TARGET_STEPS = ("annotate", "score", "aggregate")
# The function `inspect` is timed on (the first of these in the preset): a heuristic, cold process, against
# `score --force` in the same run. Its module is then edited, as a user changes a rule (a rule of `EDITS`, or a
# line added), and annotate + score + aggregate rerun as weasel reruns them; annotate's cache (`lf_cache`) then
# reruns only that module's functions, against a forced annotate without it (target: at most half).
INSPECTED = ("org_role", "shire_team")
EDITS = {"lfs/context.py": 'ORG_ROLES = ORG_ROLES - {"analyst"}  # a role word dropped\n'}
CACHE_TARGET_RATIO = 0.5
QUICK = {"max_steps": "200"}
# The phases a step reports (scripts/util/timing.py), in the order of the tables.
PHASES = ("setup", "reading", "pipelines", "functions", "fitting", "voting", "scoring", "writing")


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
    shard_size: int = var("shard_size")

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


def step_project(project_dir: Path, corpus_dir: Path, tmp: Path) -> Path:
    """A weasel project in `tmp` that runs the project's own commands on `corpus_dir`'s inputs: project.yml
    copied, code and configs linked, convert's outputs and the lexicons linked into its corpus/."""
    tmp.mkdir(parents=True)
    shutil.copy(project_dir / "project.yml", tmp / "project.yml")
    for name in ("configs", "lfs"):
        (tmp / name).symlink_to((project_dir / name).resolve())
    # a copy: a rule change edits it (`edit_module`)
    shutil.copytree(project_dir / "scripts", tmp / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    corpus = tmp / "corpus"
    corpus.mkdir()
    for name in ("train_gold.spacy", "dev_gold.spacy", "held_out", "gazetteers", "reviewed.spacy"):
        if (corpus_dir / name).exists():
            (corpus / name).symlink_to((corpus_dir / name).resolve())
    if not (corpus / "held_out").exists():
        (corpus / "held_out").mkdir()
        write_json(corpus / "held_out" / SETS, {"sets": []})
    if not (corpus / "reviewed.spacy").exists():
        write_docs(corpus / "reviewed.spacy", [])
    (tmp / "training").mkdir()
    return tmp


def run_steps(project: Path, overrides: Dict[str, str], target: float) -> Dict:
    """`STEPS` through `spacy project run` in `project` (see `step_project`), with the vars `overrides`; seconds,
    peak memory and phases per step; then the seconds of the steps a changed rule reruns (`RULE_CHANGE`,
    with --force)."""
    args = [f"--vars.{k}={v}" for k, v in overrides.items()]
    out = {}
    for step in STEPS:
        timings = project / f"timings_{step}.json"
        cmd = [sys.executable, "-m", "spacy", "project", "run", step, str(project), *args]
        m = measure(cmd, env={**os.environ, timing.ENV: str(timings)})
        inside = json.loads(timings.read_text(encoding="utf8"))
        m["start-up + imports"] = round(m["seconds"] - inside["seconds"], 2)
        m["phases"] = {k: round(v, 2) for k, v in inside["phases"].items()}
        out[step] = m
        msg.text(f"{step}: {m['seconds']} s ({m['start-up + imports']} s start-up), {m['peak_pss_mb']} MB")
    total = round(sum(m["seconds"] for m in out.values()), 1)
    measured = round(sum(out[step]["seconds"] for step in TARGET_STEPS), 1)
    run_step = [sys.executable, "-m", "spacy", "project", "run"]
    score = measure([*run_step, "score", str(project), "--force", *args])["seconds"]
    uncached = measure([*run_step, "annotate", str(project), "--force", "--vars.lf_cache=false", *args])["seconds"]
    module = edit_module(project, overrides)
    rerun = {step: measure([*run_step, step, str(project), *args])["seconds"] for step in RULE_CHANGE}
    msg.text(
        f"after an edit of {module} ({', '.join(RULE_CHANGE)}): {round(sum(rerun.values()), 1)} s; "
        f"annotate --force without the cache: {uncached} s"
    )
    inspected = time_inspect(project, overrides, score)
    last = json.loads((project / var("lf_cache_dir") / LAST_RUN).read_text(encoding="utf8"))
    return {
        "inspect": inspected,
        "cache": {
            "module": module,
            "functions_rerun": len(last["ran"]),
            "functions": len(last["ran"]) + len(last["from_cache"]),
            "edited_seconds": rerun["annotate"],
            "uncached_seconds": uncached,
            "ratio": round(rerun["annotate"] / uncached, 2),
            "meets_target": rerun["annotate"] <= CACHE_TARGET_RATIO * uncached,
        },
        "score_force_seconds": score,
        "vars": overrides,
        "steps": out,
        "total_seconds": total,
        "target_steps_seconds": measured,
        "target_seconds": target,
        "meets_target": measured <= target,
        "rule_change": {"seconds": rerun, "total_seconds": round(sum(rerun.values()), 1)},
    }


def edit_module(project: Path, overrides: Dict[str, str]) -> str:
    """Edit, in the temp project's copy of the code, the module that declares the inspected function of the
    preset (`INSPECTED`): a rule changed (`EDITS`), or a line added; the module's path."""
    from ..corpus.presets import load_presets, preset_names
    from ..lfs.registry import get

    presets = project / "configs" / "presets.yml"
    preset = overrides.get("preset") or var("preset")
    names = preset_names(load_presets(presets), preset, str(presets))
    name = next(n for n in INSPECTED if n in names)
    module = Path(get(name).source).resolve().relative_to(ROOT / "scripts").as_posix()
    path = project / "scripts" / module
    with path.open("a", encoding="utf8") as f:
        f.write(EDITS.get(module, "# an edit\n"))
    return f"scripts/{module}"


def time_inspect(project: Path, overrides: Dict[str, str], score_seconds: float) -> Dict:
    """`python -m scripts.lfs.inspect` of one heuristic of the preset in a cold process (its HTML page
    included) on the project's annotated dev, against `score --force`'s seconds in the same run."""
    from ..corpus.presets import load_presets, preset_names

    presets = project / "configs" / "presets.yml"
    preset = overrides.get("preset") or var("preset")
    names = preset_names(load_presets(presets), preset, str(presets))
    name = next((n for n in INSPECTED if n in names), None)
    if name is None:
        return {}
    cmd = [sys.executable, "-m", "scripts.lfs.inspect", name, "--preset", preset, "--presets", str(presets)]
    cmd += ["--code", str(project / "lfs"), "--gazetteers", str(project / "corpus" / "gazetteers")]
    cmd += [
        "--labels",
        overrides.get("labels") or var("labels"),
        "--vote",
        overrides.get("aggregator") or var("aggregator"),
    ]
    cmd += [
        "--dev",
        str(project / "corpus" / "dev_aggregated"),
        "--selection",
        str(project / "training" / "lf_selection.json"),
    ]
    cmd += ["--output", str(project / "training" / "inspect")]
    seconds = measure(cmd)["seconds"]
    msg.text(f"inspect {name}: {seconds} s (score --force: {score_seconds} s)")
    return {
        "function": name,
        "seconds": seconds,
        "score_seconds": score_seconds,
        "meets_target": seconds <= score_seconds,
    }


def run_in_memory(corpus_dir: Path, tmp: Path, gazetteers: str) -> Dict:
    """The tutorial's functions, LFAnalysis and skweak's majority voter in one plain process (inmemory.py)."""
    out = tmp / "inmemory.json"
    cmd = [sys.executable, "-m", "scripts.tools.inmemory", str(corpus_dir), str(out), "--gazetteers", gazetteers]
    m = measure([*cmd, "--preset", TUTORIAL["preset"], "--labels", TUTORIAL["labels"]])
    result = json.loads(out.read_text(encoding="utf8"))
    inside = result.pop("total_seconds")
    # first, as it happens first (the phases are in the order they ran)
    result["seconds"] = {"python start-up": round(m["seconds"] - inside, 2), **result["seconds"]}
    return {**result, "wall_seconds": m["seconds"], "peak_pss_mb": m["peak_pss_mb"]}


def model_scores(project_dir: Path) -> Dict[str, float]:
    """The weakly supervised model's F per split, from training/metrics.json."""
    path = project_dir / "training" / "metrics.json"
    if not path.exists():
        return {}
    metrics = json.loads(path.read_text(encoding="utf8"))
    return {split: round(metrics[split]["weakly supervised model"]["f"], 4) for split in metrics["splits"]}


def run_workflow(project_dir: Path, rounds: Dict[str, Dict[str, str]]) -> Dict:
    """Each step of `all` with --force, one at a time, once per round of var overrides; seconds per step and
    the model's F1 after each round (the last round leaves the project's outputs as `all` makes them)."""
    from weasel.util import load_project_config

    steps = load_project_config(project_dir)["workflows"]["all"]
    out = {}
    for name, overrides in rounds.items():
        args = [f"--vars.{k}={v}" for k, v in overrides.items()]
        seconds, memory = {}, {}
        for step in steps:
            m = measure([sys.executable, "-m", "spacy", "project", "run", step, str(project_dir), "--force", *args])
            seconds[step], memory[step] = m["seconds"], m["peak_pss_mb"]
            msg.text(f"workflow ({name}), {step}: {m['seconds']} s")
        total = round(sum(seconds.values()), 1)
        target = QUICK_TARGET_S if overrides else WORKFLOW_TARGET_S
        out[name] = {
            "vars": overrides,
            "seconds": seconds,
            "total_seconds": total,
            "peak_pss_mb": memory,  # each step with its workers
            "target_seconds": target,
            "meets_target": total <= target,
            "model_f": model_scores(project_dir),
        }
    return out


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
        with CorpusWriter(corpus, run.shard_size) as out:
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


def steps_table(run: Dict) -> str:
    """One row per step: seconds, start-up + imports, each phase (process-seconds), peak memory."""
    phases = [p for p in PHASES if any(p in m["phases"] for m in run["steps"].values())]
    rows = [
        [step, m["seconds"], m["start-up + imports"], *(m["phases"].get(p, "") for p in phases), m["peak_pss_mb"]]
        for step, m in ((step, run["steps"][step]) for step in STEPS if step in run["steps"])
    ]
    rows.append(["**total**", f"**{run['total_seconds']}**", *[""] * (len(phases) + 2)])
    return markdown_table(["step", "seconds", "start-up + imports", *phases, "peak PSS MB"], rows)


def report(result: Dict) -> str:
    """The benchmark as markdown."""
    m, noop = result["machine"], result["noop_all"]
    lines = [f"# Benchmark ({m['cpu_count']} cores, Python {m['python']})\n"]
    for name, steps in result["steps"].items():
        settings = " ".join(f"--vars.{k} {v}" for k, v in steps["vars"].items()) or "the project's vars"
        lines.append(f"## {' + '.join(STEPS)} as weasel runs them: {name} ({settings})\n")
        lines.append(steps_table(steps))
        change, cache = steps.get("rule_change"), steps.get("cache")
        rerun = (
            f" After an edit of {cache['module']} ({', '.join(f'{k} {v} s' for k, v in change['seconds'].items())}; "
            f"the pipelines skipped): **{change['total_seconds']} s**. annotate after that edit, its cache on "
            f"({cache['functions_rerun']} of {cache['functions']} functions rerun): "
            f"**{cache['edited_seconds']} s**, against {cache['uncached_seconds']} s for `annotate --force "
            f"--vars.lf_cache false` ({cache['ratio']:.2f}; target: at most half: "
            f"{'met' if cache['meets_target'] else 'missed'})."
            if change and cache
            else ""
        )
        lines.append(
            f"{' + '.join(TARGET_STEPS)}: **{steps['target_steps_seconds']} s** (target under "
            f"{steps['target_seconds']:.0f} s: {'met' if steps['meets_target'] else 'missed'}).{rerun} "
            "Phases are process-seconds summed over the step's workers; start-up + imports is the wall-clock "
            "time before the step's own work (weasel's included).\n"
        )
        inspected = steps.get("inspect")
        if inspected:
            lines.append(
                f"`inspect {inspected['function']}` (a cold process, its page included): **{inspected['seconds']} s**, "
                f"against `score --force` {inspected['score_seconds']} s (target: no longer: "
                f"{'met' if inspected['meets_target'] else 'missed'}).\n"
            )
    memory = result.get("in_memory")
    if memory:
        lines.append("## The tutorial in memory (one plain skweak script, nothing written)\n")
        lines.append(markdown_table(["phase", "seconds"], [[k, v] for k, v in memory["seconds"].items()]))
        lines.append(f"Whole process: {memory['wall_seconds']} s, {memory['peak_pss_mb']} MB.\n")
    if noop:
        lines.append("## No-op `spacy project run all`\n")
        lines.append(
            f"Skipped: {noop['skipped']}.\n"
            if "skipped" in noop
            else f"{noop['seconds']} s (target under {noop['target_seconds']:.0f} s: "
            f"{'met' if noop['meets_target'] else 'missed'}).\n"
        )
    workflow = result.get("workflow") or {}
    if workflow:
        names = list(workflow)
        steps = list(workflow[names[0]]["seconds"])
        lines.append("## `spacy project run all --force`, step by step\n")
        rows = [[step, *(workflow[n]["seconds"][step] for n in names)] for step in steps]
        rows.append(["**total**", *(f"**{workflow[n]['total_seconds']}**" for n in names)])
        for split in workflow[names[-1]]["model_f"]:
            rows.append([f"model F, {split}", *(workflow[n]["model_f"].get(split, "") for n in names)])
        header = [
            f"{n} ({' '.join(f'--vars.{k} {v}' for k, v in workflow[n]['vars'].items()) or 'defaults'})" for n in names
        ]
        lines.append(markdown_table(["step", *header], rows))
        lines.append(
            " ".join(
                f"{n}: target under {workflow[n]['target_seconds'] / 60:.0f} min, "
                f"{'met' if workflow[n]['meets_target'] else 'missed'}."
                for n in names
            )
            + "\n"
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
        Path, Opt("--project", help="The project: its project.yml and code run the steps; its outputs are the no-op's")
    ] = ROOT,
    steps: Annotated[
        bool, Opt("--steps/--no-steps", help="Time annotate + score + aggregate (tutorial and project settings)")
    ] = True,
    noop: Annotated[bool, Opt("--noop/--no-noop", help="Time a no-op `spacy project run all` in --project")] = True,
    workflow: Annotated[
        bool,
        Opt("--workflow/--no-workflow", help="Time every step of `all --force` in --project (quick, then defaults)"),
    ] = False,
    seed: Annotated[int, Opt("--seed", help="Seed of the resampling and of aggregate")] = var("seed"),
):
    """Measure the workflow: annotate + score + aggregate phase by phase, in memory, a no-op `all`, optionally
    `all --force` step by step, and throughput/memory as corpora grow."""
    n_process = n_process or os.cpu_count() or 1
    py = sys.executable
    factor_list = [int(f) for f in factors.split(",") if f.strip()]
    mode_list = [m.strip() for m in modes.split(",") if m.strip()]
    # the scaling runs: the tutorial's rules, majority voting, uniform weights (no override)
    scaling = RunSettings(
        labels, scaling_preset, scaling_aggregator, gazetteers, min_precision, "", "uniform", n_process
    )
    project_vars = {
        "labels": labels,
        "preset": preset,
        "aggregator": aggregator,
        "min_precision": str(min_precision),
        "label_min_precision": label_min_precision,
        "lf_weights": weights,
    }
    runs = {
        "tutorial": ({**TUTORIAL, "label_min_precision": ""}, TUTORIAL_TARGET_S),
        "project": (project_vars, PROJECT_TARGET_S),
    }
    result: Dict = {
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    }
    with tempfile.TemporaryDirectory(prefix="benchmark.") as tmp:
        tmp_path = Path(tmp)
        result["workflow"] = run_workflow(project_dir, {"quick": QUICK, "default": {}}) if workflow else {}
        result["noop_all"] = run_noop(project_dir) if noop else {}
        result["steps"] = {
            name: run_steps(step_project(project_dir, corpus_dir, tmp_path / name), overrides, target)
            for name, (overrides, target) in runs.items()
            if steps
        }
        result["in_memory"] = run_in_memory(corpus_dir, tmp_path, gazetteers) if steps else {}
        rows = (
            run_scaling(py, corpus_dir, tmp_path / "scaling", factor_list, mode_list, scaling, seed)
            if factor_list
            else []
        )
    result["scaling"] = {
        "preset": scaling_preset,
        "aggregator": scaling_aggregator,
        "rows": rows,
        "memory_growth": memory_growth(rows, factor_list) if rows else {},
    }
    write_json(output, result)
    text = report(result)
    write_text(output.with_suffix(".md"), text)
    print(text)
    msg.good(f"Wrote {output} and {output.with_suffix('.md')}")


if __name__ == "__main__":
    run(main)
