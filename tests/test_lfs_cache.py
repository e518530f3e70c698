"""annotate's cache (scripts/lfs/cache.py, keys.py): the same bytes as without it, only the functions whose
key changed run again (a module of functions, a shared helper, a word list, a lexicon), and a killed
annotate leaves no entry that a later run trusts."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import srsly

from scripts.corpus.conll import conll_to_dataset, dataset_to_docs
from scripts.corpus.docbin import write_docs
from scripts.lfs import cache as lf_cache
from scripts.lfs.annotate import annotate_corpora
from scripts.lfs.annotator import get_annotator
from scripts.lfs.cache import LAST_RUN, SUFFIX, SpanCache
from scripts.lfs.keys import FunctionKeys
from scripts.util.parallel import Parallelism

from .conftest import FIXTURE_CONLL, ROOT, cli, copy_project, function_settings

pytestmark = pytest.mark.usefixtures("fresh_registry")
LABELS = "PER,ORG,LOC,MISC"
DOCUMENT = ["doc_majority_cased", "doc_history"]
ALPHA = """from scripts.lfs.registry import labelling_function


@labelling_function("alpha_org", labels=["ORG"], roles=["doc_vote"])
def alpha_org(doc):
    for tok in doc[1:]:
        if tok.text in ("Corp",):
            yield tok.i - 1, tok.i + 1, "ORG"
"""
BETA = """from pathlib import Path

from scripts.lfs.registry import gazetteer, labelling_function

gazetteer("beta_loc", "places.txt", label="LOC", roles=["doc_vote"])
WORDS = (Path(__file__).parent / "words.txt").read_text().split()


@labelling_function("beta_misc", labels=["MISC"])
def beta_misc(doc):
    for tok in doc:
        if tok.text in WORDS:
            yield tok.i, tok.i + 1, "MISC"
"""
PRESETS = {"mine": ["alpha_org", "beta_loc", "beta_misc", "shire_team", "Corp (end)", *DOCUMENT]}
USER = ["alpha_org", "beta_loc", "beta_misc"]
BUILT_IN = ["shire_team", "Corp (end)"]


def corpus(tmp: Path) -> None:
    for split in ("train", "dev"):
        docs = dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / f"{split}.txt"), split)
        write_docs(tmp / f"{split}.spacy", list(docs))


@pytest.fixture
def user_project(tmp_path):
    code = tmp_path / "lfs"
    code.mkdir()
    (code / "alpha.py").write_text(ALPHA)
    (code / "beta.py").write_text(BETA)
    (code / "places.txt").write_text("Paris\nLondon\n")
    (code / "words.txt").write_text("German\n")
    srsly.write_yaml(tmp_path / "presets.yml", PRESETS)
    (tmp_path / "gazetteers").mkdir()
    corpus(tmp_path)
    return tmp_path


def annotate(tmp: Path, cache: bool = True, out: str = "out", cwd: Path = ROOT, preset: str = "mine"):
    """`python -m scripts.lfs.annotate` on train and dev as the project runs it: the output files' bytes and,
    with the cache, the functions that ran."""
    result = cli(
        "scripts.lfs.annotate",
        tmp / "train.spacy",
        tmp / out / "train",
        "--drop-gold",
        "--dev",
        tmp / "dev.spacy",
        tmp / out / "dev",
        "--labels",
        LABELS,
        "--preset",
        preset,
        "--presets",
        tmp / "presets.yml",
        "--code",
        tmp / "lfs",
        "--gazetteers",
        tmp / "gazetteers",
        "--n-process",
        "1",
        "--shard-size",
        "12",
        "--scheduler",
        "",
        "--lf-cache",
        "true" if cache else "false",
        "--cache-dir",
        tmp / "cache",
        cwd=cwd,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    files = {str(p.relative_to(tmp / out)): p.read_bytes() for p in sorted((tmp / out).rglob("*")) if p.is_file()}
    ran = json.loads((tmp / "cache" / LAST_RUN).read_text())["ran"] if cache else None
    return files, ran


def without_cache(tmp: Path, cwd: Path = ROOT, preset: str = "mine"):
    return annotate(tmp, cache=False, out="reference", cwd=cwd, preset=preset)[0]


@pytest.mark.slow
def test_only_what_changed_runs_and_the_bytes_are_the_same(user_project):
    tmp = user_project
    reference = without_cache(tmp)
    assert len([f for f in reference if f.startswith("train")]) > 1  # several shards
    files, ran = annotate(tmp)
    assert set(ran) == set(USER + BUILT_IN + DOCUMENT)
    assert files == reference
    files, ran = annotate(tmp)  # nothing changed
    assert (ran, files) == ([], reference)
    # a comment in one module: its function only (its spans did not change: no document-level function)
    (tmp / "lfs" / "alpha.py").write_text(ALPHA + "# a comment\n")
    files, ran = annotate(tmp)
    assert (ran, files) == (["alpha_org"], reference)
    # a rule that finds more: the document-level functions it feeds run again (where its spans changed)
    (tmp / "lfs" / "alpha.py").write_text(ALPHA.replace('("Corp",)', '("Corp", "Ltd")'))
    files, ran = annotate(tmp)
    assert set(ran) == {"alpha_org", *DOCUMENT}
    before, reference = reference, without_cache(tmp)
    assert files == reference != before
    # a file of the functions' folder that a function reads by itself: every function of that folder
    (tmp / "lfs" / "words.txt").write_text("German\nFrench\n")
    files, ran = annotate(tmp)
    assert set(ran) == set(USER)  # beta_misc found what it found: no document-level function
    assert files == without_cache(tmp)
    # a lexicon: everything
    (tmp / "gazetteers" / "places.json").write_text(json.dumps({"entries": {"LOC": [["Paris"]]}}))
    files, ran = annotate(tmp)
    assert set(ran) == set(USER + BUILT_IN + DOCUMENT)
    assert files == without_cache(tmp)


@pytest.mark.slow
def test_an_edited_project_module_reruns_its_functions_and_a_shared_helper_all(tmp_path):
    """In a copy of the project: scripts/lfs/context.py (imported by no other module of functions) reruns its
    functions; scripts/lfs/names.py (which they all import) reruns every function."""
    (tmp_path / "project").mkdir()
    project = copy_project(tmp_path / "project")
    corpus(tmp_path)
    (tmp_path / "lfs").mkdir()
    lexicons = tmp_path / "gazetteers"
    lexicons.mkdir()
    (lexicons / "places.json").write_text(json.dumps({"entries": {"LOC": [["France"]]}, "countries": [["France"]]}))
    (lexicons / "nationalities.json").write_text(json.dumps({"entries": {"MISC": [["French"]]}}))
    context = ["news_agency", "org_role"]
    names = ["shire_team", "Corp (end)", *context, "dateline", *DOCUMENT]
    srsly.write_yaml(tmp_path / "presets.yml", {"some": names})
    run = dict(cwd=project, preset="some")
    reference = without_cache(tmp_path, **run)
    files, ran = annotate(tmp_path, **run)
    assert set(ran) == set(names) and files == reference
    with (project / "scripts" / "lfs" / "context.py").open("a") as f:
        f.write("# an edit\n")
    files, ran = annotate(tmp_path, **run)
    assert (ran, files) == (context, reference)
    with (project / "scripts" / "lfs" / "names.py").open("a") as f:
        f.write("# an edit\n")
    files, ran = annotate(tmp_path, **run)
    # the document-level functions import it too (doclevel -> gazetteers -> names)
    assert set(ran) == set(names) and files == reference


def entries_are_whole(folder: Path) -> int:
    """Every entry under `folder` reads whole and is the entry of its own address; how many."""
    n = 0
    for path in folder.glob(f"*/*{SUFFIX}"):
        entry = srsly.msgpack_loads(path.read_bytes())
        assert entry["key"] == path.name[: -len(SUFFIX)] and entry["shard"] == path.parent.name
        n += 1
    return n


def test_a_run_killed_between_writing_and_renaming_leaves_no_entry(user_project, monkeypatch):
    """The worst moment to die: an entry's bytes written, not yet renamed. Nothing at an entry's address;
    the next run writes what a run without the cache writes."""
    tmp = user_project
    reference = without_cache(tmp)
    paths = [str(tmp / name) for name in ("gazetteers", "presets.yml", "lfs")]
    settings = function_settings(LABELS.split(","), "mine", *paths)
    calls, replace = [], os.replace

    def killed(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise KeyboardInterrupt  # as a kill would stop it, here
        return replace(src, dst)

    monkeypatch.setattr(lf_cache.os, "replace", killed)
    corpora = [(tmp / "train.spacy", tmp / "killed" / "train", True)]
    with pytest.raises(KeyboardInterrupt):
        annotate_corpora(corpora, settings, Parallelism(1, 12), tmp / "cache")
    monkeypatch.undo()
    assert not calls[2].exists() and entries_are_whole(tmp / "cache") == 2
    files, ran = annotate(tmp)
    assert files == reference and set(ran) == set(USER + BUILT_IN + DOCUMENT)
    assert not list((tmp / "cache").glob("*/.*.tmp"))  # the dead run's temporary file is gone
    # an entry cut short at its own address (a disk that failed) is never read: removed, and run again
    path = next((tmp / "cache").glob(f"*/*{SUFFIX}"))
    path.write_bytes(path.read_bytes()[:100])
    files, ran = annotate(tmp)
    assert files == reference and ran and len(set(ran) - set(DOCUMENT)) <= 1  # that entry's function only
    assert entries_are_whole(tmp / "cache") > 0


@pytest.mark.slow
def test_a_killed_annotate_process_leaves_only_whole_entries(user_project):
    """SIGKILL while annotate writes entries: whatever it left is whole and of its address, and the next
    run is the run without the cache."""
    tmp = user_project
    reference = without_cache(tmp)
    args = [sys.executable, "-m", "scripts.lfs.annotate", tmp / "train.spacy", tmp / "out" / "train", "--drop-gold"]
    args += ["--dev", tmp / "dev.spacy", tmp / "out" / "dev", "--labels", LABELS, "--preset", "mine"]
    args += ["--presets", tmp / "presets.yml", "--code", tmp / "lfs", "--gazetteers", tmp / "gazetteers"]
    args += ["--n-process", "1", "--shard-size", "2", "--scheduler", "", "--cache-dir", tmp / "cache"]
    proc = subprocess.Popen([str(a) for a in args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not list((tmp / "cache").glob(f"*/*{SUFFIX}")):
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    entries_are_whole(tmp / "cache")
    files, _ = annotate(tmp)
    assert files == reference


def minimal_lexicons(tmp_path: Path) -> Path:
    """The lexicons the full preset's functions read, a few entries each (build-gazetteers needs its data
    packages and a minute)."""
    folder = tmp_path / "gazetteers"
    folder.mkdir(exist_ok=True)
    for name, data in {
        "places": {"entries": {"LOC": [["France"]]}, "countries": [["France"]]},
        "cities": {"entries": {"LOC": [["Paris"]]}},
        "nationalities": {"entries": {"MISC": [["French"]]}},
        "person_names": {"first_names": ["Ann"]},
        "legal_suffixes": {"suffixes": ["Inc"]},
    }.items():
        (folder / f"{name}.json").write_text(json.dumps(data))
    return folder


def test_keys_change_for_exactly_what_depends_on_the_edited_file(monkeypatch, tmp_path):
    """A changed scripts/lfs/context.py changes the keys of its functions only; a changed names.py (a helper
    that every module of functions imports) changes them all; the document-level key holds no other
    function's key (what feeds it is checked article by article)."""
    from scripts.lfs import keys

    lexicons = minimal_lexicons(tmp_path)
    settings = function_settings(["PER", "ORG", "LOC", "MISC"], "full", str(lexicons))
    annotator = get_annotator(settings)
    before = FunctionKeys(settings, annotator).keys
    real = keys.file_digest

    def edited(name):
        def digest(path):
            return "edited" if path.name == name else real(path)

        return digest

    for name, expected in (
        ("context.py", {"news_agency", "org_role", "team_cue", "acronym_in_parens", "company_cue", "place_nickname"}),
        ("tutorial.py", {"shire_team"}),
        ("names.py", set(before)),
    ):
        monkeypatch.setattr(keys, "file_digest", edited(name))
        keys.sources.cache_clear()
        after = FunctionKeys(settings, annotator).keys
        assert {n for n in before if before[n] != after[n]} == expected, name
    keys.sources.cache_clear()


def test_prune_keeps_this_runs_entries_and_drops_the_oldest_others(tmp_path):
    store = SpanCache(tmp_path)
    for k in range(6):
        store.put("shard", f"key{k}", [b"x" * 100], {})
        os.utime(store.path("shard", f"key{k}"), (1000 + k, 1000 + k))
    removed = store.prune({("shard", "key5")}, started=time.time())
    # the cache keeps KEEP times this run's size of the others, newest first
    kept = sorted(p.name for p in tmp_path.glob(f"*/*{SUFFIX}"))
    assert removed == 6 - len(kept) and "key5.msgpack" in kept and "key0.msgpack" not in kept
    assert len(kept) == 1 + int(lf_cache.KEEP)


def test_inspect_reads_unchanged_functions_back_from_the_cache(user_project):
    """`inspect` puts the groups of the functions annotate's cache holds at their current key back on dev (the
    groups annotate wrote), and runs the others."""
    from scripts.corpus.docbin import read_docs
    from scripts.lfs.inspect import CacheSource, from_cache

    tmp = user_project
    paths = [str(tmp / name) for name in ("gazetteers", "presets.yml", "lfs")]
    settings = function_settings(LABELS.split(","), "mine", *paths)
    corpora = [(tmp / "train.spacy", tmp / "out" / "train", True), (tmp / "dev.spacy", tmp / "out" / "dev", False)]
    annotate_corpora(corpora, settings, Parallelism(1, 12), tmp / "cache")
    annotated = read_docs(tmp / "out" / "dev")
    docs = read_docs(tmp / "out" / "dev")
    for doc in docs:
        for name in USER:
            if name in doc.spans:
                del doc.spans[name]
    source = CacheSource(tmp / "cache", tmp / "dev.spacy", 12)
    assert from_cache(docs, settings, [*USER, "doc_history"], source) == USER  # not the document-level one
    assert any("alpha_org" in d.spans for d in docs)
    assert [{n: [(s.start, s.end, s.label_) for s in d.spans[n]] for n in USER if n in d.spans} for d in docs] == [
        {n: [(s.start, s.end, s.label_) for s in d.spans[n]] for n in USER if n in d.spans} for d in annotated
    ]
    # another shard size: other shards, no entry for them
    assert from_cache(docs, settings, USER, CacheSource(tmp / "cache", tmp / "dev.spacy", 5)) == []


def test_groups_read_back_in_a_process_that_never_met_their_labels():
    """A group's bytes hold its labels' hashes: read back into a fresh vocab (a process where no function ran
    and the shard's input lacks the label), they need the entry's strings, which `restore` adds first."""
    from spacy.tokens import Doc, Span
    from spacy.vocab import Vocab

    from scripts.lfs.cache import group_bytes, restore

    first = Doc(Vocab(), words=["Acme", "rose"])
    first.spans["f"] = [Span(first, 0, 1, label="UNSEEN_LABEL")]
    raw = group_bytes(first, "f")
    fresh = Doc(Vocab(), words=["Acme", "rose"])
    restore([fresh], [[("f", raw)]])
    with pytest.raises(KeyError):
        _ = fresh.spans["f"][0].label_
    again = Doc(Vocab(), words=["Acme", "rose"])
    restore([again], [[("f", raw)]], {"UNSEEN_LABEL"})
    assert [(s.start, s.end, s.label_) for s in again.spans["f"]] == [(0, 1, "UNSEEN_LABEL")]
