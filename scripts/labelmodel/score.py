"""The `score` step: every labelling function on dev against gold (`lf_scores`), the weak ones dropped.

Writes training/lf_scores.csv and .md (precision, recall, coverage, conflicts per function and
label) and training/lf_selection.json: what `aggregate` lets vote, and with which weight.
"""

from pathlib import Path
from typing import Annotated

import typer
from wasabi import msg

from ..corpus.docbin import read_docs
from ..corpus.gold import gold_labels
from ..corpus.labels import GOLD, lf_names, parse_labels
from ..corpus.presets import resolve_preset
from ..project import var
from ..util import timing
from ..util.errors import UserError, check_known_labels, check_range, run, setting
from ..util.files import write_json
from .lf_scores import (
    COLUMNS,
    WEIGHTINGS,
    apply_hand_weights,
    fmt,
    negative_functions,
    parse_label_thresholds,
    parse_no_evidence_weight,
    score_functions,
    score_negative,
    selection,
    uncertain,
    write_scores,
)

Arg, Opt = typer.Argument, typer.Option


def main(
    dev_path: Annotated[Path, Arg(help="Annotated dev (with gold): a folder of shards or a .spacy file", exists=True)],
    output_dir: Annotated[Path, Arg(help="Where lf_scores.csv/.md and lf_selection.json go")],
    labels: Annotated[str, Opt("--labels", "-l", help="Comma-separated labels")] = var("labels"),
    min_precision: Annotated[
        float, Opt("--min-precision", help="Drop (function, label) pairs under this dev precision")
    ] = var("min_precision"),
    label_min_precision: Annotated[
        str, Opt("--label-min-precision", help="Per-label thresholds that override --min-precision, e.g. ORG:0.6")
    ] = var("label_min_precision"),
    weights: Annotated[
        str, Opt("--weights", help="Weights of the kept functions: uniform, or precision (log-odds of dev precision)")
    ] = var("lf_weights"),
    no_evidence_weight: Annotated[
        str, Opt("--no-evidence-weight", help="Weight of functions that never fire on dev: min (of the others) or >= 0")
    ] = var("no_evidence_weight"),
    preset: Annotated[str, Opt("--preset", help="The preset annotate ran (its `weights:` set by hand)")] = var(
        "preset"
    ),
    presets: Annotated[Path, Opt("--presets", help="YAML file of presets")] = Path(var("presets")),
):
    """Score each labelling function on dev and choose the ones aggregation keeps."""
    timing.start()
    label_list = parse_labels(labels)
    check_range("min_precision", min_precision, 0, 1)
    if weights not in WEIGHTINGS:
        raise setting("lf_weights", weights, f"must be one of {', '.join(WEIGHTINGS)}")
    try:
        unscored_weight = parse_no_evidence_weight(no_evidence_weight)
    except ValueError as e:
        raise setting("no_evidence_weight", no_evidence_weight, str(e)) from None
    try:
        per_label = parse_label_thresholds(label_min_precision)
    except ValueError as e:
        raise setting("label_min_precision", label_min_precision, str(e)) from None
    for label in [lab for lab in per_label if lab not in label_list]:  # e.g. ORG:0.6 in a PER-only run
        msg.warn(f"--label-min-precision: {label} is not among the labels {labels}; ignored")
        del per_label[label]
    with timing.phase("reading"):
        docs = read_docs(dev_path)
    if not any(GOLD in d.spans for d in docs):
        raise UserError(
            f"{dev_path} has no gold spans: score runs on the annotated dev set (convert puts a corpus's gold, "
            "from doc.ents or spans, into doc.spans['gold'])"
        )
    check_known_labels(label_list, gold_labels(docs), f"the gold of {dev_path}")
    hand = resolve_preset(presets, preset).weights
    negative = negative_functions(docs)
    try:
        with timing.phase("scoring"):
            sources = [name for name in lf_names(docs) if name not in negative] if negative else None
            rows = score_functions(docs, label_list, min_precision, sources, label_min_precision=per_label)
    except ValueError as e:
        msg.fail(str(e), exits=1)
    if not any(row["status"] == "kept" for row in rows) and not any(w > 0 for w in hand.values()):
        raise setting("min_precision", min_precision, "no labelling function reaches it on dev for any label: lower it")
    if negative:  # where they contradict what the others keep (weights by hand included)
        # on copies: the hand weights mark the rows they change, and the selection below must read them unmarked
        first = [dict(row) for row in rows]
        kept = apply_hand_weights(first, selection(first, min_precision, per_label), hand)["kept"]
        with timing.phase("scoring"):
            rows += score_negative(docs, negative, kept, min_precision)
    sel = apply_hand_weights(rows, selection(rows, min_precision, per_label, weights, unscored_weight), hand)
    if negative:
        sel["negative"] = [name for name in negative if name in sel["kept"]]
    for row in rows:  # the weight aggregation gives the function (1 when uniform), on its kept labels
        if row["status"] != "dropped":
            row["weight"] = float(sel["weights"].get(row["function"], 1.0)) if row["function"] in sel["kept"] else 0.0
    with timing.phase("writing"):
        write_scores(rows, output_dir / "lf_scores.csv", output_dir / "lf_scores.md", min_precision, per_label, hand)
        write_json(output_dir / "lf_selection.json", sel)
    msg.table([[fmt(r[c]) for c in COLUMNS] for r in rows], header=COLUMNS, divider=True)
    for function, by_label in sel["dropped"].items():
        msg.warn(f"Dropped {function}: " + ", ".join(f"{lab} precision {p:.3f}" for lab, p in by_label.items()))
    for function in sel["no_dev_evidence"]:
        what = (
            "contradicts no kept function on dev" if function in negative else "never fires on dev"
        ) + ": no evidence, it"
        if function in hand:
            msg.warn(f"{function} {what} votes with its weight set by hand, {hand[function]:g}")
        elif function in sel["kept"]:
            weight = sel["weights"].get(function, 1.0)
            msg.warn(f"{function} {what} votes with weight {weight} (--vars.no_evidence_weight)")
        else:
            msg.warn(f"{function} {what} is left out (--vars.no_evidence_weight 0)")
    close = [r for r in rows if uncertain(r)]
    if close:
        msg.warn(
            "Kept or dropped on a precision whose 95% interval holds the threshold (other dev data could decide "
            "otherwise; more dev gold settles it): "
            + ", ".join(
                f"{r['function']} {r['label']} {r['status']} ({r['precision']:.3f}, 95% "
                f"{r['precision_95'][0]:.2f}-{r['precision_95'][1]:.2f})"
                for r in close
            )
        )
    if hand:
        msg.info(
            f"Weights set by hand in preset {preset!r}: "
            + ", ".join(f"{f} {w:g}" + (" (left out)" if w == 0 else "") for f, w in hand.items())
        )
    msg.good(f"Scored {len({r['function'] for r in rows})} labelling functions -> {output_dir}/lf_scores.csv")
    msg.info(timing.summary())
    timing.report()


if __name__ == "__main__":
    run(main)
