"""Train documents labelled from scratch become dev: `convert` moves each fully answered document, its
person's entities as gold (never train's own gold), and leaves a partly answered one in train.

The labelled file is written here with spaCy alone, as the contract in scripts/corpus/dev_from_train.py says;
tests/test_argilla.py drives dev-push and dev-pull against a real server.
"""

import pytest
from spacy.tokens import Doc, DocBin, Span

from scripts.corpus.conll import conll_to_dataset, dataset_to_docs
from scripts.corpus.dev_from_train import DevFromTrain, document_key, documents, read_labelled, sample_rank
from scripts.corpus.docbin import make_vocab, read_docs, text_sha1
from scripts.corpus.fingerprint import update_fingerprint
from scripts.corpus.labels import GOLD

from .conftest import FIXTURE_CONLL, cli, spans_of


def train_documents():
    return list(documents(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / "train.txt"), "train")))


def answer(sentence, key, ents=(), status="submitted", sentences=None):
    """A person's answer for a train sentence: its words, `ents` as (start, end, label) tokens."""
    doc = Doc(make_vocab(), words=[t.text for t in sentence], spaces=[bool(t.whitespace_) for t in sentence])
    doc.ents = [Span(doc, s, e, label=lab) for s, e, lab in ents]
    doc.user_data = {
        "split": "dev",
        "doc_key": key,
        "text_sha1": text_sha1(sentence),
        "review_status": status,
        "sentences": sentences,
    }
    return doc


def write_answers(path, docs):
    DocBin(store_user_data=True, docs=docs).to_disk(path)
    return path


def convert(tmp_path, labelled):
    out = tmp_path / "corpus"
    out.mkdir(exist_ok=True)
    update_fingerprint(FIXTURE_CONLL, out / "fp.json")
    result = cli("scripts.corpus.convert", FIXTURE_CONLL, out / "fp.json", out, "--dev-from-train", labelled)
    assert result.returncode == 0, result.stdout + result.stderr
    return out, result.stdout


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv("CONLL_DIR", raising=False)
    monkeypatch.delenv("EXTRA_TESTS", raising=False)


def test_a_fully_answered_document_moves_to_dev_with_the_persons_entities(tmp_path):
    docs = train_documents()
    moved, partial = docs[0], docs[1]
    assert len(moved) >= 2 and len(partial) >= 2
    key = document_key(moved)
    # the person labels only the first token of the first sentence, as LOC (train's gold says otherwise),
    # and discards the last sentence
    answers = [answer(moved[0], key, [(0, 1, "LOC")])]
    answers += [answer(s, key) for s in moved[1:-1]]
    answers.append(answer(moved[-1], key, status="discarded"))
    answers.append(answer(partial[0], document_key(partial), [(0, 1, "PER")]))  # one sentence of several
    labelled = write_answers(tmp_path / "labelled.spacy", answers)

    out, stdout = convert(tmp_path, labelled)
    assert "1 documents labelled from train moved to dev" in stdout and "1 partly labelled stay in train" in stdout
    train = read_docs(out / "train_gold.spacy")
    keys = [document_key(d) for d in documents(train)]
    assert key not in keys  # the whole document left train, its discarded sentence too
    assert document_key(partial) in keys  # the partly answered one stays
    assert keys == [document_key(d) for d in docs[1:]]

    dev_before = list(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / "dev.txt"), "dev"))
    dev = read_docs(out / "dev_gold.spacy")
    added = dev[len(dev_before) :]
    assert [d.text for d in dev[: len(dev_before)]] == [d.text for d in dev_before]
    assert [d.text for d in added] == [s.text for s in moved[:-1]]
    assert spans_of(added[0], GOLD) == [(0, 1, "LOC")]  # the person's, not train's gold
    assert all(spans_of(d, GOLD) == [] for d in added[1:])
    assert {d.user_data["doc_id"] for d in added} == {dev_before[-1].user_data["doc_id"] + 1}
    assert [d.user_data["index"] for d in added] == list(
        range(dev_before[-1].user_data["index"] + 1, dev_before[-1].user_data["index"] + 1 + len(added))
    )
    # the standard dev corpus (what spacy train and evaluate read) has the new document too
    standard = read_docs(out / "dev.spacy")
    assert [(e.text, e.label_) for e in standard[-1].ents] == [(moved[0][0].text, "LOC")]


def test_an_empty_file_changes_nothing(tmp_path):
    labelled = write_answers(tmp_path / "labelled.spacy", [])
    out, stdout = convert(tmp_path, labelled)
    assert "moved to dev" not in stdout
    assert len(read_docs(out / "train_gold.spacy")) == sum(len(d) for d in train_documents())


def test_the_entities_follow_the_characters_when_the_words_differ(tmp_path):
    docs = train_documents()
    doc = docs[0]
    key = document_key(doc)
    first = doc[0]  # the document's first sentence
    # an answer whose words were split differently: one word holding the sentence's first two
    words = [first[0].text + " " + first[1].text] + [t.text for t in first[2:]]
    odd = Doc(make_vocab(), words=words, spaces=[True] * (len(words) - 1) + [False])
    odd.ents = [Span(odd, 0, 1, label="ORG")]
    odd.user_data = {"doc_key": key, "text_sha1": text_sha1(first), "review_status": "submitted"}
    answers = [odd] + [answer(s, key) for s in doc[1:]]
    mover = DevFromTrain(read_labelled(write_answers(tmp_path / "l.spacy", answers)), ["ORG"])
    rest = list(mover.train([s for d in docs for s in d]))
    assert len(rest) == sum(len(d) for d in docs) - len(doc)
    moved = mover.dev_sentences(10, 3)
    assert spans_of(moved[0], GOLD) == [(0, 2, "ORG")]  # two tokens of the train sentence


def test_sample_rank_is_stable_when_other_documents_leave():
    keys = [document_key(d) for d in train_documents()]
    order = sorted(keys, key=lambda k: sample_rank(k, 42))
    rest = sorted(keys[1:], key=lambda k: sample_rank(k, 42))
    assert rest == [k for k in order if k != keys[0]]
    assert sorted(keys, key=lambda k: sample_rank(k, 7)) != order or len(keys) < 3
