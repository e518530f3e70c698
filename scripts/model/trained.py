"""What `train` leaves in a finished pipeline, and the checks of the steps after it.

Each finished pipeline holds `training_finished.json` with a digest of its files: `evaluate`, `visualize`
and `package` depend on that small file, not on the 66 MB folder, and check the digest before they trust
the folder.
"""

import hashlib
import json
from pathlib import Path

from ..util.errors import UserError

PIPELINES = ("model-best", "model-last")
FINISHED = "training_finished.json"  # written into each pipeline once spacy train has returned


def finished(model: Path) -> bool:
    """Whether `model` is a pipeline this step finished training (not a checkpoint of a killed run)."""
    return (Path(model) / FINISHED).is_file()


def pipeline_digest(model: Path) -> str:
    """md5 of the pipeline folder's files (names and bytes, in name order), the marker left out."""
    digest = hashlib.md5()
    model = Path(model)
    for path in sorted(p for p in model.rglob("*") if p.is_file() and p.relative_to(model).as_posix() != FINISHED):
        digest.update(path.relative_to(model).as_posix().encode("utf8") + b"\0")
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def check_unchanged(model: Path) -> None:
    """Fail with one line if `model` has a marker whose digest its files no longer match (the steps after
    train depend on the marker: a pipeline edited in place would otherwise be trusted as the one trained)."""
    marker = Path(model) / FINISHED
    if not marker.is_file():
        return
    try:
        expected = json.loads(marker.read_text(encoding="utf8")).get("md5")
    except (ValueError, AttributeError):
        raise UserError(f"{marker}: not the JSON that `train` writes: run `spacy project run train`") from None
    if expected is not None and pipeline_digest(model) != expected:  # markers before the digest carry none
        raise UserError(
            f"{model} changed after `train` finished it (its files no longer match the md5 in {FINISHED}, which "
            "the later steps depend on): run `spacy project run train` to train it again"
        )


def check_finished(model: Path, remedy: str = "run `spacy project run train`") -> None:
    """Fail with one line unless `model` is a pipeline `train` finished and nobody changed since."""
    if not finished(model):
        raise UserError(
            f"{model} is not a pipeline that `train` finished (no {FINISHED}: a killed run, or trained "
            f"another way): {remedy}"
        )
    check_unchanged(model)
