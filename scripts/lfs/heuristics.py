"""Heuristic labelling functions for the structure of Reuters news-wire (CoNLL 2003): datelines, bylines,
titles before names, organisation, club and event words, leagues and indices, legal forms.

Each function takes a spaCy Doc (one CoNLL sentence) and yields (start, end, label) token spans.
They use the surface form only (no model): capitalisation, numbers, punctuation and a few cue words.
Sports structures are in `sports`, organisations named by their context in `context`.
"""

import re
from functools import partial
from typing import Dict, Iterator, List, Sequence, Tuple

from skweak.heuristics import FunctionAnnotator
from spacy.tokens import Doc

from ..corpus.labels import SpanTuple
from .names import is_name_word, name_runs, strip_function_words, token_strings
from .registry import factory, labelling_function

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


PERSON_TITLES = frozenset(
    "Mr Mr. Mrs Mrs. Ms Ms. Dr Dr. Sir Lady Lord President Premier Minister Chancellor Senator Sen. Rep. "
    "Governor Gov. King Queen Prince Princess Pope Judge Justice General Gen. Colonel Col. Major Captain "
    "Capt. Lieutenant Sergeant Sgt. Commander Ambassador Secretary Spokesman spokesman spokeswoman Chairman "
    "chairman Director director Professor Prof. Rev. Reverend Father Sheikh Archbishop Bishop Cardinal "
    "coach striker midfielder defender goalkeeper captain manager forward batsman bowler rider driver "
    "champion seed compatriot teammate veteran leader minister president premier actor singer author".split()
)


ORG_END = frozenset(
    "Inc Inc. Corp Corp. Corporation Co Co. Ltd Ltd. Plc PLC plc Group Holdings Bank Bancorp Airlines Airways "
    "Party Council Association Union Commission Committee Ministry Agency Federation Institute University "
    "College Club Board Bureau Organisation Organization Department Office Authority Exchange Fund Trust "
    "Securities Capital Partners Industries Motors Systems Technologies Communications Telecom Television "
    "Newspaper Times Post Journal Herald News Press Front Army Navy Police Court Parliament Assembly "
    "Congress Senate Cabinet Foundation Society League Institute Reserve Church Movement".split()
)


ORG_START = frozenset("Bank University Ministry Council Bureau Association Federation Union".split())


# Football clubs: "Norwich City" is a city, "Blackburn Rovers" and "Real Madrid" are clubs.
CLUB_END = frozenset("United Rovers Athletic Athletico Wanderers Albion Hotspur FC Dynamo Sporting Olympique".split())


CLUB_START = frozenset("Real Dynamo Dinamo Sporting Olympique Inter Atletico Athletic Borussia Racing".split())


MISC_END = frozenset(
    "Cup Open Championship Championships Games Olympics Grand Prix Prize Trophy Tour Classic Masters "
    "Award Awards War Act Treaty Accord Agreement Derby Marathon Series Rally".split()
)


def dateline(doc: Doc) -> Iterator[SpanTuple]:
    """The dateline that opens an article: "BRUSSELS 1996-08-22", "SAO PAULO 1996-08-22" -> LOC."""
    n = len(doc)
    if n < 2 or not DATE_RE.match(doc[n - 1].text):
        return
    words = [t.text for t in doc[: n - 1]]
    if words and all(w.isupper() or w == "," for w in words) and words[0] != ",":
        start = 0
        for i, w in enumerate(words + [","]):
            if w == ",":
                if i > start:
                    yield start, i, "LOC"
                start = i + 1


def newsroom_byline(doc: Doc) -> Iterator[SpanTuple]:
    """The byline that closes an article: "-- Brussels Newsroom +32 2 287 6800" -> ORG "Brussels Newsroom"."""
    for i, tok in enumerate(doc):
        if tok.text == "Newsroom" and i > 0:
            k = i
            while k > 0 and is_name_word(doc[k - 1].text):
                k -= 1
            if k < i:
                yield k, i + 1, "ORG"


def person_title(doc: Doc) -> Iterator[SpanTuple]:
    """A title or role, then a name: "Mr Fischler", "President Bill Clinton", "striker Alan Shearer" -> PER.

    The name must not be followed by "of" (President of France) and is at most three words.
    """
    n = len(doc)
    i = 0
    while i < n - 1:
        if doc[i].text in PERSON_TITLES and is_name_word(doc[i + 1].text) and doc[i + 1].text not in PERSON_TITLES:
            j = i + 1
            while j < n and j - i <= 3 and is_name_word(doc[j].text) and not doc[j].text.isupper():
                j += 1
            if j > i + 1 and (j >= n or doc[j].text != "of") and not doc[i + 1].text.isupper():
                yield i + 1, j, "PER"
            i = j
        else:
            i += 1


def org_keyword(doc: Doc) -> Iterator[SpanTuple]:
    """A name run ending in an organisation word ("Bundesbank" no; "Deutsche Bank", "Labour Party") or
    starting with one followed by "of" ("Bank of England") -> ORG."""
    leagues = None  # league_or_index's spans, found only for a run that ends like a league
    for start, end in name_runs(doc, connectors=True):
        start = strip_function_words(doc, start, end)
        if end - start < 2:
            continue
        if doc[end - 1].text.title() in LEAGUE_END:  # "American League" is a competition (MISC)
            leagues = {(s, e) for s, e, _ in league_or_index(doc)} if leagues is None else leagues
            if (start, end) in leagues:
                continue
        if doc[end - 1].text in ORG_END or (doc[start].text in ORG_START and doc[start + 1].text == "of"):
            yield start, end, "ORG"


def club_keyword(doc: Doc) -> Iterator[SpanTuple]:
    """A football club: a name run ending or starting with a club word ("Blackburn Rovers", "Real Madrid",
    "Dynamo Kiev") -> ORG. Runs in capitals (headlines) are left to the models."""
    for start, end in name_runs(doc):
        start = strip_function_words(doc, start, end)
        if end - start < 2 or doc[start:end].text.isupper():
            continue
        if doc[end - 1].text in CLUB_END or doc[start].text in CLUB_START:
            yield start, end, "ORG"


def misc_keyword(doc: Doc) -> Iterator[SpanTuple]:
    """A name run ending in an event word: "World Cup", "U.S. Open", "Tour de France" no -> MISC."""
    for start, end in name_runs(doc):
        start = strip_function_words(doc, start, end)
        if end - start >= 2 and doc[end - 1].text in MISC_END and not doc[start:end].text.isupper():
            yield start, end, "MISC"


# Sports competitions and market figures that CoNLL tags MISC, where the models say ORG: leagues and
# their divisions ("American League", "EASTERN DIVISION"), stock indices ("Dow Jones", "Nikkei") and
# time zones ("GMT"). General news-wire knowledge, not lists read off the data.
LEAGUE_END = frozenset("League Division Conference".split())


LEAGUE_START = frozenset(
    "American National Major Premier Scottish English Rugby Football Baseball Hockey Basketball Super "
    "Eastern Western Central Northern Southern Atlantic Pacific Midwest First Second Third".split()
)


INDICES = (
    ("Dow", "Jones"),
    ("Dow",),
    ("Nasdaq",),
    ("Nikkei",),
    ("FTSE", "100"),
    ("FTSE",),
    ("Footsie",),
    ("DAX",),
    ("CAC-40",),
    ("CAC", "40"),
    ("Hang", "Seng"),
    ("Topix",),
    ("TOPIX",),
    ("S&P", "500"),
    ("Bovespa",),
    ("Merval",),
    ("Sensex",),
    ("Dow", "Jones", "Industrial", "Average"),
)


# The index names by first word, the longest first: "Dow Jones Industrial Average" before "Dow Jones", "Dow".
INDICES_BY_FIRST: Dict[str, List[Tuple[str, ...]]] = {}
for _index in sorted(INDICES, key=len, reverse=True):
    INDICES_BY_FIRST.setdefault(_index[0], []).append(_index)


# Words after an index name that still belong to the index ("Nikkei average"), not to a company ("Dow Chemical").
INDEX_AFTER = frozenset("Industrial Industrials Average Index Composite Transportation Utilities".split())


TIME_ZONES = frozenset("GMT EST EDT CET BST".split())


def league_or_index(doc: Doc) -> Iterator[SpanTuple]:
    """A sports league or division ("American League", "National League", "MAJOR LEAGUE", "WESTERN
    DIVISION"), a stock index ("Dow Jones", "Nasdaq", "FTSE 100") or a time zone ("GMT") -> MISC.
    Leagues that are organisations ("Arab League", "National League for Democracy") and companies
    named like an index ("Dow Chemical", "Dow Jones & Co") are left out."""
    words = token_strings(doc)
    n = len(words)
    for start, end in name_runs(doc):
        start = strip_function_words(doc, start, end)
        if end - start < 2 or words[end - 1].title() not in LEAGUE_END or (end < n and words[end] in ("of", "for")):
            continue
        if doc[start:end].text.isupper() or words[start] in LEAGUE_START:
            yield start, end, "MISC"
    i = 0
    while i < n:
        if words[i] in TIME_ZONES:
            yield i, i + 1, "MISC"
        for index in INDICES_BY_FIRST.get(words[i], ()):
            j = i + len(index)
            if tuple(words[i:j]) != index:
                continue
            nxt = words[j] if j < n else ""
            if nxt in ("&", "Co", "Co.") or (is_name_word(nxt) and nxt not in INDEX_AFTER):
                break
            yield i, j, "MISC"
            i = j - 1
            break
        i += 1


def legal_suffix(doc: Doc, suffixes: Sequence[str]) -> Iterator[SpanTuple]:
    """A name run ending in a company legal form from the gazetteer: "Siemens AG", "Fiat SpA" -> ORG."""
    lower = {s.lower() for s in suffixes}
    for start, end in name_runs(doc, connectors=True):
        start = strip_function_words(doc, start, end)
        if end - start >= 2 and doc[end - 1].text.rstrip(".").lower() in lower and not doc[start:end].text.isupper():
            yield start, end, "ORG"


# News-wire structure: datelines, bylines, titles before names, organisation and event keywords, legal forms.
labelling_function("dateline", ["LOC"], ("doc_vote", "doc_seed"))(dateline)
labelling_function("newsroom_byline", ["ORG"], ("doc_vote", "doc_seed"))(newsroom_byline)
labelling_function("person_title", ["PER"], ("doc_vote", "doc_seed", "doc_surname"))(person_title)
labelling_function("org_keyword", ["ORG"], ("doc_vote",))(org_keyword)
labelling_function("club_keyword", ["ORG"], ("doc_vote", "doc_seed"))(club_keyword)
labelling_function("misc_keyword", ["MISC"], ("doc_seed",))(misc_keyword)
labelling_function("league_or_index", ["MISC"], ("doc_vote", "doc_seed"))(league_or_index)


@factory("legal_suffix", ["ORG"], ("doc_vote", "doc_seed", "doc_company"))
def _legal_suffix(ctx):
    suffixes = ctx.lexicon("legal_suffixes")["suffixes"]
    return FunctionAnnotator("legal_suffix", partial(legal_suffix, suffixes=suffixes))
