"""The figures the README and docs show, kept in files and rendered, so that none is typed by hand.

`collect` copies a full run's result files into `docs/results/` (dev: `training/metrics.json`; the held-out
sets: `training/final.json`; the speed of `all --force` and of the quick setting:
`training/workflow_benchmark.json`) with `run.json`: the date, the commit, the machine and the commands that
made them. `render` rewrites every block between `<!-- results:NAME -->` and `<!-- /results:NAME -->` in the
given markdown files from those files; `render --check` changes nothing and fails when a block differs
(tests/test_docs.py runs it on README.md and docs/).

    spacy project run benchmark-workflow && spacy project run reference && spacy project run final
    python -m scripts.tools.results collect && python -m scripts.tools.results render README.md docs/results.md
"""

import datetime
import os
import platform
import re
import shutil
from pathlib import Path
from typing import Callable, Dict, List, Optional

import srsly
import typer
from wasabi import msg

from ..util.errors import UserError, run
from ..util.files import write_json
from ..util.modules import git_commit

DEFAULT_DIR = Path("docs/results")
FILES = {"metrics": "metrics.json", "final": "final.json", "workflow": "workflow_benchmark.json"}
RUN = "run.json"
MODEL = "weakly supervised model"
BLOCK = re.compile(r"(<!-- results:([a-z_]+) -->\n)(.*?)(<!-- /results:\2 -->)", re.S)


def machine() -> str:
    """This machine in a few words: CPU model, cores, memory, Python."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        mem = f", {round(kb / 1024**2)} GB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu or 'unknown CPU'}){mem}, Python {platform.python_version()}"


def collect(training: Path, output: Path, commands: List[str]) -> Dict:
    """Copy the result files of a full run into `output`, with run.json; every file must be there (a partial
    set would mix runs)."""
    missing = [name for name in FILES.values() if not (training / name).is_file()]
    if missing:
        raise UserError(
            f"{', '.join(str(training / m) for m in missing)} missing: run `spacy project run benchmark-workflow`, "
            "`reference` and `final` on the full data first"
        )
    final = srsly.read_json(training / FILES["final"])
    output.mkdir(parents=True, exist_ok=True)
    for name in FILES.values():
        shutil.copyfile(training / name, output / name)
    for table in ("workflow_benchmark.md", "final.md", "metrics.md"):  # the same figures, as the run printed them
        if (training / table).is_file():
            shutil.copyfile(training / table, output / table)
    info = {
        "date": datetime.date.today().isoformat(),
        "commit": final.get("made", {}).get("code") or git_commit(),
        "machine": machine(),
        "commands": commands,
    }
    info["disk_mb"] = disk_usage(training.parent if training.name else Path("."))
    write_json(output / RUN, info)
    return info


def folder_mb(path: Path) -> float:
    """The size of a folder's files in MB (symlinks not followed)."""
    total = (
        sum(f.lstat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) if path.is_dir() else 0
    )
    return round(total / 1e6, 1)


def disk_usage(project: Path) -> Dict[str, float]:
    """What a full run leaves on disk, folder by folder, and the two venvs."""
    names = ("corpus", "training", "packages", ".venv", ".venv-argilla-server")
    return {name: folder_mb(project / name) for name in names if (project / name).is_dir()}


def f3(value: float) -> str:
    """.854: three decimals without the leading zero, as the tables print F."""
    return f"{value:.3f}".lstrip("0") if value < 1 else f"{value:.3f}"


def cell(scores: Optional[Dict], labels: List[str]) -> str:
    if not scores:
        return ""
    per = " / ".join(f3(scores["per_type"][lab]["f"]) for lab in labels) if len(labels) > 1 else ""
    return f3(scores["f"]) + (f" ({per})" if per else "")


def system_rank(name: str) -> int:
    """The table's order (the JSON files sort their keys): baseline, weak labels, the model, the reference."""
    for rank, start in enumerate(("baseline", "weak labels", f"{MODEL}, NER alone", MODEL)):
        if name.startswith(start):
            return rank
    return 4


def results_table(results: Dict) -> str:
    """One row per system: its F on dev, test and each extra held-out set (each label's in brackets)."""
    metrics, final = results["metrics"], results["final"]
    labels = metrics["labels"]
    columns = [("dev", metrics["dev"])] + [(split, final[split]) for split in final["splits"]]
    systems = sorted(dict.fromkeys(name for _, scores in columns for name in scores), key=system_rank)
    what = f"F ({' / '.join(labels)})" if len(labels) > 1 else "F"
    lines = ["| system | " + " | ".join(f"{split} {what}" for split, _ in columns) + " |"]
    lines.append("|---" * (len(columns) + 1) + "|")
    for system in systems:
        cells = [cell(scores.get(system), labels) for _, scores in columns]
        if system == MODEL:
            system, cells = f"**{system}**", [f"**{c.split(' ')[0]}**{c[len(c.split(' ')[0]) :]}" for c in cells]
        lines.append(f"| {system} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def measured(results: Dict) -> str:
    """Where the figures come from: the date, commit, machine and commands of run.json."""
    run_info = results["run"]
    commands = "; ".join(f"`{c}`" for c in run_info["commands"])
    return (
        f"_Measured {run_info['date']} at {run_info['commit']} on {run_info['machine']}: {commands}; "
        "the files are in `docs/results/`._\n"
    )


def minutes(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


def speed(results: Dict) -> str:
    """How long every step of `all --force` took with the defaults, and what the quick setting saves in
    training and loses on dev."""
    workflow = results["workflow"]["workflow"]
    default, quick = workflow["default"], workflow["quick"]
    quick_vars = " ".join(f"--vars.{k} {v}" for k, v in quick["vars"].items())
    lost = default["model_f"]["dev"] - quick["model_f"]["dev"]
    return (
        f"Every step of `all --force`, one at a time, took **{minutes(default['total_seconds'])}** with the defaults "
        f"(`train` {minutes(default['seconds']['train'])}; model dev F {f3(default['model_f']['dev'])}). The quick "
        f"setting, `{quick_vars}`, trains in {minutes(quick['seconds']['train'])} for model dev F "
        f"{f3(quick['model_f']['dev'])} ({f3(lost)} less).\n"
    )


def gb(mb: float) -> str:
    """A size in MB as people say it: 36 MB, 1.5 GB."""
    return f"{mb / 1000:.1f} GB" if mb >= 1000 else f"{mb:.0f} MB"


def requirements(results: Dict) -> str:
    """The memory and disk a full run needs: the largest step's peak (with its workers) and the folders."""
    default = results["workflow"]["workflow"]["default"]
    memory = default.get("peak_pss_mb", {})
    disk = results["run"].get("disk_mb", {})
    run_folders = {k: v for k, v in disk.items() if not k.startswith(".venv")}
    venvs = {k: v for k, v in disk.items() if k.startswith(".venv")}
    parts = []
    if memory:
        step = max(memory, key=memory.get)
        parts.append(f"memory peaks at **{gb(memory[step])}** (`{step}`, with its workers)")
    if run_folders:
        each = ", ".join(f"`{k}/` {gb(v)}" for k, v in run_folders.items())
        parts.append(f"a full run writes **{gb(sum(run_folders.values()))}** ({each})")
    if venvs:
        parts.append(f"the venvs take {gb(sum(venvs.values()))}")
    return ("On the full CoNLL data, " + "; ".join(parts) + ".\n") if parts else ""


RENDERERS: Dict[str, Callable[[Dict], str]] = {
    "table": results_table,
    "measured": measured,
    "speed": speed,
    "requirements": requirements,
}
NEEDS = {
    "table": ("metrics", "final"),
    "measured": ("run",),
    "speed": ("workflow",),
    "requirements": ("workflow", "run"),
}


def load(folder: Path) -> Dict:
    results = {key: srsly.read_json(folder / name) for key, name in FILES.items() if (folder / name).is_file()}
    if (folder / RUN).is_file():
        results["run"] = srsly.read_json(folder / RUN)
    return results


def render_text(text: str, results: Dict, where: str) -> str:
    """`text` with every results block rendered from `results`."""

    def replace(m: re.Match) -> str:
        name = m.group(2)
        if name not in RENDERERS:
            raise UserError(f"{where}: unknown results block '{name}' (known: {', '.join(RENDERERS)})")
        missing = [key for key in NEEDS[name] if key not in results]
        if missing:
            files = ", ".join(FILES.get(key, RUN) for key in missing)
            raise UserError(
                f"{where}: the block '{name}' needs {files} in the results folder: run `spacy project run results`"
            )
        return m.group(1) + RENDERERS[name](results) + m.group(4)

    return BLOCK.sub(replace, text)


def render(files: List[Path], folder: Path, check: bool) -> List[Path]:
    """Render the blocks of each file; with `check`, write nothing and return the files that differ."""
    results = load(folder)
    differ = []
    for path in files:
        text = path.read_text(encoding="utf8")
        new = render_text(text, results, str(path))
        if new != text:
            differ.append(path)
            if not check:
                path.write_text(new, encoding="utf8")
    return differ


app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0])


@app.command("collect")
def collect_cli(
    training: Path = typer.Option(Path("training"), "--training", help="The run's output folder"),
    output: Path = typer.Option(DEFAULT_DIR, "--output", help="Where the result files are kept (checked in)"),
    command: List[str] = typer.Option(
        ["spacy project run benchmark-workflow", "spacy project run reference", "spacy project run final"],
        "--command",
        help="The commands that made the files (repeat the option)",
    ),
):
    """Copy a full run's result files into docs/results/ with the date, commit, machine and commands."""
    info = collect(training, output, command)
    msg.good(f"Collected the results of {info['commit']} ({info['machine']}) -> {output}")


@app.command("render")
def render_cli(
    files: List[Path] = typer.Argument(..., help="Markdown files with <!-- results:NAME --> blocks"),
    folder: Path = typer.Option(DEFAULT_DIR, "--results", help="The result files (collect's output)"),
    check: bool = typer.Option(False, "--check", help="Change nothing; fail if a block differs from its rendering"),
):
    """Render the results blocks of markdown files from the result files."""
    differ = render(files, folder, check)
    if check and differ:
        raise UserError(
            f"{', '.join(map(str, differ))}: a results block differs from its rendering from {folder}: run "
            f"`python -m scripts.tools.results render {' '.join(map(str, files))}` (never edit a figure by hand)"
        )
    changed = f", {len(differ)} changed" if differ and not check else ""
    msg.good(("Checked" if check else "Rendered") + f" {len(files)} files{changed}")


if __name__ == "__main__":
    run(app)
