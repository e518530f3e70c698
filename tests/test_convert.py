"""CoNLL reading: IOB1 and IOB2, -DOCSTART- documents, empty rows, malformed input, the data folder."""

import json

import pytest

from scripts.corpus.conll import ConllFormatError, conll_to_dataset, dataset_to_docs, iob_to_spans, read_conll
from scripts.corpus.docbin import read_docs
from scripts.corpus.fingerprint import check_conll_dir, ensure_reviewed, resolve_conll_dir, update_fingerprint
from scripts.corpus.labels import GOLD

from .conftest import FIXTURE_CONLL, spans_of


def write(tmp_path, text, name="train.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf8")
    return path


@pytest.mark.parametrize(
    "tags,expected",
    [
        # IOB2: B- starts every entity
        (["B-ORG", "I-ORG", "O", "B-PER"], [(0, 2, "ORG"), (3, 4, "PER")]),
        # IOB1: I- starts an entity after O or another type; B- only splits same-type neighbours
        (["I-ORG", "I-ORG", "O", "I-PER"], [(0, 2, "ORG"), (3, 4, "PER")]),
        (["I-LOC", "B-LOC", "I-LOC"], [(0, 1, "LOC"), (1, 3, "LOC")]),
        (["I-ORG", "I-PER"], [(0, 1, "ORG"), (1, 2, "PER")]),
        (["B-MISC", "B-MISC"], [(0, 1, "MISC"), (1, 2, "MISC")]),
        (["O", "O"], []),
        (["I-ORG"], [(0, 1, "ORG")]),
    ],
)
def test_iob_to_spans(tags, expected):
    assert iob_to_spans(tags) == expected


def test_iob1_and_iob2_files_give_the_same_docs(tmp_path):
    iob2 = "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\n\n"
    iob1 = "-DOCSTART- -X- -X- O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP O\nGerman JJ I-NP I-MISC\n\n"
    d2 = list(dataset_to_docs(conll_to_dataset(write(tmp_path, iob2, "a.txt")), "train"))
    d1 = list(dataset_to_docs(conll_to_dataset(write(tmp_path, iob1, "b.txt")), "train"))
    assert spans_of(d1[0], GOLD) == spans_of(d2[0], GOLD) == [(0, 1, "ORG"), (2, 3, "MISC")]


def test_docstart_and_empty_rows(tmp_path):
    text = (
        "-DOCSTART- -X- -X- O\n\n\n"  # extra blank rows never make empty sentences
        "A NNP B-NP B-PER\n\n"
        "b NN B-NP O\n\n\n"
        "-DOCSTART- -X- -X- O\n\n"
        "-DOCSTART- -X- -X- O\n\n"  # an empty document is not counted
        "C NNP B-NP B-LOC\n"  # last sentence without a trailing blank line
    )
    rows = list(read_conll(write(tmp_path, text)))
    assert [(doc_id, words) for doc_id, words, _ in rows] == [(0, ["A"]), (0, ["b"]), (1, ["C"])]


def test_sentences_before_any_docstart_are_document_0(tmp_path):
    rows = list(read_conll(write(tmp_path, "A NNP B-NP O\n\n-DOCSTART- -X- -X- O\n\nB NNP B-NP O\n")))
    assert [r[0] for r in rows] == [0, 1]


@pytest.mark.parametrize(
    "bad,problem",
    [
        ("EU\n", "expected 'word POS chunk NER'"),
        ("EU NNP B-NP B-ORGX\n", "unknown NER tag 'B-ORGX'"),
        ("EU NNP B-NP E-ORG\n", "unknown NER tag 'E-ORG'"),
        ("EU NNP B-ORG\n", "3 columns where line 3 has 4"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path, bad, problem):
    path = write(tmp_path, "-DOCSTART- -X- -X- O\n\nFine NNP B-NP O\n" + bad)
    with pytest.raises(ConllFormatError) as e:
        list(read_conll(path))
    assert f"{path}:4:" in str(e.value)
    assert problem in str(e.value)


def test_dataset_has_hub_features_and_docs_keep_ids(tmp_path):
    ds = conll_to_dataset(FIXTURE_CONLL / "dev.txt")
    assert ds.features["ner_tags"].feature.names[:3] == ["O", "B-PER", "I-PER"]
    docs = list(dataset_to_docs(ds, "dev"))
    assert len(docs) == len(ds) > 20
    assert [d.user_data["index"] for d in docs] == list(range(len(docs)))
    assert sorted({d.user_data["doc_id"] for d in docs}) == [0, 1, 2]
    assert all(d.user_data["split"] == "dev" for d in docs)
    kia = next(d for d in docs if d.text.startswith("Shares of Kia"))
    assert [(s.text, s.label_) for s in kia.spans[GOLD]] == [("Kia Corp", "ORG"), ("Seoul", "LOC")]
    # vocab with lexical attributes (skweak functions rely on them)
    assert kia[2].is_title


def test_fixture_test_split_is_iob1_and_reads_like_iob2():
    test = list(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / "test.txt"), "test"))
    dev = list(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / "dev.txt"), "dev"))
    assert "B-" not in (FIXTURE_CONLL / "test.txt").read_text()
    gold = lambda docs: {(d.text, tuple(spans_of(d, GOLD))) for d in docs}  # noqa: E731
    assert gold(test) == gold(dev)  # same sentences, other order and scheme


def test_conll_dir_env_overrides_var(tmp_path, monkeypatch):
    monkeypatch.delenv("CONLL_DIR", raising=False)
    assert resolve_conll_dir(tmp_path) == tmp_path
    monkeypatch.setenv("CONLL_DIR", str(FIXTURE_CONLL))
    assert resolve_conll_dir(tmp_path) == FIXTURE_CONLL


def test_missing_data_folder_says_which_var_to_set(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        check_conll_dir(tmp_path / "nowhere")
    assert "CONLL_DIR" in str(e.value) and "conll_dir" in str(e.value)


def test_fingerprint_rewritten_only_on_change(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for split in ("train", "dev", "test"):
        (data / f"{split}.txt").write_text((FIXTURE_CONLL / f"{split}.txt").read_text())
    out = tmp_path / "fp.json"
    assert update_fingerprint(data, out) is True
    before = out.stat().st_mtime_ns
    assert update_fingerprint(data, out) is False
    assert out.stat().st_mtime_ns == before
    (data / "dev.txt").write_text((data / "dev.txt").read_text() + "Extra NNP B-NP O\n")
    assert update_fingerprint(data, out) is True
    written = json.loads(out.read_text())
    assert written["dev"].keys() == {"dev.txt"} and written["format"] == "conll2003"


def test_ensure_reviewed_creates_empty_docbin_once(tmp_path):
    path = tmp_path / "reviewed.spacy"
    assert ensure_reviewed(path) is True
    assert read_docs(path) == []
    assert ensure_reviewed(path) is False
