"""scripts/pipeline/components.py: what ships in the model package (tokenizer, doc_consistency)."""

import ast
import sys
from pathlib import Path

import spacy
from spacy.tokens import Doc, Span

from scripts.pipeline import components as c

LABELS = ["ORG", "PER", "LOC", "MISC"]


def ents_text(doc, ents):
    return [(doc[s:e].text, lab) for s, e, lab in ents]


def test_the_shipped_file_imports_only_spacy_srsly_and_the_standard_library():
    """`spacy package --code` copies the file alone: an import of the project (or skweak) would fail after
    pip install."""
    tree = ast.parse(Path(c.__file__).read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"relative import in the shipped file: {ast.dump(node)}"
            roots.add(node.module.split(".")[0])
    assert roots - set(sys.stdlib_module_names) == {"spacy", "srsly"}


def test_a_second_copy_of_the_file_loads_beside_the_first(tmp_path):
    """An installed package's copy (en_weak_ner.components) imported after the project's: no E004."""
    import importlib.util

    copy = tmp_path / "components.py"
    copy.write_text(Path(c.__file__).read_text())
    spec = importlib.util.spec_from_file_location("en_copy_of_the_package.components", copy)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    nlp = spacy.blank("en")
    assert type(nlp.add_pipe("doc_consistency")).__name__ == "DocConsistency"


def test_consistent_entities(vocab):
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


def test_find_phrases_longest_first_within_a_sentence(vocab):
    words = "Jones Medical rose . Jones said , Jones Medical".split()
    doc = Doc(vocab, words=words, sent_starts=[i in (0, 4) for i in range(len(words))])
    phrases = {("Jones", "Medical"), ("Jones",), ("rose", ".", "Jones")}
    assert list(c.find_phrases(doc, phrases)) == [(0, 2), (4, 5), (7, 9)]  # "rose . Jones" crosses a sentence
    assert list(c.find_phrases(doc, {(",",)})) == []  # a match never starts with punctuation


def test_the_component_on_whole_documents():
    """A cricket report's counties are clubs; the same county in another document stays a place."""
    nlp = spacy.blank("en")
    nlp.add_pipe("doc_consistency")
    cricket = nlp.make_doc("CRICKET - RESULTS .\nSomerset beat Kent .")
    cricket.ents = [Span(cricket, 5, 6, label="LOC")]
    rain = nlp.make_doc("Rain in Somerset .")
    rain.ents = [Span(rain, 2, 3, label="LOC")]
    out = list(nlp.pipe([cricket, rain]))
    assert [(e.text, e.label_) for e in out[0].ents] == [("Somerset", "ORG"), ("Kent", "ORG")]
    assert [(e.text, e.label_) for e in out[1].ents] == [("Somerset", "LOC")]


def test_tokenizer_keeps_or_splits_hyphens_and_is_saved(tmp_path):
    config = {"nlp": {"tokenizer": {"@tokenizers": "weak_ner.Tokenizer.v1", "hyphens": "keep"}}}
    nlp = spacy.blank("en", config=config)
    assert [t.text for t in nlp("Bre-X rose on 1996-08-22 .")] == ["Bre-X", "rose", "on", "1996-08-22", "."]
    nlp.to_disk(tmp_path / "keep")
    assert [t.text for t in spacy.load(tmp_path / "keep")("Bre-X")] == ["Bre-X"]
    config["nlp"]["tokenizer"]["hyphens"] = "split"
    assert [t.text for t in spacy.blank("en", config=config)("Bre-X")] == ["Bre", "-", "X"]
    config["nlp"]["tokenizer"]["hyphens"] = "half"
    try:
        spacy.blank("en", config=config)
    except ValueError as e:
        assert "hyphens 'half': must be one of split, keep" in str(e)
    else:
        raise AssertionError("an unknown hyphen rule was accepted")


def test_component_initialize_and_serialise(tmp_path):
    from scripts.lfs import gazetteers as gz
    from scripts.lfs.lexicons import build as build_gazetteers

    build_gazetteers.main(tmp_path / "gaz", min_city_population=100000, max_surnames=20000)
    nlp = spacy.blank("en")
    ner = nlp.add_pipe("ner")
    ner.add_label("ORG")
    component = nlp.add_pipe("doc_consistency")
    nlp.initialize()
    component.initialize(nlp=nlp, lexicons=str(tmp_path / "gaz" / "doc_consistency.json"))
    assert component.labels == ["ORG"]  # narrowed to what the NER predicts
    assert "ag" in component.legal_suffixes and "paris" in component.not_companies
    # the same lists as the labelling function org_alias reads from the gazetteers themselves
    gaz = str(tmp_path / "gaz")
    assert component.legal_suffixes == gz.legal_suffixes(gaz)
    assert component.not_companies == gz.places_of(gaz, "cities") | gz.places_of(gaz, "places")
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    again = loaded.get_pipe("doc_consistency")
    assert again.labels == ["ORG"] and again.legal_suffixes == component.legal_suffixes
    assert again.not_companies == component.not_companies


def test_only_the_trained_labels_come_out(tmp_path):
    """A NER fine-tuned from a pretrained pipeline keeps its source's labels (PERSON, DATE, ...): the pipeline
    outputs only the labels of its training examples, and a corrected label stays among them."""
    from spacy.training import Example

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": "Anna"}, {"label": "ORG", "pattern": "Kia"}])
    component = nlp.add_pipe("doc_consistency")
    train = nlp.make_doc("Kia hired Anna")
    example = Example.from_dict(train, {"entities": [(0, 3, "ORG"), (10, 14, "PER")]})
    component.initialize(lambda: [example], nlp=nlp)
    assert component.output_labels == ["ORG", "PER"] and component.labels == ["ORG", "PER"]
    assert [(e.text, e.label_) for e in nlp("Kia hired Anna").ents] == [("Kia", "ORG")]
    nlp.to_disk(tmp_path / "model")
    assert [(e.text, e.label_) for e in spacy.load(tmp_path / "model")("Anna left Kia").ents] == [("Kia", "ORG")]
    # a pipeline saved before the output labels were kept lets every label through
    legacy = spacy.blank("en")
    legacy.add_pipe("entity_ruler").add_patterns([{"label": "PERSON", "pattern": "Anna"}])
    legacy.add_pipe("doc_consistency")
    assert [e.label_ for e in legacy("Anna").ents] == ["PERSON"]


def test_the_training_config_is_checked_before_any_training(tmp_path):
    import pytest

    from scripts.util.errors import UserError, check_training_config

    root = Path(__file__).resolve().parents[1]
    finetune, scratch = str(root / "configs" / "finetune.cfg"), str(root / "configs" / "config.cfg")
    check_training_config(finetune, "en_core_web_md", "en_core_web_md")
    check_training_config(scratch, "", "en_core_web_md")  # nothing sourced: no source needed
    with pytest.raises(UserError, match="train_config .*no such file"):
        check_training_config(str(tmp_path / "none.cfg"), "en_core_web_md", "en_core_web_md")
    with pytest.raises(UserError, match="must be the vectors' pipeline"):
        check_training_config(finetune, "en_core_web_sm", "en_core_web_md")
    with pytest.raises(UserError, match="not installed"):
        check_training_config(finetune, "en_no_such_pipeline", "en_no_such_pipeline")
