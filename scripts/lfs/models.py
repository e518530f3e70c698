"""Model-based labelling functions: pretrained spaCy pipelines, OntoNotes labels mapped to CoNLL.

Each function runs one installed pipeline through `nlp.pipe` (batched, only the components NER
needs) on fresh Docs built from the gold tokens, so the tokenisation never changes. CoNLL's
headlines and sports tables are in capitals ("SOCCER - JAPAN GET LUCKY WIN"), where models trained
on mixed case see nothing: the truecase variant re-runs such sentences with their capitalised words
title-cased (common words lower-cased) and keeps the entities found there.
"""

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import srsly
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc, Span

from ..corpus.articles import document_groups
from ..corpus.errors import UserError
from ..corpus.labels import ONTONOTES_TO_CONLL, SpanTuple
from .heuristics import MISC_END, league_or_index
from .names import is_table_value
from .sports import relabel_teams

# Determiners that OntoNotes sometimes puts inside an entity ("the United States") and CoNLL never does.
LEADING_DROP = frozenset({"the", "The", "THE", "a", "an"})
_PIPELINES: Dict[Tuple[str, Tuple[str, ...]], Any] = {}


def load_model_parts(name: str, keep: Tuple[str, ...] = ("tok2vec", "ner")):
    """`spacy.load(name)` with only the components in `keep` (cached per process)."""
    if (name, keep) not in _PIPELINES:
        import spacy

        # the component names from the package's meta: loading the whole pipeline to list them costs seconds
        names = srsly.read_json(spacy.util.get_package_path(name) / "meta.json")["pipeline"]
        _PIPELINES[name, keep] = spacy.load(name, exclude=[p for p in names if p not in keep])
    return _PIPELINES[name, keep]


def load_ner(name: str):
    """The pipeline with only what NER needs: its ner has its own embedding layer, so not even the shared tok2vec."""
    return load_model_parts(name, ("ner",))


def load_tagger(name: str):
    """The pipeline with only what the part-of-speech tagger needs."""
    return load_model_parts(name, ("tok2vec", "tagger"))


def is_caps_sentence(words: Sequence[str]) -> bool:
    """Most cased words are in capitals (headlines, datelines, sports tables)."""
    cased = [w for w in words if any(c.isalpha() for c in w) and len(w) > 1]
    if not cased:
        return False
    upper = sum(1 for w in cased if w.isupper())
    return upper >= 1 and upper / len(cased) >= 0.8


PROPER_TAGS = frozenset({"NNP", "NNPS"})


def truecase(words: Sequence[str], proper: Sequence[bool]) -> List[str]:
    """Title-case the capitalised words judged proper, lower-case the others.

    "SHEARER NAMED AS ENGLAND CAPTAIN" with proper = [1, 0, 0, 1, 0] -> "Shearer named as England captain".
    Words with a dot or a digit (U.S., F.C., 1996-08-22) and one-letter words keep their form.
    """
    out = []
    for w, is_proper in zip(words, proper):
        if not w.isupper() or len(w) < 2 or any(c.isdigit() or c == "." for c in w):
            out.append(w)
        elif is_proper and w.lower() not in STOP_WORDS:
            out.append(w.title())
        else:
            out.append(w.lower())
    return out


def proper_words(tagger, sentences: Sequence[Sequence[str]], batch_size: int = 256) -> List[List[bool]]:
    """Which words of capitalised sentences look like proper nouns, judged by the tagger on three casings.

    Proper if tagged NNP/NNPS when the sentence is lower-cased (the tagger knows "panama", "shearer"),
    or when both the capitals and the title-cased forms are tagged NNP/NNPS while the lower-cased
    word is still a noun ("LEICESTERSHIRE", "ROTOR"). A common noun (VICTORY, RESULTS) or a verb
    (TAKE, NAMED) fails both tests.
    """
    variants = []
    for words in sentences:
        variants += [list(words), [w.lower() for w in words], [w.title() for w in words]]
    docs = (Doc(tagger.vocab, words=v) for v in variants)
    tags = [[t.tag_ for t in d] for d in tagger.pipe(docs, batch_size=batch_size)]
    out = []
    for i in range(len(sentences)):
        caps, low, title = tags[3 * i : 3 * i + 3]
        out.append(
            [
                lo in PROPER_TAGS or (ca in PROPER_TAGS and ti in PROPER_TAGS and lo.startswith("NN"))
                for ca, lo, ti in zip(caps, low, title)
            ]
        )
    return out


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
        batch_size: int = 256,
        skip_caps: bool = False,
        teams: Optional[Callable[[Doc], List[Tuple[int, int]]]] = None,
        countries: frozenset = frozenset(),
        persons: Optional[Callable[[Doc], List[Tuple[int, int]]]] = None,
    ):
        if mode not in ("plain", "truecase"):
            raise ValueError(f"unknown mode {mode!r}")
        self.name, self.model, self.labels, self.mode, self.batch_size = name, model, list(labels), mode, batch_size
        self.skip_caps = skip_caps
        # where a sports structure names a club (sports.team_positions): a LOC or PER there becomes ORG
        self.teams = teams if "ORG" in self.labels else None
        # lower-cased countries: an ORG that is a country is a national team or a state, LOC in CoNLL
        self.countries = countries if "LOC" in self.labels else frozenset()
        # where a results list names an athlete ("Claus Hirsbro ( Denmark )"): an ORG or LOC there becomes PER;
        # with persons set, a lone ORG that is the surname of one of the function's own PER in the article too
        self.persons = persons if "PER" in self.labels else None

    def inputs(self, docs: Sequence[Doc]) -> Tuple[List[Doc], List[List[str]]]:
        """The docs the function looks at, and the words the model sees for each."""
        if self.mode == "plain":
            todo = [d for d in docs if not (self.skip_caps and is_caps_sentence([t.text for t in d]))]
            return todo, [[t.text for t in d] for d in todo]
        todo = [d for d in docs if is_caps_sentence([t.text for t in d])]
        words = [[t.text for t in d] for d in todo]
        proper = proper_words(load_tagger(self.model), words, self.batch_size)
        return todo, [truecase(w, p) for w, p in zip(words, proper)]

    def load(self) -> None:
        """Load the pipelines this function runs (cached per process)."""
        load_ner(self.model)
        if self.mode == "truecase":
            load_tagger(self.model)

    def annotate(self, docs: Sequence[Doc]) -> None:
        """Write `doc.spans[self.name]` on every doc (empty where the function abstains)."""
        for doc in docs:
            doc.spans[self.name] = []
        nlp = load_ner(self.model)
        todo, words = self.inputs(docs)
        inputs = [Doc(nlp.vocab, words=w, spaces=[bool(t.whitespace_) for t in d]) for d, w in zip(todo, words)]
        for doc, pred in zip(todo, nlp.pipe(inputs, batch_size=self.batch_size)):
            mapped = filter(None, (map_entity(doc, e.start, e.end, e.label_, self.labels) for e in pred.ents))
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


class PipelineFunction:
    """Any spaCy pipeline (an installed package or a path) as a labelling function over batches of docs:
    its entities whose label is in `label_map`, renamed (e.g. {"PRODUCT": "DRUG"}); the rest ignored."""

    def __init__(self, name: str, model: str, label_map: Dict[str, str], labels: Sequence[str], batch_size: int = 256):
        self.name, self.model, self.batch_size = name, model, batch_size
        self.label_map = {k: v for k, v in label_map.items() if v in labels}

    def load(self):
        if self.model not in _USER_PIPELINES:
            import spacy

            try:
                _USER_PIPELINES[self.model] = spacy.load(self.model)
            except OSError as e:
                raise UserError(
                    f"labelling function {self.name!r}: cannot load the spaCy pipeline {self.model!r} "
                    f"({str(e).split('.')[0]}): install it (pip install ...) or give a path to it"
                ) from None
        return _USER_PIPELINES[self.model]

    def annotate(self, docs: Sequence[Doc]) -> None:
        nlp = self.load()
        inputs = [Doc(nlp.vocab, words=[t.text for t in d], spaces=[bool(t.whitespace_) for t in d]) for d in docs]
        for doc, pred in zip(docs, nlp.pipe(inputs, batch_size=self.batch_size)):
            doc.spans[self.name] = [
                Span(doc, e.start, e.end, label=self.label_map[e.label_])
                for e in pred.ents
                if e.label_ in self.label_map
            ]


_USER_PIPELINES: Dict[str, Any] = {}
