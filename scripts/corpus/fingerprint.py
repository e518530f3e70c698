"""Check and fingerprint the corpus files, so that `convert` reruns exactly when the data changes.

The files are those of the vars `train_data`, `dev_data`, `test_data`, or the CoNLL folder (`conll_dir`, or
$CONLL_DIR when set) when none is set (`sources`). weasel only hashes declared deps and the data can live
anywhere, so this cheap step runs every time (no_skip) and rewrites its output only
when a file's sha256 changed: an unchanged folder leaves `convert` and everything after it skipped.
It also creates an empty reviewed set (corpus/reviewed.spacy) until `pull` brings real reviews, since
`aggregate` depends on that file, and the supervised reference's scores as "not run" (training/reference.json)
until the `reference` workflow trains it, since `evaluate` shows them, and an empty set of train documents
labelled as dev (corpus/dev_from_train.spacy, `convert` reads it) until `dev-pull` brings some, and the
installed version of the training config's source pipeline (corpus/source_model.json, a dep of `train`). Standard
library only (and typer), to keep a no-op `spacy project run all` fast.
"""

import json
from pathlib import Path
from typing import Dict, Optional

import typer
from wasabi import msg

from ..util.errors import run
from ..util.files import atomic_path, write_text
from .sources import (  # noqa: F401
    HELD_OUT,
    METHOD,
    SPLITS,
    check_conll_dir,
    data_sources,
    fingerprint,
    resolve_conll_dir,
    sha256,
)


def update_fingerprint(
    conll_dir: Path,
    output: Path,
    train: str = "",
    dev: str = "",
    test: str = "",
    extra: str = "",
    held_out_output: Optional[Path] = None,
) -> bool:
    """Write the fingerprint of the corpus's method part (train and dev: the *_data files, else the CoNLL folder)
    to `output`, and of its held-out part (test, the extra test sets) to `held_out_output`; return whether
    the method's changed."""
    sources = data_sources(conll_dir, train, dev, test, extra)
    if held_out_output is not None:
        write_fingerprint(sources, held_out_output, HELD_OUT)
    return write_fingerprint(sources, output)


def write_fingerprint(sources: Dict, output: Path, part: str = METHOD) -> bool:
    """Write the fingerprint of `sources`' `part` to `output` unless it is already there; whether it changed."""
    return write_if_changed(output, json.dumps(fingerprint(sources, part), indent=2, sort_keys=True) + "\n")


def write_if_changed(output: Path, text: str) -> bool:
    """Write `text` to `output` unless it already holds it (weasel hashes the file: an unchanged one keeps the
    steps after it skipped); whether it changed."""
    if output.exists() and output.read_text(encoding="utf8") == text:
        return False
    write_text(output, text)
    return True


def ensure_reviewed(path: Path) -> bool:
    """Create an empty DocBin at `path` if there is none yet; return whether it was created."""
    if path.exists():
        return False
    from spacy.tokens import DocBin  # only on first run: keeps the no-op path light

    with atomic_path(path) as tmp:
        DocBin(store_user_data=True).to_disk(tmp)
    return True


def write_source_model(name: str, output: Path) -> bool:
    """Record the installed version of the pipeline the training config starts from (var source_model), so
    that `train` depends on it: an upgraded pipeline retrains. Rewritten only on change; whether it changed."""
    from importlib import metadata

    try:
        version = metadata.version(name) if name else ""
    except metadata.PackageNotFoundError:
        version = "not installed"
    return write_if_changed(output, json.dumps({"name": name, "version": version}, indent=2) + "\n")


NOT_RUN = "not run"


def ensure_reference(path: Path) -> bool:
    """Create the reference's scores as "not run" at `path` if there are none yet (evaluate and report depend
    on the file; the `reference` workflow writes the real one); return whether it was created."""
    if path.exists():
        return False
    write_text(path, json.dumps({"status": NOT_RUN}) + "\n")
    return True


def main(
    conll_dir: Path = typer.Argument(..., help="Folder with train.txt, dev.txt, test.txt ($CONLL_DIR wins)"),
    output: Path = typer.Argument(..., help="Fingerprint JSON to write"),
    train_data: str = typer.Option("", "--train-data", help="Your unlabelled train corpus (file or folder)"),
    dev_data: str = typer.Option("", "--dev-data", help="Your dev corpus, with gold entities"),
    test_data: str = typer.Option("", "--test-data", help="Your test corpus, with gold entities (optional)"),
    extra_tests: str = typer.Option("", "--extra-tests", help="Held-out test sets NAME=PATH,... ($EXTRA_TESTS wins)"),
    reviewed: Optional[Path] = typer.Option(None, "--reviewed", help="Reviewed set to create empty if missing"),
    reference: Optional[Path] = typer.Option(None, "--reference", help="Reference scores to create as 'not run'"),
    dev_from_train: Optional[Path] = typer.Option(
        None, "--dev-from-train", help="Train documents labelled as dev (dev-pull) to create empty if missing"
    ),
    source_model: str = typer.Option(
        # read when the option is left out, not at import: this step runs on every `all`, and stays light
        default_factory=lambda: __import__("scripts.project", fromlist=["var"]).var("source_model"),
        help="The pipeline the training config starts from",
    ),
    source_output: Optional[Path] = typer.Option(
        None, "--source-output", help="JSON of the source pipeline's name and installed version (a dep of train)"
    ),
    held_out_output: Optional[Path] = typer.Option(
        None, "--held-out-output", help="Fingerprint JSON of the held-out sets (test, extra tests), for `final`"
    ),
):
    """Check the corpus files and record the sha256 of each."""
    sources = data_sources(conll_dir, train_data, dev_data, test_data, extra_tests)
    changed = write_fingerprint(sources, output)
    if held_out_output is not None and write_fingerprint(sources, held_out_output, HELD_OUT):
        extras = list(sources["extra_tests"])
        sets = "test" + (f" and the extra test sets {', '.join(extras)}" if extras else "")
        msg.info(f"The held-out sets ({sets}; scored by `spacy project run final` only) -> {held_out_output}")
    where = (
        f"the CoNLL data in {resolve_conll_dir(conll_dir)}"
        if not (train_data or dev_data or test_data)
        else (
            f"the corpus of train_data {train_data}, dev_data {dev_data}"
            + (f", test_data {test_data}" if test_data else "")
        )
    )
    msg.good(f"Fingerprinted {where} -> {output}" if changed else f"{where[0].upper()}{where[1:]}: unchanged")
    if reviewed is not None and ensure_reviewed(reviewed):
        msg.info(f"No reviews pulled yet: created an empty {reviewed}")
    if dev_from_train is not None and ensure_reviewed(dev_from_train):
        msg.info(f"No train document labelled as dev yet (dev-push, dev-pull): created an empty {dev_from_train}")
    if source_output is not None and write_source_model(source_model, source_output):
        msg.info(f"The training config's source pipeline: {source_model or 'none'} -> {source_output}")
    if reference is not None and ensure_reference(reference):
        msg.info(f"No supervised reference trained yet (`spacy project run reference`): created {reference}")


if __name__ == "__main__":
    run(main)
