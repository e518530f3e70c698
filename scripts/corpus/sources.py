"""Where the corpus comes from: the vars `train_data`, `dev_data` and `test_data` (a file or a folder of
files each, format by extension: see `readers`), or, when none is set, the CoNLL 2003 folder (`conll_dir`,
env CONLL_DIR) with train.txt, dev.txt and test.txt. Besides them, `extra_tests` (env EXTRA_TESTS) names
further held-out test sets, scored only (e.g. CoNLL's test without its tables). Standard library only: `data`
runs on every `all`.
"""

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Dict, List

SPLITS = ("train", "dev", "test")
ENV_VAR = "CONLL_DIR"
EXTRA_ENV_VAR = "EXTRA_TESTS"
FORMATS = (".jsonl", ".txt", ".spacy", ".conll", ".iob")
CONLL2003 = "conll2003"  # the built-in example's format: the CoNLL folder, read through `datasets`
FILES = "files"  # a user's corpus, read by `readers`
EXTRA_DIR = "extra_tests"  # corpus/extra_tests/NAME.spacy: the extra test sets, documents with gold in doc.ents
# corpus/held_out/NAME.spacy: test and the extra test sets as sentences with gold spans, as dev_gold.spacy, for
# the labelling functions and their votes to be scored on (scored only, never used to choose anything)
HELD_OUT_DIR = "held_out"
# the names of the sets in each such folder: a folder is never empty, since `spacy project push` skips an empty
# output folder and a fresh clone's `pull` would then leave convert to rerun
SETS = "sets.json"


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
            f"(`spacy project run all . --vars.conll_dir PATH`), or fetch it with `spacy project assets`; "
            "for your own corpus set --vars.train_data and --vars.dev_data"
        )
    return files


def input_files(path: Path, var: str) -> List[Path]:
    """The corpus files of `path`: the file, or a folder's files (all of known formats) in name order."""
    from ..util.errors import UserError

    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        unknown = [p.name for p in files if p.suffix.lower() not in FORMATS]
        if unknown:
            raise UserError(
                f"--vars.{var} {str(path)!r}: {unknown[0]} is not a corpus file (formats: {', '.join(FORMATS)}): "
                "move it out of the folder"
            )
        if not files:
            raise UserError(f"--vars.{var} {str(path)!r}: the folder holds no corpus file ({', '.join(FORMATS)})")
        return files
    if not path.is_file():
        raise UserError(f"--vars.{var} {str(path)!r}: no such file or folder")
    if path.suffix.lower() not in FORMATS:
        raise UserError(f"--vars.{var} {str(path)!r}: unknown format {path.suffix!r}: use one of {', '.join(FORMATS)}")
    return [path]


NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")


def extra_tests(spec: str) -> Dict[str, List[Path]]:
    """{name: [files]} of the var `extra_tests` ("NAME=PATH,...", each a file or a folder of corpus files);
    $EXTRA_TESTS, when set, wins, as $CONLL_DIR does. A UserError names what is wrong."""
    from ..util.errors import UserError

    env = os.environ.get(EXTRA_ENV_VAR, "").strip()
    spec, where = (env, f"${EXTRA_ENV_VAR}") if env else (spec.strip(), "--vars.extra_tests")
    out: Dict[str, List[Path]] = {}
    for item in (i.strip() for i in spec.split(",") if i.strip()):
        name, sep, path = (x.strip() for x in item.partition("="))
        if not sep or not name or not path:
            raise UserError(f"{where} {item!r}: write NAME=PATH (e.g. non_tabular=data/test.txt), comma-separated")
        if not NAME_RE.match(name) or name in SPLITS or name in out:
            raise UserError(
                f"{where} {item!r}: the name {name!r} must be letters, digits or _, used once, and not train/dev/test"
            )
        out[name] = input_files(Path(path), "extra_tests")
    return out


def data_sources(conll_dir: Path, train: str = "", dev: str = "", test: str = "", extra: str = "") -> Dict[str, Any]:
    """{"format": CONLL2003 or FILES, split: [files], "extra_tests": {name: [files]}}: the user's files when a
    var is set (test may be empty), else the CoNLL folder. A UserError names the var that is missing or wrong."""
    from ..util.errors import UserError

    extras = extra_tests(extra)
    if not (train or dev or test):
        try:
            files = check_conll_dir(resolve_conll_dir(conll_dir))
        except FileNotFoundError as e:
            raise UserError(str(e)) from None
        return {"format": CONLL2003, **{split: [path] for split, path in files.items()}, "extra_tests": extras}
    for var, value in (("train_data", train), ("dev_data", dev)):
        if not value:
            raise UserError(
                f"--vars.{var} is empty while another *_data var is set: a corpus needs train_data (unlabelled "
                "text) and dev_data (with gold entities); test_data is optional"
            )
    return {
        "format": FILES,
        "train": input_files(Path(train), "train_data"),
        "dev": input_files(Path(dev), "dev_data"),
        "test": input_files(Path(test), "test_data") if test else [],
        "extra_tests": extras,
    }


def sha256(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# The two parts of a corpus: what the method reads (train, dev) and what only the `final` step reads (test, the
# extra test sets). Each has its fingerprint, so that a changed held-out set reruns nothing of the method.
METHOD, HELD_OUT = "method", "held_out"
PART_SPLITS = {METHOD: ("train", "dev"), HELD_OUT: ("test",)}


def fingerprint(sources: Dict, part: str = METHOD) -> Dict:
    """The format and the sha256 of each file of each split of `part` (and, for the held-out part, of each extra
    test set, when there is one): what `data` records and `convert` checks."""
    out = {"format": sources["format"], **{s: {p.name: sha256(p) for p in sources[s]} for s in PART_SPLITS[part]}}
    extras = sources.get("extra_tests") or {}
    if part == HELD_OUT and extras:
        out["extra_tests"] = {name: {p.name: sha256(p) for p in paths} for name, paths in extras.items()}
    return out
