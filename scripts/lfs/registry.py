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
kinds in one line each. A file or folder of such code (var `lf_code`, like `spacy train --code`) is imported
by `annotate` before the functions are built; installed packages can add functions through the entry point
group `weak_ner_lfs`. Presets are lists of names in a YAML file (var `presets`, configs/presets.yml); a name
in a list may be another preset (`scripts.corpus.presets`), and an unknown name is an error.

Roles say what else reads a function's spans:
- `doc_vote`: its votes feed the document-level functions' majority vote (doc_history, doc_majority_*);
- `doc_seed`: doc_propagate spreads its strings over the whole document (high precision only);
- `doc_surname`: its multi-word PER spans give the document's surnames (doc_surname);
- `doc_company`: its companies with a legal form give their short names (org_alias).
"""

import csv
import difflib
import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import catalogue
from skweak.base import SpanAnnotator
from skweak.heuristics import FunctionAnnotator

from ..util.errors import UserError, check_labels

lfs = catalogue.create("weak_ner", "lfs", entry_points=True)

ROLES = ("doc_vote", "doc_seed", "doc_surname", "doc_company")
# span: a skweak annotator of one doc; batch: an object with .name and .annotate(docs) (pipelines);
# document: the document-level functions (scripts.lfs.doclevel), built together after the others
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

    def emits_any(self, labels: Sequence[str]) -> bool:
        return self.labels is None or bool(set(self.labels) & set(labels))


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
) -> Declared:
    """Declare a labelling function; a UserError for a bad role, kind or label, or a name declared twice."""
    roles, where = tuple(roles), _caller()
    if kind not in KINDS:
        raise UserError(f"labelling function {name!r} ({where}): kind {kind!r} is not one of {', '.join(KINDS)}")
    bad = [r for r in roles if r not in ROLES]
    if bad:
        raise UserError(f"labelling function {name!r} ({where}): unknown role {bad[0]!r} (roles: {', '.join(ROLES)})")
    label_tuple = None if labels is None else tuple(check_labels(",".join(labels), f"labels of {name}"))
    declared = Declared(name, label_tuple, roles, kind, build, where)
    old = lfs.get_all().get(name)
    if old is not None and (old.source != where or old.source == ""):
        raise UserError(f"labelling function {name!r} is declared twice: in {old.source} and in {where}")
    lfs.register(name, func=declared)
    return declared


def labelling_function(name: str, labels: Iterable[str], roles: Iterable[str] = ()) -> Callable:
    """Decorator: a plain function `fn(doc) -> iterable of (start, end, label)` becomes a labelling function."""

    def wrap(func: Callable) -> Callable:
        register(name, labels, lambda context: FunctionAnnotator(name, func), roles)
        return func

    return wrap


def factory(name: str, labels: Optional[Iterable[str]], roles: Iterable[str] = (), kind: str = "span") -> Callable:
    """Decorator: `build(context) -> annotator` (or None) becomes a labelling function; the context gives the
    project's labels and lexicons (scripts.lfs.annotator.Context)."""

    def wrap(build: Callable) -> Callable:
        register(name, labels, build, roles, kind)
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
    label: str,
    case_sensitive: bool = True,
    roles: Iterable[str] = (),
    additional_checks: bool = False,
) -> Declared:
    """A skweak gazetteer of the entries of a word list (tokenised as the corpus is), each labelled `label`;
    `additional_checks` turns on skweak's own filters (a match must look like a proper name)."""
    file = relative(path, _caller())

    def build(context):
        from skweak.gazetteers import GazetteerAnnotator, Trie

        tokenizer = context.tokenizer()
        trie = Trie([[t.text for t in tokenizer(entry)] for entry in read_word_list(file)])
        return GazetteerAnnotator(
            name, {label: trie}, case_sensitive=case_sensitive, additional_checks=additional_checks
        )

    return register(name, [label], build, roles)


def read_patterns(path: Union[str, Path, Sequence[Mapping]]) -> List[Dict]:
    """EntityRuler-style patterns: {"label": ..., "pattern": "a phrase" or [token patterns]}, from a JSONL
    file (one a line), a JSON list, or a list in code."""
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
    name: str, path: Union[str, Path, Sequence[Mapping]], roles: Iterable[str] = (), attr: str = "ORTH"
) -> Declared:
    """Matcher / PhraseMatcher patterns in the EntityRuler's format (a JSONL file, or a list) as one function;
    `attr="LOWER"` matches phrases in any case."""
    source = relative(path, _caller()) if isinstance(path, (str, Path)) else path
    items = read_patterns(source)
    labels = sorted({p["label"] for p in items})
    return register(name, labels, lambda context: PatternAnnotator(name, items, context.tokenizer(), attr), roles)


def pipeline(name: str, model: str, label_map: Mapping[str, str], roles: Iterable[str] = ()) -> Declared:
    """Any installed spaCy pipeline (a package name or a path) as a labelling function: its entities of the
    labels in `label_map`, renamed (e.g. {"PRODUCT": "DRUG"}); the others are ignored."""
    from .models import PipelineFunction

    label_map = dict(label_map)
    return register(
        name,
        sorted(set(label_map.values())),
        lambda context: PipelineFunction(name, model, label_map, context.labels),
        roles,
        kind="batch",
    )


# -- names and user code


def get(name: str) -> Declared:
    """A declared function by name; a UserError with the closest names for an unknown one."""
    known = lfs.get_all()
    if name not in known:
        close = difflib.get_close_matches(name, list(known), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise UserError(
            f"unknown labelling function {name!r}{hint}: declare it (scripts/lfs, or a file of --vars.lf_code) "
            "or remove it from the preset"
        )
    return known[name]


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
