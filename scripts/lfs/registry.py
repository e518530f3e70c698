"""The registry of labelling functions (a catalogue registry, `weak_ner.lfs`) and a user's own code.

Each function is declared once, with its name, the labels it can emit and its roles:

    from scripts.lfs.registry import labelling_function

    @labelling_function("drug_suffix", labels=["DRUG"], roles=["doc_vote"])
    def drug_suffix(doc):                      # skweak style: yield (start, end, label) token spans
        for tok in doc:
            if tok.text.lower().endswith(("mab", "pril")):
                yield tok.i, tok.i + 1, "DRUG"

`gazetteer` (a word list: JSON, CSV or one entry a line), `patterns` (spaCy Matcher / PhraseMatcher patterns
in the EntityRuler's JSONL) and `pipeline` (any installed spaCy pipeline, with a label map) declare the other
kinds in one line each; `document_function` declares a function of a whole document. `negative=True` makes a
function say "these tokens are no entity": its spans are O votes, and it abstains elsewhere. A file or folder
of such code (var `lf_code`, like `spacy train --code`) is imported by `annotate` before the functions are
built; installed packages can add functions through the entry point group `weak_ner_lfs`. Presets are lists
of names in a YAML file (var `presets`, configs/presets.yml: `scripts.corpus.presets`), which may also
declare pipelines as data (run once by the `pretrained` step), set who holds a role, and fix weights; an
unknown name is an error.

Roles say what else reads a function's spans (lfs/README.md has an example of each):
- `doc_vote`: its votes feed the document-level functions' majority vote (doc_history, doc_majority_*);
- `doc_seed`: doc_propagate spreads its strings over the whole document (high precision only);
- `doc_surname`: its multi-word PER spans give the document's surnames (doc_surname);
- `doc_company`: its companies with a legal form give their short names (org_alias).
"""

import csv
import difflib
import importlib
import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Callable, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import catalogue
from skweak.base import SpanAnnotator
from skweak.heuristics import FunctionAnnotator

from ..corpus.labels import NOT_ENTITY
from ..corpus.presets import ROLES
from ..util.errors import UserError, check_labels

lfs = catalogue.create("weak_ner", "lfs", entry_points=True)

# span: a skweak annotator of one doc; batch: an object with .name and .annotate(docs) (pipelines);
# document: a function of a whole document, run after the others (scripts.lfs.doclevel)
KINDS = ("span", "batch", "document")


@dataclass(frozen=True)
class Declared:
    """A labelling function as declared: `build(context)` makes its annotator (None: nothing to do with
    these labels or lexicons). `labels` None means any label (the document-level votes)."""

    name: str
    labels: Optional[Tuple[str, ...]]
    roles: Tuple[str, ...]
    kind: str
    build: Callable[[Any], Any]
    source: str = ""  # where it was declared (file), for messages
    negative: bool = False  # its spans say "no entity" (label NOT_ENTITY)
    files: Tuple[str, ...] = ()  # the files it reads (a word list, patterns): part of its cache key
    packages: Tuple[str, ...] = ()  # the spaCy pipelines it may run (a package or a path): their versions too
    data: str = ""  # what defines it besides its code (a pipeline's label map, as JSON): part of its cache key

    def emits_any(self, labels: Sequence[str]) -> bool:
        """Whether it has something to say with these labels (a negative function always has)."""
        return self.negative or self.labels is None or bool(set(self.labels) & set(labels))


class Together(NamedTuple):
    """What the build of a built-in document-level function gives: they are built together, by
    `add(functions, names, context, roles, custom, readable)` (scripts.lfs.doclevel)."""

    add: Callable[..., None]


def _caller() -> str:
    """The file of the first frame outside this module: where a function is declared. (Walks frames:
    inspect.stack() reads every frame's source and cost 1.7 s at each import of the project's functions.)"""
    frame: Optional[FrameType] = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    return frame.f_code.co_filename if frame is not None else ""


def register(
    name: str,
    labels: Optional[Iterable[str]],
    build: Callable[[Any], Any],
    roles: Iterable[str] = (),
    kind: str = "span",
    negative: bool = False,
    source: str = "",
    files: Iterable[Union[str, Path]] = (),
    packages: Iterable[str] = (),
    data: str = "",
) -> Declared:
    """Declare a labelling function; a UserError for a bad role, kind or label, or a name declared twice.
    `source`: where it is declared (default: the file that calls); `files` and `packages`: what it reads
    besides code (`Declared`)."""
    roles, where = tuple(roles), source or _caller()
    if kind not in KINDS:
        raise UserError(f"labelling function {name!r} ({where}): kind {kind!r} is not one of {', '.join(KINDS)}")
    bad = [r for r in roles if r not in ROLES]
    if bad:
        raise UserError(f"labelling function {name!r} ({where}): unknown role {bad[0]!r} (roles: {', '.join(ROLES)})")
    if negative:
        label_tuple: Optional[Tuple[str, ...]] = ()
    elif labels is None:
        label_tuple = None
    else:
        label_tuple = tuple(check_labels(",".join(labels), f"labels of {name}"))
    declared = Declared(name, label_tuple, roles, kind, build, where, negative, tuple(map(str, files)), tuple(packages))
    old = catalogue.REGISTRY.get((*lfs.namespace, name))
    if old is not None and (old.source != where or old.source == ""):
        raise UserError(f"labelling function {name!r} is declared twice: in {old.source} and in {where}")
    lfs.register(name, func=declared)
    return declared


def labelling_function(
    name: str, labels: Optional[Iterable[str]] = None, roles: Iterable[str] = (), negative: bool = False
) -> Callable:
    """Decorator: a plain function `fn(doc) -> iterable of (start, end, label)` becomes a labelling function.
    With `negative=True` it yields (start, end) spans of tokens that are no entity (no labels to give)."""

    def wrap(func: Callable) -> Callable:
        if not negative and labels is None:
            raise UserError(f"labelling function {name!r}: give its labels (or negative=True: it says no entity)")
        find = _as_negative(func) if negative else func
        register(
            name, labels, lambda context: FunctionAnnotator(name, find), roles, negative=negative, source=_caller()
        )
        return func

    return wrap


def _as_negative(func: Callable) -> Callable:
    """A function's spans, (start, end) or (start, end, anything), as (start, end, NOT_ENTITY)."""

    def find(doc):
        for span in func(doc):
            yield span[0], span[1], NOT_ENTITY

    return find


def document_function(name: str, labels: Iterable[str]) -> Callable:
    """Decorator: `fn(doc) -> iterable of (start, end, label)` over a whole document becomes a labelling function.

    `doc` is the article as one Doc (`doc.sents` are its sentences) with every sentence-level function's spans
    as span groups, the document vote (`doc.spans["doc_vote"]`: the majority vote of the functions holding the
    role doc_vote) and the built-in document-level functions' spans; its spans are written back to the
    sentences (one that crosses two sentences is dropped). It runs after all the others.
    """

    def wrap(func: Callable) -> Callable:
        register(name, labels, lambda context: func, kind="document", source=_caller())
        return func

    return wrap


def factory(
    name: str,
    labels: Optional[Iterable[str]],
    roles: Iterable[str] = (),
    kind: str = "span",
    files: Iterable[Union[str, Path]] = (),
    packages: Iterable[str] = (),
) -> Callable:
    """Decorator: `build(context) -> annotator` (or None) becomes a labelling function; the context gives the
    project's labels and lexicons (scripts.lfs.annotator.Context). `files`, `packages`: as `register`'s."""

    def wrap(build: Callable) -> Callable:
        register(name, labels, build, roles, kind, files=files, packages=packages)
        return build

    return wrap


# -- a user's declarations in one line each


def read_word_list(path: Union[str, Path]) -> List[str]:
    """Entries of a word list: a JSON list (or {"entries": [...]}), a CSV (first column, a header named
    entry/term/name/word skipped) or one entry a line; blank lines and duplicates dropped."""
    path = Path(path)
    text = path.read_text(encoding="utf8")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
        entries = data.get("entries") if isinstance(data, dict) else data
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise UserError(f'{path}: a gazetteer in JSON is a list of strings (or {{"entries": [...]}})')
    elif path.suffix.lower() == ".csv":
        rows = [row for row in csv.reader(text.splitlines()) if row]
        if rows and rows[0][0].strip().lower() in ("entry", "term", "name", "word", "text"):
            rows = rows[1:]
        entries = [row[0] for row in rows]
    else:
        entries = text.splitlines()
    out = list(dict.fromkeys(e.strip() for e in entries if e.strip()))
    if not out:
        raise UserError(f"{path}: the gazetteer has no entry")
    return out


def relative(path: Union[str, Path], where: str) -> Path:
    """A path as written in a user's file: relative to that file's folder when it is not absolute."""
    path = Path(path)
    return path if path.is_absolute() or not where else Path(where).parent / path


def gazetteer(
    name: str,
    path: Union[str, Path],
    label: Optional[str] = None,
    case_sensitive: bool = True,
    roles: Iterable[str] = (),
    additional_checks: bool = False,
    negative: bool = False,
) -> Declared:
    """A skweak gazetteer of the entries of a word list (tokenised as the corpus is), each labelled `label`;
    `additional_checks` turns on skweak's own filters (a match must look like a proper name). With
    `negative=True` (and no label) its matches are tokens that are no entity ("Inc", "Borrower")."""
    file = relative(path, _caller())
    if negative:
        label = NOT_ENTITY
    elif not label:
        raise UserError(f"gazetteer {name!r}: give its label (or negative=True: its entries are no entity)")

    def build(context):
        from skweak.gazetteers import GazetteerAnnotator, Trie

        tokenizer = context.tokenizer()
        trie = Trie([[t.text for t in tokenizer(entry)] for entry in read_word_list(file)])
        return GazetteerAnnotator(
            name, {label: trie}, case_sensitive=case_sensitive, additional_checks=additional_checks
        )

    return register(name, [label], build, roles, negative=negative, source=_caller(), files=[file])


def read_patterns(path: Union[str, Path, Sequence[Mapping]], negative: bool = False) -> List[Dict]:
    """EntityRuler-style patterns: {"label": ..., "pattern": "a phrase" or [token patterns]}, from a JSONL
    file (one a line), a JSON list, or a list in code; a negative function's need no label (NOT_ENTITY)."""
    if isinstance(path, (str, Path)):
        path = Path(path)
        text = path.read_text(encoding="utf8")
        if path.suffix.lower() == ".json":
            items = json.loads(text)
        else:
            items = []
            for lineno, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    try:
                        items.append(json.loads(line))
                    except json.JSONDecodeError as e:
                        raise UserError(f"{path}:{lineno}: not JSON ({e.msg}): one pattern object a line") from None
    else:
        items = list(path)
    if negative:
        items = [{**item, "label": NOT_ENTITY} if isinstance(item, dict) else item for item in items]
    for k, item in enumerate(items):
        if not (isinstance(item, dict) and isinstance(item.get("label"), str) and "pattern" in item):
            raise UserError(f'{path}: pattern {k + 1} needs a "label" and a "pattern": {json.dumps(item)[:80]}')
        if not isinstance(item["pattern"], (str, list)):
            raise UserError(f'{path}: pattern {k + 1}: "pattern" is a phrase (string) or a list of token patterns')
    return items


class PatternAnnotator(SpanAnnotator):
    """spaCy Matcher (token patterns) and PhraseMatcher (phrases) as a skweak annotator; overlapping matches
    keep the longest (spacy.util.filter_spans). Compiled once per vocab (workers decode shards into their own)."""

    def __init__(self, name: str, patterns: List[Dict], tokenizer, attr: str = "ORTH"):
        super().__init__(name)
        self.patterns, self.tokenizer, self.attr = patterns, tokenizer, attr
        self._compiled: Dict[int, Tuple[Any, Any, Any]] = {}

    def _matchers(self, vocab):
        hit = self._compiled.get(id(vocab))
        if hit is None or hit[0] is not vocab:
            from spacy.matcher import Matcher, PhraseMatcher
            from spacy.tokens import Doc

            tokens, phrases = Matcher(vocab), PhraseMatcher(vocab, attr=self.attr)
            for k, p in enumerate(self.patterns):
                key = f"{p['label']}\t{k}"
                if isinstance(p["pattern"], str):
                    phrases.add(key, [Doc(vocab, words=[t.text for t in self.tokenizer(p["pattern"])])])
                else:
                    tokens.add(key, [p["pattern"]])
            hit = self._compiled[id(vocab)] = (vocab, tokens, phrases)
        return hit[1], hit[2]

    def find_spans(self, doc):
        from spacy.tokens import Span
        from spacy.util import filter_spans

        tokens, phrases = self._matchers(doc.vocab)
        found = [
            Span(doc, s, e, label=doc.vocab.strings[key].split("\t")[0])
            for matcher in (tokens, phrases)
            for key, s, e in matcher(doc)
        ]
        for span in sorted(filter_spans(found), key=lambda s: s.start):
            yield span.start, span.end, span.label_


def patterns(
    name: str,
    path: Union[str, Path, Sequence[Mapping]],
    roles: Iterable[str] = (),
    attr: str = "ORTH",
    negative: bool = False,
) -> Declared:
    """Matcher / PhraseMatcher patterns in the EntityRuler's format (a JSONL file, or a list) as one function;
    `attr="LOWER"` matches phrases in any case. With `negative=True` the matches are no entity (the patterns
    need no label)."""
    where = _caller()
    source = relative(path, where) if isinstance(path, (str, Path)) else path
    items = read_patterns(source, negative)
    labels = sorted({p["label"] for p in items})
    build = lambda context: PatternAnnotator(name, items, context.tokenizer(), attr)  # noqa: E731
    files = [source] if isinstance(source, Path) else []
    return register(name, labels, build, roles, negative=negative, source=where, files=files)


def pipeline(name: str, model: str, label_map: Mapping[str, str], roles: Iterable[str] = ()) -> Declared:
    """Any installed spaCy pipeline (a package name or a path) as a labelling function: its entities of the
    labels in `label_map`, renamed (e.g. {"PRODUCT": "DRUG"}); the others are ignored. It runs inside
    `annotate`, at every rule change: declared in the presets file instead (`pipelines:`), the `pretrained`
    step runs it once (`declare_pipelines`)."""
    return _pipeline(name, model, label_map, roles, _caller())


def _pipeline(name: str, model: str, label_map: Mapping[str, str], roles: Iterable[str], source: str) -> Declared:
    from .pipelines import PipelineFunction

    label_map = dict(label_map)
    return register(
        name,
        sorted(set(label_map.values())),
        lambda context: PipelineFunction(name, model, label_map, context.labels),
        roles,
        kind="batch",
        source=source,
        packages=[model],
        data=json.dumps(label_map, sort_keys=True),
    )


def declare_pipelines(pipelines: Mapping[str, Mapping[str, Any]], source: str) -> None:
    """Declare the pipelines a preset declares as data ({name: {"model", "labels", "roles"}}, as
    `scripts.corpus.presets` checked them); their entities come from the `pretrained` step."""
    for name, spec in pipelines.items():
        _pipeline(name, str(spec["model"]), dict(spec["labels"]), spec.get("roles") or (), source)


# -- names and user code


# The modules that declare the project's own functions, each its own as a user's file does. Imported by name
# when a function is first looked up: no module imports another's functions just to declare them, so that a
# function's cache key holds only the modules its own imports reach (scripts.lfs.keys).
BUILTIN = ("tutorial", "models", "gazetteers", "heuristics", "sports", "context", "doclevel")


def load_builtin() -> None:
    """Declare the project's functions (the modules of `BUILTIN`, once per process)."""
    for module in BUILTIN:
        importlib.import_module(f"{__package__}.{module}")


_FROM_PACKAGES: List[Dict[str, Any]] = []  # the entry points' functions, loaded once


def get(name: str) -> Declared:
    """A declared function by name; a UserError with the closest names for an unknown one. (A lookup in
    catalogue's registry: `lfs.get_all()` copies every registry of every library, and looks entry points
    up again, at each call.)"""
    load_builtin()
    found = catalogue.REGISTRY.get((*lfs.namespace, name))
    if found is not None:
        return found
    if not _FROM_PACKAGES:
        _FROM_PACKAGES.append(lfs.get_entry_points())
    if name in _FROM_PACKAGES[0]:
        return _FROM_PACKAGES[0][name]
    known = lfs.get_all()
    if name not in known:
        close = difflib.get_close_matches(name, list(known), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise UserError(
            f"unknown labelling function {name!r}{hint}: declare it (scripts/lfs, or a file of --vars.lf_code) "
            "or remove it from the preset"
        )
    return known[name]


def role_holders(names: Sequence[str], role: str, roles: Optional[Mapping[str, Sequence[str]]] = None) -> List[str]:
    """The functions among `names` that hold `role`: those a preset's `roles:` names for it, else those that
    declare it."""
    if roles and role in roles:
        return [n for n in names if n in roles[role]]
    return [n for n in names if role in get(n).roles]


def code_files(path: Union[str, Path]) -> List[Path]:
    """The .py files of a user's code: the file, or a folder's *.py (name order); none for an empty var."""
    if not str(path):
        return []
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.glob("*.py") if not p.name.startswith((".", "_")))
    if not path.is_file() or path.suffix != ".py":
        raise UserError(f"--vars.lf_code {str(path)!r}: not a .py file or a folder of them")
    return [path]


def import_code(path: Union[str, Path]) -> List[str]:
    """Import a user's labelling functions (each file once per process); the modules' names."""
    import hashlib

    names = []
    for file in code_files(path):
        # one module per file (its path), so that two folders' drugs.py are two modules
        digest = hashlib.sha1(str(file.resolve()).encode("utf8")).hexdigest()[:12]
        module = f"weak_ner_user_lfs.{file.stem}_{digest}"
        names.append(module)
        if module in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(module, file)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[module] = mod
        try:
            spec.loader.exec_module(mod)
        except UserError:
            del sys.modules[module]
            raise
        except Exception as e:
            del sys.modules[module]
            raise UserError(f"{file}: importing it raised {type(e).__name__}: {e}") from e
    return names
