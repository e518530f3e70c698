"""A user's corpus: every reader on good and bad input, the *_data vars, and convert end to end on them."""

import json
import re

import pytest
import spacy
from spacy.tokens import Doc, DocBin, Span

from scripts.corpus.convert import convert_files
from scripts.corpus.docbin import read_docs
from scripts.corpus.fingerprint import update_fingerprint
from scripts.corpus.labels import GOLD
from scripts.corpus.readers import CorpusFormatError, CorpusReader, read_columns
from scripts.corpus.sources import data_sources, input_files
from scripts.util.errors import UserError

from .conftest import cli, one_line_failure


def read(path, split="dev"):
    reader = CorpusReader(split)
    docs = list(reader.read([path]))
    return docs, reader.stats


def gold(doc):
    return [(s.text, s.label_) for s in doc.spans[GOLD]]


def jsonl(tmp_path, *records, name="dev.jsonl"):
    path = tmp_path / name
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf8")
    return path


def test_jsonl_text_spans_and_documents(tmp_path):
    path = jsonl(
        tmp_path,
        {"text": "I took Aspirin. Then Advil helped.", "spans": [{"start": 7, "end": 14, "label": "DRUG"}]},
        {"text": "Tylenol too.", "spans": [{"start": 0, "end": 7, "label": "DRUG"}], "meta": {"doc_id": "a"}},
        {"text": "And Advil.", "meta": {"doc_id": "a"}},
        {"text": "Another one.", "meta": {"doc_id": "b"}},
    )
    docs, stats = read(path)
    # raw text is split into sentences; one line is one document unless consecutive lines share a doc_id
    texts = ["I took Aspirin.", "Then Advil helped.", "Tylenol too.", "And Advil.", "Another one."]
    assert [d.text for d in docs] == texts
    assert [d.user_data["doc_id"] for d in docs] == [0, 0, 1, 1, 2]
    assert [d.user_data["index"] for d in docs] == [0, 1, 2, 3, 4]
    assert gold(docs[0]) == [("Aspirin", "DRUG")] and gold(docs[2]) == [("Tylenol", "DRUG")]
    assert (stats.documents, stats.sentences, dict(stats.gold)) == (3, 5, {"DRUG": 2})


def test_jsonl_pretokenised_keeps_tokens_and_sentence(tmp_path):
    path = jsonl(
        tmp_path,
        {"tokens": ["Dr.", "Who", ".", "Took", "X-1"], "spans": [{"start": 15, "end": 18, "label": "DRUG"}]},
        {
            "tokens": [{"text": "Advil", "ws": False}, {"text": ",", "ws": True}, {"text": "ok"}],
            "spans": [{"token_start": 0, "token_end": 0, "label": "DRUG"}],
        },
    )
    docs, _ = read(path)
    assert [[t.text for t in d] for d in docs] == [["Dr.", "Who", ".", "Took", "X-1"], ["Advil", ",", "ok"]]
    assert docs[1].text == "Advil, ok"
    assert gold(docs[0]) == [("X-1", "DRUG")] and gold(docs[1]) == [("Advil", "DRUG")]


def test_sentences_never_split_a_gold_entity(tmp_path):
    text = "We met Yahoo! Inc today. Fine!"
    start = text.index("Yahoo")
    path = jsonl(tmp_path, {"text": text, "spans": [{"start": start, "end": start + 10, "label": "ORG"}]})
    docs, _ = read(path)
    assert [d.text for d in docs] == ["We met Yahoo! Inc today.", "Fine!"]  # the sentencizer would cut after "!"
    assert [gold(d) for d in docs] == [[("Yahoo! Inc", "ORG")], []]


def test_span_off_token_boundaries_is_widened_and_counted(tmp_path):
    docs, stats = read(jsonl(tmp_path, {"text": "Took Aspirins", "spans": [{"start": 5, "end": 12, "label": "DRUG"}]}))
    assert gold(docs[0]) == [("Aspirins", "DRUG")] and stats.snapped == 1


@pytest.mark.parametrize(
    "line,problem",
    [
        ('{"text": "a"', "not JSON"),
        ('["a"]', "expected a JSON object"),
        ('{"txt": "a"}', 'no "text"'),
        ('{"tokens": []}', '"tokens" must be a non-empty list'),
        ('{"tokens": ["a", ""]}', "empty, blank"),
        ('{"text": "abc", "spans": [{"start": 0, "end": 9, "label": "X"}]}', "the text's length"),
        ('{"text": "abc", "spans": [{"start": 2, "end": 1, "label": "X"}]}', "0 <= start < end"),
        ('{"text": "abc", "spans": [{"start": 0, "end": 3}]}', 'without a "label"'),
        (
            '{"text": "a b", "spans": [{"start": 0, "end": 3, "label": "X"}, {"start": 2, "end": 3, "label": "Y"}]}',
            "gold spans overlap",
        ),
        ('{"text": "a", "spans": {"start": 0}}', '"spans" must be a list'),
    ],
)
def test_bad_jsonl_line_names_file_and_line(tmp_path, line, problem):
    path = jsonl(tmp_path, {"text": "fine"}, "", line)
    with pytest.raises(CorpusFormatError) as e:
        read(path)
    assert str(e.value).startswith(f"{path}:3: ") and problem in str(e.value)


def test_txt_one_document_a_line(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("\ufeffFirst one. Second one.\n\n  Third.  \n", encoding="utf8")
    docs, stats = read(path, "train")
    assert [d.text for d in docs] == ["First one.", "Second one.", "Third."]
    assert [d.user_data["doc_id"] for d in docs] == [0, 0, 1] and stats.documents == 2


def test_txt_not_utf8_names_line(tmp_path):
    path = tmp_path / "train.txt"
    path.write_bytes(b"fine\ncaf\xe9\n")
    with pytest.raises(CorpusFormatError, match=r"train.txt:2: byte 0xe9 at column 4 is not UTF-8"):
        read(path)


def test_docbin_gold_from_ents_or_span_group(tmp_path):
    nlp = spacy.blank("en")
    a = nlp("Pfizer makes Advil")
    a.ents = [Span(a, 0, 1, "ORG"), Span(a, 2, 3, "DRUG")]
    b = nlp("Advil again")
    b.spans[GOLD] = [Span(b, 0, 1, "DRUG")]
    b.ents = [Span(b, 1, 2, "NOPE")]  # the span group wins over ents
    path = tmp_path / "dev.spacy"
    DocBin(docs=[a, b]).to_disk(path)
    docs, stats = read(path)
    assert [gold(d) for d in docs] == [[("Pfizer", "ORG"), ("Advil", "DRUG")], [("Advil", "DRUG")]]
    assert not any(d.ents for d in docs)  # only gold, in its span group: nothing else of the input trains
    assert stats.documents == 2


def test_damaged_docbin_names_file(tmp_path):
    path = tmp_path / "dev.spacy"
    path.write_bytes(b"not a docbin")
    with pytest.raises(UserError, match="dev.spacy is not a readable DocBin"):
        read(path)


def test_columns_any_labels_iob1_iob2_and_unlabelled(tmp_path):
    iob2 = tmp_path / "a.conll"
    iob2.write_text("-DOCSTART- O\n\nTake O\nAdvil B-DRUG\nExtra I-DRUG\n\nAt O\nPfizer B-ORG\n\n-DOCSTART- O\n\nX O\n")
    iob1 = tmp_path / "b.iob"
    iob1.write_text("Take\tVB\tO\nAdvil\tNN\tI-DRUG\nExtra\tNN\tI-DRUG\n")
    plain = tmp_path / "c.conll"
    plain.write_text("Take\nAdvil\n\nNow\n")
    docs, stats = read(iob2)
    assert [gold(d) for d in docs] == [[("Advil Extra", "DRUG")], [("Pfizer", "ORG")], []]
    assert [d.user_data["doc_id"] for d in docs] == [0, 0, 1] and stats.documents == 2
    assert gold(read(iob1)[0][0]) == [("Advil Extra", "DRUG")]
    assert [d.text for d in read(plain, "train")[0]] == ["Take Advil", "Now"]


@pytest.mark.parametrize(
    "text,problem",
    [("a O\nb\n", "1 columns where line 1 has 2"), ("a O\nb X-DRUG\n", "'X-DRUG' is not an NER tag")],
)
def test_bad_column_line_names_file_and_line(tmp_path, text, problem):
    path = tmp_path / "dev.conll"
    path.write_text(text)
    with pytest.raises(CorpusFormatError) as e:
        list(read_columns(path))
    assert str(e.value).startswith(f"{path}:2: ") and problem in str(e.value)


def test_input_files_folder_file_and_errors(tmp_path):
    folder = tmp_path / "train"
    folder.mkdir()
    (folder / "b.txt").write_text("x\n")
    (folder / "a.jsonl").write_text('{"text": "y"}\n')
    (folder / ".hidden").write_text("")
    assert [p.name for p in input_files(folder, "train_data")] == ["a.jsonl", "b.txt"]
    (folder / "notes.docx").write_text("")
    with pytest.raises(UserError, match=r"--vars.train_data .*notes.docx is not a corpus file"):
        input_files(folder, "train_data")
    with pytest.raises(UserError, match="unknown format '.csv'"):
        input_files(tmp_path / "x.csv", "dev_data") if (tmp_path / "x.csv").write_text("") is not None else None
    with pytest.raises(UserError, match="no such file or folder"):
        input_files(tmp_path / "nowhere.jsonl", "dev_data")
    with pytest.raises(UserError, match="--vars.dev_data is empty"):
        data_sources(tmp_path, train=str(folder))


def user_corpus(tmp_path):
    train = tmp_path / "train.txt"
    train.write_text("Took Aspirin today. It helped.\nAdvil is fine.\n")
    dev = jsonl(
        tmp_path,
        {
            "text": "Advil and Pfizer",
            "spans": [{"start": 0, "end": 5, "label": "DRUG"}, {"start": 10, "end": 16, "label": "ORG"}],
        },
    )
    return train, dev


def fingerprint_files(tmp_path, train, dev):
    """What `data` does for --vars.train_data/dev_data (no CoNLL folder)."""
    update_fingerprint(
        tmp_path / "no-conll", tmp_path / "fp.json", str(train), str(dev), held_out_output=tmp_path / "held.json"
    )


def convert_cli(tmp_path, train, dev, *options):
    """`convert` as weasel runs it on those files, into tmp_path/corpus."""
    return cli(
        "scripts.corpus.convert",
        tmp_path / "no-conll",
        tmp_path / "fp.json",
        tmp_path / "corpus",
        "--train-data",
        train,
        "--dev-data",
        dev,
        *options,
        env={"CONLL_DIR": ""},
    )


def test_convert_user_files_without_test(tmp_path):
    train, dev = user_corpus(tmp_path)
    fingerprint_files(tmp_path, train, dev)
    out = tmp_path / "corpus"
    result = convert_cli(tmp_path, train, dev, "--labels", "DRUG")
    assert result.returncode == 0, result.stdout + result.stderr
    text = " ".join(result.stdout.split())
    assert "1 gold entities of labels outside --labels are ignored (ORG 1)" in text
    assert "test:" not in text and "test_gold" not in text  # the method's convert: train and dev only
    train_texts = [d.text for d in read_docs(out / "train_gold.spacy")]
    assert train_texts == ["Took Aspirin today.", "It helped.", "Advil is fine."]
    assert not (out / "test_gold.spacy").exists()
    # the final workflow's: no test_data, an empty test
    held = cli(
        "scripts.corpus.convert",
        tmp_path / "no-conll",
        tmp_path / "held.json",
        out,
        "--held-out",
        "--train-data",
        train,
        "--dev-data",
        dev,
        "--labels",
        "DRUG",
        env={"CONLL_DIR": ""},
    )
    assert held.returncode == 0, held.stdout + held.stderr
    assert "test_gold.spacy is empty" in " ".join(held.stdout.split())
    assert read_docs(out / "test_gold.spacy") == []
    assert (out / "train_gold.spacy").is_dir()  # train streams into shards
    assert [gold(d) for d in read_docs(out / "dev_gold.spacy")] == [[("Advil", "DRUG"), ("Pfizer", "ORG")]]


def test_convert_writes_nothing_when_a_later_split_is_bad(tmp_path):
    train, _ = user_corpus(tmp_path)
    dev = jsonl(tmp_path, {"text": "no gold here"})
    out = tmp_path / "corpus"
    with pytest.raises(UserError, match="no gold entity in 1 sentences"):
        convert_files({"train": [train], "dev": [dev], "test": []}, out, 1000)
    assert not out.exists() or not any(out.iterdir())


def test_convert_refuses_files_changed_since_data(tmp_path):
    train, dev = user_corpus(tmp_path)
    fingerprint_files(tmp_path, train, dev)
    train.write_text("Changed.\n")
    result = convert_cli(tmp_path, train, dev)
    assert "changed since `data` fingerprinted it" in one_line_failure(result)


def test_bad_line_through_the_cli_is_one_line(tmp_path):
    train, _ = user_corpus(tmp_path)
    dev = jsonl(tmp_path, {"text": "Advil", "spans": [{"start": 0, "end": 5, "label": "DRUG"}]}, '{"text": 3}')
    fingerprint_files(tmp_path, train, dev)
    result = convert_cli(tmp_path, train, dev)
    assert f'{dev}:2: no "text"' in one_line_failure(result)
    assert not (tmp_path / "corpus" / "train_gold.spacy").exists()


def test_doc_of_blank_text_gives_no_sentence(tmp_path):
    reader = CorpusReader("train")
    assert reader._sentences(Doc(reader.nlp.vocab, words=[]), []) == []


def test_docbin_of_whole_documents_is_split_at_its_sentences(tmp_path):
    """`spacy convert -n 10` or nlp.pipe output: one Doc per document with sentence boundaries."""
    nlp = spacy.blank("en")
    words = ["Pfizer", "makes", "Advil", ".", "It", "sells", "Advil", "Extra", "."]
    doc = Doc(nlp.vocab, words=words, sent_starts=[True, False, False, False, True, False, False, False, False])
    doc.ents = [Span(doc, 0, 1, "ORG"), Span(doc, 2, 3, "DRUG"), Span(doc, 6, 8, "DRUG")]
    one = nlp("Another document")
    path = tmp_path / "dev.spacy"
    DocBin(docs=[doc, one]).to_disk(path)
    docs, stats = read(path)
    assert [d.text for d in docs] == ["Pfizer makes Advil .", "It sells Advil Extra .", "Another document"]
    assert [d.user_data["doc_id"] for d in docs] == [0, 0, 1] and stats.documents == 2
    assert [gold(d) for d in docs] == [[("Pfizer", "ORG"), ("Advil", "DRUG")], [("Advil Extra", "DRUG")], []]


def test_hyphens_split_or_kept(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("BRUSSELS 1996-08-22\nBre-X won 2-0 .\n")
    split = [[t.text for t in d] for d in CorpusReader("train").read([path])]
    kept = [[t.text for t in d] for d in CorpusReader("train", hyphens="keep").read([path])]
    assert split[0] == ["BRUSSELS", "1996", "-", "08", "-", "22"]
    assert kept == [["BRUSSELS", "1996-08-22"], ["Bre-X", "won", "2-0", "."]]
    with pytest.raises(UserError, match="--vars.hyphens 'join'"):
        CorpusReader("train", hyphens="join")


def test_conll_as_text_reads_back_as_the_conll_gold(tmp_path):
    """scripts.tools.conll_as_text (the README's raw-text measurement): dev, a DocBin of articles with doc.ents,
    reads back as CoNLL's sentences, gold and articles; test's character spans cover the same entity texts."""
    from scripts.corpus.conll import conll_to_dataset, dataset_to_docs
    from scripts.tools.conll_as_text import detokenise

    from .conftest import FIXTURE_CONLL

    result = cli("scripts.tools.conll_as_text", FIXTURE_CONLL, tmp_path, env={"CONLL_DIR": ""})
    assert result.returncode == 0, result.stdout + result.stderr
    as_tuples = lambda docs: [  # noqa: E731
        ([t.text for t in d], [(s.start, s.end, s.label_) for s in d.spans[GOLD]], d.user_data["doc_id"]) for d in docs
    ]
    conll = {s: list(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / f"{s}.txt"), s)) for s in ("dev", "test")}
    assert as_tuples(read(tmp_path / "dev.spacy")[0]) == as_tuples(conll["dev"])
    records = [json.loads(line) for line in (tmp_path / "test.jsonl").read_text().splitlines()]
    assert [[r["text"][s["start"] : s["end"]] for s in r["spans"]] for r in records] == [
        [s.text for s in d.spans[GOLD]] for d in conll["test"]
    ]
    assert "spans" not in json.loads((tmp_path / "train.jsonl").read_text().splitlines()[0])
    counted = re.search(
        r"test: spaCy's tokenizer reads (\d+) with hyphens split, (\d+) with hyphens keep of the (\d+)",
        " ".join(result.stdout.split()),
    )
    assert counted and int(counted[3]) == len(records) and int(counted[2]) <= int(counted[1]) <= len(records)
    assert detokenise(["He", "said", '"', "yes", '"', ",", "(", "U.S.", ")", "it", "'s", "$", "5", "."])[0] == (
        'He said "yes", (U.S.) it\'s $5.'
    )
