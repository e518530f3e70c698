"""The gazetteers: each lexicon built from its PyPI package is sane, and each gazetteer function fires on
positive examples and not on negative ones."""

import json

import pytest

from scripts.lfs import gazetteers as gz
from scripts.lfs.annotator import build_annotator
from scripts.lfs.lexicons import build as bg
from tests.conftest import function_settings


@pytest.fixture(scope="module")
def gazetteer_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gazetteers")
    bg.main(folder, min_city_population=100000, max_surnames=20000)
    return folder


def entries(folder, name, label):
    return {" ".join(e) for e in json.loads((folder / f"{name}.json").read_text())["entries"][label]}


def test_every_file_records_its_sources(gazetteer_dir):
    for name in gz.FILES:
        data = json.loads((gazetteer_dir / f"{name}.json").read_text())
        assert data["sources"] and all(s["package"] and s["version"] for s in data["sources"])


def test_places_lexicon(gazetteer_dir):
    places = entries(gazetteer_dir, "places", "LOC")
    assert {
        "Germany",
        "United States",
        "Russia",
        "Iran",
        "South Korea",
        "Europe",
        "Texas",
        "Bosnia and Herzegovina",
    } <= places
    assert not {"Of", "The", "Korea, Republic of"} & places
    assert all(p == p.strip() and "," not in p for p in places)


def test_nationalities_hold_the_1996_demonyms(gazetteer_dir):
    assert {"Scottish", "Serbs", "Palestinian", "Soviet", "German", "Germans"} <= entries(
        gazetteer_dir, "nationalities", "MISC"
    )


def test_countries_are_places_without_us_states(gazetteer_dir):
    data = json.loads((gazetteer_dir / "places.json").read_text())
    countries = {" ".join(e) for e in data["countries"]}
    assert {"Germany", "United States", "South Korea", "Europe", "England", "Yugoslavia", "Britain"} <= countries
    assert not {"Texas", "Colorado", "Florida"} & countries  # clubs in CoNLL: Texas Rangers, Florida Marlins
    assert countries <= entries(gazetteer_dir, "places", "LOC")


def test_cities_lexicon(gazetteer_dir):
    cities = entries(gazetteer_dir, "cities", "LOC")
    assert {"London", "Brussels", "Sao Paulo", "New York City", "Tokyo"} <= cities
    assert not {"Reading", "Bath", "Of", "Split"} & cities  # everyday words that are also towns
    assert 1000 < len(cities) < 20000


def test_nationalities_lexicon(gazetteer_dir):
    misc = entries(gazetteer_dir, "nationalities", "MISC")
    assert {"German", "Germans", "Iraqi", "Iraqis", "Chinese", "English", "French", "Arabic"} <= misc
    assert not {"Chineses", "Britishs", "Germen"} & misc
    assert all(" or " not in m and "," not in m for m in misc)  # "Antiguan or Barbudan" was split


def test_person_names_lexicon(gazetteer_dir):
    data = json.loads((gazetteer_dir / "person_names.json").read_text())
    first, last = set(data["first_names"]), data["surnames"]
    assert {"John", "Mary", "Franz"} & first == {"John", "Mary"} | ({"Franz"} & first)
    assert all(n.istitle() and " " not in n for n in first)
    assert last[0] == "Smith" and len(last) == 20000 and all(" " not in n for n in last)


def test_legal_suffixes_lexicon(gazetteer_dir):
    suffixes = set(json.loads((gazetteer_dir / "legal_suffixes.json").read_text())["suffixes"])
    assert {"ag", "ltd", "plc", "gmbh", "spa"} <= {s.lower() for s in suffixes}
    assert not {"as", "at", "and", "the", "of"} & {s.lower() for s in suffixes}  # English words would fire everywhere


def test_missing_gazetteer_says_how_to_build_it(tmp_path):
    with pytest.raises(gz.GazetteerMissing, match="build-gazetteers"):
        gz.load_lexicon(str(tmp_path), "places")


@pytest.mark.parametrize(
    "name,text,expected",
    [
        ("places_cased", "talks in Germany and South Korea", [("Germany", "LOC"), ("South Korea", "LOC")]),
        ("places_uncased", "SOCCER - GERMANY BEAT IRAN", [("GERMANY", "LOC"), ("IRAN", "LOC")]),
        ("cities_cased", "he flew to Brussels", [("Brussels", "LOC")]),
        ("cities_uncased", "RESULTS IN BRUSSELS", [("BRUSSELS", "LOC")]),
        ("nationalities_cased", "the German and Iraqi envoys", [("German", "MISC"), ("Iraqi", "MISC")]),
        ("nationalities_uncased", "WINS FOR GERMANS", [("GERMANS", "MISC")]),
    ],
)
def test_gazetteer_functions(make_doc, gazetteer_dir, name, text, expected):
    annotator = {
        a.name: a
        for a in gz.gazetteer_annotators(str(gazetteer_dir), name.rsplit("_", 1)[0], ["PER", "ORG", "LOC", "MISC"])
    }[name]
    doc = annotator(make_doc(text))
    assert [(s.text, s.label_) for s in doc.spans[name]] == expected


@pytest.mark.parametrize(
    "name,text",
    [
        ("places_cased", "GERMANY and germany"),  # capitals and lower case need the uncased variant
        ("places_uncased", "the chad and the jordan"),  # lower case is never a name
        ("cities_cased", "reading in bath"),
        ("cities_uncased", "he flew to brussels"),
        ("nationalities_cased", "french fries"),
        ("nationalities_uncased", "french fries and german measles"),
    ],
)
def test_gazetteer_functions_negative(make_doc, gazetteer_dir, name, text):
    annotator = {
        a.name: a
        for a in gz.gazetteer_annotators(str(gazetteer_dir), name.rsplit("_", 1)[0], ["PER", "ORG", "LOC", "MISC"])
    }[name]
    assert list(annotator(make_doc(text)).spans[name]) == []


def test_gazetteers_only_for_the_project_labels(gazetteer_dir):
    assert gz.gazetteer_annotators(str(gazetteer_dir), "places", ["PER"]) == []


def test_full_name(make_doc):
    first = frozenset({"Franz", "Bill", "John"})
    doc = make_doc("Franz Fischler met Bill Clinton and John")
    assert [(doc[s:e].text, lab) for s, e, lab in gz.full_name(doc, first)] == [
        ("Franz Fischler", "PER"),
        ("Bill Clinton", "PER"),
    ]
    for text in ["FRANZ FISCHLER said", "Franz said", "John Smith Jones Brown Ltd", "Mr Franz"]:
        doc = make_doc(text)
        found = list(gz.full_name(doc, first))
        assert found == [] or text == "Mr Franz" and False


def test_full_preset_names(gazetteer_dir):
    names = build_annotator(function_settings(["PER", "ORG", "LOC", "MISC"], "full", str(gazetteer_dir))).names
    assert {
        "md",
        "md_truecase",
        "sm",
        "places_cased",
        "cities_uncased",
        "full_name",
        "legal_suffix",
        "dateline",
        "doc_history",
        "doc_majority_cased",
        "doc_majority_uncased",
        "sports_team",
    } <= set(names)
    assert len(names) == len(set(names))
    only_loc = build_annotator(function_settings(["LOC"], "full", str(gazetteer_dir))).names
    assert "full_name" not in only_loc and "legal_suffix" not in only_loc and "places_cased" in only_loc


def test_gazetteers_abstain_on_clubs_of_sports_structures(make_doc, gazetteer_dir):
    from functools import partial

    from scripts.lfs import sports

    teams = partial(sports.team_positions, countries=gz.countries(str(gazetteer_dir)))
    cased = {a.name: a for a in gz.gazetteer_annotators(str(gazetteer_dir), "cities", ["LOC"], teams)}["cities_cased"]
    assert [s.text for s in cased(make_doc("Brussels 4 2 0 2 4 3")).spans["cities_cased"]] == []  # a club's table row
    assert [s.text for s in cased(make_doc("he flew to Brussels")).spans["cities_cased"]] == ["Brussels"]
    places = {a.name: a for a in gz.gazetteer_annotators(str(gazetteer_dir), "places", ["LOC"], teams)}["places_cased"]
    assert [s.text for s in places(make_doc("Brazil 2 Germany 1")).spans["places_cased"]] == [
        "Germany"
    ]  # national team
    assert [s.text for s in places(make_doc("Florida 10 Texas 9")).spans["places_cased"]] == []  # US states: clubs


def test_place_words(gazetteer_dir):
    words = gz.place_words(str(gazetteer_dir))
    assert {"germany", "russian", "texas"} <= words and "norwich" not in words  # cities name clubs


TRICKY = [
    "NEW YORK CITY police said",
    "in new york on Monday",
    "The Hague and the hague",
    "the New York Times , York",
    "York New York City New",
    "UK uk Uk UK-based",
    "Paris . Paris ,",
    "he flew to New York City from Paris",
]


@pytest.mark.parametrize("case_sensitive", [True, False])
@pytest.mark.parametrize("checks", [True, False])
def test_fast_gazetteer_finds_skweaks_spans(vocab, case_sensitive, checks):
    """The same spans as skweak's GazetteerAnnotator: casings, overlaps, longest match, punctuation, sentences."""
    from skweak.gazetteers import GazetteerAnnotator, Trie
    from spacy.tokens import Doc

    tries = {
        "LOC": Trie([["New", "York"], ["New", "York", "City"], ["York"], ["the", "Hague"], ["UK"], ["Paris"], [","]]),
        "ORG": Trie([["New", "York", "Times"], ["New", "York", "City"]]),
    }
    ours = gz.FastGazetteer("g", tries, case_sensitive=case_sensitive, additional_checks=checks)
    skweak = GazetteerAnnotator("g", tries, case_sensitive=case_sensitive, additional_checks=checks)
    docs = [Doc(vocab, words=t.split()) for t in TRICKY]
    words = " ".join(TRICKY).split()
    starts = [True] + [False] * (len(words) - 1)
    for k in range(5, len(words), 9):
        starts[k] = True  # sentence boundaries cut the windows
    docs.append(Doc(vocab, words=words, sent_starts=starts))
    found = [list(ours.find_spans(d)) for d in docs]
    assert found == [list(skweak.find_spans(d)) for d in docs]
    assert sum(map(len, found)) > 10


def test_token_strings_follow_the_doc(vocab):
    """The strings of the last doc asked about are reused, never a previous doc's or a retokenised one's."""
    from spacy.attrs import LOWER, ORTH
    from spacy.tokens import Doc

    first = Doc(vocab, words="New York Stock Exchange".split())
    assert gz.token_strings(first) == ["New", "York", "Stock", "Exchange"]
    assert gz.token_strings(first, LOWER) == ["new", "york", "stock", "exchange"]
    assert gz.token_strings(first) is gz.token_strings(first, ORTH)  # computed once
    second = Doc(vocab, words="LONDON 1996-08-30".split())
    assert gz.token_strings(second) == ["LONDON", "1996-08-30"]
    assert gz.token_strings(second, LOWER) == ["london", "1996-08-30"]
    assert gz.token_strings(first)[0] == "New"  # the cached doc again, then retokenised
    with first.retokenize() as retokenizer:
        retokenizer.merge(first[0:2])
    assert gz.token_strings(first) == ["New York", "Stock", "Exchange"]
    assert [t.text for t in first] == gz.token_strings(first)
