"""The project's labelling functions, each declared once (`registry`), and the runner that applies them.

Each declaration names the function, the labels it can emit and its roles (which document-level functions
read it); `build(context)` makes its skweak annotator. The presets are lists of these names in
configs/presets.yml: "tutorial" (the tutorial's 23 ORG functions) and "full" (the project's default: models,
gazetteers, news-wire heuristics and the document-level functions, for PER, ORG, LOC and MISC). A function
none of whose labels is in the project's labels is left out. A user's own functions (var `lf_code`) are
declared the same way (see `registry`).

`build_annotator(settings)` returns the skweak `CombinedAnnotator` that the `annotate` step applies: each
function writes its spans to `doc.spans[NAME]`. Model functions run batched (`nlp.pipe`) and
document-level functions need whole articles, so `pipe` works on chunks of consecutive docs that never
split an article.
"""

import importlib
from dataclasses import dataclass
from typing import AbstractSet, Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from skweak.base import CombinedAnnotator
from spacy.tokens import Doc, Span

from ..corpus.articles import article_chunks
from ..corpus.docbin import doc_ref
from ..corpus.labels import NOT_ENTITY, SpanTuple
from ..corpus.presets import Preset, resolve_preset
from ..patches import plain_spans
from ..util.errors import UserError
from . import registry
from .lexicons import read as lexicons
from .registry import Together, declare_pipelines, get, import_code


@dataclass(frozen=True)
class FunctionSettings:
    """Which labelling functions run: the labels they may emit, the preset of the presets file, the folder
    of their lexicons (built by `build-gazetteers`), a user's code (a file or folder, "" for none), and the
    tokenizer of phrases (spaCy language, hyphens "split" or "keep"). The project's vars are the CLI's
    defaults. Hashable: a process builds the functions once per settings."""

    labels: Tuple[str, ...]
    preset: str
    gazetteer_dir: str
    presets: str
    code: str
    lang: str
    hyphens: str

    def __post_init__(self):
        object.__setattr__(self, "labels", tuple(self.labels))
        for name in ("gazetteer_dir", "presets", "code", "lang", "hyphens"):
            object.__setattr__(self, name, str(getattr(self, name)))

    def chosen(self) -> Preset:
        """The preset, resolved: the user's code imported and the preset's pipelines declared first; a
        UserError for an unknown function name."""
        import_code(self.code)

        def declare_and_check(chosen: Preset) -> None:
            declare_pipelines(chosen.pipelines, self.presets)
            for name in chosen.functions:
                try:
                    get(name)
                except UserError as e:
                    raise UserError(f"{self.presets}: preset {self.preset!r}: {e}") from None

        return resolve_preset(self.presets, self.preset, first=declare_and_check)

    def names(self) -> List[str]:
        """The preset's function names (see `chosen`)."""
        return self.chosen().functions


class Context:
    """What the builders read: the project's labels and the lexicons (loaded once, when first asked for), and
    values computed once per doc of a chunk that several functions read (`per_doc`)."""

    def __init__(self, labels: Sequence[str], gazetteer_dir: str, lang: str, hyphens: str):
        self.labels, self.gazetteer_dir = list(labels), str(gazetteer_dir)
        self.lang, self.hyphens = lang, hyphens
        self._per_doc: Dict[str, PerDoc] = {}
        self._tokenizer: Any = None

    def lexicon(self, name: str) -> Dict:
        return lexicons.load_lexicon(self.gazetteer_dir, name)

    def first_names(self) -> frozenset:
        return frozenset(self.lexicon("person_names")["first_names"])

    def countries(self) -> frozenset:
        return lexicons.countries(self.gazetteer_dir)

    def places(self, name: str) -> frozenset:
        return lexicons.places_of(self.gazetteer_dir, name)

    def place_words(self) -> frozenset:
        return lexicons.place_words(self.gazetteer_dir)

    def per_doc(self, key: str, make: Callable[[], Callable[[Doc], Any]]) -> "PerDoc":
        """The function `make()` gives, computed once per doc until the chunk ends (e.g. where the clubs
        are: `sports.team_positions_of`)."""
        if key not in self._per_doc:
            self._per_doc[key] = PerDoc(make())
        return self._per_doc[key]

    def tokenizer(self):
        """spaCy's tokenizer of raw text (lang, hyphens): gazetteer entries and phrases are tokenised as
        the corpus is."""
        if self._tokenizer is None:
            from ..corpus.readers import blank_pipeline

            self._tokenizer = blank_pipeline(self.lang, self.hyphens).tokenizer
        return self._tokenizer

    def clear(self) -> None:
        """Forget what was computed per doc (after each chunk: the docs go)."""
        for values in self._per_doc.values():
            values.clear()


class LabellingFunctionError(RuntimeError):
    """A labelling function raised: the message names the function and the document."""


class LabellingFunctions(CombinedAnnotator):
    """The project's labelling functions; errors name the function and the doc that broke it."""

    def __init__(self, labels: Iterable[str], chunk_size: int = 2000):
        super().__init__()
        self.labels = list(labels)
        self.chunk_size = chunk_size
        self.negative: set = set()  # the functions whose spans say "no entity" (label NOT_ENTITY)
        self.declared: Dict[str, Tuple[str, ...]] = {}  # a function's declared labels, where it has some
        self.undeclared: Dict[Tuple[str, str], int] = {}  # (function, label): spans of a label it did not declare
        self.undeclared_by_doc: Optional[Dict[int, Dict[Tuple[str, str], int]]] = None  # id(doc): the same
        self.model_functions: List = []  # batch functions: annotate(list of docs)
        self.doc_functions: List = []  # document-level: annotate(list of docs), run last
        self.context: Optional[Context] = None  # its per-doc caches are cleared after each chunk

    @property
    def names(self) -> List[str]:
        names = [f.name for f in self.model_functions] + [a.name for a in self.annotators]
        return names + [n for f in self.doc_functions for n in f.names]

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(
        self, docs: Iterable[Doc], only: Optional[AbstractSet[str]] = None, document: bool = True
    ) -> Iterator[Doc]:
        """Every function on the docs, or only the sentence-level functions `only` (and the document-level
        ones if `document`): the others' spans are on the docs already (`annotate`'s cache)."""
        for chunk in self._chunks(docs):
            yield from self.annotate_chunk(chunk, only, document)

    def _chunks(self, docs: Iterable[Doc]) -> Iterator[List[Doc]]:
        """Consecutive docs, about chunk_size at a time, never splitting an article (split, doc_id)."""
        return article_chunks(docs, self.chunk_size)

    def annotate_chunk(
        self, docs: List[Doc], only: Optional[AbstractSet[str]] = None, document: bool = True
    ) -> List[Doc]:
        """The functions on a list of docs: batch model functions, per-doc functions, document-level (`pipe`)."""
        annotators = [a for a in self.annotators if only is None or a.name in only]
        try:
            for func in self.model_functions:
                if only is None or func.name in only:
                    self._run_batch(func, docs)
            out = [self._run_all(doc, annotators) for doc in docs]
            for func in self.doc_functions if document else []:
                self._run_batch(func, out)
        finally:
            if self.context is not None:
                self.context.clear()
        return out

    def _run_all(self, doc: Doc, annotators: Sequence) -> Doc:
        for annotator in annotators:
            doc = self._run(annotator, doc)
        return doc

    def _run_batch(self, func, docs: List[Doc]) -> None:
        try:
            func.annotate(docs)
        except Exception as e:
            first = docs[0] if docs else None
            where = f"a batch of {len(docs)} docs starting at {doc_ref(first)}" if first is not None else "no docs"
            raise LabellingFunctionError(
                f"labelling function {getattr(func, 'name', type(func).__name__)!r} raised "
                f"{type(e).__name__}: {e}{where_raised(e)} on {where}"
            ) from e
        names = [func.name] if hasattr(func, "name") else func.names
        for doc in docs:
            for name in names:
                self._restrict(doc, name)

    def _run(self, annotator, doc: Doc) -> Doc:
        try:
            found = plain_spans(annotator, doc)  # skweak's __call__ without its empty groups (patches)
            if found is not None:
                return self._set_spans(doc, annotator.name, found)
            out = annotator(doc)
        except Exception as e:
            raise LabellingFunctionError(
                f"labelling function {annotator.name!r} raised {type(e).__name__}: {e}{where_raised(e)} on "
                f"{doc_ref(doc)}"
            ) from e
        self._restrict(out, annotator.name)
        return out

    def _set_spans(self, doc: Doc, name: str, found: Iterable[SpanTuple]) -> Doc:
        """What skweak's SpanAnnotator.__call__ and _restrict do for a function that nothing excludes, with a
        span group only where it found one of the labels: most (doc, function) pairs find nothing, and an
        empty group costs more to make and drop than the function does to run."""
        allowed = (NOT_ENTITY,) if name in self.negative else self.labels
        spans, dropped = [], []
        for start, end, label in found:
            if label in allowed:
                spans.append(Span(doc, start, end, label))
            else:
                dropped.append(label)
        if dropped:
            self._count_undeclared(name, dropped, doc)
        if spans:
            doc.spans[name] = spans
        elif name in doc.spans:
            del doc.spans[name]
        return doc

    def _restrict(self, doc: Doc, name: str) -> None:
        """Only the project's labels go into the corpus (an LF may know more than we train)."""
        group = doc.spans[name]
        allowed = (NOT_ENTITY,) if name in self.negative else self.labels
        if any(span.label_ not in allowed for span in group):
            self._count_undeclared(name, [s.label_ for s in group if s.label_ not in allowed], doc)
            doc.spans[name] = [s for s in group if s.label_ in allowed]

    def _count_undeclared(self, name: str, dropped: Iterable[str], doc: Doc) -> None:
        """Of the labels dropped from a function's spans, count those it did not declare (a typo: unseen
        otherwise); a declared label outside the project's is dropped on purpose. Also per doc, while
        `undeclared_by_doc` is a dict (the cache keeps the counts of each article)."""
        if name not in self.declared:
            return
        declared = self.declared[name]
        for label in dropped:
            if label not in declared:
                self.undeclared[name, label] = self.undeclared.get((name, label), 0) + 1
                if self.undeclared_by_doc is not None:
                    counts = self.undeclared_by_doc.setdefault(id(doc), {})
                    counts[name, label] = counts.get((name, label), 0) + 1


def where_raised(error: BaseException) -> str:
    """ " (at FILE:LINE)": the last frame of the traceback outside the project's runner and the libraries
    (the labelling function's own code), or "" if there is none."""
    import traceback

    runner = {__file__, registry.__file__}
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if f.filename not in runner and "site-packages" not in f.filename and not f.filename.startswith("<")
    ]
    return f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""


class PerDoc:
    """`func(doc)`, computed once per doc until `clear()` (the doc is held, so its id is not reused)."""

    def __init__(self, func: Callable[[Doc], Any]):
        self.func = func
        self.cache: Dict[int, Tuple[Doc, Any]] = {}

    def __call__(self, doc: Doc) -> Any:
        hit = self.cache.get(id(doc))
        if hit is None or hit[0] is not doc:
            hit = self.cache[id(doc)] = (doc, self.func(doc))
        return hit[1]

    def clear(self) -> None:
        self.cache.clear()


def build_annotator(settings: FunctionSettings, only: Optional[Sequence[str]] = None) -> LabellingFunctions:
    """The labelling functions of a preset for the settings' labels, in the preset's order (see the module
    docstring); a function that emits none of the labels is left out (a negative function never is).
    `only`: just these declared functions (in the preset or not), their document-level ones reading the
    preset's functions, whose spans the docs must already carry (`inspect`)."""
    ctx = Context(settings.labels, settings.gazetteer_dir, settings.lang, settings.hyphens)
    out = LabellingFunctions(settings.labels)
    out.context = ctx
    chosen = settings.chosen()
    document: List[str] = []
    custom: List[Tuple[str, Callable]] = []
    together: Optional[Together] = None
    for name in chosen.functions if only is None else only:
        declared = get(name)
        if not declared.emits_any(settings.labels):
            continue
        if declared.negative:
            out.negative.add(name)
        elif declared.labels is not None:
            out.declared[name] = tuple(declared.labels)
        built = declared.build(ctx)
        if declared.kind == "document":
            if isinstance(built, Together):  # the project's, built together
                document.append(name)
                together = built
            else:
                custom.append((name, built))
            continue
        if built is None:
            continue
        if declared.kind == "batch":
            out.model_functions.append(built)
        else:
            out.add_annotator(built)
    if document or custom:
        readable = None if only is None else [n for n in chosen.functions if n not in only] + list(out.names)
        if together is None:  # a user's document functions only: they run in the built-in ones' runner
            # (imported by name: the key of the document-level functions holds that module, scripts.lfs.keys)
            together = Together(importlib.import_module(f"{__package__}.doclevel").add_document_functions)
        together.add(out, document, ctx, chosen.roles, custom, readable)
    return out


_ANNOTATORS: Dict[FunctionSettings, LabellingFunctions] = {}


def get_annotator(settings: FunctionSettings) -> LabellingFunctions:
    """The labelling functions, built once per process (workers reuse them from shard to shard)."""
    if settings not in _ANNOTATORS:
        _ANNOTATORS[settings] = build_annotator(settings)
    return _ANNOTATORS[settings]
