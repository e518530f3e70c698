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
import threading
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import typer
from wasabi import msg

from .atomic import write_json, write_text
from .util import CorpusWriter, markdown_table, read_docs

PIPELINE_TARGET_S, NOOP_TARGET_S, MEMORY_TARGET_RATIO = 60.0, 5.0, 1.5


def resample(docs, factor: int, seed: int) -> Iterator:
    """`factor` times as many docs, drawn with replacement; ids renumbered (documents of 20 sentences)."""
    rng = random.Random(seed)
    for i in range(len(docs) * factor):
        doc = rng.choice(docs).copy()
        doc.user_data.update({"split": "train", "index": i, "doc_id": i // 20})
        yield doc


def _pss(proc) -> int:
    try:
        return proc.memory_full_info().pss
    except Exception:  # psutil.Error or OSError: a process that just ended
        return 0


def _rss(proc) -> int:
    try:
        return proc.memory_info().rss
    except Exception:
        return 0


class MemorySampler(threading.Thread):
    """Peak summed PSS (proportional set size: shared pages counted once) of a process, its
    descendants and `extra` processes (Dask workers), sampled every `interval` seconds."""

    def __init__(self, pid: int, extra: Sequence[int] = (), interval: float = 0.2):
        super().__init__(daemon=True)
        self.pids, self.interval, self._stop_event = [pid, *extra], interval, threading.Event()
        self.peak_mb = self.peak_rss_mb = 0.0

    def run(self) -> None:
        import psutil

        roots = []
        for pid in self.pids:
            try:
                roots.append(psutil.Process(pid))
            except psutil.Error:  # already ended
                pass
        while not self._stop_event.is_set():
            procs = list(roots)
            try:
                procs += roots[0].children(recursive=True) if roots else []
            except psutil.Error:  # the step just ended
                pass
            self.peak_mb = max(self.peak_mb, sum(_pss(p) for p in procs) / 2**20)
            if roots and roots[0].pid == self.pids[0]:
                self.peak_rss_mb = max(self.peak_rss_mb, _rss(roots[0]) / 2**20)
            self._stop_event.wait(self.interval)

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return round(self.peak_mb, 1)


def measure(cmd: List[str], extra_pids: Sequence[int] = ()) -> Dict:
    """Run `cmd`; wall-clock seconds, its own peak RSS and the peak PSS of it, its workers and
    `extra_pids` (MB), both sampled. (Not wait4's ru_maxrss: Linux carries the high-water mark of
    the forking parent across exec, so a child of a big benchmark process looked as big.)"""
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: progress bars would fill a pipe and block
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        sampler = MemorySampler(proc.pid, extra_pids)
        sampler.start()
        _, status, _ = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        peak_pss = sampler.stop()
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            lines = [l for l in err.read().decode(errors="replace").replace("\r", "\n").splitlines()
                     if not l.rstrip().endswith("]")]  # fmt: skip
            raise RuntimeError(f"{' '.join(cmd)} exited with {code}: " + "\n".join(lines[-20:]))
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(sampler.peak_rss_mb, 1), "peak_pss_mb": peak_pss}


@contextmanager
def local_cluster(n_workers: int) -> Iterator[Tuple[str, List[int]]]:
    """A Dask LocalCluster on loopback (one single-threaded worker process per core); yields its address
    and the pids of its processes (nannies and workers), whose memory the measurement adds."""
    import psutil
    from distributed import LocalCluster

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:  # fmt: skip
        pids = [p.pid for p in psutil.Process().children(recursive=True) if p.pid not in before]
        yield cluster.scheduler_address, pids


def run_pipeline(py: str, corpus: Path, tmp: Path, labels: str, preset: str, aggregator: str, gazetteers: str,
                 min_precision: float, n_process: int, label_min_precision: str = "", weights: str = "uniform") -> Dict:
    """annotate train + dev, score, aggregate (the project's commands) into `tmp`; seconds per step."""
    common = ["--labels", labels, "--n-process", str(n_process), "--preset", preset, "--gazetteers", gazetteers]
    steps = {
        "annotate train + dev": [py, "-m", "scripts.annotate", str(corpus / "train_gold.spacy"),
                                 str(tmp / "train_annotated"), "--drop-gold", "--dev", str(corpus / "dev_gold.spacy"),
                                 str(tmp / "dev_annotated"), *common],
        "score": [py, "-m", "scripts.score", str(tmp / "dev_annotated"), str(tmp), "--labels", labels,
                  "--min-precision", str(min_precision), "--label-min-precision", label_min_precision,
                  "--weights", weights],
        "aggregate": [py, "-m", "scripts.aggregate", str(tmp / "train_annotated"), str(tmp / "dev_annotated"),
                      str(tmp / "lf_selection.json"), str(tmp / "out"), str(tmp / "agg.json"), "--labels", labels,
                      "--aggregator", aggregator, "--n-process", str(n_process)],
    }  # fmt: skip
    out = {}
    for name, cmd in steps.items():
        out[name] = measure(cmd)
        msg.text(f"pipeline, {name}: {out[name]['seconds']} s, {out[name]['peak_pss_mb']} MB")
    total = round(sum(m["seconds"] for m in out.values()), 1)
    return {"preset": preset, "aggregator": aggregator, "labels": labels, "n_process": n_process, "steps": out,
            "total_seconds": total, "target_seconds": PIPELINE_TARGET_S, "meets_target": total < PIPELINE_TARGET_S}


def run_noop(project_dir: Path) -> Dict:
    """Time `spacy project run all` if weasel would skip every step; else say why it was not measured."""
    from weasel.cli.run import check_rerun
    from weasel.util import load_project_config

    config = load_project_config(project_dir)
    commands = {c["name"]: c for c in config["commands"]}
    stale = [s for s in config["workflows"]["all"] if not commands[s].get("no_skip")
             and check_rerun(project_dir, commands[s])]  # fmt: skip
    if stale:
        return {"skipped": f"steps not up to date: {', '.join(stale)} (run `spacy project run all` first)",
                "target_seconds": NOOP_TARGET_S}  # fmt: skip
    m = measure([sys.executable, "-m", "spacy", "project", "run", "all", str(project_dir)])
    return {"seconds": m["seconds"], "target_seconds": NOOP_TARGET_S, "meets_target": m["seconds"] < NOOP_TARGET_S}


def run_scaling(py: str, corpus_dir: Path, tmp: Path, factors: List[int], modes: List[str], n_process: int,
                labels: str, preset: str, aggregator: str, gazetteers: str, min_precision: float,
                seed: int) -> List[Dict]:
    """annotate and aggregate on train resampled to each size factor, once per mode (1, n, dask)."""
    # the functions that aggregate keeps, for this preset (not timed)
    dev_annotated, selection = tmp / "dev_annotated", tmp / "lf_selection.json"
    subprocess.run([py, "-m", "scripts.annotate", str(corpus_dir / "dev_gold.spacy"), str(dev_annotated), "--labels",
                    labels, "--preset", preset, "--gazetteers", gazetteers], check=True, capture_output=True)
    subprocess.run([py, "-m", "scripts.score", str(dev_annotated), str(tmp), "--labels", labels, "--min-precision",
                    str(min_precision)], check=True, capture_output=True)  # fmt: skip
    docs = read_docs(corpus_dir / "train_gold.spacy")
    rows = []
    for factor in factors:
        corpus, annotated = tmp / f"train_x{factor}", tmp / f"train_x{factor}_annotated"
        with CorpusWriter(corpus) as out:
            for doc in docs if factor == 1 else resample(docs, factor, seed):
                out.add(doc)
        n_docs = out.n_docs
        for mode in modes:
            workers = 1 if mode == "1" else n_process
            with local_cluster(workers) if mode == "dask" else nullcontext(("", [])) as (address, pids):
                where = ["--n-process", str(workers), "--scheduler", address]
                annotate = [py, "-m", "scripts.annotate", str(corpus), str(annotated), "--labels", labels, *where,
                            "--drop-gold", "--preset", preset, "--gazetteers", gazetteers]  # fmt: skip
                aggregate = [py, "-m", "scripts.aggregate", str(annotated), str(dev_annotated), str(selection),
                             str(tmp / "out"), str(tmp / "agg.json"), "--labels", labels, "--aggregator", aggregator,
                             "--seed", str(seed), "--train-name", "train", *where]  # fmt: skip
                for step, cmd in (("annotate", annotate), ("aggregate", aggregate)):
                    m = measure(cmd, pids)
                    rows.append({"step": step, "factor": factor, "docs": n_docs,
                                 "mode": "dask" if mode == "dask" else f"{workers} process{'es' if workers > 1 else ''}",
                                 **m, "docs_per_second": round(n_docs / m["seconds"], 1)})  # fmt: skip
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
    return {"factor": f"{hi}x / {lo}x", "ratios": out, "target": MEMORY_TARGET_RATIO,
            "meets_target": all(v <= MEMORY_TARGET_RATIO for v in out.values())}


COLUMNS = ["step", "factor", "docs", "mode", "seconds", "docs_per_second", "peak_pss_mb", "peak_rss_mb"]


def report(result: Dict) -> str:
    """The benchmark as markdown."""
    m, p, noop = result["machine"], result["pipeline"], result["noop_all"]
    lines = [f"# Benchmark ({m['cpu_count']} cores, Python {m['python']})\n"]
    if p:
        lines.append(f"## Pipeline: annotate + score + aggregate, train + dev ({p['preset']} preset, {p['aggregator']})\n")
        lines.append(markdown_table(["step", "seconds", "peak PSS MB"],
                                    [[k, v["seconds"], v["peak_pss_mb"]] for k, v in p["steps"].items()]
                                    + [["**total**", f"**{p['total_seconds']}**", ""]]))  # fmt: skip
        lines.append(f"Target under {p['target_seconds']:.0f} s: {'met' if p['meets_target'] else 'missed'}.\n")
    if noop:
        lines.append("## No-op `spacy project run all`\n")
        lines.append(f"Skipped: {noop['skipped']}.\n" if "skipped" in noop else
                     f"{noop['seconds']} s (target under {noop['target_seconds']:.0f} s: "
                     f"{'met' if noop['meets_target'] else 'missed'}).\n")  # fmt: skip
    s = result["scaling"]
    if s["rows"]:
        lines.append(f"## Scaling ({s['preset']} preset, {s['aggregator']}; CoNLL train resampled)\n")
        lines.append(markdown_table(COLUMNS, [[r[c] for c in COLUMNS] for r in s["rows"]]))
        g = s["memory_growth"]
        ratios = ", ".join(f"{k} {v}" for k, v in g["ratios"].items())
        lines.append(f"Peak memory {g['factor']}: {ratios} (target <= {g['target']}: "
                     f"{'met' if g['meets_target'] else 'missed'}).\n")  # fmt: skip
    return "\n".join(lines)


# fmt: off
def main(
    corpus_dir: Path = typer.Argument(..., help="The project's corpus folder (train_gold.spacy, dev_gold.spacy)", exists=True, file_okay=False),
    output: Path = typer.Argument(..., help="benchmark JSON (a markdown table is written beside it)"),
    factors: str = typer.Option("1,10,50", "--factors", help="Corpus sizes for scaling, as multiples of the train set"),
    modes: str = typer.Option("1,n,dask", "--modes", help="Scaling runs: 1 process, n (all cores), dask (LocalCluster)"),
    n_process: int = typer.Option(0, "--n-process", "-n", help="Processes / Dask workers for the parallel runs (0: all cores)"),
    labels: str = typer.Option("ORG", "--labels", "-l", help="Comma-separated labels"),
    preset: str = typer.Option("full", "--preset", help="Labelling functions of the pipeline run"),
    aggregator: str = typer.Option("hmm", "--aggregator", help="Aggregator of the pipeline run"),
    scaling_preset: str = typer.Option("tutorial", "--scaling-preset", help="Labelling functions of the scaling runs"),
    scaling_aggregator: str = typer.Option("majority", "--scaling-aggregator", help="Aggregator of the scaling runs"),
    min_precision: float = typer.Option(0.7, "--min-precision", help="As in the project's score step"),
    label_min_precision: str = typer.Option("", "--label-min-precision", help="As in the project's score step"),
    weights: str = typer.Option("uniform", "--weights", help="As in the project's score step"),
    gazetteers: str = typer.Option("corpus/gazetteers", "--gazetteers", help="Folder of build_gazetteers' files"),
    project_dir: Optional[Path] = typer.Option(None, "--project", help="Also time a no-op `spacy project run all` here"),
    pipeline: bool = typer.Option(True, "--pipeline/--no-pipeline", help="Time the full pipeline on train + dev"),
    seed: int = typer.Option(0, "--seed", help="Seed of the resampling"),
):
    # fmt: on
    """Measure annotate and aggregate: the full pipeline, a no-op workflow, and throughput/memory as corpora grow."""
    n_process = n_process or os.cpu_count() or 1
    py = sys.executable
    factor_list = [int(f) for f in factors.split(",") if f.strip()]
    mode_list = [m.strip() for m in modes.split(",") if m.strip()]
    with tempfile.TemporaryDirectory(prefix="benchmark.") as tmp:
        tmp = Path(tmp)
        pipe = run_pipeline(py, corpus_dir, tmp / "pipeline", labels, preset, aggregator, gazetteers, min_precision,
                            n_process, label_min_precision, weights) if pipeline else {}  # fmt: skip
        noop = run_noop(project_dir) if project_dir is not None else {}
        rows = run_scaling(py, corpus_dir, tmp / "scaling", factor_list, mode_list, n_process, labels, scaling_preset,
                           scaling_aggregator, gazetteers, min_precision, seed) if factor_list else []  # fmt: skip
    result = {
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "pipeline": pipe, "noop_all": noop,
        "scaling": {"preset": scaling_preset, "aggregator": scaling_aggregator, "rows": rows,
                    "memory_growth": memory_growth(rows, factor_list) if rows else {}},
    }  # fmt: skip
    write_json(output, result)
    text = report(result)
    write_text(output.with_suffix(".md"), text)
    print(text)
    msg.good(f"Wrote {output} and {output.with_suffix('.md')}")


if __name__ == "__main__":
    typer.run(main)
