"""doc_consistency: the trained NER's entities made consistent over an article."""

import spacy

from scripts.model import components as c

LABELS = ["ORG", "PER", "LOC", "MISC"]


def ents_text(doc, ents):
    return [(doc[s:e].text, lab) for s, e, lab in ents]


def test_consistent_entities(vocab):
    from spacy.tokens import Doc

    words = "Ruch SA was sold . 40 percent of Ruch went . Frederick Geraghty said . Geraghty left .".split()
    doc = Doc(vocab, words=words, sent_starts=[w in (0, 5, 11, 15) for w in range(len(words))])
    ner = [(0, 2, "ORG"), (8, 9, "PER"), (11, 13, "PER"), (15, 16, "ORG")]
    out = c.consistent_entities(doc, ner, LABELS, frozenset({"sa"}), frozenset())
    assert ents_text(doc, out) == [
        ("Ruch SA", "ORG"),
        ("Ruch", "ORG"),
        ("Frederick Geraghty", "PER"),
        ("Geraghty", "PER"),
    ]
    assert c.GROUP not in doc.spans  # the component leaves no span group behind
    # an ORG-only model gets no PER correction
    out = c.consistent_entities(doc, ner, ["ORG"], frozenset({"sa"}), frozenset())
    assert ("Geraghty", "ORG") in ents_text(doc, out)
    # without the legal form "SA", "Ruch SA" gives no short name
    out = c.consistent_entities(doc, ner, LABELS, frozenset(), frozenset())
    assert ("Ruch", "PER") in ents_text(doc, out)


def test_articles_consistent_keeps_articles_apart(make_doc):
    def with_ents(text, ents, doc_id, index):
        doc = make_doc(text, doc_id=doc_id, index=index)
        doc.ents = [spacy.tokens.Span(doc, s, e, label=lab) for s, e, lab in ents]
        return doc

    docs = [
        with_ents("CRICKET - RESULTS", [], 0, 0),
        with_ents("Somerset beat Kent .", [(0, 1, "LOC")], 0, 1),
        with_ents("Rain in Somerset .", [(2, 3, "LOC")], 1, 2),
    ]
    component = c.DocConsistency("doc_consistency", LABELS)
    out = c.articles_consistent(component, docs)
    assert [(e.text, e.label_) for e in out[1].ents] == [("Somerset", "ORG"), ("Kent", "ORG")]
    assert [(e.text, e.label_) for e in out[2].ents] == [("Somerset", "LOC")]  # another article: no cricket
    assert [d.user_data["index"] for d in out] == [0, 1, 2]


def test_component_initialize_and_serialise(tmp_path):
    from scripts.lfs.lexicons import build as build_gazetteers

    build_gazetteers.main(tmp_path / "gaz", min_city_population=100000, max_surnames=20000)
    nlp = spacy.blank("en")
    ner = nlp.add_pipe("ner")
    ner.add_label("ORG")
    component = nlp.add_pipe("doc_consistency")
    nlp.initialize()
    component.initialize(nlp=nlp, gazetteers_dir=str(tmp_path / "gaz"))
    assert component.labels == ["ORG"]  # narrowed to what the NER predicts
    assert "ag" in component.legal_suffixes and "paris" in component.not_companies
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    again = loaded.get_pipe("doc_consistency")
    assert again.labels == ["ORG"] and again.legal_suffixes == component.legal_suffixes
