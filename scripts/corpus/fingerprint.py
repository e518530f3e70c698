"""Check and fingerprint the CoNLL data folder, so that `convert` reruns exactly when the data changes.

The folder is the project var `conll_dir`, or $CONLL_DIR when set. weasel only hashes declared deps and
the folder can live anywhere, so this cheap step runs every time (no_skip) and rewrites its output only
when a file's sha256 changed: an unchanged folder leaves `convert` and everything after it skipped.
It also creates an empty reviewed set (corpus/reviewed.spacy) until `pull` brings real reviews, since
`aggregate` depends on that file. Standard library only (and typer), to keep a no-op `spacy project run all` fast.
"""

import hashlib
import json
import os
from pathlib import Path
from typing import Dict, Optional

import typer
from wasabi import msg

from .errors import run
from .files import atomic_path, write_text

SPLITS = ("train", "dev", "test")
ENV_VAR = "CONLL_DIR"


def resolve_conll_dir(conll_dir: Path) -> Path:
    """The data folder: $CONLL_DIR when set (it overrides the project var), else `conll_dir`."""
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env) if env else Path(conll_dir)


def check_conll_dir(conll_dir: Path) -> Dict[str, Path]:
    """Paths of train/dev/test.txt in the folder, or a clear error saying which var to set."""
    files = {split: Path(conll_dir) / f"{split}.txt" for split in SPLITS}
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"CoNLL 2003 data not found: missing {', '.join(missing)}. Point the project at a folder "
            f"holding train.txt, dev.txt and test.txt: set the env var {ENV_VAR} (e.g. "
            f"`export {ENV_VAR}=../shared/data/conll2003`) or the project var `conll_dir` "
            f"(`spacy project run all . --vars.conll_dir PATH`), or fetch it with `spacy project assets`."
        )
    return files


def sha256(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fingerprint(conll_dir: Path) -> Dict[str, str]:
    """sha256 of each split file: what `data` records and `convert` checks."""
    return {split: sha256(path) for split, path in check_conll_dir(conll_dir).items()}


def update_fingerprint(conll_dir: Path, output: Path) -> bool:
    """Write the fingerprint of `conll_dir` to `output`; return whether it changed."""
    new = json.dumps(fingerprint(conll_dir), indent=2, sort_keys=True) + "\n"
    old = output.read_text(encoding="utf8") if output.exists() else None
    if new == old:
        return False
    write_text(output, new)
    return True


def ensure_reviewed(path: Path) -> bool:
    """Create an empty DocBin at `path` if there is none yet; return whether it was created."""
    if path.exists():
        return False
    from spacy.tokens import DocBin  # only on first run: keeps the no-op path light

    with atomic_path(path) as tmp:
        DocBin(store_user_data=True).to_disk(tmp)
    return True


def main(
    conll_dir: Path = typer.Argument(..., help="Folder with train.txt, dev.txt, test.txt ($CONLL_DIR wins)"),
    output: Path = typer.Argument(..., help="Fingerprint JSON to write"),
    reviewed: Optional[Path] = typer.Option(None, "--reviewed", help="Reviewed set to create empty if missing"),
):
    """Check the CoNLL folder and record the sha256 of each split."""
    conll_dir = resolve_conll_dir(conll_dir)
    try:
        changed = update_fingerprint(conll_dir, output)
    except FileNotFoundError as e:
        msg.fail(str(e), exits=1)
    if changed:
        msg.good(f"Fingerprinted the CoNLL data in {conll_dir} -> {output}")
    else:
        msg.good(f"CoNLL data in {conll_dir} unchanged")
    if reviewed is not None and ensure_reviewed(reviewed):
        msg.info(f"No reviews pulled yet: created an empty {reviewed}")


if __name__ == "__main__":
    run(main)
