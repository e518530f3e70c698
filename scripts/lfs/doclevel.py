"""Document-level labelling functions over whole CoNLL documents.

The corpus holds one Doc per sentence; the sentences of one article share `user_data["doc_id"]`
(within a split). Here they are merged into one Doc per article (sentence starts kept), a majority
vote of the sentence-level `sources` is taken on it, and skweak's document-level annotators read
that vote:

- doc_history (DocumentHistoryAnnotator): once "Franz Fischler" is a PER, a later "Fischler" is too
  (PER and ORG only, as in skweak's example);
- doc_majority_cased / doc_majority_uncased (DocumentMajorityAnnotator): every occurrence of a
  string gets the label it has most often in the article;
- doc_propagate: every occurrence of a string that a high-precision heuristic labelled somewhere in
  the article (a team in a results table, a company with its legal suffix, a full name) gets that
  label, also where the models disagree ("Derbyshire 471" in a table -> "Derbyshire beat ...");
- doc_surname: the last word of a person's full name (a multi-word PER of `surname_sources`) is PER
  where it stands alone later or earlier in the article ("Frederick Geraghty ... Geraghty said"),
  where the models often say ORG;
- sports_team: in a sports article (its headline opens with a sport: "SOCCER - ..."), a city voted
  LOC is a club, so ORG (countries stay LOC, as national teams are in CoNLL);
- county_team: in a cricket article, the first-class counties are clubs ("Leicestershire beat
  Somerset"), so ORG;
- org_alias: a company named once with its legal form ("Ruch SA", "Commerce Bancshares Inc.") is ORG
  where the article names it without it ("Ruch", "Commerce").

The venue of a baseball fixture ("KANSAS CITY AT DETROIT": LOC in CoNLL) keeps fixture_at's label:
no document-level function calls it ORG because the same city is a team elsewhere in the article.

A user's document functions (`registry.document_function`) run last, on the merged article with every
sentence-level function's spans, the vote (`doc.spans["doc_vote"]`) and the built-in functions' spans.

Their spans are mapped back to the sentence Docs; a span across two sentences is dropped.
"""

import bisect
import warnings
from collections import defaultdict
from typing import AbstractSet, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from skweak import utils as skweak_utils
from skweak.doclevel import DocumentHistoryAnnotator, DocumentMajorityAnnotator
from skweak.gazetteers import Trie
from spacy.attrs import LOWER, ORTH
from spacy.tokens import Doc, Span

from ..corpus.articles import document_groups
from ..corpus.labels import GOLD, SpanTuple
from ..labelmodel.majority import VectorisedMajorityVoter
from ..pipeline.components import county_team, org_alias, sport, surnames
from ..pretrained.runs import PREFIX
from .gazetteers import FastGazetteer, token_strings
from .registry import Together, factory, role_holders

VOTE = "doc_vote"


def copy_groups(merged: Doc, sentences: Sequence[Doc], offsets: Sequence[int], groups: Iterable[str]) -> None:
    """The span groups `groups` of the sentences onto their article's merged Doc."""
    for name in groups:
        merged.spans[name] = [
            Span(merged, off + s.start, off + s.end, label=s.label_)
            for sent, off in zip(sentences, offsets)
            for s in sent.spans.get(name, [])
        ]


def merge(sentences: Sequence[Doc], groups: Iterable[str]) -> Tuple[Doc, List[int]]:
    """One Doc for an article (sentence starts set) with the span groups `groups` copied; and the
    token offset of each sentence."""
    words: List[str] = []
    spaces: List[bool] = []
    starts: List[Union[bool, int, None]] = []
    offsets: List[int] = []
    for sent in sentences:
        offsets.append(len(words))
        words += [t.text for t in sent]
        spaces += [True] * len(sent)
        starts += [True] + [False] * (len(sent) - 1)
    merged = Doc(sentences[0].vocab, words=words, spaces=spaces, sent_starts=starts)
    copy_groups(merged, sentences, offsets, groups)
    return merged, offsets


def split_back(spans: Iterable[SpanTuple], offsets: List[int], lengths: List[int]) -> Dict[int, List[SpanTuple]]:
    """Article-level spans -> {sentence number: sentence-level spans}; spans across sentences are dropped."""
    out: Dict[int, List[SpanTuple]] = {i: [] for i in range(len(offsets))}
    for start, end, label in spans:
        k = bisect.bisect_right(offsets, start) - 1
        if end <= offsets[k] + lengths[k]:
            out[k].append((start - offsets[k], end - offsets[k], label))
    return out


def is_sports_article(doc: Doc) -> bool:
    return sport(doc) is not None


def venues(doc: Doc) -> set:
    """Where fixture_at names the venue of a game (LOC)."""
    return {(s.start, s.end) for s in doc.spans.get("fixture_at", []) if s.label_ == "LOC"}


# Words around a city that make it the place of a game, not a team: "In Seattle , ...", "the Berlin
# meeting", "Portsmouth : ..." (a list of results by venue), "( London )".
PLACE_BEFORE = frozenset("in In at At near outside the The north south east west same".split())
PLACE_AFTER = frozenset(": ( )".split())


def sports_team(doc: Doc, cities: AbstractSet[str], countries: AbstractSet[str]) -> Iterator[SpanTuple]:
    """In a sports article, LOC votes that are cities (and not countries) -> ORG.

    Names in capitals are left out: datelines ("LONDON 1996-08-30") and fixtures ("BOSTON AT OAKLAND")
    name the place of the game; so are cities after "in", "at", "the" and before a colon or a bracket.
    """
    if not is_sports_article(doc):
        return
    for span in doc.spans.get(VOTE, []):
        key = span.text.lower()
        if span.label_ == "LOC" and key in cities and key not in countries and not span.text.isupper():
            before = doc[span.start - 1].text if span.start > 0 and not doc[span.start].is_sent_start else ""
            after = doc[span.end].text if span.end < len(doc) else ""
            if before not in PLACE_BEFORE and after not in PLACE_AFTER:
                yield span.start, span.end, "ORG"


def propagate(doc: Doc, seeds: Sequence[str]) -> Iterator[SpanTuple]:
    """Every case-sensitive occurrence of a string labelled by one of the `seeds` groups, with the label
    it has most often there (a string with two labels equally often is left out)."""
    from collections import Counter

    counts: Dict[Tuple[str, ...], Counter] = {}
    for name in seeds:
        for span in doc.spans.get(name, []):
            counts.setdefault(tuple(t.text for t in span), Counter())[span.label_] += 1
    tries: Dict[str, Trie] = {}
    for tokens, by_label in counts.items():
        (label, n), *rest = by_label.most_common()
        if not rest or rest[0][1] < n:
            tries.setdefault(label, Trie()).add(list(tokens))
    if tries:
        yield from FastGazetteer("doc_propagate", tries, case_sensitive=True, additional_checks=False).find_spans(doc)


class DocumentHistory(DocumentHistoryAnnotator):
    """skweak's DocumentHistoryAnnotator searching with FastGazetteer (`find_spans` is skweak 0.3.3's
    with its GazetteerAnnotator swapped: the same spans, tests/test_lfs_doclevel.py)."""

    def find_spans(self, doc: Doc) -> Iterator[SpanTuple]:
        tries = {label: Trie() for label in self.labels}
        first_bounds = set()
        for tokens, span in self.get_first_mentions(doc).items():
            tries[span.label_].add(tokens)
            first_bounds.add((span.start, span.end))
        gazetteer = FastGazetteer(
            self.name, tries, case_sensitive=self.case_sensitive, additional_checks=not self.case_sensitive
        )
        for start, end, label in gazetteer.find_spans(doc):
            if (start, end) not in first_bounds:
                yield start, end, label


def occurs_twice(tokens: Tuple[str, ...], words: List[str], positions: Dict[str, List[int]]) -> bool:
    """skweak's `utils.at_least_nb_occurrences(tokens, words, 2)`, trying only where the first token is
    (`positions`: word -> its indices in `words`) instead of at every word of the article."""
    if not tokens:
        return skweak_utils.at_least_nb_occurrences(tokens, words, 2)
    n, found = len(tokens), 0
    for i in positions.get(tokens[0], ()):
        if n == 1 or tuple(words[i : i + n]) == tokens:
            found += 1
            if found == 2:
                return True
    return False


class DocumentMajority(DocumentMajorityAnnotator):
    """skweak's DocumentMajorityAnnotator searching with FastGazetteer (as DocumentHistory), its counts
    made without a scan of the article per string (the same labels, tests/test_lfs_doclevel.py)."""

    def get_majority_labels(self, doc: Doc) -> Dict[Tuple[str, ...], str]:
        """skweak 0.3.3's `get_majority_labels`, line for line, with the words read once and `occurs_twice`."""
        label_counts: Dict[Tuple[str, ...], Dict[str, float]] = defaultdict(dict)
        form_counts: Dict[Tuple[str, ...], Dict[Tuple[str, ...], float]] = defaultdict(dict)
        spans = skweak_utils.get_spans_with_probs(doc, self.other_name)
        words, all_tokens_low = token_strings(doc, ORTH), token_strings(doc, LOWER)
        positions: Dict[str, List[int]] = defaultdict(list)
        for i, word in enumerate(all_tokens_low):
            positions[word].append(i)
        checked: Dict[Tuple[str, ...], bool] = {}
        for span, prob in spans:
            tokens_low = tuple(all_tokens_low[span.start : span.end])
            if tokens_low not in checked:
                checked[tokens_low] = occurs_twice(tokens_low, all_tokens_low, positions)
            if checked[tokens_low]:
                label_counts[tokens_low][span.label_] = label_counts[tokens_low].get(span.label_, 0) + prob
                tokens = tuple(words[span.start : span.end])
                form_counts[tokens_low][tokens] = form_counts[tokens_low].get(tokens, 0) + prob
        majority_labels = {}
        for lower_tokens, labels_for_ent in label_counts.items():
            majority_label = max(labels_for_ent, key=lambda x: labels_for_ent[x])
            forms_for_ent = form_counts[lower_tokens]
            majority_form = max(forms_for_ent, key=lambda x: forms_for_ent[x])
            majority_labels[majority_form] = majority_label
        return majority_labels

    def find_spans(self, doc: Doc) -> Iterator[SpanTuple]:
        majority = self.get_majority_labels(doc)
        tries = {label: Trie() for label in set(majority.values())}
        for tokens, label in majority.items():
            tries[label].add(list(tokens))
        yield from FastGazetteer(
            self.name, tries, self.case_sensitive, additional_checks=not self.case_sensitive
        ).find_spans(doc)


class DocumentFunctions:
    """The document-level functions, applied article by article to a list of sentence Docs."""

    def __init__(
        self,
        sources: Sequence[str],
        labels: Sequence[str],
        cities: AbstractSet[str] = frozenset(),
        countries: AbstractSet[str] = frozenset(),
        seeds: Sequence[str] = (),
        surname_sources: Sequence[str] = (),
        company_sources: Sequence[str] = (),
        legal_suffixes: Iterable[str] = (),
        enabled: Optional[AbstractSet[str]] = None,
        custom: Sequence[Tuple[str, Callable]] = (),
        negative: Sequence[str] = (),
    ):
        """`enabled`: the names to run (None: all); doc_propagate, doc_surname and org_alias also need
        their seeds, surname or company sources. `custom`: a user's document functions (name, function of
        the merged article), run last; `negative`: the negative functions (O votes where they fire)."""
        self.custom = list(custom)
        self.negative = frozenset(negative)
        on = (lambda name: True) if enabled is None else (lambda name: name in enabled)
        self.sources, self.labels, self.seeds = list(sources), list(labels), list(seeds)
        self.seeds = self.seeds if on("doc_propagate") else []
        self.surname_sources = list(surname_sources) if "PER" in self.labels and on("doc_surname") else []
        self.company_sources = list(company_sources) if "ORG" in self.labels else []
        self.with_county = "ORG" in self.labels and on("county_team")
        self.with_alias = "ORG" in self.labels and on("org_alias")
        self.legal_suffixes = frozenset(s.lower() for s in legal_suffixes)
        self.cities, self.countries = cities, countries
        self.not_companies = frozenset(cities) | frozenset(countries)  # no short company name is a place
        history_labels = [lab for lab in ("PER", "ORG") if lab in self.labels]
        annotators: List[Union[DocumentHistory, DocumentMajority]] = [
            DocumentHistory("doc_history", VOTE, history_labels),
            DocumentMajority("doc_majority_cased", VOTE, case_sensitive=True),
            DocumentMajority("doc_majority_uncased", VOTE, case_sensitive=False),
        ]
        self.annotators = [a for a in annotators if on(a.name) and (a.name != "doc_history" or history_labels)]
        self.with_sports = "ORG" in self.labels and bool(cities) and on("sports_team")

    @property
    def names(self) -> List[str]:
        names = [a.name for a in self.annotators] + (["doc_propagate"] if self.seeds else [])
        names += ["doc_surname"] if self.surname_sources else []
        names += ["sports_team"] if self.with_sports else []
        names += (["county_team"] if self.with_county else []) + (["org_alias"] if self.with_alias else [])
        return names + [name for name, _ in self.custom]

    @property
    def inputs(self) -> List[str]:
        """The sentence-level groups the built-in functions read."""
        return list(
            dict.fromkeys(self.sources + self.seeds + self.surname_sources + self.company_sources + ["fixture_at"])
        )

    def _voter(self):
        voter = VectorisedMajorityVoter(VOTE, self.labels)  # skweak's MajorityVoter, without its per-token loop
        voter.negative = self.negative & set(self.sources)
        return voter

    def article_spans(self, merged: Doc) -> Dict[str, List[SpanTuple]]:
        """The span tuples of every document-level function on a merged article."""
        out = {}
        # before the vote, which they join: a surname outvotes the models' lone ORG, a county or a
        # company's short name their PER or LOC, so that the article's majority follows them too
        if self.surname_sources:
            out["doc_surname"] = list(surnames(merged, self.surname_sources))
        if self.with_county:
            out["county_team"] = list(county_team(merged))
        if self.with_alias:
            out["org_alias"] = list(org_alias(merged, self.company_sources, self.legal_suffixes, self.not_companies))
        for name, spans in out.items():
            merged.spans[name] = [Span(merged, s, e, label=lab) for s, e, lab in spans]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            merged = self._voter()(merged)
        out.update({a.name: list(a.find_spans(merged)) for a in self.annotators})
        if self.seeds:
            out["doc_propagate"] = list(propagate(merged, self.seeds))
        if self.with_sports:
            out["sports_team"] = list(sports_team(merged, self.cities, self.countries))
        at = venues(merged)
        if at:  # a venue stays a place, even if the same city is a team elsewhere in the article
            out = {name: [s for s in spans if s[2] != "ORG" or s[:2] not in at] for name, spans in out.items()}
        return out

    def custom_spans(self, merged: Doc, built_in: Dict[str, List[SpanTuple]]) -> Dict[str, List[SpanTuple]]:
        """A user's document functions on the merged article, which holds every sentence-level function's
        spans, the vote and the built-in functions' spans (`built_in`)."""
        for name, spans in built_in.items():
            merged.spans[name] = [Span(merged, s, e, label=lab) for s, e, lab in spans]
        out = {}
        for name, func in self.custom:
            out[name] = [(int(s), int(e), str(lab)) for s, e, lab, *_ in func(merged) if 0 <= s < e <= len(merged)]
        return out

    def annotate(self, docs: Sequence[Doc]) -> None:
        """Write each function's span group on every sentence Doc (articles must not be split)."""
        for group in document_groups(docs):
            sentences = [docs[i] for i in group]
            groups = [s for s in self.inputs if any(s in d.spans for d in sentences)]
            merged, offsets = merge(sentences, groups)
            lengths = [len(s) for s in sentences]
            found = self.article_spans(merged)
            if self.custom:  # a user's function reads every function's spans (never gold's), after the vote
                others = dict.fromkeys(name for d in sentences for name in d.spans)
                extra = [n for n in others if n not in groups and n != GOLD and not n.startswith(PREFIX)]
                copy_groups(merged, sentences, offsets, extra)
                found.update(self.custom_spans(merged, found))
            for name, spans in found.items():
                by_sentence = split_back(spans, offsets, lengths)
                for k, sent in enumerate(sentences):
                    sent.spans[name] = [Span(sent, s, e, label=lab) for s, e, lab in sorted(set(by_sentence[k]))]


def add_document_functions(
    out,
    names: Sequence[str],
    ctx,
    roles: Optional[Dict[str, List[str]]] = None,
    custom: Sequence[Tuple[str, Callable]] = (),
    readable: Optional[Sequence[str]] = None,
) -> None:
    """Add to `out` (a LabellingFunctions) the built-in document-level functions `names`, reading the
    functions built so far by their roles (`roles`: a preset's holders of a role, instead of the functions
    that declare it; `readable`: the functions they may read, when the docs already carry their spans), and
    a user's document functions `custom` ((name, function of the merged article))."""
    available = list(out.names) if readable is None else list(readable)

    def having(role: str) -> List[str]:
        return role_holders(available, role, roles)

    enabled = set(names)
    company_sources = having("doc_company") if "org_alias" in enabled else []
    with_sports = "sports_team" in enabled and "ORG" in out.labels
    out.doc_functions.append(
        DocumentFunctions(
            having("doc_vote"),
            out.labels,
            ctx.places("cities") if with_sports else frozenset(),
            ctx.places("places") if with_sports else frozenset(),
            having("doc_seed") if "doc_propagate" in enabled else [],
            having("doc_surname") if "doc_surname" in enabled else [],
            company_sources,
            ctx.lexicon("legal_suffixes")["suffixes"] if company_sources else (),
            enabled=enabled,
            custom=custom,
            negative=[n for n in out.names if n in out.negative],
        )
    )


# The document-level functions, built together over whole articles: document history and majority (cased,
# uncased) over the vote of the doc_vote functions; doc_seed strings spread over the article; surnames; cities
# in sports articles and counties in cricket articles as clubs; short company names.
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
    factory(_d_name, _d_labels, kind="document")(lambda ctx: Together(add_document_functions))
