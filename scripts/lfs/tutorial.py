"""The 23 ORG labelling functions of the Argilla + skweak tutorial ("Train a NER model with skweak").

Each function takes a spaCy Doc (one CoNLL sentence) and yields (start, end, label) token spans.
Kept faithful to the tutorial, with its bugs fixed (each fix is tested in tests/test_lfs_tutorial.py):

- title_detector: the tutorial's `elif start:` is false when the keyword is token 0, so a span
  starting the sentence ("Federal Reserve Board said ...") was lost; its `start + 2 != idx` check
  dropped exactly the two-word spans ("Kia Corp") and emitted the bare keyword when no capitalised
  word followed ("Corp said" -> "Corp"); a run reaching the sentence edge ("... Caltex Petroleum
  Corp" as a headline) was never emitted.
"""

import re
from functools import partial
from typing import Iterator

from spacy.attrs import ORTH
from spacy.strings import get_string_id
from spacy.tokens import Doc

from ..corpus.labels import SpanTuple
from .names import token_strings
from .registry import labelling_function

# Keywords that start (resp. end) a capitalised ORG name, as in the tutorial.
TITLE_START = ["Federal", "National", "New", "United", "First", "U.N."]
TITLE_END = [
    "Inc",
    "Group",
    "Council",
    "Party",
    "Department",
    "Army",
    "Association",
    "Organisation",
    "Ltd",
    "Corp",
    "Exchange",
    "Newsroom",
    "Bureau",
    "Corporation",
]
SHIRE_RE = re.compile(r"[A-Z][a-z]*shire")


def sports_results(doc: Doc) -> Iterator[SpanTuple]:
    """A title-case word followed only by numbers: a team in a results table.

    "Loznica 4 2 0 2 7 4 6", "Berwick 3 0 0 3 1 14 0" -> the first token is ORG.
    """
    if len(doc) < 2:
        return
    first = doc[0].text
    if first.isalpha() and first.istitle() and all(t.text.isdigit() for t in doc[1:]):
        yield 0, 1, "ORG"


def sports_match(doc: Doc) -> Iterator[SpanTuple]:
    """Two title-case teams, each followed by its score: "Bournemouth 1 Peterborough 2"."""
    if len(doc) != 4:
        return
    if doc[0].text.istitle() and doc[1].text.isdigit() and doc[2].text.istitle() and doc[3].text.isdigit():
        yield 0, 1, "ORG"
        yield 2, 3, "ORG"


def title_detector(doc: Doc, keyword: str, label: str = "ORG", reverse: bool = False) -> Iterator[SpanTuple]:
    """A run of title-case words that starts (or, with reverse, ends) with `keyword`.

    The span holds the keyword and at least one more title-case word:
    "U.N. Security Council" (start keyword U.N.), "Caltex Petroleum Corp" (end keyword Corp).
    """
    # most sentences hold none of the 20 keywords: a count of the word ids (compiled) instead of a pass
    # over the tokens in Python, once per keyword
    if get_string_id(keyword) not in doc.count_by(ORTH):
        return
    words = token_strings(doc)
    n = len(words)
    order = range(n - 1, -1, -1) if reverse else range(n)
    start = None  # position (in reading order of `order`) of the keyword
    length = 0  # tokens in the current run, keyword included
    for i in order:
        text = words[i]
        if start is not None and text.istitle() and text != keyword:
            length += 1
            continue
        if start is not None and length >= 2:
            yield _as_span(start, length, reverse, label)
        start, length = (i, 1) if text == keyword else (None, 0)
    if start is not None and length >= 2:
        yield _as_span(start, length, reverse, label)


def _as_span(first: int, length: int, reverse: bool, label: str) -> SpanTuple:
    return (first - length + 1, first + 1, label) if reverse else (first, first + length, label)


def shire_team(doc: Doc) -> Iterator[SpanTuple]:
    """Tokens matching [A-Z][a-z]*shire: county cricket teams ("Derbyshire", "Hampshire")."""
    for match in SHIRE_RE.finditer(doc.text):
        span = doc.char_span(*match.span(), alignment_mode="strict")
        if span is not None:
            yield span.start, span.end, "ORG"


# The tutorial's 23 ORG functions: sports tables, keyword-anchored titles, -shire teams (shire_team is also in
# the full preset: one function in both).
labelling_function("sports_results", ["ORG"])(sports_results)
labelling_function("sports_match", ["ORG"])(sports_match)
for _keyword in TITLE_START:
    labelling_function(f"{_keyword} (start)", ["ORG"])(partial(title_detector, keyword=_keyword, reverse=False))
for _keyword in TITLE_END:
    labelling_function(f"{_keyword} (end)", ["ORG"])(partial(title_detector, keyword=_keyword, reverse=True))
labelling_function("shire_team", ["ORG"], ("doc_vote", "doc_seed"))(shire_team)
