"""Shared test helpers: a vocab with lexical attributes, a doc builder and the CoNLL fixture folder."""

import os
from pathlib import Path

import pytest
from spacy.tokens import Doc, Span

from scripts.corpus.docbin import make_vocab
from scripts.lfs.annotator import FunctionSettings
from scripts.project import var

# The README's first block exports CONLL_DIR and EXTRA_TESTS for the full run: the tests name their own data
# folders and extra test sets (and their subprocesses inherit this environment), so that both blocks run
# in one shell.
os.environ.pop("CONLL_DIR", None)
os.environ.pop("EXTRA_TESTS", None)

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_CONLL = Path(__file__).resolve().parent / "fixtures" / "conll"


def function_settings(labels, preset, gazetteer_dir=None, presets=None, code=None) -> FunctionSettings:
    """FunctionSettings as `annotate` makes them, the project's vars for what a test does not set."""
    return FunctionSettings(
        labels,
        preset,
        var("gazetteers_dir") if gazetteer_dir is None else gazetteer_dir,
        var("presets") if presets is None else presets,
        var("lf_code") if code is None else code,
        var("lang"),
        var("hyphens"),
    )


# Markers from the fixtures a test uses, so that `-m "not argilla"` etc. can never miss one.
FIXTURE_MARKERS = {"argilla_server": "argilla", "browser": "browser", "cluster": "slow"}


def pytest_collection_modifyitems(items):
    for item in items:
        for fixture, marker in FIXTURE_MARKERS.items():
            if fixture in item.fixturenames:
                item.add_marker(marker)


@pytest.fixture(scope="session")
def vocab():
    return make_vocab()


@pytest.fixture
def make_doc(vocab):
    """make_doc("Kia Corp said", spans={"gold": [(0, 2, "ORG")]}, index=3) -> Doc."""

    def _make(text, spans=None, split="dev", index=0, doc_id=0):
        doc = Doc(vocab, words=text.split())
        for name, triples in (spans or {}).items():
            doc.spans[name] = [Span(doc, s, e, label=lab) for s, e, lab in triples]
        doc.user_data.update({"split": split, "index": index, "doc_id": doc_id})
        return doc

    return _make


def copy_project(dest: Path) -> Path:
    """A copy of the project (project.yml, scripts, configs, lfs) to run weasel in; returns `dest`."""
    import shutil

    for name in ("project.yml", "scripts", "configs", "lfs"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    return dest


def one_line_failure(result) -> str:
    """The one line a failed command printed (exit 1, no traceback); fails the test otherwise."""
    out = result.stdout + result.stderr
    assert result.returncode == 1, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, out
    return lines[0]


def cli(module: str, *args, cwd=ROOT, env=None, timeout=300):
    """Run `python -m MODULE ARGS` (a project command) and return the CompletedProcess."""
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def spans_of(doc, group):
    return [(s.start, s.end, s.label_) for s in doc.spans[group]]


@pytest.fixture
def fresh_registry():
    """A test's own functions leave the registry, and their modules sys.modules, as they were before it (the
    project's own functions declared first: their modules declare them once per process)."""
    import sys

    import catalogue

    from scripts.lfs.registry import load_builtin

    load_builtin()
    ours = lambda: {k: v for k, v in catalogue.REGISTRY.items() if k[:2] == ("weak_ner", "lfs")}  # noqa: E731
    before, modules = ours(), set(sys.modules)
    yield
    for key in ours():
        catalogue.REGISTRY.pop(key)
    catalogue.REGISTRY.update(before)
    for name in set(sys.modules) - modules:
        if name.startswith("weak_ner_user_lfs."):
            del sys.modules[name]
