"""Heuristic labelling functions for the structure of Reuters news-wire (CoNLL 2003).

Each function takes a spaCy Doc (one CoNLL sentence) and yields (start, end, label) token spans.
They use the surface form only (no model): capitalisation, numbers, punctuation and a few cue words.
"""

import re
from typing import Dict, Iterator, List, Sequence, Tuple

from spacy.tokens import Doc

from ..corpus.labels import SpanTuple

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMBER_RE = re.compile(r"^[-+]?(\d+([.,:/-]\d+)*|\.\d+)[%]?$")
# Words that start a sentence in capitals without being a name.
FUNCTION_WORDS = frozenset(
    "A An The This That These Those It Its He She They We I You His Her Their Our In On At Of For By With From "
    "To But And Or If When While After Before As So Not No Yes There Here What Who Which Why How All Some Any "
    "Mr Mrs Ms Dr Former".split()
)
MONTHS_DAYS = frozenset(
    "January February March April May June July August September October November December Jan Feb Mar Apr Jun Jul "
    "Aug Sep Sept Oct Nov Dec Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
)
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
CONNECTORS = frozenset({"of", "for", "de", "du", "der", "von", "van", "la", "&"})


def is_name_word(text: str) -> bool:
    """A word that can be part of a name: "Fischler", "U.S.", "McDonald", "O'Neill", "AC"."""
    if not text[:1].isupper():
        return False
    return any(c.isalpha() for c in text) and not NUMBER_RE.match(text)


def name_runs(doc: Doc, connectors: bool = False) -> List[Tuple[int, int]]:
    """Maximal runs of name words, optionally joined by connectors ("Bank of England")."""
    runs, i, n = [], 0, len(doc)
    while i < n:
        if not is_name_word(doc[i].text):
            i += 1
            continue
        j = i + 1
        while j < n:
            if is_name_word(doc[j].text):
                j += 1
            elif connectors and doc[j].text in CONNECTORS and j + 1 < n and is_name_word(doc[j + 1].text):
                j += 2
            else:
                break
        runs.append((i, j))
        i = j
    return runs


def _strip_function_words(doc: Doc, start: int, end: int) -> int:
    while start < end and doc[start].text in FUNCTION_WORDS:
        start += 1
    return start


def is_number(text: str) -> bool:
    return bool(NUMBER_RE.match(text))


def is_table_value(text: str) -> bool:
    """A cell of a results table: a number, a score ("133-5", "10-0-43-2") or an empty cell ("-")."""
    return is_number(text) or text in ("-", "--") or bool(re.match(r"^\d+(-\d+)+$", text))


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
    words = [t.text for t in doc]
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
        k = _strip_function_words(doc, k, i)
        ranked = i - k == 1 and k > 0 and is_number(doc[k - 1].text.rstrip(".")) and not doc[k].text.isupper()
        if i - k >= 2 or ranked:  # "Michael Johnson ( U.S. )" or "3. Johnson ( U.S. )"
            yield k, i, "PER"
            yield i + 1, j, "LOC"


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
        start = _strip_function_words(doc, start, end)
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
        start = _strip_function_words(doc, start, end)
        if end - start < 2 or doc[start:end].text.isupper():
            continue
        if doc[end - 1].text in CLUB_END or doc[start].text in CLUB_START:
            yield start, end, "ORG"


def misc_keyword(doc: Doc) -> Iterator[SpanTuple]:
    """A name run ending in an event word: "World Cup", "U.S. Open", "Tour de France" no -> MISC."""
    for start, end in name_runs(doc):
        start = _strip_function_words(doc, start, end)
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
    words = [t.text for t in doc]
    n = len(words)
    for start, end in name_runs(doc):
        start = _strip_function_words(doc, start, end)
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
        start = _strip_function_words(doc, start, end)
        if end - start >= 2 and doc[end - 1].text.rstrip(".").lower() in lower and not doc[start:end].text.isupper():
            yield start, end, "ORG"


# --- Organisations named by their context -------------------------------------------------------------

# News agencies and broadcasters that a wire service cites (general knowledge, not read off the data).
NEWS_AGENCIES = frozenset(
    "Reuters AFP Interfax Itar-Tass ITAR-TASS Tass TASS ANSA Xinhua Kyodo Jiji Bernama Antara PTI MENA IRNA "
    "Tanjug BTA CTK PAP KCNA Yonhap Anatolian MTI WAFA Sapa EFE Notimex UPI Bloomberg CNN BBC CNBC".split()
)
# Lower-case words around the name of a newspaper, agency or broadcaster ("the daily Le Monde",
# "Interfax news agency").
MEDIA_WORDS = frozenset("newspaper daily weekly paper magazine agency radio television broadcaster tabloid".split())
# Lower-case roles that someone holds in an organisation or a team: "Ericsson spokesman Per
# Zetterquist", "Deportivo chairman Augusto Lendoiro", "Norwich striker Keith O'Neill".
ORG_ROLES = frozenset(
    "spokesman spokeswoman chairman chairwoman CEO executive director manager coach striker midfielder "
    "defender goalkeeper keeper forward winger playmaker captain shortstop pitcher outfielder quarterback "
    "president vice-president chief boss official analyst economist trader dealer shareholder owner founder "
    "secretary-general treasurer".split()
)
# Lower-case words that introduce a sports team: "French first division side Nice", "Belgian club Standard Liege".
TEAM_BEFORE = frozenset("club side team outfit".split())
# Acronym connectors that take no letter: "Organisation for Security and Cooperation in Europe ( OSCE )".
ACRONYM_SKIP = frozenset("of for and the in on de du des la le del di & 's".split())


def _run_after(doc: Doc, i: int, max_words: int = 4) -> int:
    """End of the name run starting at i (name words, "of"/"de"/"&" inside it); i if doc[i] is no name word."""
    j = i
    while j < len(doc) and j - i < max_words:
        if is_name_word(doc[j].text):
            j += 1
        elif j > i and doc[j].text in CONNECTORS and j + 1 < len(doc) and is_name_word(doc[j + 1].text):
            j += 2
        else:
            break
    return j


def _run_before(doc: Doc, i: int, max_words: int = 4) -> int:
    """Start of the run of name words that ends just before i; i if none."""
    k = i
    while k > 0 and i - k < max_words and is_name_word(doc[k - 1].text):
        k -= 1
    return k


def _excluded(doc: Doc, start: int, end: int, exclude: frozenset) -> bool:
    """The run is a place or a nationality (lower-cased in `exclude`), or its first word is one ("Russian Foreign"),
    or it is no name: a month or a day ("December bonds"), an adjective such as "Dublin-born", "Blue-chip"."""
    first = doc[start].text
    if first in MONTHS_DAYS or "-" in first and first.split("-")[-1].islower():
        return True
    return doc[start:end].text.lower() in exclude or first.lower() in exclude


def news_agency(doc: Doc, exclude: frozenset = frozenset()) -> Iterator[SpanTuple]:
    """A news agency or broadcaster: one of NEWS_AGENCIES ("Reuters", "Interfax"), or a name next to a media
    word ("the daily Le Monde", "the Al-Ahram newspaper", "news weekly Der Spiegel") -> ORG.
    Places and nationalities are no names here ("Iraqi news agency INA" gives "INA" only)."""
    found = set()
    for i, tok in enumerate(doc):
        if tok.text in NEWS_AGENCIES:
            found.add((i, i + 1))
        if tok.text in MEDIA_WORDS and i + 1 < len(doc):
            j = _run_after(doc, i + 1)
            # a name in capitals is a headline, unless it is one acronym ("news agency INA")
            if (
                j > i + 1
                and not _excluded(doc, i + 1, j, exclude)
                and (j == i + 2 or not doc[i + 1 : j].text.isupper())
            ):
                found.add((i + 1, j))
        if tok.text in MEDIA_WORDS and i > 0:
            end = i - 1 if doc[i - 1].text == "news" else i  # "Interfax news agency"
            k = _strip_function_words(doc, _run_before(doc, end), end)
            if k < end and not _excluded(doc, k, end, exclude) and not doc[k:end].text.isupper():
                found.add((k, end))
    for start, end in sorted(found):
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e in found):
            yield start, end, "ORG"


def org_role(doc: Doc, exclude: frozenset = frozenset()) -> Iterator[SpanTuple]:
    """A name, a lower-case role in an organisation, then a person: "Ericsson spokesman Per Zetterquist",
    "Cofinec CEO Stephen Frater", "Norwich striker Keith O'Neill" -> ORG for the first name.
    Countries and nationalities hold roles too ("Russian President Boris Yeltsin") and are left out,
    as are names in capitals (headlines)."""
    for i in range(1, len(doc) - 1):
        if doc[i].text not in ORG_ROLES or not is_name_word(doc[i + 1].text):
            continue
        k = _strip_function_words(doc, _run_before(doc, i), i)
        if k < i and not _excluded(doc, k, i, exclude) and not doc[k:i].text.isupper():
            yield k, i, "ORG"


def team_cue(doc: Doc, exclude: frozenset = frozenset()) -> Iterator[SpanTuple]:
    """A lower-case team word, then a name: "division side Nice", "Belgian club Standard Liege" -> ORG
    (a country after it is a national team, LOC in CoNLL, and is left out)."""
    for i, tok in enumerate(doc[:-1]):
        if tok.text in TEAM_BEFORE:
            j = _run_after(doc, i + 1, max_words=3)
            if j > i + 1 and not _excluded(doc, i + 1, j, exclude) and not doc[i + 1 : j].text.isupper():
                yield i + 1, j, "ORG"


def _initials(words: Sequence[str]) -> str:
    return "".join(w[0].upper() for w in words if w not in ACRONYM_SKIP)


def acronym_in_parens(doc: Doc, exclude: frozenset = frozenset()) -> Iterator[SpanTuple]:
    """A long name and its acronym in parentheses: "Kurdistan Democratic Party ( KDP )", "Organisation for
    Security and Cooperation in Europe ( OSCE )" -> ORG for both. The initials of the long name's words
    (connectors skipped) must spell the acronym; places are left out ("United Arab Emirates ( UAE )")."""
    for i in range(1, len(doc) - 2):
        if doc[i].text != "(" or doc[i + 2].text != ")":
            continue
        acronym = doc[i + 1].text.replace(".", "")
        if not (2 <= len(acronym) <= 8 and acronym.isupper() and acronym.isalpha()):
            continue
        for k in range(i - 1, max(-1, i - 12), -1):  # the shortest long name whose initials spell it
            word = doc[k].text
            if not (is_name_word(word) or word in ACRONYM_SKIP):
                break
            if is_name_word(word) and _initials([t.text for t in doc[k:i]]) == acronym:
                if not _excluded(doc, k, i, exclude) and doc[i - 1].text not in MISC_END:
                    yield k, i, "ORG"
                    yield i + 1, i + 2, "ORG"
                break


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


# Words after a company name in business news ("Pirelli shares rose", "Magna 's stock") and phrases before
# one ("shares of Jones", "a stake in Petofi", "takeover of Boatmen").
COMPANY_AFTER = frozenset("shares stock stocks shareholders stake subsidiary unit GDRs ADRs bonds".split())
COMPANY_BEFORE = (
    ("shares", "of"),
    ("shares", "in"),
    ("stake", "in"),
    ("bid", "for"),
    ("takeover", "of"),
    ("merger", "with"),
    ("acquisition", "of"),
    ("unit", "of"),
    ("subsidiary", "of"),
    ("acquire",),
    ("acquired",),
    ("buy", "out"),
)
COMPANY_BEFORE_BY_WORD: Dict[str, List[Tuple[str, ...]]] = {}
for _cue in COMPANY_BEFORE:
    COMPANY_BEFORE_BY_WORD.setdefault(_cue[0], []).append(_cue)


def company_cue(doc: Doc, exclude: frozenset = frozenset()) -> Iterator[SpanTuple]:
    """A company named by the business around it: "Pirelli shares reacted", "Magna 's stock", "shares of Jones
    Medical", "a stake in Ruch" -> ORG. Places, cities and nationalities are left out: "Tokyo shares",
    "German stocks" name markets."""
    words = [t.text for t in doc]
    n = len(words)
    found = set()
    for i, word in enumerate(words):
        if word in COMPANY_AFTER and i > 0:
            end = i - 1 if words[i - 1] == "'s" else i
            k = _strip_function_words(doc, _run_before(doc, end), end)
            if k < end and not _excluded(doc, k, end, exclude) and not doc[k:end].text.isupper():
                found.add((k, end))
        for cue in COMPANY_BEFORE_BY_WORD.get(word, ()):
            j = i + len(cue)
            if j < n and tuple(words[i:j]) == cue:
                e = _run_after(doc, j)
                if e > j and not _excluded(doc, j, e, exclude) and not doc[j:e].text.isupper():
                    found.add((j, e))
    for start, end in sorted(found):
        yield start, end, "ORG"


def place_nickname(doc: Doc, places: frozenset = frozenset()) -> Iterator[SpanTuple]:
    """A city or US state, then a capitalised plural nickname: "Minnesota Twins", "Seattle Mariners", "Kansas
    City Royals", "Chicago White Sox" -> ORG (North American clubs). `places` holds lower-cased cities and
    states; events ("Atlanta Olympics", "Sydney Games"), names in capitals, a place inside a longer name
    ("North American Equity Services") and a possessive ("Toronto Bond Traders ' Association") are left out."""
    n = len(doc)
    i = 0
    while i < n:
        # the cheap tests first: most words are not capitalised
        if not doc[i].text[:1].isupper() or doc[i].text.isupper() or (i > 0 and is_name_word(doc[i - 1].text)):
            i += 1
            continue
        end = next((j for j in range(min(n, i + 3), i, -1) if doc[i:j].text.lower() in places), None)
        if end is None:
            i += 1
            continue
        j = end
        while j < n and j - end < 2 and is_name_word(doc[j].text) and not doc[j].text.isupper():
            j += 1
        last = doc[j - 1].text
        possessive = j < n and doc[j].text in ("'", "'s")  # "the Toronto Bond Traders ' Association"
        if j > end and (last.endswith("s") or last == "Sox") and last not in MISC_END and not possessive:
            yield i, j, "ORG"
            i = j
        else:
            i = end
