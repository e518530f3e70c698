"""The `check` step: the preset's labelling functions checked, before any pipeline runs.

It imports the user's code and resolves the preset as `annotate` will, and stops with one line on what
`annotate` would stop on hours later: an unknown function name, a bad preset (schema, roles, weights,
pipelines), a negative function in a role that spreads labels. It warns of a label no function emits
(the model could never learn it) and lists what will run in `corpus/functions.json`: each function, its
kind, labels, roles and weight set by hand. `convert` has checked the labels against dev's gold.
"""

from pathlib import Path
from typing import Annotated, Dict

import typer
from wasabi import msg

from ..corpus.labels import parse_labels
from ..corpus.presets import ROLES
from ..project import var
from ..util.errors import UserError, check_package_name, check_training_config, run
from ..util.files import write_json
from .annotator import FunctionSettings
from .registry import get, role_holders

# The roles whose holders' labels are spread or read as names: a negative function (label not_entity)
# can only feed the document vote, where it is an O vote.
NEGATIVE_ROLES = ("doc_vote",)


def installed(model: str) -> bool:
    """Whether spaCy can load `model` (an installed package, or a folder), without loading it."""
    import spacy

    return spacy.util.is_package(model) or Path(model).is_dir()


def relative_path(path: str) -> str:
    """A path relative to the working folder where it is inside it (the project's), else as it is."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def check_functions(settings: FunctionSettings) -> Dict:
    """What `annotate` will run, checked; a UserError for what it would stop on."""
    chosen = settings.chosen()  # imports the code, resolves the preset, knows every name
    labels = list(settings.labels)
    running = [n for n in chosen.functions if get(n).emits_any(labels)]
    for role in ("doc_seed", "doc_surname", "doc_company"):
        bad = [n for n in role_holders(running, role, chosen.roles) if get(n).negative]
        if bad:
            raise UserError(
                f"labelling function {bad[0]!r} is negative (it says no entity) and holds the role {role}, "
                f"which spreads or reads its labels: give it only {', '.join(NEGATIVE_ROLES)}"
            )
    for name, spec in chosen.pipelines.items():
        if name in running and not installed(str(spec["model"])):
            raise UserError(
                f"{settings.presets}: pipeline {name!r}: {spec['model']!r} is no installed spaCy pipeline nor a "
                "folder: pip install it, or give its path (`model:`)"
            )
    functions = []
    for name in chosen.functions:
        declared = get(name)
        functions.append(
            {
                "name": name,
                "kind": declared.kind,
                "labels": None if declared.labels is None else list(declared.labels),
                "negative": declared.negative,
                "roles": [r for r in ROLES if role_holders([name], r, chosen.roles)],
                "weight_by_hand": chosen.weights.get(name),
                "runs": name in running,
                "declared_in": relative_path(declared.source),
            }
        )
    return {"preset": chosen.name, "labels": labels, "functions": functions, "pipelines": sorted(chosen.pipelines)}


Arg, Opt = typer.Argument, typer.Option


def main(
    output: Annotated[Path, Arg(help="JSON of the functions that will run (corpus/functions.json)")],
    labels: Annotated[str, Opt("--labels", "-l", help="Comma-separated labels")] = var("labels"),
    preset: Annotated[str, Opt("--preset", help="Labelling functions: a preset of --presets")] = var("preset"),
    presets: Annotated[Path, Opt("--presets", help="YAML file of presets")] = Path(var("presets")),
    code: Annotated[str, Opt("--code", help="Your labelling functions: a .py file or a folder (empty: none)")] = var(
        "lf_code"
    ),
    gazetteer_dir: Annotated[Path, Opt("--gazetteers", help="Folder of the lexicons")] = Path(var("gazetteers_dir")),
    lang: Annotated[str, Opt("--lang", help="spaCy language of the tokenizer of phrases")] = var("lang"),
    hyphens: Annotated[str, Opt("--hyphens", help="Phrases: split words at hyphens (spaCy) or keep")] = var("hyphens"),
    package_name: Annotated[
        str, Opt("--package-name", help="The package `package` will build (checked here, before any training)")
    ] = var("package_name"),
    train_config: Annotated[str, Opt("--train-config", help="The training config (checked here)")] = var(
        "train_config"
    ),
    source_model: Annotated[str, Opt("--source-model", help="The pipeline it fine-tunes")] = var("source_model"),
    vectors_model: Annotated[str, Opt("--vectors-model", help="The vectors' pipeline")] = var("vectors_model"),
):
    """Check the preset's labelling functions (names, roles, weights, pipelines) before any pipeline runs, and
    the package name and training config before any training."""
    check_package_name(package_name, lang)
    check_training_config(train_config, source_model, vectors_model)
    label_list = tuple(parse_labels(labels))
    settings = FunctionSettings(label_list, preset, str(gazetteer_dir), str(presets), code, lang, hyphens)
    result = check_functions(settings)
    running = [f for f in result["functions"] if f["runs"]]
    emitted = {lab for f in running for lab in (f["labels"] or label_list)}
    for label in label_list:
        if label not in emitted:
            msg.warn(f"no function of preset {preset!r} emits {label}: the model cannot learn it from the weak labels")
    for f in running:
        outside = [lab for lab in f["labels"] or [] if lab not in label_list]
        if outside and not f["declared_in"].startswith("scripts"):  # the project's own are restricted on purpose
            msg.warn(
                f"{f['name']} emits {', '.join(outside)}, not among the labels {labels}: those spans are dropped "
                "(a typo in its labels or label map? or add them to --vars.labels)"
            )
    left_out = [f for f in result["functions"] if not f["runs"]]
    ours = [f["name"] for f in left_out if f["declared_in"].startswith("scripts")]
    if ours:  # the project's own, for labels this project does not train
        n = len(ours)
        msg.info(
            f"{n} function{'s' if n > 1 else ''} emit{'' if n > 1 else 's'} none of the labels {labels} and "
            f"{'are' if n > 1 else 'is'} left out: {', '.join(ours)}"
        )
    for f in left_out:
        if not f["declared_in"].startswith("scripts"):
            msg.warn(
                f"{f['name']} ({f['declared_in']}) emits none of the labels {labels} (its labels: "
                f"{', '.join(f['labels'] or [])}): it is left out (a typo in its labels? or add them to --vars.labels)"
            )
    write_json(output, result)
    negative = sum(1 for f in running if f["negative"])
    by_hand = sum(1 for f in running if f["weight_by_hand"] is not None)
    msg.good(
        f"Preset {preset!r}: {len(running)} labelling functions ({negative} negative, {by_hand} weighed by hand, "
        f"{len(result['pipelines'])} pipelines declared as data) -> {output}"
    )


if __name__ == "__main__":
    run(main)
