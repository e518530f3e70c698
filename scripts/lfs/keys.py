"""What defines a labelling function's spans on a shard, as a key (the cache of `annotate`: `scripts.lfs.cache`).

A function's key hashes:
- the source of the module it is declared in and of every project module that module imports (and theirs:
  `scripts.util.modules.closure`); a user's file, the files of its folder it imports by name;
- the runner every function runs in (`annotator`, `registry` and what they import, this module and `cache`),
  and the versions of Python, spaCy, skweak, numpy and srsly;
- its declaration (name, labels, kind, negative, what it declares as data), the files it declares (a word
  list, patterns), and the spaCy pipelines it may run (their versions);
- the settings: the project's labels, `lang` and `hyphens`;
- every lexicon of the gazetteers folder, and every non-code file of a user's code folder (a function
  may read any of them: when unsure, all of them).

The document-level functions are built together, so they have one key: the above for each (the runner of
doclevel included) and the names and roles of the functions that feed them (`feeders`: the holders of a
role, the negative functions; all functions when a user's document function, which may read any of them,
runs). What the feeders found is checked article by article instead (`cache.feeder_digest`): an article
whose feeders' spans did not change keeps its document-level spans, whatever function changed elsewhere.
The shard's input bytes are the other half of an entry's address (`cache.shard_key`).
"""

import hashlib
import json
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from ..util.modules import ROOT, cached_closure
from .annotator import FunctionSettings, LabellingFunctions
from .registry import Declared, get

# Bump when what an entry holds changes: older entries are then never read.
FORMAT = "1"
LIBRARIES = ("spacy", "skweak", "numpy", "srsly")
HERE = Path(__file__).resolve().parent
RUNNER = (HERE / "annotator.py", HERE / "registry.py", HERE / "keys.py", HERE / "cache.py", HERE / "annotate.py")
DOCUMENT_RUNNER = HERE / "doclevel.py"
CODE_SUFFIXES = (".py", ".pyc")


class Hasher:
    """sha256 of named parts; files hashed once per process (`file_digest`)."""

    def __init__(self, *parts: str):
        self.h = hashlib.sha256()
        for part in parts:
            self.add(part)

    def add(self, part: str) -> "Hasher":
        data = part.encode("utf8")
        self.h.update(len(data).to_bytes(8, "little") + data)
        return self

    def files(self, paths: Iterable[Path]) -> "Hasher":
        for path in sorted({Path(p).resolve() for p in paths}):
            self.add(str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path))
            self.add(file_digest(path))
        return self

    def hexdigest(self) -> str:
        return self.h.hexdigest()[:32]


_DIGESTS: Dict[Tuple[Path, int, int], str] = {}


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes ("missing" for none), memoised by path, size and mtime."""
    try:
        stat = path.stat()
    except OSError:
        return "missing"
    memo = (path, stat.st_size, stat.st_mtime_ns)
    if memo not in _DIGESTS:
        _DIGESTS[memo] = hashlib.sha256(path.read_bytes()).hexdigest()
    return _DIGESTS[memo]


@lru_cache(maxsize=None)
def sources(entry: Path) -> str:
    """A digest of the files whose source decides what `entry` does when imported (a data file: itself)."""
    entry = Path(entry).resolve()
    return Hasher().files(sorted(cached_closure(entry)) if entry.suffix == ".py" else [entry]).hexdigest()


def package_version(package: str) -> str:
    """An installed package's version, or a pipeline folder's meta.json digest."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return file_digest(Path(package) / "meta.json")


@lru_cache(maxsize=None)
def data_files(folder: Path) -> List[Path]:
    """The non-code files of a folder of functions and its subfolders (hidden ones and caches aside)."""
    return [
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix not in CODE_SUFFIXES
        and not any(part.startswith((".", "__pycache__")) for part in p.relative_to(folder).parts)
    ]


def function_folder(source: str) -> Optional[Path]:
    """The folder of functions a function is declared in, whose data files it may read: none when that is
    the project's own folder or above it (a single file of code at its root; its declared files count)."""
    if not source or not source.endswith(".py"):
        return None
    folder = Path(source).resolve().parent
    return None if folder in (ROOT, *ROOT.parents) or Path.cwd().resolve().is_relative_to(folder) else folder


class FunctionKeys:
    """The keys of the functions an annotator runs: `keys[name]` per function, one `document` key for the
    document-level functions (None without any). Without an annotator, the keys of the sentence-level
    functions `names` only (`inspect`)."""

    def __init__(
        self,
        settings: FunctionSettings,
        annotator: Optional[LabellingFunctions] = None,
        names: Sequence[str] = (),
    ):
        self.settings = settings
        versions = [f"{lib}={package_version(lib)}" for lib in LIBRARIES]
        base = Hasher(FORMAT, sys.version.split()[0], *versions)
        base.add(json.dumps([list(settings.labels), settings.lang, settings.hyphens]))
        lexicons = Path(settings.gazetteer_dir)
        base.files(sorted(lexicons.glob("*.json")) if lexicons.is_dir() else [])
        for entry in RUNNER:
            base.add(sources(entry))
        self.base = base.hexdigest()
        self.keys: Dict[str, str] = {}
        self.document: Optional[str] = None
        if annotator is None:
            self.document_names, self.feeders = [], []
            self.keys = {name: self._function_key(get(name)) for name in names}
            return
        self.document_names = [n for f in annotator.doc_functions for n in f.names]
        for name in annotator.names:
            if name not in self.document_names:
                self.keys[name] = self._function_key(get(name))
        self.feeders = feeders(annotator)
        if self.document_names:
            self.document = self._document_key(annotator)
            for name in self.document_names:
                self.keys[name] = self.document

    def _declaration(self, declared: Declared, h: Hasher) -> None:
        labels = None if declared.labels is None else list(declared.labels)
        h.add(json.dumps([declared.name, labels, declared.kind, declared.negative, declared.data]))
        h.add(sources(Path(declared.source)) if declared.source else "")
        h.files(Path(f) for f in declared.files)
        folder = function_folder(declared.source)
        h.files(data_files(folder) if folder else [])
        h.add(json.dumps([[p, package_version(p)] for p in declared.packages]))

    def _function_key(self, declared: Declared) -> str:
        h = Hasher(self.base)
        self._declaration(declared, h)
        return h.hexdigest()

    def _document_key(self, annotator: LabellingFunctions) -> str:
        h = Hasher(self.base, "document")
        h.add(sources(DOCUMENT_RUNNER))
        for name in self.document_names:
            self._declaration(get(name), h)
        chosen = self.settings.chosen()
        h.add(json.dumps(chosen.roles or {}, sort_keys=True))
        for name in self.feeders:
            h.add(json.dumps([name, list(get(name).roles)]))
        return h.hexdigest()


def feeders(annotator: LabellingFunctions) -> List[str]:
    """The functions whose spans the document-level functions read, in the annotator's order."""
    document = {n for f in annotator.doc_functions for n in f.names}
    names = [n for n in annotator.names if n not in document]
    if any(f.custom for f in annotator.doc_functions):
        return names
    read = {n for f in annotator.doc_functions for n in list(f.inputs) + list(f.negative)}
    return [n for n in names if n in read]
