"""Outputs are written atomically: a failure leaves the old file (or none), never a partial one."""

import pytest

from scripts.corpus.docbin import read_docs, write_docs
from scripts.util.files import atomic_path, write_text


def test_failure_leaves_previous_content_and_no_temp_file(tmp_path):
    path = tmp_path / "out.txt"
    write_text(path, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_docbin_written_only_when_complete(tmp_path, make_doc):
    path = tmp_path / "c.spacy"

    def docs():
        yield make_doc("a b")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_docs(path, docs())
    assert not path.exists()
    assert write_docs(path, [make_doc("a b", index=3)]) == 1
    assert read_docs(path)[0].user_data["index"] == 3


def test_read_missing_corpus_says_what_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="run the step"):
        read_docs(tmp_path / "nope.spacy")


def test_outputs_get_the_usual_permissions(tmp_path):
    import os

    umask = os.umask(0)
    os.umask(umask)
    write_text(tmp_path / "a.txt", "x")
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_file_replaces_a_folder_and_back(tmp_path):
    """train_gold.spacy is a folder of shards for a user's corpus and a file for CoNLL: switching either way works."""
    from scripts.corpus.conll import conll_to_dataset, dataset_to_docs
    from scripts.corpus.docbin import CorpusWriter, read_docs, write_docs

    from .conftest import FIXTURE_CONLL

    docs = list(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / "dev.txt"), "dev"))
    path = tmp_path / "train_gold.spacy"
    with CorpusWriter(path, 2, sharded=True) as out:
        for doc in docs:
            out.add(doc)
    assert path.is_dir() and len(read_docs(path)) == len(docs)
    write_docs(path, docs[:3])
    assert path.is_file() and len(read_docs(path)) == 3
    with CorpusWriter(path, 2, sharded=True) as out:
        out.add(docs[0])
    assert path.is_dir() and len(read_docs(path)) == 1


def test_a_killed_step_that_init_has_not_reaped_yet_leaves_leftovers_that_are_removed(tmp_path):
    """A zombie (killed, not yet reaped: in a container, init may be slow to) runs no more: its temp files go."""
    import subprocess
    import time

    from scripts.util.files import remove_leftovers

    proc = subprocess.Popen(["sleep", "0"])
    time.sleep(0.3)  # it has exited; nobody has waited for it: a zombie
    leftover = tmp_path / f".train.{proc.pid}.abc.tmp"
    leftover.mkdir()
    try:
        assert remove_leftovers(tmp_path) == [leftover] and not leftover.exists()
    finally:
        proc.wait()
