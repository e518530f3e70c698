"""Labelling functions for organisations named by their context: a news agency, a role in a company or
a team, a team word, an acronym spelling a long name, business news, a North American club's nickname.

Each takes a spaCy Doc (one sentence) and yields (start, end, label) token spans. Places and
nationalities (`exclude`, lower-cased) hold roles and teams without being organisations.
"""

from functools import partial
from typing import Dict, Iterator, List, Sequence, Tuple

from skweak.heuristics import FunctionAnnotator
from spacy.tokens import Doc

from ..corpus.labels import SpanTuple
from .heuristics import MISC_END
from .names import MONTHS_DAYS, is_name_word, run_after, run_before, strip_function_words, token_strings
from .registry import factory

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


def _excluded(doc: Doc, start: int, end: int, exclude: frozenset) -> bool:
    """The run is a place or a nationality (lower-cased in `exclude`), or its first word is one ("Russian Foreign"),
    or it is no name: a month or a day ("December bonds"), an adjective such as "Dublin-born", "Blue-chip"."""
    first = doc[start].text
    if first in MONTHS_DAYS or "-" in first and first.split("-")[-1].islower():
        return True
    return doc[start:end].text.lower() in exclude or first.lower() in exclude


def _name_after(doc: Doc, i: int, exclude: frozenset, max_words: int = 4) -> int:
    """End of the name run that starts at i, if it may be an organisation (not excluded, not in capitals as
    headlines are); i if there is none."""
    j = run_after(doc, i, max_words=max_words)
    if j == i or _excluded(doc, i, j, exclude) or doc[i:j].text.isupper():
        return i
    return j


def news_agency(doc: Doc, exclude: frozenset = frozenset()) -> Iterator[SpanTuple]:
    """A news agency or broadcaster: one of NEWS_AGENCIES ("Reuters", "Interfax"), or a name next to a media
    word ("the daily Le Monde", "the Al-Ahram newspaper", "news weekly Der Spiegel") -> ORG.
    Places and nationalities are no names here ("Iraqi news agency INA" gives "INA" only)."""
    found = set()
    for i, tok in enumerate(doc):
        if tok.text in NEWS_AGENCIES:
            found.add((i, i + 1))
        if tok.text in MEDIA_WORDS and i + 1 < len(doc):
            j = run_after(doc, i + 1)
            # a name in capitals is a headline, unless it is one acronym ("news agency INA")
            if (
                j > i + 1
                and not _excluded(doc, i + 1, j, exclude)
                and (j == i + 2 or not doc[i + 1 : j].text.isupper())
            ):
                found.add((i + 1, j))
        if tok.text in MEDIA_WORDS and i > 0:
            end = i - 1 if doc[i - 1].text == "news" else i  # "Interfax news agency"
            k = strip_function_words(doc, run_before(doc, end), end)
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
        k = strip_function_words(doc, run_before(doc, i), i)
        if k < i and not _excluded(doc, k, i, exclude) and not doc[k:i].text.isupper():
            yield k, i, "ORG"


def team_cue(doc: Doc, exclude: frozenset = frozenset()) -> Iterator[SpanTuple]:
    """A lower-case team word, then a name: "division side Nice", "Belgian club Standard Liege" -> ORG
    (a country after it is a national team, LOC in CoNLL, and is left out)."""
    for i, tok in enumerate(doc[:-1]):
        if tok.text in TEAM_BEFORE:
            j = _name_after(doc, i + 1, exclude, max_words=3)
            if j > i + 1:
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
    words = token_strings(doc)
    n = len(words)
    found = set()
    for i, word in enumerate(words):
        if word in COMPANY_AFTER and i > 0:
            end = i - 1 if words[i - 1] == "'s" else i
            k = strip_function_words(doc, run_before(doc, end), end)
            if k < end and not _excluded(doc, k, end, exclude) and not doc[k:end].text.isupper():
                found.add((k, end))
        for cue in COMPANY_BEFORE_BY_WORD.get(word, ()):
            j = i + len(cue)
            if j < n and tuple(words[i:j]) == cue:
                e = _name_after(doc, j, exclude)
                if e > j:
                    found.add((j, e))
    for start, end in sorted(found):
        yield start, end, "ORG"


# Lower-case words of business news that describe the organisation named after them, in any news text:
# "mineral water firm Multico", "state engineer Comelf", "carmaker Kia"; and a place's "-based"
# ("St. Louis-based Mercantile Bancorp"). Not "broker", "carrier", "-maker": people and ships ("peacemaker").
BUSINESS_DESCRIPTORS = frozenset(
    "firm company group bank airline maker carmaker automaker chipmaker drugmaker steelmaker producer "
    "manufacturer retailer insurer brokerage conglomerate operator exporter importer distributor developer "
    "refiner miner utility engineer supplier publisher lender builder shipper shipbuilder grocer chain".split()
)


def business_descriptor(doc: Doc, exclude: frozenset = frozenset()) -> Iterator[SpanTuple]:
    """A lower-case business word, then a name: "mineral water firm Multico", "state engineer Comelf",
    "St. Louis-based Mercantile Bancorp", "carmaker Kia" -> ORG. Places are left out ("the group Bosnia"
    names no company), as are names in capitals (headlines), a person's "'s" ("firm Smith 's") and a name
    that goes on past the run ("the group Human Rights in China")."""
    n = len(doc)
    for i, tok in enumerate(doc[:-1]):
        word = tok.text
        if word not in BUSINESS_DESCRIPTORS and not word.endswith("-based"):  # "Ontario-based" keeps its capital
            continue
        j = _name_after(doc, i + 1, exclude)
        if j == i + 1:
            continue
        # a person's "'s", or a name that goes on past where a run can tell ("group Human Rights in China")
        if j < n and (
            doc[j].text == "'s" or (doc[j].text in ("in", "for") and j + 1 < n and is_name_word(doc[j + 1].text))
        ):
            continue
        yield i + 1, j, "ORG"


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


# The functions, each excluding the places and nationalities of the lexicons (`Context`). (name, function, roles,
# the lower-cased strings it excludes)
FUNCTIONS = [
    ("news_agency", news_agency, ("doc_vote", "doc_seed"), lambda c: c.place_words()),
    ("org_role", org_role, ("doc_vote",), lambda c: c.place_words()),
    ("team_cue", team_cue, ("doc_vote",), lambda c: c.place_words()),
    ("acronym_in_parens", acronym_in_parens, ("doc_vote", "doc_seed"), lambda c: c.place_words()),
    ("company_cue", company_cue, ("doc_vote",), lambda c: c.place_words() | c.places("cities")),
    ("business_descriptor", business_descriptor, ("doc_vote",), lambda c: c.place_words() | c.places("cities")),
]


def _excluding(name, func, exclude):
    return lambda c: FunctionAnnotator(name, partial(func, exclude=exclude(c)))


for _name, _func, _roles, _exclude in FUNCTIONS:
    factory(_name, ["ORG"], _roles)(_excluding(_name, _func, _exclude))
factory("place_nickname", ["ORG"], ("doc_vote",))(
    lambda c: FunctionAnnotator(
        "place_nickname", partial(place_nickname, places=c.places("cities") | (c.places("places") - c.countries()))
    )
)
