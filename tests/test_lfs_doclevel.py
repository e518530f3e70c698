"""Document-level labelling functions: articles merged and split back, history, majority, propagation,
sports teams; and the annotator never splits an article across chunks or shards."""

import pytest
from spacy.tokens import Span

from scripts.corpus.articles import document_groups
from scripts.lfs import doclevel as dl
from scripts.lfs.annotator import LabellingFunctions
from scripts.pipeline.components import company_aliases
from tests.reference import shard_bounds

LABELS = ["PER", "ORG", "LOC", "MISC"]


def article(make_doc, sentences, doc_id=0, spans=None, split="dev"):
    """Sentence Docs of one article; spans = {sentence number: {group: [(start, end, label)]}}."""
    docs = []
    for k, text in enumerate(sentences):
        docs.append(make_doc(text, spans=(spans or {}).get(k), split=split, index=k, doc_id=doc_id))
    return docs


def groups(doc, name):
    return [(doc[s.start : s.end].text, s.label_) for s in doc.spans[name]]


def test_document_groups(make_doc):
    docs = article(make_doc, ["a", "b"], 0) + article(make_doc, ["c"], 1) + article(make_doc, ["d"], 0, split="test")
    assert document_groups(docs) == [[0, 1], [2], [3]]


def test_merge_and_split_back(make_doc):
    docs = article(make_doc, ["Franz Fischler said", "Fischler left"], spans={0: {"md": [(0, 2, "PER")]}})
    merged, offsets = dl.merge(docs, ["md"])
    assert offsets == [0, 3] and [t.is_sent_start for t in merged] == [True, False, False, True, False]
    assert [(s.text, s.label_) for s in merged.spans["md"]] == [("Franz Fischler", "PER")]
    back = dl.split_back([(3, 4, "PER"), (2, 4, "ORG"), (0, 2, "PER")], offsets, [3, 2])
    assert back == {0: [(0, 2, "PER")], 1: [(0, 1, "PER")]}  # (2, 4) crosses the sentences: dropped


def test_document_history_and_majority(make_doc):
    docs = article(
        make_doc,
        ["Franz Fischler said on Monday", "Fischler left .", "Fischler came back ."],
        spans={0: {"md": [(0, 2, "PER")]}, 2: {"md": [(0, 1, "PER")]}},
    )
    funcs = dl.DocumentFunctions(["md"], LABELS)
    funcs.annotate(docs)
    assert groups(docs[1], "doc_history") == [("Fischler", "PER")]  # the later mention inherits the label
    assert groups(docs[0], "doc_history") == []  # the first mention is the source, not a new span
    assert groups(docs[1], "doc_majority_cased") == [("Fischler", "PER")]
    # a name seen only once (and never in full) gets nothing
    other = article(make_doc, ["Smith said .", "Jones left ."], doc_id=5)
    funcs.annotate(other)
    assert all(list(d.spans[n]) == [] for d in other for n in funcs.names)


def test_document_functions_do_not_cross_articles(make_doc):
    a = article(make_doc, ["Franz Fischler said", "he left"], 0, spans={0: {"md": [(0, 2, "PER")]}})
    b = article(make_doc, ["Fischler Ltd rose"], 1)
    dl.DocumentFunctions(["md"], LABELS).annotate(a + b)
    assert groups(b[0], "doc_history") == []


def test_propagate(make_doc):
    docs = article(
        make_doc,
        ["Derbyshire 471 302", "Derbyshire beat Kent .", "derbyshire"],
        spans={0: {"sports_table_row": [(0, 1, "ORG")]}},
    )
    funcs = dl.DocumentFunctions([], LABELS, seeds=["sports_table_row"])
    funcs.annotate(docs)
    assert groups(docs[1], "doc_propagate") == [("Derbyshire", "ORG")]
    assert groups(docs[0], "doc_propagate") == [("Derbyshire", "ORG")]
    assert groups(docs[2], "doc_propagate") == []  # case-sensitive
    # a string with two labels equally often is left alone
    tie = article(
        make_doc, ["Jordan 1 2", "Jordan said"], doc_id=3, spans={0: {"a": [(0, 1, "ORG")]}, 1: {"b": [(0, 1, "PER")]}}
    )
    dl.DocumentFunctions([], LABELS, seeds=["a", "b"]).annotate(tie)
    assert all(list(d.spans["doc_propagate"]) == [] for d in tie)


def test_surnames(make_doc):
    docs = article(
        make_doc,
        ["Frederick Geraghty arrived .", "Geraghty said .", "Geraghty Ltd rose .", "GERAGHTY"],
        spans={0: {"full_name": [(0, 2, "PER")]}},
    )
    dl.DocumentFunctions([], LABELS, surname_sources=["full_name"]).annotate(docs)
    assert groups(docs[1], "doc_surname") == [("Geraghty", "PER")]  # alone: PER
    assert groups(docs[2], "doc_surname") == []  # next to another name word
    assert groups(docs[3], "doc_surname") == []  # case-sensitive
    assert groups(docs[0], "doc_surname") == []  # inside the full name itself
    # a word inside a multi-word name with another label ("Ford Motor" ORG) is left alone
    ford = article(
        make_doc,
        ["Harrison Ford starred .", "Ford Motor rose .", "Ford said ."],
        doc_id=4,
        spans={0: {"md": [(0, 2, "PER")]}, 1: {"sm": [(0, 2, "ORG")]}, 2: {"sm": [(0, 1, "ORG")]}},
    )
    dl.DocumentFunctions([], LABELS, surname_sources=["md", "sm"]).annotate(ford)
    assert groups(ford[2], "doc_surname") == []
    # a lone ORG vote on the surname does not stop it (the models' usual error)
    lone = article(
        make_doc,
        ["Frederick Geraghty arrived .", "Geraghty said ."],
        doc_id=5,
        spans={0: {"md": [(0, 2, "PER")]}, 1: {"md": [(0, 1, "ORG")]}},
    )
    dl.DocumentFunctions([], LABELS, surname_sources=["md"]).annotate(lone)
    assert groups(lone[1], "doc_surname") == [("Geraghty", "PER")]
    assert "doc_surname" not in dl.DocumentFunctions([], ["ORG"], surname_sources=["md"]).names


def test_sports_team(make_doc):
    docs = article(
        make_doc,
        ["SOCCER - LEEDS WIN", "LEEDS 1996-08-30", "Leeds beat Germany in Leeds ."],
        spans={2: {"md": [(0, 1, "LOC"), (2, 3, "LOC")]}},
    )
    funcs = dl.DocumentFunctions(["md"], LABELS, cities={"leeds"}, countries={"germany"})
    funcs.annotate(docs)
    assert groups(docs[2], "sports_team") == [("Leeds", "ORG")]  # Germany stays LOC: a national team
    assert groups(docs[1], "sports_team") == []  # datelines in capitals name the place
    venue = article(
        make_doc,
        ["SOCCER - RESULTS", "In Leeds , the Leeds meeting", "Leeds : 1 2"],
        doc_id=8,
        spans={1: {"md": [(1, 2, "LOC"), (5, 6, "LOC")]}, 2: {"md": [(0, 1, "LOC")]}},
    )
    funcs.annotate(venue)
    assert all(groups(d, "sports_team") == [] for d in venue)  # the place of a game
    news = article(make_doc, ["EU SAYS NO", "Leeds beat Germany ."], doc_id=9, spans={1: {"md": [(0, 1, "LOC")]}})
    funcs.annotate(news)
    assert groups(news[1], "sports_team") == []  # not a sports article


def test_county_team(make_doc):
    docs = article(
        make_doc,
        [
            "CRICKET - SURREY BEAT KENT",
            "Leicestershire beat Somerset by an innings .",
            "Minor Counties XI 210",
            "Somerset House",
        ],
    )
    funcs = dl.DocumentFunctions([], LABELS)
    funcs.annotate(docs)
    assert groups(docs[0], "county_team") == [("SURREY", "ORG"), ("KENT", "ORG")]
    assert groups(docs[1], "county_team") == [("Leicestershire", "ORG"), ("Somerset", "ORG")]
    assert groups(docs[2], "county_team") == [("Minor Counties", "ORG")]
    news = article(make_doc, ["UK - FLOODS IN SOMERSET", "Rain fell in Somerset and Kent ."], doc_id=2)
    funcs.annotate(news)
    assert all(groups(d, "county_team") == [] for d in news)  # not a cricket article: places
    assert "county_team" not in dl.DocumentFunctions([], ["PER", "LOC"]).names


def test_company_aliases_and_org_alias(make_doc, vocab):
    from spacy.tokens import Doc

    def aliases(text, exclude=frozenset()):
        doc = Doc(vocab, words=text.split())
        return company_aliases(doc[:], frozenset({"sa", "inc", "co"}), exclude)

    assert aliases("Ruch SA") == [("Ruch",)]
    assert aliases("Commerce Bancshares Inc.") == [("Commerce",)]
    assert aliases("Jones Medical Industries Inc") == [("Jones", "Medical"), ("Jones",)]
    assert aliases("Douglas & Lomason Co") == [("Douglas", "&", "Lomason")]  # no "Douglas": a joint name
    assert aliases("First Bank System Inc.") == [("First", "Bank", "System")]  # "First" alone names nothing
    assert aliases("Michigan National Corp", exclude={"michigan"}) == [("Michigan", "National")]
    assert aliases("Siemens") == []  # nothing to drop
    docs = article(
        make_doc,
        ["Ruch SA was sold .", "40 percent of Ruch went .", "Ruch Chorzow won .", "RUCH"],
        spans={0: {"legal_suffix": [(0, 2, "ORG")]}},
    )
    dl.DocumentFunctions([], LABELS, company_sources=["legal_suffix"], legal_suffixes=["SA"]).annotate(docs)
    assert groups(docs[1], "org_alias") == [("Ruch", "ORG")]
    assert groups(docs[0], "org_alias") == []  # inside the full name
    assert groups(docs[2], "org_alias") == []  # part of another name
    assert groups(docs[3], "org_alias") == []  # case-sensitive


def test_short_names_join_the_document_vote(make_doc):
    """county_team and org_alias vote before the article's majority: it follows them over the models."""
    docs = article(
        make_doc,
        ["CRICKET - RESULTS", "Somerset beat Kent .", "Somerset won ."],
        spans={1: {"md": [(0, 1, "LOC")]}, 2: {"md": [(0, 1, "LOC")]}},
    )
    dl.DocumentFunctions(["md"], LABELS).annotate(docs)
    assert groups(docs[2], "doc_majority_cased") == [("Somerset", "ORG")]


def test_fixture_venue_stays_a_place(make_doc):
    docs = article(
        make_doc,
        ["DETROIT 48 86 .358", "KANSAS CITY AT DETROIT", "Detroit won ."],
        spans={0: {"sports_table_row": [(0, 1, "ORG")]}, 1: {"fixture_at": [(0, 2, "ORG"), (3, 4, "LOC")]}},
    )
    funcs = dl.DocumentFunctions(["sports_table_row", "fixture_at"], LABELS, seeds=["sports_table_row"])
    funcs.annotate(docs)
    assert groups(docs[1], "doc_propagate") == []  # "DETROIT" the venue is not the team of the table
    assert groups(docs[0], "doc_propagate") == [("DETROIT", "ORG")]


def test_is_sports_article(make_doc):
    assert dl.is_sports_article(make_doc("CRICKET - LEICESTERSHIRE TAKE OVER"))
    assert not dl.is_sports_article(make_doc("EU - FARM MINISTERS MEET"))
    assert not dl.is_sports_article(make_doc("SOCCER FANS RIOT"))


def test_chunks_never_split_an_article(make_doc):
    docs = []
    for doc_id in range(4):
        docs += article(make_doc, ["a", "b", "c"], doc_id)
    lfs = LabellingFunctions(LABELS, chunk_size=2)
    chunks = list(lfs._chunks(docs))
    assert [len(c) for c in chunks] == [3, 3, 3, 3]
    assert shard_bounds(docs, 4) == [0, 6]
    assert shard_bounds(docs, 1) == [0, 3, 6, 9]


def test_document_vote_reads_only_its_sources(make_doc):
    docs = article(
        make_doc, ["Franz Fischler said", "Fischler left"], spans={0: {"md": [(0, 2, "PER")], "noise": [(0, 2, "ORG")]}}
    )
    funcs = dl.DocumentFunctions(["md"], LABELS)
    merged, _ = dl.merge(docs, ["md"])
    assert "noise" not in merged.spans
    funcs.annotate(docs)
    assert groups(docs[1], "doc_history") == [("Fischler", "PER")]
    assert isinstance(docs[1].spans["doc_history"][0], Span)


@pytest.mark.slow
def test_full_preset_parallel_equals_serial(tmp_path):
    """With document-level functions, shards must hold whole articles: parallel == serial."""
    from scripts.corpus.conll import conll_to_dataset, dataset_to_docs
    from scripts.corpus.docbin import read_docs, write_docs
    from scripts.corpus.labels import FUNCTIONS
    from scripts.lfs.annotate import annotate_corpora, annotate_docs
    from scripts.lfs.lexicons import build as build_gazetteers
    from scripts.util.parallel import Parallelism
    from tests.conftest import function_settings

    from .conftest import FIXTURE_CONLL

    build_gazetteers.main(tmp_path, min_city_population=100000, max_surnames=20000)

    def fixture_docs():
        return list(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / "train.txt"), "train"))

    def as_tuples(docs):
        return [
            (d.text, sorted((k, tuple((s.start, s.end, s.label_) for s in g)) for k, g in d.spans.items()))
            for d in docs
        ]

    settings = function_settings(LABELS, "full", str(tmp_path))
    serial = annotate_docs(fixture_docs(), settings)
    write_docs(tmp_path / "gold.spacy", fixture_docs())
    annotate_corpora([(tmp_path / "gold.spacy", tmp_path / "parallel", False)], settings, Parallelism(2, 3))
    parallel = read_docs(tmp_path / "parallel")
    assert as_tuples(parallel) == as_tuples(serial)
    names = {"md", "md_truecase", "sm", "doc_history", "doc_majority_cased", "doc_propagate", "sports_table_row"}
    # every function ran on every doc; its group is there where it found something
    assert all(names <= set(d.user_data[FUNCTIONS]) for d in serial)
    assert any(len(d.spans.get("md", [])) for d in serial)


def test_fast_document_annotators_find_skweaks_spans(vocab):
    """DocumentHistory / DocumentMajority (FastGazetteer inside) equal skweak's own annotators."""
    from skweak.doclevel import DocumentHistoryAnnotator, DocumentMajorityAnnotator
    from spacy.tokens import Doc, Span

    from scripts.lfs.doclevel import VOTE, DocumentHistory, DocumentMajority

    text = (
        "Franz Fischler met Acme Corp in Paris . FISCHLER said Acme would leave PARIS . "
        "Fischler and acme corp , Franz Fischler , paris and Acme ."
    )
    words = text.split()
    doc = Doc(vocab, words=words, sent_starts=[i in (0, 8, 16) for i in range(len(words))])
    doc.spans[VOTE] = [
        Span(doc, s, e, label=lab)
        for s, e, lab in [
            (0, 2, "PER"),
            (3, 5, "ORG"),
            (6, 7, "LOC"),
            (9, 10, "PER"),
            (11, 12, "ORG"),
            (14, 15, "LOC"),
            (18, 19, "ORG"),
            (21, 23, "PER"),
            (24, 25, "LOC"),
        ]
    ]
    pairs = [
        (DocumentHistory("h", VOTE, ["PER", "ORG"]), DocumentHistoryAnnotator("h", VOTE, ["PER", "ORG"])),
        (
            DocumentHistory("h", VOTE, ["PER"], case_sensitive=False),
            DocumentHistoryAnnotator("h", VOTE, ["PER"], case_sensitive=False),
        ),
    ]
    pairs += [
        (DocumentMajority("m", VOTE, case_sensitive=c), DocumentMajorityAnnotator("m", VOTE, case_sensitive=c))
        for c in (True, False)
    ]
    for ours, skweak in pairs:
        assert list(ours.find_spans(doc)) == list(skweak.find_spans(doc))
    for ours, skweak in pairs[2:]:  # the counts behind them, forms and labels in skweak's order
        assert list(ours.get_majority_labels(doc).items()) == list(skweak.get_majority_labels(doc).items())
    assert list(pairs[0][0].find_spans(doc))  # "Fischler" after "Franz Fischler"
    assert list(pairs[3][0].find_spans(doc))
    assert len(pairs[3][0].get_majority_labels(doc)) >= 3  # Fischler, Acme (Corp), Paris: each several times


def test_occurs_twice_is_skweaks_count():
    """`occurs_twice` answers as skweak's at_least_nb_occurrences(..., 2): overlapping repeats, a string
    cut off by the end of the article, the first word alone, the empty string."""
    import random
    from collections import defaultdict

    from skweak.utils import at_least_nb_occurrences

    rng = random.Random(7)
    answers = set()
    for _ in range(300):
        words = [rng.choice("a b c d".split()) for _ in range(rng.randint(0, 12))]
        positions = defaultdict(list)
        for i, w in enumerate(words):
            positions[w].append(i)
        for n in range(0, 4):
            for start in range(max(1, len(words))):
                tokens = tuple(words[start : start + n]) if n else ()
                tokens = tokens if len(tokens) == n else tuple(rng.choice("a b e".split()) for _ in range(n))
                expected = at_least_nb_occurrences(tokens, words, 2)
                assert dl.occurs_twice(tokens, words, positions) == expected, (tokens, words)
                answers.add(expected)
    assert answers == {True, False}
    assert dl.occurs_twice(("a", "a"), ["a", "a", "a"], {"a": [0, 1, 2]})  # overlapping: twice
    assert not dl.occurs_twice(("a", "b"), ["x", "a", "b", "a"], {"a": [1, 3], "b": [2], "x": [0]})
