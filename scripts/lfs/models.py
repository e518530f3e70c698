"""Model-based labelling functions: pretrained spaCy pipelines, OntoNotes labels mapped to CoNLL.

Each function reads one pipeline's entities on the gold tokens (`scripts.pretrained`: left on the docs
by the `pretrained` step, or computed here for docs without them) and maps them to CoNLL's labels and
conventions. CoNLL's headlines and sports tables are in capitals ("SOCCER - JAPAN GET LUCKY WIN"),
where models trained on mixed case see nothing: the truecase variant reads such sentences truecased.
"""

from typing import Callable, List, Optional, Sequence, Tuple

from spacy.tokens import Doc, Span

from ..corpus.articles import document_groups
from ..corpus.labels import ONTONOTES_TO_CONLL, SpanTuple
from ..pretrained.pipelines import BATCH_SIZE, entities, is_caps_sentence, load
from ..pretrained.runs import FUNCTIONS, Run
from .heuristics import MISC_END, league_or_index
from .names import is_table_value
from .registry import factory
from .sports import name_with_country, relabel_teams, team_positions_of

# Determiners that OntoNotes sometimes puts inside an entity ("the United States") and CoNLL never does.
LEADING_DROP = frozenset({"the", "The", "THE", "a", "an"})


def map_entity(doc: Doc, start: int, end: int, label: str, labels: Sequence[str]) -> Optional[SpanTuple]:
    """OntoNotes -> CoNLL label, trimmed to CoNLL's conventions; None if nothing is left or wanted.

    Leading determiners, everything up to a dash ("CRICKET - LEICESTERSHIRE"), everything from an
    opening parenthesis ("Osmond Ezinwa ( Nigeria") and trailing lower-case words ("Interfax news
    agency") are cut; a span without a capital letter ("no-new-tax") is dropped.
    """
    conll = ONTONOTES_TO_CONLL.get(label)
    if conll is None or conll not in labels:
        return None
    while start < end and doc[start].text in LEADING_DROP:
        start += 1
    dashes = [i for i in range(start, end) if doc[i].text in ("-", "--")]
    if dashes:  # "CRICKET - LEICESTERSHIRE" from a headline: the sport is no part of the name
        start = dashes[-1] + 1
    for i in range(start, end):
        if doc[i].text in ("(", ")"):
            end = i
            break
    while end > start and doc[end - 1].text.isalpha() and doc[end - 1].text.islower():
        end -= 1
    if start >= end or not any(c.isupper() for c in doc[start:end].text):
        return None
    return start, end, conll


def split_entity(doc: Doc, start: int, end: int, label: str) -> List[SpanTuple]:
    """Cut a mapped entity where CoNLL never has one: at numbers and commas, and before a final "'s".

    OntoNotes models read score lines and lists as one name ("Atlanta 5 PITTSBURGH 1",
    "Mercantile , Commerce", "Sussex 363", "Air France 's"); CoNLL has one entity per name and no
    numbers or possessives in it. Pieces without a capital letter are dropped.
    """
    pieces, s = [], start
    for i in range(start, end + 1):
        if i == end or doc[i].text == "," or is_table_value(doc[i].text):
            if i > s:
                pieces.append((s, i))
            s = i + 1
    out = []
    for s, e in pieces:
        if e - s > 1 and doc[e - 1].text in ("'s", "'"):
            e -= 1
        if any(c.isupper() for c in doc[s:e].text):
            out.append((s, e, label))
    return out


def countries_as_places(doc: Doc, spans: Sequence[SpanTuple], countries: frozenset) -> List[SpanTuple]:
    """An ORG that is a country (lower-cased in `countries`) -> LOC: CoNLL's national teams and states are places."""
    return [(s, e, "LOC" if lab == "ORG" and doc[s:e].text.lower() in countries else lab) for s, e, lab in spans]


def events_as_misc(doc: Doc, spans: Sequence[SpanTuple]) -> List[SpanTuple]:
    """An ORG ending in an event word (heuristics.MISC_END: "PGA Tour", "Atlanta Games", "Davis Cup"), or that
    heuristics.league_or_index finds (a league or division, a stock index, "GMT") -> MISC, as CoNLL labels
    competitions and market figures."""
    if not any(lab == "ORG" for _, _, lab in spans):
        return list(spans)
    misc = {(s, e) for s, e, _ in league_or_index(doc)}
    out = []
    for s, e, lab in spans:
        event = lab == "ORG" and (doc[e - 1].text in MISC_END or (s, e) in misc)
        out.append((s, e, "MISC" if event else lab))
    return out


def persons_as_persons(spans: Sequence[SpanTuple], persons: Sequence[Tuple[int, int]]) -> List[SpanTuple]:
    """An ORG or LOC that overlaps a person found by a sports-results pattern (sports.name_with_country:
    "Claus Hirsbro ( Denmark )") -> that person, PER. Models read results lists as organisations."""
    out = []
    for s, e, label in spans:
        person = next(((ps, pe) for ps, pe in persons if ps < e and s < pe), None)
        out.append((*person, "PER") if person and label in ("ORG", "LOC") else (s, e, label))
    return list(dict.fromkeys(out))


def consistent_surnames(docs: Sequence[Doc], name: str) -> None:
    """Within an article, a lone ORG that is the last word of one of the function's own multi-word PER spans
    becomes PER ("Frederick Geraghty ... Geraghty said", where the models say ORG the second time)."""
    for group in document_groups(docs):
        surnames = {
            docs[i].spans[name][k][-1].text
            for i in group
            for k in range(len(docs[i].spans[name]))
            if docs[i].spans[name][k].label_ == "PER" and len(docs[i].spans[name][k]) >= 2
        }
        if not surnames:
            continue
        for i in group:
            doc = docs[i]
            spans = [
                (sp.start, sp.end, "PER" if sp.label_ == "ORG" and len(sp) == 1 and sp.text in surnames else sp.label_)
                for sp in doc.spans[name]
            ]
            doc.spans[name] = [Span(doc, s, e, label=lab) for s, e, lab in spans]


class ModelFunction:
    """One spaCy pipeline as a labelling function over batches of docs.

    mode "plain": the gold words as they are, every sentence (or, with skip_caps, every sentence
    not in capitals);
    mode "truecase": only the sentences in capitals, re-run with `truecase` words.
    """

    def __init__(
        self,
        name: str,
        model: str,
        labels: Sequence[str],
        mode: str = "plain",
        batch_size: int = BATCH_SIZE,
        skip_caps: bool = False,
        teams: Optional[Callable[[Doc], List[Tuple[int, int]]]] = None,
        countries: frozenset = frozenset(),
        persons: Optional[Callable[[Doc], List[Tuple[int, int]]]] = None,
    ):
        self.run = Run(model, mode)  # an unknown mode is a ValueError
        self.name, self.model, self.labels, self.mode, self.batch_size = name, model, list(labels), mode, batch_size
        self.skip_caps = skip_caps
        # where a sports structure names a club (sports.team_positions): a LOC or PER there becomes ORG
        self.teams = teams if "ORG" in self.labels else None
        # lower-cased countries: an ORG that is a country is a national team or a state, LOC in CoNLL
        self.countries = countries if "LOC" in self.labels else frozenset()
        # where a results list names an athlete ("Claus Hirsbro ( Denmark )"): an ORG or LOC there becomes PER;
        # with persons set, a lone ORG that is the surname of one of the function's own PER in the article too
        self.persons = persons if "PER" in self.labels else None

    def inputs(self, docs: Sequence[Doc]) -> List[Doc]:
        """The docs the function looks at."""
        if self.mode == "plain":
            return [d for d in docs if not (self.skip_caps and is_caps_sentence([t.text for t in d]))]
        return [d for d in docs if is_caps_sentence([t.text for t in d])]

    def load(self) -> None:
        """Load the pipelines this function runs (cached per process)."""
        load(self.run)

    def annotate(self, docs: Sequence[Doc]) -> None:
        """Write `doc.spans[self.name]` on every doc (empty where the function abstains)."""
        for doc in docs:
            doc.spans[self.name] = []
        todo = self.inputs(docs)
        for doc, found in zip(todo, entities(self.run, todo, self.batch_size)):
            mapped = filter(None, (map_entity(doc, s, e, label, self.labels) for s, e, label in found))
            spans = [piece for m in mapped for piece in split_entity(doc, *m)]
            if self.teams is not None and spans:
                spans = relabel_teams(spans, self.teams(doc))
            if self.countries:
                spans = countries_as_places(doc, spans, self.countries)
            if "MISC" in self.labels:
                spans = events_as_misc(doc, spans)
            if self.persons is not None and spans:
                spans = persons_as_persons(spans, self.persons(doc))
            doc.spans[self.name] = [Span(doc, s, e, label=lab) for s, e, lab in spans]
        if self.persons is not None:
            consistent_surnames(docs, self.name)

    def __call__(self, doc: Doc) -> Doc:
        self.annotate([doc])
        return doc


# The OntoNotes pipelines: en_core_web_md (as is, and truecased on sentences in capitals) and en_core_web_sm,
# labels mapped to CoNLL; a place or person where a sports table, score line or fixture names a club becomes
# ORG, an ORG that is a country becomes LOC (national teams are LOC in CoNLL), an ORG where a results list
# names an athlete or that is the surname of the model's own PER in the article becomes PER. Plain model
# functions skip the sentences in capitals, which md_truecase covers.
CONLL = ("PER", "ORG", "LOC", "MISC")
MODELS = [  # (name, roles); what each runs is scripts.pretrained.runs.FUNCTIONS[name]
    ("md", ("doc_vote", "doc_surname")),
    ("md_truecase", ("doc_vote",)),
    ("sm", ("doc_vote", "doc_surname")),
]
SKIP_CAPS = True


def athletes(doc: Doc) -> List:
    """Persons of sports.name_with_country ("Claus Hirsbro ( Denmark )"), as (start, end)."""
    return [(s, e) for s, e, label in name_with_country(doc) if label == "PER"]


def _model_function(name: str) -> Callable:
    def build(ctx):
        run = FUNCTIONS[name]
        return ModelFunction(
            name,
            run.package,
            ctx.labels,
            run.mode,
            skip_caps=SKIP_CAPS,
            teams=team_positions_of(ctx),
            countries=ctx.countries(),
            persons=athletes,
        )

    return build


for _name, _roles in MODELS:
    factory(_name, CONLL, _roles, kind="batch", packages=(FUNCTIONS[_name].package,))(_model_function(_name))
