"""predict (a pipeline over .txt/.jsonl/.spacy documents) and visualize (the displaCy page of dev errors).

The pipeline here is the shipped tokenizer, an entity ruler in the NER's place and doc_consistency: what
predict and visualize do with any pipeline, in seconds. The trained model goes through them in
test_workflow.py.
"""

import json

import pytest
import spacy
from spacy.tokens import Doc, DocBin, Span

from scripts.corpus.docbin import make_vocab, read_docs
from scripts.model import predict as p
from scripts.model import visualize as v
from scripts.pipeline import components  # noqa: F401  (doc_consistency, the tokenizer)
from tests.browser_helpers import browser  # noqa: F401  (fixture)
from tests.conftest import cli, one_line_failure

LABELS = ["ORG", "PER", "LOC", "MISC"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "weak_ner.Tokenizer.v1", "hyphens": "keep"}}})
    ruler = nlp.add_pipe("entity_ruler", name="ner")
    ruler.add_patterns(
        [
            {"label": "ORG", "pattern": "Acme Corp"},
            {"label": "ORG", "pattern": "Bre-X"},
            {"label": "LOC", "pattern": "Paris"},
            {"label": "LOC", "pattern": "Somerset"},
            {"label": "PER", "pattern": "Anna Berg"},
        ]
    )
    nlp.add_pipe("doc_consistency")
    path = tmp_path_factory.mktemp("model") / "pipeline"
    nlp.to_disk(path)
    return path


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_txt_to_jsonl_one_document_a_line(model, tmp_path):
    (tmp_path / "in.txt").write_text("Acme Corp hired Anna Berg in Paris .\n\nBre-X fell .\n")
    assert p.predict(str(model), tmp_path / "in.txt", tmp_path / "out.jsonl") == 2
    out = read_jsonl(tmp_path / "out.jsonl")
    assert [r["text"] for r in out] == ["Acme Corp hired Anna Berg in Paris .", "Bre-X fell ."]
    first = out[0]["spans"]
    assert [(s["text"], s["label"]) for s in first] == [("Acme Corp", "ORG"), ("Anna Berg", "PER"), ("Paris", "LOC")]
    assert all(out[0]["text"][s["start"] : s["end"]] == s["text"] for s in first)  # character offsets
    assert out[1]["spans"] == [{"start": 0, "end": 5, "label": "ORG", "text": "Bre-X"}]  # the hyphen kept


def test_documents_are_whole_for_doc_consistency(model, tmp_path):
    """A county in a cricket report is a club: doc_consistency sees the headline of the same document."""
    text = "CRICKET - RESULTS .\nRain in Somerset .\nSomerset beat Kent ."
    (tmp_path / "in.jsonl").write_text(json.dumps({"text": text, "meta": {"id": 7}}) + "\n")
    p.predict(str(model), tmp_path / "in.jsonl", tmp_path / "out.jsonl")
    (out,) = read_jsonl(tmp_path / "out.jsonl")
    assert [(s["text"], s["label"]) for s in out["spans"]] == [
        ("Somerset", "ORG"),
        ("Somerset", "ORG"),
        ("Kent", "ORG"),
    ]
    assert out["meta"] == {"id": 7}


def test_jsonl_tokens_and_spacy_in_spacy_out(model, tmp_path):
    (tmp_path / "in.jsonl").write_text(json.dumps({"tokens": ["Paris", "-", "Acme", "Corp"]}) + "\n")
    doc = Doc(make_vocab(), words=["Anna", "Berg", "saw", "Paris"])
    doc.ents = [Span(doc, 2, 3, label="MISC")]  # any entity a .spacy input holds is replaced
    DocBin(docs=[doc]).to_disk(tmp_path / "in.spacy")
    n = p.predict(str(model), tmp_path, tmp_path / "out.spacy", batch_size=1)  # the folder: both files
    assert n == 2
    docs = read_docs(tmp_path / "out.spacy")
    assert [t.text for t in docs[0]] == ["Paris", "-", "Acme", "Corp"]  # the given tokens
    assert [(e.text, e.label_) for e in docs[0].ents] == [("Paris", "LOC"), ("Acme Corp", "ORG")]
    assert [(e.text, e.label_) for e in docs[1].ents] == [("Anna Berg", "PER"), ("Paris", "LOC")]


def test_two_processes_give_the_same_output(model, tmp_path):
    lines = [f"Acme Corp {i} in Paris ." for i in range(40)]
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n")
    p.predict(str(model), tmp_path / "in.txt", tmp_path / "one.jsonl")
    p.predict(str(model), tmp_path / "in.txt", tmp_path / "two.jsonl", batch_size=8, n_process=2)
    assert (tmp_path / "one.jsonl").read_text() == (tmp_path / "two.jsonl").read_text()


def test_bad_input_names_the_line_and_writes_nothing(model, tmp_path):
    (tmp_path / "in.jsonl").write_text('{"text": "Paris"}\n{"txt": "Paris"}\n')
    line = one_line_failure(cli("scripts.model.predict", model, tmp_path / "in.jsonl", tmp_path / "out.jsonl"))
    assert f"{tmp_path / 'in.jsonl'}:2" in line and '"text"' in line
    assert not (tmp_path / "out.jsonl").exists()
    line = one_line_failure(cli("scripts.model.predict", model, tmp_path / "in.jsonl", tmp_path / "out.csv"))
    assert "out.csv" in line and ".jsonl or .spacy" in line


def reference(text, ents):
    """A dev document with gold ents given as (substring, label), each at its first occurrence."""
    doc = spacy.blank("en").make_doc(text)
    spans = [doc.char_span(text.index(s), text.index(s) + len(s), label=lab) for s, lab in ents]
    doc.ents = spans
    return doc


def dev_documents():
    refs = [
        reference(
            "Acme Corp hired Anna Berg .\nShe lives in Lyon .",
            [("Acme Corp", "ORG"), ("Anna Berg", "PER"), ("Lyon", "LOC")],
        ),
        reference("Paris is big .", [("Paris", "LOC")]),
    ]
    weak = [reference(r.text, [(e.text, e.label_) for e in r.ents][:1]) for r in refs]
    return refs, weak


def test_visualize_marks_false_positives_and_misses(model):
    refs, weak = dev_documents()
    refs[1].ents = [Span(refs[1], 0, 1, label="ORG")]  # gold says ORG: the model's LOC is wrong
    page, n_errors = v.visualize(spacy.load(model), refs, weak, LABELS, sample=5, seed=1, weak_name="weak (hmm)")
    assert n_errors == 3  # Lyon missed; Paris LOC is a false positive and ORG a miss
    assert page.index("dev document 1") < page.index("dev document 0")  # (no doc_id: the index) most errors first
    assert "LOC ✗" in page and "LOC missed" in page and "ORG missed" in page
    assert page.count("<mark") == (3 + 2 + 1) + (1 + 1 + 1)  # gold, model, weak of each document
    assert "weak (hmm)" in page and "<!DOCTYPE html>" in page


def test_visualize_page_renders_in_chromium(model, browser, tmp_path):  # noqa: F811
    refs, weak = dev_documents()
    page, _ = v.visualize(spacy.load(model), refs, weak, LABELS, sample=5, seed=1)
    (tmp_path / "page.html").write_text(page)
    tab = browser.new_page(viewport={"width": 1200, "height": 800})
    tab.goto((tmp_path / "page.html").as_uri())
    marks = tab.locator("mark")
    assert marks.count() == (3 + 2 + 1) + (1 + 1 + 1)
    assert "LOC missed" in tab.locator("section.doc").first.inner_text()  # Lyon
    box = marks.first.bounding_box()
    assert box and box["width"] > 10 and box["height"] > 10  # laid out, not just in the DOM
    tab.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert (tmp_path / "page.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    tab.close()
