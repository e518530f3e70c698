"""A step killed with SIGKILL at its worst moment leaves nothing a later run trusts, and the next run
cleans up after it (on the CoNLL fixture, through weasel, as a user runs the project)."""

import os
import subprocess
import sys

import pytest

from scripts.corpus.docbin import read_docs

from .conftest import FIXTURE_CONLL, copy_project
from .faults import appears, kill_when

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("faults"))


def command(root, step, *extra):
    return [sys.executable, "-m", "spacy", "project", "run", step, str(root), "--vars.max_steps", "10", *extra]


def environment():
    # small shards, so that annotate is killed with some shards written and others not
    return {**os.environ, "CONLL_DIR": str(FIXTURE_CONLL), "SPACY_CONFIG_OVERRIDES": "--training.eval_frequency=5"}


def run(root, step, *extra, check=True):
    proc = subprocess.run(command(root, step, *extra), cwd=root, env=environment(), capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".old")))


def test_annotate_killed_while_writing_shards(project):
    for step in ("data", "convert", "pretrained-plan", "build-gazetteers"):
        run(project, step)
    # annotate keeps the shards of its input, pretrained's output: small ones, so that it is killed with
    # some shards written and others not
    run(project, "pretrained", "--vars.shard_size", "4", "--vars.n_process", "1")
    killed = kill_when(
        command(project, "annotate", "--vars.shard_size", "4", "--vars.n_process", "1"),
        project,
        environment(),
        appears(project / "corpus", ".train_annotated.*.tmp/00001.spacy"),
    )
    assert killed, "annotate ended before the fault point"
    corpus = project / "corpus"
    assert not (corpus / "train_annotated").exists()  # only the temp folder, which nothing reads
    assert leftovers(corpus)
    # score depends on annotate's output: weasel stops it before it reads a half-written corpus
    proc = run(project, "score", check=False)
    assert proc.returncode != 0 and "dev_annotated" in proc.stdout + proc.stderr
    run(project, "annotate", "--vars.shard_size", "4", "--vars.n_process", "1")
    assert leftovers(corpus) == []
    assert len(read_docs(corpus / "train_annotated")) == 56


def test_train_killed_while_training(project):
    for step in ("score", "aggregate"):
        run(project, step)
    killed = kill_when(
        command(project, "train"), project, environment(), appears(project / "training", ".train.*.tmp/model-best")
    )
    assert killed, "train ended before the fault point"
    training = project / "training"
    assert not (training / "model-best").exists() and leftovers(training)
    proc = run(project, "evaluate", check=False)  # nothing half-trained to score
    assert proc.returncode != 0 and "model-best" in proc.stdout + proc.stderr
    assert not (training / "metrics.json").exists()
    run(project, "train")
    assert (training / "model-best" / "training_finished.json").is_file() and leftovers(training) == []
    run(project, "baseline")
    run(project, "evaluate")
    assert (training / "metrics.json").is_file()
