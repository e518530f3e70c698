"""The `final` step: every system scored on test and the extra held-out sets, once the method has chosen
everything on dev.

The iteration workflows (`all`, `before-review`, `after-review`) score dev only; test and the extra test sets
are converted, annotated and scored here alone (`spacy project run final`), so that nothing a user reads while
choosing holds a figure of them. It scores the trained model (and its NER alone), the zero-shot baseline, the
weak labels (the label model fitted on train as `aggregate` fits it) and, when trained, the supervised
reference; writes training/final.json and final.md; and appends one line per run to training/final_log.md
(date, commit or corpus fingerprint, the figures), so that a reader sees how often the held-out sets were
looked at.
"""

import datetime
import hashlib
from pathlib import Path
from typing import Annotated, Dict, List, Optional

import srsly
import typer
from wasabi import msg

from ..corpus.labels import parse_labels
from ..labelmodel import registry
from ..labelmodel.training_corpus import score_held_out
from ..pipeline import components  # noqa: F401  (the trained pipeline's tokenizer and doc_consistency)
from ..project import var
from ..util.errors import UserError, run
from ..util.files import write_json, write_text
from ..util.modules import git_commit
from ..util.parallel import Parallelism
from .scoring import (
    REFERENCE,
    comparison_table,
    evaluate_pipeline,
    load_pipeline_or_exit,
    parse_label_map,
    score_baseline,
    standard_corpora,
    summary_table,
)
from .trained import FINISHED, check_finished

LOG = "final_log.md"
LOG_HEADER = (
    "# Every look at the held-out sets (`spacy project run final`)\n\n| date | code | data | "
    "model F |\n|---|---|---|---|\n"
)


def commit_or_fingerprint(fingerprints: List[Path]) -> Dict[str, str]:
    """What the figures were measured with: the git commit (marked + when the tree has changes), and a digest
    of the corpus fingerprints."""
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in fingerprints if p.is_file())).hexdigest()[:12]
    return {"code": git_commit(), "data": digest}


def append_log(path: Path, when: str, made: Dict[str, str], metrics: Dict) -> None:
    """One line per run: the date, the code and data, the model's F on each held-out set."""
    figures = ", ".join(
        f"{split} {metrics[split]['weakly supervised model']['f']:.3f}"
        for split in metrics["splits"]
        if "weakly supervised model" in metrics[split]
    )
    old = path.read_text(encoding="utf8") if path.exists() else LOG_HEADER
    write_text(path, old + f"| {when} | {made['code']} | {made['data']} | {figures} |\n")


Arg, Opt = typer.Argument, typer.Option


def main(
    model_path: Annotated[Path, Arg(help="The trained pipeline, e.g. training/model-best")],
    corpus_dir: Annotated[Path, Arg(help="Folder with test.spacy and extra_tests/ (convert --held-out)")],
    train_annotated: Annotated[Path, Arg(help="Annotated train: the label model is fitted on it")],
    held_out_annotated: Annotated[Path, Arg(help="Annotated held-out sets (a folder per set)")],
    selection: Annotated[Path, Arg(help="score's lf_selection.json")],
    output_dir: Annotated[Path, Arg(help="Where final.json, final.md and the log go")],
    labels: Annotated[str, Opt("--labels", "-l", help="Comma-separated labels")] = var("labels"),
    aggregator: Annotated[str, Opt("--aggregator", "-a", help="The label model")] = var("aggregator"),
    seed: Annotated[int, Opt("--seed", help="The label model's seed, as aggregate's")] = var("seed"),
    fit_docs: Annotated[int, Opt("--fit-docs", help="As aggregate's")] = var("hmm_fit_docs"),
    baseline_model: Annotated[str, Opt("--baseline", help="Zero-shot baseline (empty: none)")] = var("baseline_model"),
    label_map: Annotated[str, Opt("--label-map", help="The baseline's label map")] = var("baseline_label_map"),
    reference: Annotated[Path, Opt("--reference", help="The supervised reference's pipeline, if trained")] = Path(
        "training/reference/model-best"
    ),
    fingerprints: Annotated[
        Optional[List[Path]], Opt("--fingerprint", help="The corpus fingerprints the log records (data's)")
    ] = None,
    n_process: Annotated[int, Opt("--n-process", "-n", help="Worker processes (0: all cores)")] = var("n_process"),
    shard_size: Annotated[int, Opt("--shard-size", help="Documents per shard")] = var("shard_size"),
):
    """Score every system on test and the extra held-out sets; write the final tables and log this look."""
    fingerprints = fingerprints or [Path("corpus/data_fingerprint.json"), Path("corpus/held_out_fingerprint.json")]
    label_list = parse_labels(labels)
    corpora = standard_corpora(corpus_dir, held_out=True)
    if not corpora:
        raise UserError(
            f"{corpus_dir}: no held-out set (no test_data and no extra_tests): nothing to score; "
            "`spacy project run final` converts them first"
        )
    check_finished(model_path)
    scores = evaluate_pipeline(load_pipeline_or_exit(str(model_path)), corpora, label_list)
    ner_only = scores.pop("ner", {})
    metrics: Dict = {"labels": label_list, "splits": list(corpora)}
    for split in corpora:
        metrics[split] = {}
    if baseline_model.strip():
        _, base = score_baseline(baseline_model, parse_label_map(label_map), corpora, label_list)
        for split, s in base.items():
            metrics[split][f"baseline ({baseline_model})"] = s
    sel = srsly.read_json(selection)
    negative = [name for name in sel.get("negative") or [] if name in sel["kept"]]
    agg = registry.make(aggregator, label_list, sel.get("weights") or {}, negative)
    parallel = Parallelism.from_options(n_process, shard_size, "")
    votes = score_held_out(agg, sel["kept"], label_list, train_annotated, held_out_annotated, seed, fit_docs, parallel)
    for split, weak in votes.items():
        if split in metrics:
            for kind, other in sorted(weak["also"].items()):
                metrics[split][f"weak labels ({kind})"] = other
            metrics[split][f"weak labels ({aggregator})"] = weak["scores"]
    for split in corpora:
        if ner_only:
            metrics[split]["weakly supervised model, NER alone"] = ner_only[split]
        metrics[split]["weakly supervised model"] = scores[split]
    if (reference / FINISHED).is_file():
        ref = evaluate_pipeline(load_pipeline_or_exit(str(reference)), corpora, label_list)
        for split in corpora:
            metrics[split][REFERENCE] = ref[split]
    when = datetime.datetime.now().isoformat(timespec="seconds")
    made = commit_or_fingerprint(fingerprints)
    metrics["made"] = {"date": when, **made}
    write_json(output_dir / "final.json", metrics)
    table = summary_table(metrics, label_list) + "\n\n## Per label\n\n" + comparison_table(metrics, label_list)
    write_text(
        output_dir / "final.md",
        "# The held-out sets (`spacy project run final`)\n\n"
        f"Measured {when} with code {made['code']} and data {made['data']}; every look is in {LOG}. "
        "Nothing was chosen on these sets.\n\n" + table + "\n",
    )
    append_log(output_dir / LOG, when, made, metrics)
    print(table)
    msg.good(
        f"Wrote {output_dir / 'final.json'} and final.md; this look is line {log_lines(output_dir / LOG)} of {LOG}"
    )


def log_lines(path: Path) -> int:
    """How many looks the log records."""
    return max(0, len(path.read_text(encoding="utf8").splitlines()) - LOG_HEADER.count("\n"))


if __name__ == "__main__":
    run(main)
