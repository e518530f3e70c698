"""A report a person would rather look at: plots of the labelling functions and of the final scores.

Writes `training/report.md` with two PNGs: per-function precision and coverage on dev (the bar is
greyed when the function was dropped), and per-label P/R/F of every system in `metrics.json`
(baseline, weak labels, trained model, supervised reference) on dev, test and the extra test sets.
"""

import csv
from pathlib import Path
from typing import Dict, List

import srsly
import typer
from wasabi import msg

from ..util.errors import run
from ..util.files import atomic_path, write_text
from .scoring import split_names


def _save(fig, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")


def plot_functions(rows: List[Dict], path: Path) -> None:
    """Horizontal bars: dev precision and coverage per (function, label)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if r["precision"] or r["status"] == "no dev evidence"]
    rows.sort(key=lambda r: (r["label"], float(r["precision"] or 0)))
    names = [f"{r['function']} [{r['label'] or 'never fires on dev'}]" for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.28 * len(rows) + 1.5), sharey=True)
    for ax, key in zip(axes, ("precision", "coverage")):
        colors = [{"dropped": "#bbbbbb", "no dev evidence": "#ff7f0e"}.get(r["status"], "#1f77b4") for r in rows]
        ax.barh(names, [float(r[key] or 0) for r in rows], color=colors)
        for i, r in enumerate(rows):  # no bar to see: say why
            if r["status"] == "no dev evidence":
                ax.text(0.01, i, "no dev evidence", va="center", color="#ff7f0e", fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_title(f"{key} on dev (grey: dropped; orange: no dev evidence)")
        ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def plot_scores(metrics: Dict, path: Path) -> None:
    """Grouped bars: P, R, F per label and micro-average for each system, dev and test."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = metrics["labels"]
    splits = split_names(metrics)
    fig, axes = plt.subplots(len(splits), 3, figsize=(12, 3.2 * len(splits)), squeeze=False)
    groups = ["all"] + labels if len(labels) > 1 else labels
    # one colour per system across splits (test has no weak-label row)
    names = list(dict.fromkeys(name for split in splits for name in metrics[split]))
    colors = {name: f"C{i}" for i, name in enumerate(names)}
    for i, split in enumerate(splits):
        systems = list(metrics[split])
        for j, key in enumerate(("p", "r", "f")):
            ax = axes[i][j]
            width = 0.8 / len(systems)
            for k, system in enumerate(systems):
                s = metrics[split][system]
                values = [s[key] if g == "all" else s["per_type"][g][key] for g in groups]
                ax.bar([x + k * width for x in range(len(groups))], values, width, label=system, color=colors[system])
            ax.set_xticks([x + 0.4 - width / 2 for x in range(len(groups))], groups)
            ax.set_ylim(0, 1)
            ax.set_title(f"{split}: {'precision recall F1'.split()[j]}")
            ax.grid(axis="y", alpha=0.3)
    for row in axes:
        row[0].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def main(
    lf_scores: Path = typer.Argument(..., help="lf_scores.csv from `score`", exists=True),
    metrics_path: Path = typer.Argument(..., help="metrics.json from `evaluate`", exists=True),
    output_dir: Path = typer.Argument(..., help="Where report.md and the PNGs go"),
):
    """Plot the labelling functions and the final scores; write training/report.md."""
    with open(lf_scores, encoding="utf8") as f:
        rows = list(csv.DictReader(f))
    metrics = srsly.read_json(metrics_path)
    plot_functions(rows, output_dir / "lf_scores.png")
    plot_scores(metrics, output_dir / "scores.png")
    tables = (output_dir / "metrics.md").read_text(encoding="utf8") if (output_dir / "metrics.md").exists() else ""
    lf_table = (
        (output_dir / "lf_scores.md").read_text(encoding="utf8") if (output_dir / "lf_scores.md").exists() else ""
    )
    write_text(
        output_dir / "report.md",
        "\n".join(
            [
                "# Weak supervision report",
                "",
                "![Scores per label](scores.png)",
                "",
                tables,
                "",
                "![Labelling functions on dev](lf_scores.png)",
                "",
                lf_table,
            ]
        ),
    )
    msg.good(f"Wrote {output_dir / 'report.md'}, lf_scores.png and scores.png")


if __name__ == "__main__":
    run(main)
