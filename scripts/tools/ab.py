"""A/B of two checkouts, step by step: process-seconds of each step, interleaved runs, medians.

    python -m scripts.tools.ab ../before . training/ab.json --steps data,convert,annotate --runs 5

Both folders are projects whose steps have run once (their inputs exist). Each round runs every step
with `spacy project run STEP --force` in A, then in B (B first in every other round, so that neither
always runs on a warmer machine), and records the step's process-seconds: user + system of `spacy
project run` and every process it waited for (the step's script, its worker processes), from the
kernel's accounting (`os.wait4`), which another load on the machine disturbs far less than wall time.
Writes the runs and, per step, both medians and B's change; a markdown table beside the JSON.
"""

import os
import platform
import statistics
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Dict, List, Sequence

import typer
from wasabi import msg

from ..util.errors import UserError, check_range, run
from ..util.files import markdown_table, write_json, write_text


def process_seconds(args: Sequence[str], cwd: Path) -> float:
    """User + system seconds of a command and of the processes it waited for; a UserError if it fails."""
    proc = subprocess.Popen(list(args), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode("utf8", "replace") if proc.stderr else ""
    if proc.returncode:
        tail = " ".join(err.split())[-200:]
        raise UserError(f"{' '.join(args)} failed in {cwd} (exit {proc.returncode}): {tail}")
    return usage.ru_utime + usage.ru_stime


def ab_runs(a: Path, b: Path, steps: Sequence[str], runs: int, extra: Sequence[str] = ()) -> Dict[str, Dict]:
    """{step: {"a": [seconds per run], "b": [...]}}, A and B interleaved, their order swapped each round."""
    out: Dict[str, Dict[str, List[float]]] = {step: {"a": [], "b": []} for step in steps}
    for i in range(runs):
        for step in steps:
            order = [("a", a), ("b", b)] if i % 2 == 0 else [("b", b), ("a", a)]
            for side, folder in order:
                cmd = [sys.executable, "-m", "spacy", "project", "run", step, ".", "--force", *extra]
                seconds = process_seconds(cmd, folder)
                out[step][side].append(round(seconds, 3))
                msg.text(f"round {i + 1}/{runs} {step} {side}: {seconds:.2f} s")
    return out


def summary(result: Dict) -> Dict[str, Dict[str, float]]:
    """Per step: the medians of A and B and B's change (B / A - 1)."""
    out = {}
    for step, sides in result.items():
        a, b = statistics.median(sides["a"]), statistics.median(sides["b"])
        out[step] = {"a": a, "b": b, "change": b / a - 1 if a else 0.0}
    return out


def table(report: Dict) -> str:
    rows = [
        [f"`{step}`", f"{s['a']:.2f}", f"{s['b']:.2f}", f"{100 * s['change']:+.1f}%"]
        for step, s in report["summary"].items()
    ]
    m = report["machine"]
    head = (
        f"A: `{report['a']}`, B: `{report['b']}`; median of {report['runs']} interleaved runs of each step "
        f"(`--force`), process-seconds (user + system, the step's workers included); {report['date']}, "
        f"{m['cpu_count']} cores, Python {m['python']}.\n\n"
    )
    return head + markdown_table(["step", "A (s)", "B (s)", "B vs A"], rows)


Arg, Opt = typer.Argument, typer.Option


def main(
    before: Annotated[Path, Arg(help="Project A (e.g. a worktree of the commit before)", exists=True, file_okay=False)],
    after: Annotated[Path, Arg(help="Project B", exists=True, file_okay=False)],
    output: Annotated[Path, Arg(help="JSON of every run and the medians (a .md table is written beside it)")],
    steps: Annotated[str, Opt("--steps", help="Comma-separated steps, run in this order")] = (
        "data,convert,pretrained-plan,pretrained,build-gazetteers,annotate,score,aggregate"
    ),
    runs: Annotated[int, Opt("--runs", help="Runs of each step on each side")] = 5,
    overrides: Annotated[str, Opt("--overrides", help="Passed to every step, e.g. '--vars.max_steps 20'")] = "",
):
    """Time each step of two checkouts of the project, interleaved, in process-seconds."""
    check_range("runs", runs, 1)
    step_list = [s.strip() for s in steps.split(",") if s.strip()]
    if not step_list:
        raise UserError("--steps names no step")
    for folder in (before, after):
        if not (folder / "project.yml").is_file():
            raise UserError(f"{folder}: no project.yml (give two checkouts of the project)")
    result = ab_runs(before.resolve(), after.resolve(), step_list, runs, overrides.split())
    report = {
        "date": date.today().isoformat(),
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "a": str(before),
        "b": str(after),
        "runs": runs,
        "overrides": overrides,
        "seconds": result,
        "summary": summary(result),
    }
    write_json(output, report)
    write_text(output.with_suffix(".md"), table(report))
    msg.good(f"{len(step_list)} steps x {runs} runs -> {output}")


if __name__ == "__main__":
    run(main)
