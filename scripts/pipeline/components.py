"""What ships with the trained pipeline: its tokenizer and the `doc_consistency` component.

`spacy package --code` copies this one file into the model package, whose `__init__` imports it, so it
imports nothing but spaCy, srsly and the standard library (tests/test_pipeline.py checks): after
`pip install` of the package, `spacy.load(NAME)` needs nothing of the project. The project's own
document-level labelling functions (scripts/lfs/doclevel.py) take the same rules from here, and spaCy's
commands load it with `--code scripts/pipeline/components.py` (`spacy evaluate training/model-best ...`).

- `weak_ner.Tokenizer.v1`: spaCy's tokenizer of the language, with words that hold a hyphen kept whole
  (hyphens "keep", as CoNLL and the Penn Treebank: "1996-08-22", "Bre-X") or split (spaCy's rule).
- `doc_consistency`: the NER reads a few words either side of each token, so "Ruch" alone after "Ruch SA",
  "Somerset" in a cricket report or "Geraghty" after "Frederick Geraghty" get the label the word looks like.
  The component applies three document-level rules to the NER's own entities of the whole document: the
  short name of a company found with its legal form is ORG, the lone surname of a person found in full is
  PER, and in a cricket article the first-class counties are ORG. It is not trained and reads no gold; its
  word lists are set at `initialize` and saved with the pipeline. It also keeps only the entities of the
  labels the pipeline was trained on: a NER fine-tuned from a pretrained pipeline still holds its source's
  labels (OntoNotes' 18 for en_core_web_md), which the pipeline must never output.
"""

import re
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

import srsly
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import registry

SpanTuple = Tuple[int, int, str]

HYPHENS = ("split", "keep")


def set_hyphens(nlp: Language, hyphens: str) -> None:
    """Keep words with a hyphen whole ("keep") or leave spaCy's rule that splits them ("split")."""
    if hyphens not in HYPHENS:
        raise ValueError(f"hyphens {hyphens!r}: must be one of {', '.join(HYPHENS)}")
    if hyphens == "keep":
        from spacy.lang.char_classes import HYPHENS as HYPHEN_CHARS
        from spacy.util import compile_infix_regex

        infixes = [p for p in nlp.Defaults.infixes or [] if not (HYPHEN_CHARS in str(p) or "[+\\-\\*^]" in str(p))]
        nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer  # type: ignore[union-attr]


@registry.tokenizers("weak_ner.Tokenizer.v1")
def make_tokenizer(hyphens: str = "split") -> Callable[[Language], Callable[[str], Doc]]:
    """spaCy's tokenizer (`spacy.Tokenizer.v1`) with the hyphen rule of `set_hyphens`."""
    from spacy.tokenizer import Tokenizer

    if hyphens not in HYPHENS:
        raise ValueError(f"hyphens {hyphens!r}: must be one of {', '.join(HYPHENS)}")

    def create(nlp: Language) -> Tokenizer:
        nlp.tokenizer = registry.tokenizers.get("spacy.Tokenizer.v1")()(nlp)
        set_hyphens(nlp, hyphens)
        return nlp.tokenizer

    return create


# --- what a word of a name looks like ------------------------------------------------------------

NUMBER_RE = re.compile(r"^[-+]?(\d+([.,:/-]\d+)*|\.\d+)[%]?$")


def is_name_word(text: str) -> bool:
    """A word that can be part of a name: "Fischler", "U.S.", "McDonald", "O'Neill", "AC"."""
    if not text[:1].isupper():
        return False
    return any(c.isalpha() for c in text) and not NUMBER_RE.match(text)


def lone(doc: Doc, start: int, end: int) -> bool:
    """Neither neighbour of doc[start:end] in its sentence is a word of a name."""
    before = start > 0 and not doc[start].is_sent_start and is_name_word(doc[start - 1].text)
    after = end < len(doc) and not doc[end].is_sent_start and is_name_word(doc[end].text)
    return not before and not after


# --- sports articles --------------------------------------------------------------------------------

SPORTS = frozenset(
    "SOCCER CRICKET TENNIS GOLF BASEBALL BASKETBALL RUGBY ATHLETICS CYCLING BOXING MOTORCYCLING MOTOR "
    "MOTORSPORT RACING HOCKEY ICE SKIING SWIMMING SQUASH BADMINTON HORSE HORSERACING SAILING ROWING "
    "VOLLEYBALL HANDBALL FOOTBALL NFL NBA NHL NRL AFL TABLE-TENNIS FORMULA".split()
)


def sport(doc: Doc) -> Optional[str]:
    """The sport of an article whose first sentence reads "SOCCER - ..." (in capitals before a dash), or None."""
    words = [t.text for t in doc[:4]]
    if "-" not in words:
        return None
    return next((w for w in words[: words.index("-")] if w in SPORTS), None)


# The first-class cricket counties: clubs in a cricket article (general knowledge, not read off the data).
CRICKET_COUNTIES = frozenset(
    "Derbyshire Durham Essex Glamorgan Gloucestershire Hampshire Kent Lancashire Leicestershire Middlesex "
    "Northamptonshire Nottinghamshire Somerset Surrey Sussex Warwickshire Worcestershire Yorkshire".split()
)


def county_team(doc: Doc) -> Iterator[SpanTuple]:
    """In a cricket article, a first-class county ("Somerset", "SURREY") or the Minor Counties -> ORG."""
    if sport(doc) != "CRICKET":
        return
    for i, tok in enumerate(doc):
        word = tok.text.title()
        if word in CRICKET_COUNTIES:
            yield i, i + 1, "ORG"
        elif word == "Minor" and i + 1 < len(doc) and doc[i + 1].text.title() == "Counties":
            yield i, i + 2, "ORG"


# --- a company's short name -------------------------------------------------------------------------

# Words a company drops when the article names it again: "Commerce Bancshares Inc." -> "Commerce".
CORP_WORDS = frozenset(
    "Inc Inc. Corp Corp. Corporation Co Co. Company Cos Ltd Ltd. Group Holdings Holding International "
    "Industries Bancshares Bancorp Bancorporation".split()
)
# First words that name no company alone ("First Bank System Inc." is no "First").
ALIAS_STOP = frozenset(
    "The A First New American National General United International Royal Great North South East West "
    "Central Northern Southern Eastern Western Standard Federal Union State".split()
)


def company_aliases(span: Span, suffixes: frozenset, exclude: frozenset) -> List[Tuple[str, ...]]:
    """Shorter names of a company span that ends in a legal form or a corporate word: without them
    ("Ruch SA" -> "Ruch"), and its first word when that is left with more ("Jones Medical Industries
    Inc" -> "Jones Medical", "Jones"). Places, nationalities and generic first words are no alias."""
    words = [t.text for t in span]
    end = len(words)
    while end > 1 and (words[end - 1] in CORP_WORDS or words[end - 1].rstrip(".").lower() in suffixes):
        end -= 1
    core = words[:end]
    if end == len(words):  # no legal form or corporate word: the name is already short
        return []
    out = [tuple(core)]
    if len(core) >= 2 and core[1] not in ("&", "and", "of", "'s"):
        out.append((core[0],))
    return [
        a
        for a in out
        if (len(a) > 1 or a[0] not in ALIAS_STOP and len(a[0]) > 1) and " ".join(a).lower() not in exclude
    ]


def find_phrases(doc: Doc, phrases: Set[Tuple[str, ...]], max_len: int = 10) -> Iterator[Tuple[int, int]]:
    """Case-sensitive occurrences of `phrases` (token tuples), longest first, left to right without overlap,
    within a sentence and not starting with punctuation: skweak's gazetteer matching of a few short names."""
    if not phrases:
        return
    lengths = sorted({len(p) for p in phrases if len(p) <= max_len}, reverse=True)
    firsts = {p[0] for p in phrases}
    tokens = [t.text for t in doc]
    ends = sentence_ends(doc)
    i = 0
    while i < len(tokens):
        if tokens[i] in firsts and not doc[i].is_punct:
            length = next((n for n in lengths if i + n <= ends[i] and tuple(tokens[i : i + n]) in phrases), 0)
            if length:
                yield i, i + length
                i += length
                continue
        i += 1


def sentence_ends(doc: Doc) -> List[int]:
    """For each token, where its sentence ends (the next sentence start, or the end of the doc)."""
    out = [len(doc)] * len(doc)
    end = len(doc)
    for i in range(len(doc) - 1, -1, -1):
        out[i] = end
        if i > 0 and doc[i].is_sent_start:
            end = i
    return out


def org_alias(
    doc: Doc, seeds: Sequence[str], suffixes: frozenset, exclude: frozenset = frozenset()
) -> Iterator[SpanTuple]:
    """Where the article names a company of `seeds` (ORG ending in a legal form, "Ruch SA") by a shorter
    name ("40 percent of Ruch", "Commerce said") -> ORG. The shorter name must stand alone: not
    inside the full name, nor next to another capitalised word ("Commerce Department")."""
    aliases: Set[Tuple[str, ...]] = set()
    full: Set[int] = set()
    for name in seeds:
        for span in doc.spans.get(name, []):
            if span.label_ == "ORG":
                full.update(range(span.start, span.end))
                aliases.update(company_aliases(span, suffixes, exclude))
    for start, end in find_phrases(doc, aliases):
        if lone(doc, start, end) and not full.intersection(range(start, end)):
            yield start, end, "ORG"


# --- a person's surname -----------------------------------------------------------------------------


def surnames(doc: Doc, sources: Sequence[str]) -> Iterator[SpanTuple]:
    """Every lone occurrence of the last word of a multi-word PER span of `sources` -> PER.

    Lone: neither neighbour is a capitalised word (so "Geraghty said", not "Geraghty Ltd" or another
    full name). A word inside a multi-word name of another label in `sources` (ORG "Ford Motor Co") is
    left out.
    """
    last: Set[str] = set()
    other: Set[str] = set()
    for name in sources:
        for span in doc.spans.get(name, []):
            if span.label_ == "PER" and len(span) >= 2:
                last.add(span[-1].text)
            elif span.label_ != "PER" and len(span) >= 2:  # "Ford Motor Co"; a lone "Geraghty" ORG is the error fixed
                other.update(t.text for t in span)
    keep = {w for w in last - other if len(w) > 1 and not w.isupper() and is_name_word(w)}
    if not keep:
        return
    for i, tok in enumerate(doc):
        if tok.text in keep and lone(doc, i, i + 1):
            yield i, i + 1, "PER"


# --- the component ----------------------------------------------------------------------------------

GROUP = "doc_consistency_ner"  # where the NER's entities are read from, while the component runs
LABELS = ["ORG", "PER", "LOC", "MISC"]


def consistent_entities(
    doc: Doc, ents: Iterable[SpanTuple], labels: Sequence[str], legal_suffixes: frozenset, not_companies: frozenset
) -> List[SpanTuple]:
    """`ents` of a document with the document-level corrections applied: a correction replaces the
    entities it overlaps. Corrections with a label outside `labels` are left out."""
    ents = sorted(set(ents))
    doc.spans[GROUP] = [Span(doc, s, e, label=lab) for s, e, lab in ents]
    try:
        found: List[SpanTuple] = []
        if "ORG" in labels:
            found += org_alias(doc, [GROUP], legal_suffixes, not_companies)
            found += county_team(doc)
        if "PER" in labels:
            found += surnames(doc, [GROUP])
    finally:
        del doc.spans[GROUP]
    out = list(ents)
    for start, end, label in sorted(set(found)):
        out = [x for x in out if not (x[0] < end and start < x[1])] + [(start, end, label)]
    return sorted(out)


def make_doc_consistency(nlp: Language, name: str, labels: List[str]) -> "DocConsistency":
    """`labels`: what it may correct to; `initialize` narrows them to the labels of the pipeline's NER."""
    return DocConsistency(name, labels)


# The project (scripts.pipeline.components) and an installed package (en_weak_ner.components) hold copies
# of this file, and one process may import both (`predict en_weak_ner ...`): spaCy refuses a second,
# different function for a factory name (E004), so the first copy imported registers it.
if not Language.has_factory("doc_consistency"):
    Language.factory("doc_consistency", default_config={"labels": LABELS})(make_doc_consistency)


class DocConsistency:
    """The component: `doc.ents` made consistent across the document (see the module docstring)."""

    def __init__(self, name: str, labels: Sequence[str]):
        self.name, self.labels = name, list(labels)
        self.legal_suffixes: frozenset = frozenset()
        self.not_companies: frozenset = frozenset()
        self.output_labels: Optional[List[str]] = None  # None: every label passes (pipelines saved before)

    def initialize(self, get_examples=None, nlp: Optional[Language] = None, lexicons: Optional[str] = None):
        """The output labels: those of the training examples' entities (else the NER's); the labels it may
        correct to among them (an ORG-only model gets no PER surnames); `lexicons`: a JSON file
        {"legal_suffixes": company legal forms, "not_companies": places that are no company's short name}
        (build-gazetteers' doc_consistency.json), saved with the pipeline."""
        trained: Set[str] = set()
        if get_examples is not None:
            for eg in get_examples():
                trained.update(e.label_ for e in eg.reference.ents)
        if not trained and nlp is not None and "ner" in nlp.pipe_names:
            trained = set(getattr(nlp.get_pipe("ner"), "labels", ()))
        if trained:
            self.output_labels = sorted(trained)
            self.labels = [lab for lab in self.labels if lab in trained]
        if lexicons:
            data = srsly.read_json(lexicons)
            self.legal_suffixes = frozenset(s.lower() for s in data["legal_suffixes"])
            self.not_companies = frozenset(s.lower() for s in data["not_companies"])

    def __call__(self, doc: Doc) -> Doc:
        keep = self.output_labels
        ner = [(e.start, e.end, e.label_) for e in doc.ents if keep is None or e.label_ in keep]
        ents = consistent_entities(doc, ner, self.labels, self.legal_suffixes, self.not_companies)
        doc.ents = [Span(doc, s, e, label=lab) for s, e, lab in ents]
        return doc

    def to_disk(self, path, exclude=tuple()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        data = {"labels": self.labels, "output_labels": self.output_labels}
        data |= {"legal_suffixes": sorted(self.legal_suffixes), "not_companies": sorted(self.not_companies)}
        srsly.write_json(path / "lexicons.json", data)

    def from_disk(self, path, exclude=tuple()) -> "DocConsistency":
        data: Dict = srsly.read_json(Path(path) / "lexicons.json")
        self.labels = list(data["labels"])
        self.output_labels = data.get("output_labels")
        self.legal_suffixes = frozenset(data["legal_suffixes"])
        self.not_companies = frozenset(data["not_companies"])
        return self
