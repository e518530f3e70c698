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

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from skweak.base import CombinedAnnotator
from skweak.heuristics import FunctionAnnotator
from spacy.tokens import Doc, Span

from ..corpus.articles import article_chunks
from ..corpus.docbin import doc_ref
from ..corpus.labels import NOT_ENTITY, SpanTuple
from ..corpus.presets import Preset, resolve_preset
from ..patches import plain_spans
from ..pretrained.runs import FUNCTIONS
from ..util.errors import UserError
from . import context, heuristics, sports, tutorial
from .registry import declare_pipelines, factory, get, import_code, labelling_function, role_holders

CONLL = ("PER", "ORG", "LOC", "MISC")


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
    """What the builders read: the project's labels and the lexicons (loaded once, when first asked for)."""

    def __init__(self, labels: Sequence[str], gazetteer_dir: str, lang: str, hyphens: str):
        self.labels, self.gazetteer_dir = list(labels), str(gazetteer_dir)
        self.lang, self.hyphens = lang, hyphens
        self._teams: Optional[PerDoc] = None
        self._tokenizer: Any = None

    def lexicon(self, name: str) -> Dict:
        from . import gazetteers as gz

        return gz.load_lexicon(self.gazetteer_dir, name)

    def first_names(self) -> frozenset:
        return frozenset(self.lexicon("person_names")["first_names"])

    def countries(self) -> frozenset:
        from . import gazetteers as gz

        return gz.countries(self.gazetteer_dir)

    def places(self, name: str) -> frozenset:
        from . import gazetteers as gz

        return gz.places_of(self.gazetteer_dir, name)

    def place_words(self) -> frozenset:
        from . import gazetteers as gz

        return gz.place_words(self.gazetteer_dir)

    def team_positions(self) -> Optional["PerDoc"]:
        """sports.team_positions with the gazetteers' first names and countries (None without ORG),
        computed once per doc of a chunk: the model and gazetteer functions all read it."""
        if "ORG" not in self.labels:
            return None
        if self._teams is None:
            self._teams = PerDoc(
                partial(sports.team_positions, first_names=self.first_names(), countries=self.countries())
            )
        return self._teams

    def tokenizer(self):
        """spaCy's tokenizer of raw text (lang, hyphens): gazetteer entries and phrases are tokenised as
        the corpus is."""
        if self._tokenizer is None:
            from ..corpus.readers import blank_pipeline

            self._tokenizer = blank_pipeline(self.lang, self.hyphens).tokenizer
        return self._tokenizer

    def clear(self) -> None:
        """Forget what was computed per doc (after each chunk: the docs go)."""
        if self._teams is not None:
            self._teams.clear()


# ---------------------------------------------------------------------------------------------------------
# The project's labelling functions. Roles: doc_vote (feeds the document-level vote), doc_seed (doc_propagate
# spreads it), doc_surname (gives the article's surnames), doc_company (gives short company names).

# The tutorial's 23 ORG functions: sports tables, keyword-anchored titles, -shire teams.
labelling_function("sports_results", ["ORG"])(tutorial.sports_results)
labelling_function("sports_match", ["ORG"])(tutorial.sports_match)
for _keyword in tutorial.TITLE_START:
    labelling_function(f"{_keyword} (start)", ["ORG"])(
        partial(tutorial.title_detector, keyword=_keyword, reverse=False)
    )
for _keyword in tutorial.TITLE_END:
    labelling_function(f"{_keyword} (end)", ["ORG"])(partial(tutorial.title_detector, keyword=_keyword, reverse=True))

# OntoNotes pipelines: en_core_web_md (as is, and truecased on sentences in capitals) and en_core_web_sm, labels
# mapped to CoNLL; a place or person where a sports table, score line or fixture names a club becomes ORG, an ORG
# that is a country becomes LOC (national teams are LOC in CoNLL), an ORG where a results list names an athlete
# or that is the surname of the model's own PER in the article becomes PER. Plain model functions skip the
# sentences in capitals, which md_truecase covers.
MODELS = [  # (name, roles); what each runs is scripts.pretrained.runs.FUNCTIONS[name]
    ("md", ("doc_vote", "doc_surname")),
    ("md_truecase", ("doc_vote",)),
    ("sm", ("doc_vote", "doc_surname")),
]
SKIP_CAPS = True


def _model_function(name: str) -> Callable[[Context], Any]:
    def build(ctx: Context):
        from .models import ModelFunction

        run = FUNCTIONS[name]
        return ModelFunction(
            name,
            run.package,
            ctx.labels,
            run.mode,
            skip_caps=SKIP_CAPS,
            teams=ctx.team_positions(),
            countries=ctx.countries(),
            persons=athletes,
        )

    return build


for _name, _roles in MODELS:
    factory(_name, CONLL, _roles, kind="batch")(_model_function(_name))


# Gazetteers: places, cities and nationalities (cased and uncased skweak tries), abstaining on the clubs of
# sports structures; first names + capitalised words; companies with a legal form.
def _gazetteer(lexicon: str, cased: bool) -> Callable[[Context], Any]:
    def build(ctx: Context):
        from . import gazetteers as gz

        found = gz.gazetteer_annotators(ctx.gazetteer_dir, lexicon, ctx.labels, ctx.team_positions())
        return found[0 if cased else 1] if found else None

    return build


GAZETTEERS = [
    ("places", ("LOC",), ("doc_vote",), ()),
    ("cities", ("LOC",), (), ()),
    ("nationalities", ("MISC",), ("doc_vote", "doc_seed"), ()),
]
for _lexicon, _labels, _cased_roles, _uncased_roles in GAZETTEERS:
    factory(f"{_lexicon}_cased", _labels, _cased_roles)(_gazetteer(_lexicon, True))
    factory(f"{_lexicon}_uncased", _labels, _uncased_roles)(_gazetteer(_lexicon, False))


@factory("full_name", ["PER"], ("doc_vote", "doc_seed", "doc_surname"))
def _full_name(ctx: Context):
    from . import gazetteers as gz

    return FunctionAnnotator("full_name", partial(gz.full_name, first_names=ctx.first_names()))


@factory("legal_suffix", ["ORG"], ("doc_vote", "doc_seed", "doc_company"))
def _legal_suffix(ctx: Context):
    suffixes = ctx.lexicon("legal_suffixes")["suffixes"]
    return FunctionAnnotator("legal_suffix", partial(heuristics.legal_suffix, suffixes=suffixes))


# News-wire structure: tables and score lines, athletes with their country, datelines, bylines, titles before
# names, organisation and event keywords; organisations named by their context (news agencies, a role in the
# organisation, a team word, an acronym spelling a long name). (name, labels, roles, build(ctx) -> function)
_h = heuristics
HEURISTICS: List[Tuple[str, Tuple[str, ...], Tuple[str, ...], Callable[[Context], Callable]]] = [
    (
        "sports_table_row",
        ("ORG",),
        ("doc_vote", "doc_seed"),
        lambda c: partial(sports.sports_table_row, first_names=c.first_names()),
    ),
    ("fixture", ("ORG",), ("doc_vote", "doc_seed"), lambda c: partial(sports.fixture, countries=c.places("places"))),
    ("fixture_at", ("ORG", "LOC"), ("doc_vote",), lambda c: sports.fixture_at),
    ("shire_team", ("ORG",), ("doc_vote", "doc_seed"), lambda c: tutorial.shire_team),
    ("sports_score_line", ("ORG",), ("doc_vote", "doc_seed"), lambda c: sports.sports_score_line),
    ("name_with_country", ("PER", "LOC"), ("doc_vote", "doc_seed", "doc_surname"), lambda c: sports.name_with_country),
    ("dateline", ("LOC",), ("doc_vote", "doc_seed"), lambda c: _h.dateline),
    ("newsroom_byline", ("ORG",), ("doc_vote", "doc_seed"), lambda c: _h.newsroom_byline),
    ("person_title", ("PER",), ("doc_vote", "doc_seed", "doc_surname"), lambda c: _h.person_title),
    ("org_keyword", ("ORG",), ("doc_vote",), lambda c: _h.org_keyword),
    ("club_keyword", ("ORG",), ("doc_vote", "doc_seed"), lambda c: _h.club_keyword),
    ("misc_keyword", ("MISC",), ("doc_seed",), lambda c: _h.misc_keyword),
    ("league_or_index", ("MISC",), ("doc_vote", "doc_seed"), lambda c: _h.league_or_index),
    (
        "news_agency",
        ("ORG",),
        ("doc_vote", "doc_seed"),
        lambda c: partial(context.news_agency, exclude=c.place_words()),
    ),
    ("org_role", ("ORG",), ("doc_vote",), lambda c: partial(context.org_role, exclude=c.place_words())),
    ("team_cue", ("ORG",), ("doc_vote",), lambda c: partial(context.team_cue, exclude=c.place_words())),
    (
        "acronym_in_parens",
        ("ORG",),
        ("doc_vote", "doc_seed"),
        lambda c: partial(context.acronym_in_parens, exclude=c.place_words()),
    ),
    (
        "company_cue",
        ("ORG",),
        ("doc_vote",),
        lambda c: partial(context.company_cue, exclude=c.place_words() | c.places("cities")),
    ),
    (
        "business_descriptor",
        ("ORG",),
        ("doc_vote",),
        lambda c: partial(context.business_descriptor, exclude=c.place_words() | c.places("cities")),
    ),
    (
        "place_nickname",
        ("ORG",),
        ("doc_vote",),
        lambda c: partial(context.place_nickname, places=c.places("cities") | (c.places("places") - c.countries())),
    ),
]


def _heuristic(name: str, make: Callable[[Context], Callable]) -> Callable[[Context], Any]:
    return lambda ctx: FunctionAnnotator(name, make(ctx))


for _h_name, _h_labels, _h_roles, _make in HEURISTICS:
    # shire_team is also one of the tutorial's 23: one function, in both presets
    if _h_name != "shire_team":
        factory(_h_name, _h_labels, _h_roles)(_heuristic(_h_name, _make))
labelling_function("shire_team", ["ORG"], ("doc_vote", "doc_seed"))(tutorial.shire_team)

# Document-level functions (scripts.lfs.doclevel), built together over whole articles: document history and
# majority (cased, uncased) over the vote of the doc_vote functions; doc_seed strings spread over the article;
# surnames; cities in sports articles and counties in cricket articles as clubs; short company names.
DOCUMENT_FUNCTIONS: Dict[str, Optional[Tuple[str, ...]]] = {
    "doc_history": ("PER", "ORG"),
    "doc_majority_cased": None,  # any label: the vote of whatever functions have the doc_vote role
    "doc_majority_uncased": None,
    "doc_propagate": None,
    "doc_surname": ("PER",),
    "sports_team": ("ORG",),
    "county_team": ("ORG",),
    "org_alias": ("ORG",),
}
for _d_name, _d_labels in DOCUMENT_FUNCTIONS.items():
    factory(_d_name, _d_labels, kind="document")(lambda ctx: None)  # built by build_annotator, all together

# ---------------------------------------------------------------------------------------------------------


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
        self.model_functions: List = []  # batch functions: annotate(list of docs)
        self.doc_functions: List = []  # document-level: annotate(list of docs), run last
        self.context: Optional[Context] = None  # its per-doc caches are cleared after each chunk

    def add_document_functions(
        self,
        names: Sequence[str],
        ctx: Context,
        roles: Optional[Dict[str, List[str]]] = None,
        custom: Sequence[Tuple[str, Callable]] = (),
        readable: Optional[Sequence[str]] = None,
    ) -> "LabellingFunctions":
        """The built-in document-level functions `names`, reading the functions built so far by their roles
        (`roles`: a preset's holders of a role, instead of the functions that declare it; `readable`: the
        functions they may read, when the docs already carry their spans), and a user's document functions
        `custom` ((name, function of the merged article))."""
        from .doclevel import DocumentFunctions

        available = list(self.names) if readable is None else list(readable)

        def having(role: str) -> List[str]:
            return role_holders(available, role, roles)

        enabled = set(names)
        company_sources = having("doc_company") if "org_alias" in enabled else []
        with_sports = "sports_team" in enabled and "ORG" in self.labels
        self.doc_functions.append(
            DocumentFunctions(
                having("doc_vote"),
                self.labels,
                ctx.places("cities") if with_sports else frozenset(),
                ctx.places("places") if with_sports else frozenset(),
                having("doc_seed") if "doc_propagate" in enabled else [],
                having("doc_surname") if "doc_surname" in enabled else [],
                company_sources,
                ctx.lexicon("legal_suffixes")["suffixes"] if company_sources else (),
                enabled=enabled,
                custom=custom,
                negative=[n for n in self.names if n in self.negative],
            )
        )
        return self

    @property
    def names(self) -> List[str]:
        names = [f.name for f in self.model_functions] + [a.name for a in self.annotators]
        return names + [n for f in self.doc_functions for n in f.names]

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc]) -> Iterator[Doc]:
        for chunk in self._chunks(docs):
            yield from self.annotate_chunk(chunk)

    def _chunks(self, docs: Iterable[Doc]) -> Iterator[List[Doc]]:
        """Consecutive docs, about chunk_size at a time, never splitting an article (split, doc_id)."""
        return article_chunks(docs, self.chunk_size)

    def annotate_chunk(self, docs: List[Doc]) -> List[Doc]:
        """Every function on a list of docs: batch model functions, per-doc functions, document-level."""
        try:
            for func in self.model_functions:
                self._run_batch(func, docs)
            out = [self._run_all(doc) for doc in docs]
            for func in self.doc_functions:
                self._run_batch(func, out)
        finally:
            if self.context is not None:
                self.context.clear()
        return out

    def _run_all(self, doc: Doc) -> Doc:
        for annotator in self.annotators:
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
                f"{type(e).__name__}: {e} on {where}"
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
                f"labelling function {annotator.name!r} raised {type(e).__name__}: {e} on {doc_ref(doc)}"
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
            self._count_undeclared(name, dropped)
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
            self._count_undeclared(name, [s.label_ for s in group if s.label_ not in allowed])
            doc.spans[name] = [s for s in group if s.label_ in allowed]

    def _count_undeclared(self, name: str, dropped: Iterable[str]) -> None:
        """Of the labels dropped from a function's spans, count those it did not declare (a typo: unseen
        otherwise); a declared label outside the project's is dropped on purpose."""
        if name not in self.declared:
            return
        declared = self.declared[name]
        for label in dropped:
            if label not in declared:
                self.undeclared[name, label] = self.undeclared.get((name, label), 0) + 1


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


def athletes(doc: Doc) -> List:
    """Persons of sports.name_with_country ("Claus Hirsbro ( Denmark )"), as (start, end)."""
    return [(s, e) for s, e, label in sports.name_with_country(doc) if label == "PER"]


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
            if built is None:  # the project's, built together
                document.append(name)
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
        out.add_document_functions(document, ctx, chosen.roles, custom, readable)
    return out
