"""Benchmark the annotate and aggregate steps: documents per second and peak memory, as corpora grow.

Each measurement runs the step's own CLI (`python -m scripts.annotate`, `python -m scripts.aggregate`)
in a fresh process, timed from the outside; peak memory is that process's maximum resident set
(from `os.wait4`; worker processes of `--n-process` are not included). Besides the real train set,
synthetic corpora of 10x and 50x its size are made by resampling its sentences with the seed.
"""
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import typer
from wasabi import msg

from .atomic import write_json, write_text
from .util import markdown_table, read_docs, write_docs


def resample(docs, factor: int, seed: int):
    """`factor` times as many docs, drawn with replacement; ids renumbered (documents of 20 sentences)."""
    rng = random.Random(seed)
    out = []
    for i in range(len(docs) * factor):
        doc = rng.choice(docs).copy()
        doc.user_data.update({"split": "train", "index": i, "doc_id": i // 20})
        out.append(doc)
    return out


def measure(cmd: List[str]) -> Dict:
    """Run `cmd`; wall-clock seconds and the process's peak RSS in MB."""
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: progress bars would fill a pipe and block
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            lines = [l for l in err.read().decode(errors="replace").replace("\r", "\n").splitlines() if "it/s]" not in l
                     and "doc/s]" not in l and "shard/s]" not in l]  # fmt: skip
            raise RuntimeError(f"{' '.join(cmd)} exited with {code}: " + "\n".join(lines[-20:]))
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def run_benchmark(train_gold: Path, dev_annotated: Path, selection: Path, factors: List[int],
                  n_process: int, labels: str, seed: int = 0, preset: str = "tutorial",
                  gazetteers: str = "corpus/gazetteers") -> List[Dict]:
    """Time annotate (1 and n processes) and aggregate on the corpus at each size factor."""
    py = sys.executable
    docs = read_docs(train_gold)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for factor in factors:
            corpus = tmp / f"train_x{factor}.spacy"
            n_docs = write_docs(corpus, docs if factor == 1 else resample(docs, factor, seed))
            annotated = tmp / f"train_x{factor}_annotated.spacy"
            for n in sorted({1, n_process}):
                m = measure([py, "-m", "scripts.annotate", str(corpus), str(annotated), "--labels", labels,
                             "--n-process", str(n), "--drop-gold", "--preset", preset, "--gazetteers", gazetteers])  # fmt: skip
                rows.append({"step": "annotate", "factor": factor, "docs": n_docs, "n_process": n, **m,
                             "docs_per_second": round(n_docs / m["seconds"], 1)})  # fmt: skip
            m = measure([py, "-m", "scripts.aggregate", str(annotated), str(dev_annotated), str(selection),
                         str(tmp / "out"), str(tmp / "agg.json"), "--labels", labels, "--seed", str(seed)])  # fmt: skip
            rows.append({"step": "aggregate", "factor": factor, "docs": n_docs, "n_process": 1, **m,
                         "docs_per_second": round(n_docs / m["seconds"], 1)})  # fmt: skip
            for path in (corpus, annotated):
                path.unlink()
    return rows


COLUMNS = ["step", "factor", "docs", "n_process", "seconds", "docs_per_second", "peak_rss_mb"]


# fmt: off
def main(
    train_gold: Path = typer.Argument(..., help="corpus/train_gold.spacy", exists=True),
    dev_annotated: Path = typer.Argument(..., help="corpus/dev_annotated.spacy (aggregate scores on it)", exists=True),
    selection: Path = typer.Argument(..., help="training/lf_selection.json", exists=True),
    output: Path = typer.Argument(..., help="benchmark JSON (a markdown table is written beside it)"),
    factors: str = typer.Option("1,10,50", "--factors", help="Corpus sizes, as multiples of the train set"),
    n_process: int = typer.Option(0, "--n-process", "-n", help="Processes for the parallel run (0: all cores)"),
    labels: str = typer.Option("ORG", "--labels", "-l", help="Comma-separated labels"),
    preset: str = typer.Option("tutorial", "--preset", help="Labelling functions: tutorial or full"),
    gazetteers: str = typer.Option("corpus/gazetteers", "--gazetteers", help="Folder of build_gazetteers' files"),
):
    # fmt: on
    """Measure annotate and aggregate throughput and memory at growing corpus sizes."""
    n_process = n_process or os.cpu_count() or 1
    rows = run_benchmark(train_gold, dev_annotated, selection, [int(f) for f in factors.split(",")],
                         n_process, labels, preset=preset, gazetteers=gazetteers)  # fmt: skip
    write_json(output, {"cpu_count": os.cpu_count(), "rows": rows})
    table = markdown_table(COLUMNS, [[r[c] for c in COLUMNS] for r in rows])
    write_text(output.with_suffix(".md"), f"# annotate and aggregate benchmark ({os.cpu_count()} cores)\n\n{table}")
    print(table)
    msg.good(f"Wrote {output} and {output.with_suffix('.md')}")


if __name__ == "__main__":
    typer.run(main)
