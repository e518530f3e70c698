"""Extra held-out test sets (e.g. CoNLL's test without its tables) and the supervised reference: read,
fingerprinted, converted, scored beside the weakly supervised model as rows of their own."""

import json
import shlex

import pytest
import srsly

from scripts.corpus.convert import read_extra_tests, write_extra_tests
from scripts.corpus.docbin import read_docs, write_docs
from scripts.corpus.fingerprint import NOT_RUN, ensure_reference, update_fingerprint
from scripts.corpus.sources import EXTRA_DIR, HELD_OUT_DIR, data_sources, extra_tests
from scripts.model import scoring
from scripts.model.reference import reference_corpus
from scripts.model.scoring import REFERENCE
from scripts.util.errors import UserError

from .conftest import FIXTURE_CONLL, ROOT, cli, one_line_failure

TEST = FIXTURE_CONLL / "test.txt"


def test_extra_tests_name_files_and_env_wins(tmp_path, monkeypatch):
    monkeypatch.delenv("EXTRA_TESTS", raising=False)
    assert extra_tests("") == {}
    assert extra_tests(f"non_tabular={TEST}, same = {FIXTURE_CONLL / 'dev.txt'}") == {
        "non_tabular": [TEST],
        "same": [FIXTURE_CONLL / "dev.txt"],
    }
    monkeypatch.setenv("EXTRA_TESTS", f"from_env={TEST}")
    assert list(extra_tests(f"non_tabular={TEST}")) == ["from_env"]


@pytest.mark.parametrize(
    "spec, problem",
    [
        ("non_tabular", "write NAME=PATH"),
        ("=x.txt", "write NAME=PATH"),
        (f"test={TEST}", "not train/dev/test"),
        (f"a b={TEST}", "letters, digits or _"),
        (f"x={TEST},x={TEST}", "used once"),
        ("x=nowhere.txt", "no such file or folder"),
    ],
)
def test_bad_extra_tests_name_the_var(spec, problem, monkeypatch):
    monkeypatch.delenv("EXTRA_TESTS", raising=False)
    with pytest.raises(UserError) as e:
        extra_tests(spec)
    assert "--vars.extra_tests" in str(e.value) and problem in str(e.value)


def test_fingerprint_records_extra_tests_only_when_there_are_some(tmp_path, monkeypatch):
    monkeypatch.delenv("EXTRA_TESTS", raising=False)
    monkeypatch.delenv("CONLL_DIR", raising=False)
    out, held = tmp_path / "fp.json", tmp_path / "held.json"
    update_fingerprint(FIXTURE_CONLL, out, held_out_output=held)
    assert "extra_tests" not in json.loads(held.read_text()) and "test" in json.loads(held.read_text())
    assert set(json.loads(out.read_text())) == {"format", "train", "dev"}  # the method's: no held-out set
    method = out.read_text()
    extra = tmp_path / "nt.txt"
    extra.write_text(TEST.read_text())
    # an extra set, or an edit of one, changes the held-out fingerprint only: the method reruns nothing
    assert update_fingerprint(FIXTURE_CONLL, out, extra=f"nt={extra}", held_out_output=held) is False
    assert list(json.loads(held.read_text())["extra_tests"]["nt"]) == ["nt.txt"]
    extra.write_text(TEST.read_text() + "\nKia NNP I-NP I-ORG\n")
    before = held.read_text()
    assert update_fingerprint(FIXTURE_CONLL, out, extra=f"nt={extra}", held_out_output=held) is False
    assert held.read_text() != before and out.read_text() == method


def test_extra_tests_are_documents_with_gold_ents(tmp_path, monkeypatch):
    monkeypatch.delenv("EXTRA_TESTS", raising=False)
    sources = data_sources(FIXTURE_CONLL, extra=f"nt={TEST}")
    read = read_extra_tests(sources["extra_tests"], ["ORG", "PER"], conll=True)
    assert write_extra_tests(read, tmp_path, ["ORG", "PER"]) == {"nt": 3}
    docs = read_docs(tmp_path / EXTRA_DIR / "nt.spacy")
    assert [d.user_data["split"] for d in docs] == ["nt"] * 3
    labels = {e.label_ for d in docs for e in d.ents}
    assert labels == {"ORG", "PER"}  # only the labels trained
    assert docs[0].ents[0].text == "Berwick"
    # the same set as a user's .conll file, read by extension, gives the same gold
    conll = tmp_path / "nt.conll"
    conll.write_text(TEST.read_text())
    as_file = read_extra_tests({"nt": [conll]}, ["ORG", "PER"], conll=False)["nt"]
    key = lambda docs: [([t.text for t in d], [(s.start, s.end, s.label_) for s in d.spans["gold"]]) for d in docs]  # noqa: E731
    assert key(as_file) == key(read["nt"])
    # the sentences of the held-out sets, for the labelling functions: test (when there is one) and the extras
    assert [d.text for d in read_docs(tmp_path / HELD_OUT_DIR / "nt.spacy")] == [d.text for d in read["nt"]]
    assert sorted(p.name for p in (tmp_path / HELD_OUT_DIR).iterdir()) == ["nt.spacy", "sets.json"]
    write_docs(tmp_path / "test_gold.spacy", read["nt"][:2])
    write_extra_tests(read, tmp_path, ["ORG", "PER"])
    assert len(read_docs(tmp_path / HELD_OUT_DIR / "test.spacy")) == 2
    # no extra test: a folder with the list of sets only, never an empty one (`spacy project push` skips those)
    assert write_extra_tests({}, tmp_path, ["ORG"]) == {}
    assert [p.name for p in (tmp_path / EXTRA_DIR).iterdir()] == ["sets.json"]
    assert srsly.read_json(tmp_path / EXTRA_DIR / "sets.json") == {"sets": []}
    assert sorted(p.name for p in (tmp_path / HELD_OUT_DIR).iterdir()) == ["sets.json", "test.spacy"]
    assert srsly.read_json(tmp_path / HELD_OUT_DIR / "sets.json") == {"sets": ["test"]}


def test_an_extra_test_without_gold_stops_convert_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv("EXTRA_TESTS", raising=False)
    monkeypatch.delenv("CONLL_DIR", raising=False)
    blank = tmp_path / "blank.txt"
    blank.write_text("-DOCSTART- -X- -X- O\n\nNothing NN I-NP O\nhere NN I-NP O\n")
    out = tmp_path / "corpus"
    fp, held = out / "fp.json", out / "held.json"
    update_fingerprint(FIXTURE_CONLL, fp, extra=f"blank={blank}", held_out_output=held)
    result = cli(
        "scripts.corpus.convert",
        str(FIXTURE_CONLL),
        str(held),
        str(out),
        "--held-out",
        "--extra-tests",
        f"blank={blank}",
    )
    line = one_line_failure(result)
    assert str(blank) in line and "no gold entity" in line and "extra test blank" in line
    assert sorted(p.name for p in out.iterdir()) == ["fp.json", "held.json"]


def test_reference_corpus_has_every_sentence_with_its_gold(tmp_path, make_doc):
    docs = [
        make_doc("Kia Corp hired Anna Berg", spans={"gold": [(0, 2, "ORG"), (3, 5, "PER")]}, split="train"),
        make_doc("nothing here", spans={"gold": []}, split="train", index=1),
    ]
    write_docs(tmp_path / "train_gold.spacy", docs)
    assert reference_corpus(tmp_path / "train_gold.spacy", tmp_path / "ref.spacy", ["ORG"]) == (2, 1)
    out = read_docs(tmp_path / "ref.spacy")
    assert [[(e.text, e.label_) for e in d.ents] for d in out] == [[("Kia Corp", "ORG")], []]
    assert "gold" not in out[0].spans  # the training file holds doc.ents only
    with pytest.raises(UserError, match="no gold entity of MISC"):
        reference_corpus(tmp_path / "train_gold.spacy", tmp_path / "none.spacy", ["MISC"])
    assert not (tmp_path / "none.spacy").exists()


def scores(f):
    return {"p": f, "r": f, "f": f, "per_type": {"ORG": {"p": f, "r": f, "f": f}, "PER": {"p": f, "r": f, "f": f}}}


def test_summary_table_puts_every_corpus_side_by_side():
    metrics = {
        "splits": ["dev", "test", "nt"],
        "dev": {"baseline": scores(0.5), "weak labels (hmm)": scores(0.6), REFERENCE: scores(0.9)},
        "test": {"baseline": scores(0.4), REFERENCE: scores(0.8)},
        "nt": {"baseline": scores(0.3), REFERENCE: scores(0.7)},
    }
    table = scoring.summary_table(metrics, ["ORG", "PER"]).splitlines()
    assert table[0] == "| system | " + " | ".join(f"{s} F (per label: ORG / PER)" for s in ("dev", "test", "nt")) + " |"
    assert table[2] == "| baseline | " + " | ".join(f"**{f}** ({f} / {f})" for f in ("0.500", "0.400", "0.300")) + " |"
    assert table[3] == "| weak labels (hmm) | **0.600** (0.600 / 0.600) |  |  |"  # dev only
    assert table[4].startswith(f"| {REFERENCE} | **0.900**")
    per_label = scoring.comparison_table(metrics, ["ORG", "PER"])
    assert "| nt | baseline | 0.300 |" in per_label


def test_reference_placeholder_is_written_once(tmp_path):
    path = tmp_path / "training" / "reference.json"
    assert ensure_reference(path) is True and srsly.read_json(path) == {"status": NOT_RUN}
    path.write_text('{"status": "trained"}')
    assert ensure_reference(path) is False and srsly.read_json(path) == {"status": "trained"}


def project_commands():
    return {c["name"]: c for c in srsly.read_yaml(ROOT / "project.yml")["commands"]}


def test_reference_trains_the_same_config_as_train_and_stays_out_of_all():
    """One config, the same overrides: only the training corpus and the output folder differ."""
    project = srsly.read_yaml(ROOT / "project.yml")
    commands = project_commands()
    train = shlex.split(commands["train"]["script"][0])
    ref = shlex.split(next(s for s in commands["reference-train"]["script"] if "scripts.model.train" in s))

    def without(words, option):
        i = words.index(option)
        return words[:i] + words[i + 2 :], words[i + 1]

    train, train_out = without(*without(train, "--output")[:1], "--paths.train")
    ref, ref_out = without(*without(ref, "--output")[:1], "--paths.train")
    assert train == ref
    assert (train_out, ref_out) == ("corpus/train.spacy", "corpus/reference_train.spacy")
    assert "reference" not in project["workflows"]["all"]
    # gold train is read by the reference (and by pretrained, which runs pipelines on its words and passes it
    # on to annotate, which drops the gold), by nothing else that trains; dev-push and dev-pull read its words
    # for labelling from scratch (tests/test_dev_labelling.py: no gold is pushed)
    readers = {name for name, c in commands.items() if "corpus/train_gold.spacy" in c.get("deps", [])}
    assert readers == {"pretrained", "reference-train", "benchmark", "dev-push", "dev-pull"}
    assert {name for name, c in commands.items() if "corpus/train_pretrained" in c.get("deps", [])} == {"annotate"}
    assert "training/reference.json" in commands["evaluate"]["deps"]
