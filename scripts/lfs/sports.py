"""Labelling functions for sports results, the structures news-wire prints most: tables, score lines,
fixtures, athletes with their country. Each takes a spaCy Doc (one sentence) and yields (start,
end, label) token spans; `team_positions` tells the model and gazetteer functions where a club is.
"""

import re
from functools import partial
from typing import Iterator, List, Sequence, Tuple

from skweak.heuristics import FunctionAnnotator
from spacy.tokens import Doc

from ..corpus.labels import SpanTuple
from .names import is_name_word, is_number, is_table_value, strip_function_words, token_strings
from .registry import factory, labelling_function


def _paren_end(doc: Doc, i: int) -> int:
    """If doc[i] opens a short parenthesis ("( B )", "( Germany )"), the index after it; else i."""
    if i < len(doc) and doc[i].text == "(":
        for j in range(i + 1, min(i + 5, len(doc))):
            if doc[j].text == ")":
                return j + 1
    return i


def _team(doc: Doc, i: int, max_words: int = 4) -> int:
    """End of a team name starting at i: name words, then a short code in parentheses that CoNLL counts
    as part of the name ("Radnicki ( N )", "Mladost ( BJ )"); i if none."""
    j = i
    while j < len(doc) and j - i < max_words and is_name_word(doc[j].text):
        j += 1
    if j > i and j + 2 < len(doc) and doc[j].text == "(" and doc[j + 2].text == ")":
        code = doc[j + 1].text
        if code.isupper() and code.isalpha() and len(code) <= 3:
            j += 3
    return j


def sports_table_row(doc: Doc, first_names: frozenset = frozenset()) -> Iterator[SpanTuple]:
    """A row of a results table: a name, then only numbers ("Kansas City 61 74 .452 20",
    "TEXAS 75 58 .564 -", "Zeleznik ( B ) 4 1 0 3 4 7 3") -> ORG. At least two values must follow.

    Rows of golfers or athletes ("Colin Montgomerie 66 67", "J. Adams 4 0") start with a first
    name or an initial and are left out.
    """
    j = _team(doc, 0)
    if j > 1 and (doc[0].text in first_names or re.match(r"^[A-Z]\.$", doc[0].text)):
        return
    rest = [t.text for t in doc[_paren_end(doc, j) :]]
    if 0 < j and len(rest) >= 2 and all(is_table_value(t) for t in rest) and any(is_number(t) for t in rest):
        yield 0, j, "ORG"


def sports_score_line(doc: Doc) -> Iterator[SpanTuple]:
    """Two teams, each followed by its score: "Bayern Munich 2 Hamburg 1", "MILWAUKEE 5 Minnesota 4 ( in 12 )",
    "Zemun 1 Rad ( B ) 0" -> two ORG. Countries in parentheses ("Alba ( Germany ) 75") are skipped."""
    a_end = _team(doc, 0)
    i = _paren_end(doc, a_end)
    if a_end == 0 or i >= len(doc) or not doc[i].text.isdigit():
        return
    b_start = i + 1
    b_end = _team(doc, b_start)
    k = _paren_end(doc, b_end)
    if b_end == b_start or k >= len(doc) or not doc[k].text.isdigit():
        return
    if _paren_end(doc, k + 1) != len(doc) and k + 1 != len(doc):
        return
    yield 0, a_end, "ORG"
    yield b_start, b_end, "ORG"


def fixture_at(doc: Doc) -> Iterator[SpanTuple]:
    """A baseball fixture in capitals: "BOSTON AT OAKLAND" -> the visitors ORG, the venue LOC (as CoNLL has it)."""
    words = token_strings(doc)
    if "AT" not in words:
        return
    i = words.index("AT")
    if 0 < i < len(words) - 1 and all(w.isupper() and w.replace(".", "").isalpha() for w in words[:i] + words[i + 1 :]):
        yield 0, i, "ORG"
        yield i + 1, len(words), "LOC"


def fixture(doc: Doc, countries: frozenset = frozenset()) -> Iterator[SpanTuple]:
    """A fixture: "East Fife v Clydebank", "St Johnstone v Hearts" -> ORG, unless the side is a country
    (national teams are LOC in CoNLL: "England v Pakistan")."""
    for i, tok in enumerate(doc):
        if tok.text not in ("v", "vs", "vs."):
            continue
        k = i
        while k > 0 and i - k < 4 and is_name_word(doc[k - 1].text):
            k -= 1
        j = _team(doc, i + 1)
        if k < i and j > i + 1:
            for start, end in ((k, i), (i + 1, j)):
                if doc[start:end].text.lower() not in countries:
                    yield start, end, "ORG"


def name_with_country(doc: Doc) -> Iterator[SpanTuple]:
    """Athletes in results: "Michael Johnson ( U.S. ) 19.32" -> PER "Michael Johnson", LOC "U.S."."""
    n = len(doc)
    for i in range(n - 2):
        if doc[i].text != "(":
            continue
        j = i + 1
        while j < n and j - i <= 3 and is_name_word(doc[j].text):
            j += 1
        if j == i + 1 or j >= n or doc[j].text != ")":
            continue
        k = i
        while k > 0 and i - k < 4 and is_name_word(doc[k - 1].text):
            k -= 1
        if k == i:
            continue
        k = strip_function_words(doc, k, i)
        ranked = i - k == 1 and k > 0 and is_number(doc[k - 1].text.rstrip(".")) and not doc[k].text.isupper()
        if i - k >= 2 or ranked:  # "Michael Johnson ( U.S. )" or "3. Johnson ( U.S. )"
            yield k, i, "PER"
            yield i + 1, j, "LOC"


def team_positions(
    doc: Doc, first_names: frozenset = frozenset(), countries: frozenset = frozenset()
) -> List[Tuple[int, int]]:
    """Where a sports structure names a club: the teams of a table row, a score line or a fixture that are
    not countries (national teams are LOC in CoNLL). Other functions read this to stop calling a club
    named after its city a place ("Arbroath 4 2 0 2", "Florida 10 ST LOUIS 9")."""
    spans = [*sports_table_row(doc, first_names), *sports_score_line(doc), *fixture(doc, countries)]
    spans += [s for s in fixture_at(doc) if s[2] == "ORG"]
    return sorted({(s, e) for s, e, _ in spans if doc[s:e].text.lower() not in countries})


def relabel_teams(
    spans: Sequence[SpanTuple], teams: Sequence[Tuple[int, int]], labels: Sequence[str] = ("LOC", "PER")
) -> List[SpanTuple]:
    """Spans with one of `labels` that overlap a team position become that team, as ORG; others are kept."""
    out = []
    for s, e, label in spans:
        team = next(((ts, te) for ts, te in teams if ts < e and s < te), None)
        out.append((*team, "ORG") if team and label in labels else (s, e, label))
    return list(dict.fromkeys(out))


def team_positions_of(ctx):
    """`team_positions` with the lexicons' first names and countries, computed once per doc of a chunk (the
    model and gazetteer functions all read it); None without ORG."""
    if "ORG" not in ctx.labels:
        return None
    return ctx.per_doc(
        "team_positions", lambda: partial(team_positions, first_names=ctx.first_names(), countries=ctx.countries())
    )


# The sports functions: tables, score lines, fixtures, athletes with their country.
factory("sports_table_row", ["ORG"], ("doc_vote", "doc_seed"))(
    lambda c: FunctionAnnotator("sports_table_row", partial(sports_table_row, first_names=c.first_names()))
)
factory("fixture", ["ORG"], ("doc_vote", "doc_seed"))(
    lambda c: FunctionAnnotator("fixture", partial(fixture, countries=c.places("places")))
)
labelling_function("fixture_at", ["ORG", "LOC"], ("doc_vote",))(fixture_at)
labelling_function("sports_score_line", ["ORG"], ("doc_vote", "doc_seed"))(sports_score_line)
labelling_function("name_with_country", ["PER", "LOC"], ("doc_vote", "doc_seed", "doc_surname"))(name_with_country)
