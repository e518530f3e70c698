"""Bad input and bad settings: one line that names the file (and line) or the setting, exit 1, nothing
written that a later run would trust, and the check before any expensive work."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from spacy.tokens import DocBin

from scripts.corpus.docbin import DamagedCorpusError, iter_shards, read_docs, write_docs
from scripts.corpus.fingerprint import update_fingerprint
from scripts.util.errors import UserError
from scripts.util.files import atomic_dir, remove_leftovers
from scripts.util.parallel import Parallelism

from .conftest import FIXTURE_CONLL, ROOT, cli, one_line_failure


def data_dir(tmp_path, **replace):
    """A copy of the CoNLL fixture with some split files replaced (bytes), fingerprinted as `data` would."""
    folder = tmp_path / "conll"
    shutil.copytree(FIXTURE_CONLL, folder)
    for split, data in replace.items():
        (folder / f"{split}.txt").write_bytes(data)
    update_fingerprint(folder, tmp_path / "fingerprint.json", held_out_output=tmp_path / "held.json")
    return folder


def convert(tmp_path, folder, held_out=False):
    """`convert` as the method runs it (train, dev), or as the final workflow does (test: `held_out`)."""
    fingerprint, more = (tmp_path / "held.json", ["--held-out"]) if held_out else (tmp_path / "fingerprint.json", [])
    return cli("scripts.corpus.convert", folder, fingerprint, tmp_path / "corpus", *more, env={"CONLL_DIR": ""})


GOOD = (FIXTURE_CONLL / "train.txt").read_bytes()


@pytest.mark.slow  # runs the command (a few seconds each)
@pytest.mark.parametrize(
    "split,data,expected",
    [
        ("train", GOOD.replace(b"Petroleum", b"P\xe9troleum"), "train.txt:4: byte 0xe9 at column 2 is not UTF-8"),
        ("dev", GOOD.replace(b"Petroleum", b"Petro\x00leum"), "dev.txt:4: control character U+0000 at column 6"),
        ("train", b"", "train.txt: no sentence (empty, or only -DOCSTART- lines)"),
        ("train", b"-DOCSTART- -X- -X- O\n\n-DOCSTART- -X- -X- O\n", "train.txt: no sentence"),
        ("dev", b"-DOCSTART- -X- -X- O\n\nHe PRP B-NP O\nsaid VBD B-VP O\n", "dev.txt: no gold entity in 1 sentences"),
        ("test", GOOD.replace(b"Corp NNP", b"Co\xef\xbb\xbfrp NNP"), "test.txt:5: control character U+FEFF"),
    ],
    ids=["latin1", "nul", "empty", "docstart-only", "dev-without-entities", "bom-inside"],
)
def test_convert_refuses_bad_files_in_one_line_and_writes_nothing(tmp_path, split, data, expected):
    result = convert(tmp_path, data_dir(tmp_path, **{split: data}), held_out=split == "test")
    line = one_line_failure(result)
    assert expected in line, line
    assert not (tmp_path / "corpus").exists()  # every split is checked before any is written


@pytest.mark.slow  # runs the command (a few seconds each)
def test_a_bom_at_the_start_is_dropped_not_read_as_a_sentence(tmp_path):
    result = convert(tmp_path, data_dir(tmp_path, train=b"\xef\xbb\xbf" + GOOD, dev=b"\xef\xbb\xbf" + GOOD))
    assert result.returncode == 0, result.stdout + result.stderr
    for split in ("train", "dev"):
        docs = read_docs(tmp_path / "corpus" / f"{split}_gold.spacy")
        assert not any("DOCSTART" in d.text or "\ufeff" in d.text for d in docs)
        assert docs[0].text.startswith("Acme Petroleum Corp")
    first = read_docs(tmp_path / "corpus" / "dev_gold.spacy")[0]
    assert first.spans["gold"][0].text == "Acme Petroleum Corp"  # no BOM in the gold span


def annotated_dev(tmp_path):
    """A tiny dev corpus with gold and one function's spans, as annotate writes it."""
    result = convert(tmp_path, data_dir(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    return tmp_path / "corpus" / "dev_gold.spacy"


@pytest.mark.slow  # runs the command (a few seconds each)
@pytest.mark.parametrize(
    "labels,expected",
    [
        ("FOO", "--vars.labels 'FOO': FOO never occurs in the gold of"),
        ("org", "--vars.labels 'org': 'org' is not a label name (upper case, e.g. ORG): did you mean ORG?"),
        ("", "--vars.labels '': names no label"),
    ],
)
def test_labels_are_checked_before_annotating(tmp_path, labels, expected):
    dev = annotated_dev(tmp_path)
    train = tmp_path / "corpus" / "train_gold.spacy"
    result = cli(
        "scripts.lfs.annotate", train, tmp_path / "out", "--dev", dev, tmp_path / "dev_out", "--labels", labels
    )
    assert expected in one_line_failure(result)
    assert not (tmp_path / "out").exists() and not (tmp_path / "dev_out").exists()


@pytest.mark.slow  # runs the command (a few seconds each)
@pytest.mark.parametrize(
    "args,expected",
    [
        (["--min-precision", "2"], "--vars.min_precision 2.0: must be between 0 and 1"),
        (["--min-precision", "1"], "--vars.min_precision 1.0: no labelling function reaches it on dev"),
        (["--weights", "best"], "--vars.lf_weights 'best': must be one of"),
        (["--label-min-precision", "ORG:1.5"], "--vars.label_min_precision 'ORG:1.5'"),
        (["--labels", "FOO"], "FOO never occurs in the gold of"),
    ],
)
def test_score_settings_are_checked(tmp_path, make_doc, args, expected):
    from scripts.corpus.docbin import write_docs

    docs = [
        make_doc("Kia Corp said", spans={"gold": [(0, 2, "ORG")], "lf": [(0, 1, "ORG")]}, index=0),
        make_doc("Acme Corp fell", spans={"gold": [(0, 2, "ORG")], "lf": [(0, 2, "ORG"), (2, 3, "ORG")]}, index=1),
    ]
    write_docs(tmp_path / "dev", docs, shard_size=1000)
    result = cli("scripts.labelmodel.score", tmp_path / "dev", tmp_path / "training", "--labels", "ORG", *args)
    assert expected in one_line_failure(result)
    assert not (tmp_path / "training").exists()


@pytest.mark.parametrize("n_process,shard_size,name", [(-3, 10, "n_process"), (1, 0, "shard_size")])
def test_parallel_settings_are_checked(n_process, shard_size, name):
    with pytest.raises(UserError, match=f"--vars.{name} .*must be at least"):
        Parallelism.from_options(n_process, shard_size, "")


@pytest.mark.slow  # runs the command (a few seconds each)
def test_aggregate_checks_its_settings_first(tmp_path):
    selection = tmp_path / "sel.json"
    selection.write_text(json.dumps({"kept": {}, "weights": {}}))
    (tmp_path / "train").mkdir()
    (tmp_path / "dev").mkdir()
    args = [tmp_path / "train", tmp_path / "dev", selection, tmp_path / "corpus", tmp_path / "s.json"]
    line = one_line_failure(cli("scripts.labelmodel.aggregate", *args, "--aggregator", "best"))
    assert "--vars.aggregator 'best': must be one of majority, hmm" in line
    line = one_line_failure(cli("scripts.labelmodel.aggregate", *args, "--n-process", "-3"))
    assert "--vars.n_process -3: must be at least 0" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev", "sel.json", "train"]


@pytest.mark.slow  # runs the command (a few seconds each)
def test_a_truncated_shard_is_named(tmp_path, make_doc):
    write_docs(tmp_path / "corpus", [make_doc(f"Kia Corp said {i}", index=i, doc_id=i) for i in range(6)], shard_size=2)
    shard = tmp_path / "corpus" / "00001.spacy"
    shard.write_bytes(shard.read_bytes()[:-20])
    with pytest.raises(DamagedCorpusError, match="00001.spacy is not a readable DocBin"):
        list(iter_shards(tmp_path / "corpus"))
    with pytest.raises(DamagedCorpusError, match="00001.spacy"):
        read_docs(tmp_path / "corpus")
    result = cli("scripts.labelmodel.score", tmp_path / "corpus", tmp_path / "training", "--labels", "ORG")
    line = one_line_failure(result)
    assert "00001.spacy is not a readable DocBin" in line and "--force" in line


def test_leftovers_of_killed_writers_are_removed_and_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    (tmp_path / f".train_annotated.{dead_pid}.abc123.tmp").mkdir()
    (tmp_path / f".reviewed.spacy.{dead_pid}.xyz.tmp").write_text("half")
    (tmp_path / f".voted.{dead_pid}.q1w2.tmp").mkdir()
    (tmp_path / f".train_annotated.{dead_pid}.old9.old").mkdir()
    live = tmp_path / f".dev_annotated.{os.getppid()}.abc.tmp"  # pytest's parent: alive
    live.mkdir()
    keep = tmp_path / "train.spacy"
    keep.write_text("x")
    with atomic_dir(tmp_path / "out") as tmp:
        (tmp / "a").write_text("a")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "out", "train.spacy"])
    assert remove_leftovers(tmp_path) == []


WRITER = """
import sys, time
from pathlib import Path
from scripts.util.files import atomic_dir
for i in range(30):
    with atomic_dir(Path(sys.argv[1])) as tmp:
        for j in range(20):
            (tmp / f"{j}.txt").write_text(sys.argv[2])
"""


@pytest.mark.slow  # runs the command (a few seconds each)
def test_two_writers_of_one_folder_never_collide(tmp_path):
    """Two processes replacing one folder at once: no ENOTEMPTY, no .old folder left, one complete result."""
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "out"), tag], cwd=ROOT, stderr=subprocess.PIPE)
        for tag in ("a", "b")
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    contents = {f.read_text() for f in (tmp_path / "out").iterdir()}
    assert len(list((tmp_path / "out").iterdir())) == 20 and len(contents) == 1


@pytest.mark.slow  # runs the command (a few seconds each)
def test_evaluate_refuses_a_model_that_train_did_not_finish(tmp_path):
    import spacy

    model = tmp_path / "model-best"
    spacy.blank("en").to_disk(model)  # what a killed `spacy train` leaves: a loadable checkpoint
    (tmp_path / "b.json").write_text("{}")
    args = [model, tmp_path, tmp_path / "b.json", tmp_path / "b.json", tmp_path / "training"]
    line = one_line_failure(cli("scripts.model.evaluate", *args))
    assert "model-best is not a pipeline that `train` finished" in line and "spacy project run train" in line
    assert not (tmp_path / "training").exists()


def finished_pipeline(folder):
    """A folder as `train` leaves it: files, then the marker with their digest."""
    from scripts.model.train import FINISHED, pipeline_digest

    (folder / "ner").mkdir(parents=True)
    (folder / "meta.json").write_text('{"lang": "en"}')
    (folder / "ner" / "model").write_bytes(b"weights")
    (folder / FINISHED).write_text(json.dumps({"md5": pipeline_digest(folder)}))
    return folder


def test_a_pipeline_changed_after_train_is_refused(tmp_path):
    from scripts.model.train import check_finished, check_unchanged, pipeline_digest

    model = finished_pipeline(tmp_path / "model-best")
    check_finished(model)  # as train left it
    digest = pipeline_digest(model)
    (model / "ner" / "model").write_bytes(b"weightz")  # same size, other bytes
    assert pipeline_digest(model) != digest
    with pytest.raises(UserError, match="model-best changed after `train` finished it.*spacy project run train"):
        check_unchanged(model)
    (model / "ner" / "model").write_bytes(b"weights")
    (model / "ner" / "model").rename(model / "ner" / "model2")  # same bytes under another name
    with pytest.raises(UserError, match="changed after `train` finished it"):
        check_finished(model)


@pytest.mark.slow  # runs the command (a few seconds each)
def test_package_refuses_a_pipeline_changed_after_train(tmp_path):
    model = finished_pipeline(tmp_path / "model-best")
    (model / "meta.json").write_text('{"lang": "de"}')
    (tmp_path / "x.json").write_text("{}")
    opts = [f"--{name}" for name in ("metrics", "selection", "fingerprint")]
    args = [a for o in opts for a in (o, tmp_path / "x.json")]
    line = one_line_failure(cli("scripts.model.package", model, tmp_path / "packages", *args))
    assert "model-best changed after `train` finished it" in line and "spacy project run train" in line
    assert not (tmp_path / "packages").exists()


@pytest.mark.slow  # runs the command (a few seconds each)
def test_user_error_prints_one_line_even_when_long(tmp_path):
    result = cli("scripts.corpus.convert", tmp_path / "nowhere", tmp_path / "f.json", tmp_path, env={"CONLL_DIR": ""})
    line = one_line_failure(result)
    assert "CoNLL 2003 data not found" in line and "CONLL_DIR" in line


@pytest.mark.slow  # runs the command (a few seconds each)
def test_a_damaged_reviewed_file_stops_aggregate_with_its_name(tmp_path, make_doc):
    (tmp_path / "reviewed.spacy").write_bytes(DocBin().to_bytes()[:-5])
    selection = tmp_path / "sel.json"
    selection.write_text(json.dumps({"kept": {"lf": []}, "weights": {}}))
    write_docs(
        tmp_path / "train", [make_doc("Kia Corp said", split="train", spans={"lf": [(0, 2, "ORG")]})], shard_size=1000
    )
    dev = [make_doc("Kia Corp said", spans={"gold": [(0, 2, "ORG")], "lf": [(0, 2, "ORG")]})]
    write_docs(tmp_path / "dev", dev, shard_size=1000)
    started = time.monotonic()
    args = [tmp_path / "train", tmp_path / "dev", selection, tmp_path / "corpus", tmp_path / "s.json"]
    result = cli("scripts.labelmodel.aggregate", *args, "--reviewed", tmp_path / "reviewed.spacy", "--labels", "ORG")
    line = one_line_failure(result)
    assert "reviewed.spacy is not a readable DocBin" in line
    assert not (tmp_path / "corpus").exists() and time.monotonic() - started < 120


@pytest.mark.slow  # runs the command (a few seconds each)
def test_aggregate_refuses_a_train_set_no_function_fires_on(tmp_path, make_doc):
    """(Labels the dev gold lacks are refused by annotate and score, before aggregate runs.)"""
    selection = tmp_path / "sel.json"
    selection.write_text(json.dumps({"kept": {"lf": ["ORG"]}, "weights": {}}))
    write_docs(
        tmp_path / "train", [make_doc(f"Kia Corp said {i}", split="train", index=i) for i in range(3)], shard_size=1000
    )
    write_docs(
        tmp_path / "dev",
        [make_doc("Kia Corp said", spans={"gold": [(0, 2, "ORG")], "lf": [(0, 2, "ORG")]})],
        shard_size=1000,
    )
    args = [tmp_path / "train", tmp_path / "dev", selection, tmp_path / "corpus", tmp_path / "s.json"]
    line = one_line_failure(cli("scripts.labelmodel.aggregate", *args, "--labels", "ORG", "--aggregator", "hmm"))
    assert "train: no kept labelling function fires on any train sentence for the labels ORG" in line
    assert not (tmp_path / "corpus").exists() and not (tmp_path / "s.json").exists()
