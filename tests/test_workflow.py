"""End to end: `spacy project run all` on the small CoNLL fixture, skip on rerun, rerun after edits.

Runs the real weasel workflow (convert, annotate, score, aggregate, baseline with en_core_web_md,
a tiny `spacy train`, evaluate) in a copy of the project.
"""

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from scripts.model.train import pipeline_digest

from .conftest import FIXTURE_CONLL, ROOT, copy_project

pytestmark = pytest.mark.slow

STEPS = [
    "convert",
    "pretrained-plan",
    "pretrained",
    "build-gazetteers",
    "annotate",
    "score",
    "aggregate",
    "baseline",
    "train",
    "evaluate",
    "report",
    "visualize",
    "package",
]
PACKAGE = "en_weak_ner"
ARCHIVE = f"packages/{PACKAGE}-0.1.0-py3-none-any.whl"


def rounded(value, digits=12):
    """A JSON value with its floats rounded (to compare scores that went through different JSON parsers)."""
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v, digits) for v in value]
    return round(value, digits) if isinstance(value, float) else value


def md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def corpus_md5s(corpus):
    """md5 of every .spacy file of the corpus folder, shards of the annotated/aggregated folders included."""
    return {str(p.relative_to(corpus)): md5(p) for p in sorted(corpus.rglob("*.spacy")) if p.is_file()}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("project"))
    data = root / "conll"
    shutil.copytree(FIXTURE_CONLL, data)
    return root, data


def run(root, *args, conll_dir=None, check=True, overrides=True):
    """`spacy project run ARGS` in `root` (with --vars.max_steps 10 unless `overrides` is False)."""
    env = dict(os.environ)
    env.pop("CONLL_DIR", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the project's own guard must keep bytecode out of the tree
    if conll_dir is not None:
        env["CONLL_DIR"] = str(conll_dir)
    # a tiny training run; spacy train reads these overrides, weasel passes them through
    env["SPACY_CONFIG_OVERRIDES"] = "--training.eval_frequency=5"
    cmd = [sys.executable, "-m", "spacy", "project", "run", *args[:1], str(root), *args[1:]]
    cmd += ["--vars.max_steps", "10"] if overrides else []
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    if check:
        assert proc.returncode == 0, out[-4000:]
    return proc.returncode, out


def test_all_then_noop_then_edit(project):
    root, data = project
    # 1. the whole workflow, data folder from $CONLL_DIR (the var points nowhere)
    _, out = run(root, "all", "--vars.conll_dir", "missing", conll_dir=data)
    for name in ("train_gold", "dev_gold", "train", "dev"):
        assert (root / "corpus" / f"{name}.spacy").is_file(), name
    for name in ("train_annotated", "dev_annotated", "train_aggregated", "dev_aggregated"):
        assert (root / "corpus" / name / "00000.spacy").is_file(), name
    # the held-out sets are the final workflow's: `all` converts, annotates and scores none of them
    assert not (root / "corpus" / "test.spacy").exists() and not (root / "corpus" / "held_out_annotated").exists()
    metrics = json.loads((root / "training" / "metrics.json").read_text())
    assert set(metrics["dev"]) == {
        "baseline (en_core_web_md)",
        "weak labels (majority)",
        "weak labels (hmm)",
        "weakly supervised model, NER alone",
        "weakly supervised model",
    }
    assert metrics["splits"] == ["dev"] and "test" not in metrics  # nothing `all` writes has a test figure
    assert "test F" not in (root / "training" / "metrics.md").read_text()
    assert not json.loads((root / "training" / "aggregate_scores.json").read_text())["held_out"]
    # what the figures call for: the fixture's dev has few entities of every label
    assert "few_entities" in {d["check"] for d in metrics["diagnostics"]}
    assert "## What the figures say" in (root / "training" / "report.md").read_text()
    assert "What the figures say" in out and "MISC entit" in out
    assert (root / "training" / "model-best" / "doc_consistency" / "lexicons.json").is_file()
    assert metrics["dev"]["weak labels (hmm)"]["f"] > 0.5  # the fixture's entities are found by the functions
    assert "| function |" in (root / "training" / "lf_scores.md").read_text()
    for png in ("lf_scores.png", "scores.png"):
        assert (root / "training" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "![Scores per label](scores.png)" in (root / "training" / "report.md").read_text()
    assert "What the model gets wrong on dev" in (root / "training" / "visualize.html").read_text()
    assert (root / ARCHIVE).stat().st_size > 1_000_000  # the pipeline with its vectors
    corpus = corpus_md5s(root / "corpus")

    # 2. nothing changed: every step but the data check is skipped
    _, out = run(root, "all", "--vars.conll_dir", "missing", conll_dir=data)
    for step in STEPS:
        assert f"Skipping '{step}': nothing changed" in out, step
    assert "CoNLL data" in out and "unchanged" in out

    # 3. the same seed gives the same corpora and scores
    run(root, "aggregate", "--force", "--vars.conll_dir", "missing", conll_dir=data)
    assert corpus_md5s(root / "corpus") == corpus
    before = (root / "training" / "metrics.json").read_text()
    run(root, "train", "--force", "--vars.conll_dir", "missing", conll_dir=data)
    run(root, "evaluate", "--force", "--vars.conll_dir", "missing", conll_dir=data)
    assert (root / "training" / "metrics.json").read_text() == before

    # 3b. another model (5 steps, not 10) reruns the steps after train: they depend on the marker train writes
    # into model-best (with the md5 of its files), not on the 66 MB folder
    _, out = run(root, "all", "--vars.conll_dir", "missing", "--vars.max_steps", "5", conll_dir=data, overrides=False)
    for step in ("train", "evaluate", "visualize", "package"):
        assert f"Skipping '{step}'" not in out, step
    for step in ("aggregate", "baseline"):
        assert f"Skipping '{step}'" in out, step
    marker = json.loads((root / "training" / "model-best" / "training_finished.json").read_text())
    assert marker["md5"] == pipeline_digest(root / "training" / "model-best")

    # 4. taking a function out of the preset reruns annotate and what depends on it, not convert, baseline or
    # the pretrained pipelines (the preset still needs the same ones: pretrained-plan rewrites the same plan)
    assert "misc_keyword" in (root / "training" / "lf_scores.csv").read_text()
    presets = root / "configs" / "presets.yml"
    edited = presets.read_text().replace('  - "misc_keyword"\n', "")
    assert edited != presets.read_text()
    presets.write_text(edited)
    _, out = run(root, "all", "--vars.conll_dir", "missing", conll_dir=data)
    for step in ("convert", "pretrained", "build-gazetteers", "baseline"):
        assert f"Skipping '{step}'" in out, step
    assert "Skipping 'pretrained-plan'" not in out
    for step in ("annotate", "score"):
        assert f"Skipping '{step}'" not in out, step
    assert "misc_keyword" not in (root / "training" / "lf_scores.csv").read_text()

    # 4b. a new module in the labelling-function package reruns annotate (deps name the package), and no
    # bytecode appears in the package folders, which would make the next run rerun everything
    (root / "scripts" / "lfs" / "extra_rules.py").write_text('"""A user\'s new labelling functions."""\n')
    _, out = run(root, "annotate", "--vars.conll_dir", "missing", conll_dir=data)
    assert "Skipping 'annotate'" not in out
    _, out = run(root, "annotate", "--vars.conll_dir", "missing", conll_dir=data)
    assert "Skipping 'annotate': nothing changed" in out
    # (scripts/__pycache__/__init__.*.pyc is written before the guard in scripts/__init__.py runs; no command
    # depends on the folder scripts/ itself)
    packages = [p for p in (root / "scripts").iterdir() if p.is_dir() and p.name != "__pycache__"]
    assert packages and not [str(f) for p in packages for f in p.rglob("*.pyc")]

    # 5. changed data reruns convert
    with open(data / "dev.txt", "a") as f:
        f.write("\nZeta NNP I-NP B-ORG\nrose VBD I-VP O\n")
    _, out = run(root, "all", "--vars.conll_dir", "missing", conll_dir=data)
    assert "Skipping 'convert'" not in out


TEXTS = [
    "CRICKET - SOMERSET BEAT KENT .\nLONDON 1996-08-30\nSomerset beat Kent by an innings at Taunton on Friday .",
    "Germany 's representative to the European Union 's veterinary committee Werner Zwingmann said on Wednesday .",
]
# the entities of TEXTS by a pipeline of that name, run in the package's venv
ENTS = "import json, sys, spacy; nlp = spacy.load(sys.argv[1]); texts = json.loads(sys.argv[2]); "
ENTS += "print(json.dumps([[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in nlp.pipe(texts)]))"


def test_seeds_trains_once_per_seed_and_reports_the_spread_on_dev(project):
    root, data = project
    run(root, "all", conll_dir=data)
    _, out = run(root, "seeds", "--vars.seeds", "1,2", conll_dir=data)
    result = json.loads((root / "training" / "seeds" / "seeds.json").read_text())
    assert set(result["seeds"]) == {"1", "2"} and result["n"] == 2 and result["sd"] >= 0
    fs = [s["f"] for s in result["seeds"].values()]
    assert result["min"] == round(min(fs), 4) and result["max"] == round(max(fs), 4)
    assert "standard deviation" in (root / "training" / "seeds" / "seeds.md").read_text()
    assert not list((root / "training" / "seeds").glob("*.tmp"))  # the models are not kept
    assert "test" not in json.dumps(result)  # dev only


def test_final_scores_the_held_out_sets_and_logs_each_look(project):
    """`final` scores every system on test; each run adds one line to the log; `all` after it reruns nothing."""
    root, data = project
    run(root, "all", conll_dir=data)
    _, out = run(root, "final", conll_dir=data)
    final = json.loads((root / "training" / "final.json").read_text())
    assert final["splits"] == ["test"] and set(final["test"]) == {
        "baseline (en_core_web_md)",
        "weak labels (majority)",
        "weak labels (hmm)",
        "weakly supervised model, NER alone",
        "weakly supervised model",
    }
    log = root / "training" / "final_log.md"
    looks = len(log.read_text().splitlines())
    run(root, "final", conll_dir=data)
    assert len(log.read_text().splitlines()) == looks + 1  # one line per look
    _, out = run(root, "all", conll_dir=data)
    assert "Skipping 'annotate': nothing changed" in out and "Skipping 'evaluate': nothing changed" in out


def test_spacy_evaluate_reproduces_the_test_figure(project):
    """What final reports is what spaCy's own `spacy evaluate` gives on the standard test corpus."""
    root, data = project
    if not (root / "training" / "final.json").exists():
        run(root, "final", conll_dir=data)
    out = root / "training" / "spacy_evaluate.json"
    cmd = [sys.executable, "-m", "spacy", "evaluate", "training/model-best", "corpus/test.spacy"]
    cmd += ["--code", "scripts/pipeline/components.py", "--output", str(out)]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    final = json.loads((root / "training" / "final.json").read_text())
    assert json.loads(out.read_text())["ents_f"] == pytest.approx(final["test"]["weakly supervised model"]["f"])


def test_the_spacy_commands_of_the_docs_run_as_printed(project):
    """docs/model.md's `spacy evaluate` (on dev) and `spacy debug data` lines, as printed, in the fixture project."""
    from .test_docs import code_lines

    root, _ = project
    printed = code_lines(["docs/model.md"])
    lines = [line for _, line in printed if re.match(r"python -m spacy (evaluate|debug data)", line)]
    assert len(lines) == 2
    for line in lines:
        proc = subprocess.run(shlex.split(line), cwd=root, capture_output=True, text=True)
        assert proc.returncode == 0, (line, (proc.stdout + proc.stderr)[-3000:])


def test_package_installs_and_loads_by_name_in_a_fresh_venv(project, tmp_path):
    """pip install of the wheel into a new venv (spaCy from the index, pinned by requirements.txt), then
    spacy.load(NAME) from another folder: the same entities as the project's model-best, skweak absent."""
    root, _ = project
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "-c", str(ROOT / "requirements.txt")]
    proc = subprocess.run([*pip, str(root / ARCHIVE)], capture_output=True, text=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    installed = subprocess.run([str(python), "-m", "pip", "list"], capture_output=True, text=True).stdout.lower()
    assert PACKAGE.replace("_", "-") in installed.replace("_", "-") and "spacy " in installed
    for absent in ("skweak", "argilla", "datasets", "hmmlearn"):
        assert absent not in installed, absent
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run(
        [str(python), "-c", ENTS, PACKAGE, json.dumps(TEXTS)], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    packaged = json.loads(proc.stdout)
    import spacy

    from scripts.pipeline import components  # noqa: F401

    nlp = spacy.load(root / "training" / "model-best")
    local = [[[e.start_char, e.end_char, e.label_] for e in d.ents] for d in nlp.pipe(TEXTS)]
    assert packaged == local
    cricket = {TEXTS[0][s:e]: lab for s, e, lab in packaged[0]}
    assert cricket.get("Somerset") == "ORG" and cricket.get("Kent") == "ORG"  # doc_consistency runs in the package
    no_project = subprocess.run([str(python), "-c", "import scripts"], cwd=elsewhere, env=env, capture_output=True)
    assert no_project.returncode != 0  # nothing of the project was on the path
    # the project's predict by package name: its own copy of the component file and the package's in one
    # process (spaCy would refuse a second doc_consistency factory)
    (elsewhere / "in.txt").write_text("\n".join(t.replace("\n", " ") for t in TEXTS) + "\n")
    predict = [str(python), "-m", "scripts.model.predict", PACKAGE, "in.txt", "out.jsonl"]
    proc = subprocess.run(predict, cwd=elsewhere, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    lines = [json.loads(line) for line in (elsewhere / "out.jsonl").read_text().splitlines()]
    found = {s["text"]: s["label"] for s in lines[0]["spans"]}
    assert found.get("SOMERSET") == "ORG" and found.get("Kent") == "ORG"  # doc_consistency, the package's
    meta = json.loads(
        subprocess.run(
            [str(python), "-c", f"import json, spacy; print(json.dumps(spacy.load('{PACKAGE}').meta))"],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
        ).stdout
    )
    metrics = json.loads((root / "training" / "metrics.json").read_text())
    assert meta["performance"]["ents_f"] == round(metrics["dev"]["weakly supervised model"]["f"], 4)
    assert "test_ents_f" not in meta["performance"]  # `all` builds it: no held-out figure
    assert meta["license"] and meta["description"] and "CoNLL 2003" in meta["sources"][0]["name"]
    # fine-tuned from en_core_web_md: its NER still holds OntoNotes' labels, the pipeline outputs only the project's
    assert {lab for doc in packaged for _, _, lab in doc} <= {"ORG", "PER", "LOC", "MISC"}
    assert "PERSON" in meta["labels"]["ner"] and "PERSON" in meta["labels_note"]
    assert any("en_core_web_md" in s["name"] and "OntoNotes" in s["name"] for s in meta["sources"])


def test_the_train_config_var_switches_to_the_from_scratch_config(project, tmp_path):
    """--vars.train_config configs/config.cfg trains a tok2vec of its own (the default fine-tunes en_core_web_md's
    NER, which has none beside it); its output too holds only the project's labels."""
    import spacy

    from scripts.pipeline import components  # noqa: F401

    root, data = project
    fine_tuned = spacy.load(root / "training" / "model-best")
    assert fine_tuned.pipe_names == ["ner", "doc_consistency"]
    (tmp_path / "scratch").mkdir()
    other = copy_project(tmp_path / "scratch")
    shutil.copytree(root / "corpus", other / "corpus")
    shutil.copytree(root / "training", other / "training")  # what evaluate reads besides the model
    run(other, "train", "--vars.train_config", "configs/config.cfg", conll_dir=data)
    scratch = spacy.load(other / "training" / "model-best")
    assert scratch.pipe_names == ["tok2vec", "ner", "doc_consistency"]
    assert set(scratch.get_pipe("ner").labels) <= {"ORG", "PER", "LOC", "MISC"}
    # metrics.md says which config trained the model it scores
    assert "`configs/finetune.cfg`, en_core_web_md's NER fine-tuned" in (root / "training" / "metrics.md").read_text()
    run(other, "evaluate", "--vars.train_config", "configs/config.cfg", conll_dir=data)
    assert "`configs/config.cfg`, from scratch" in (other / "training" / "metrics.md").read_text()


def test_push_then_pull_in_a_fresh_clone_gets_everything(project, tmp_path):
    """With a local remote, `push` caches the outputs and `pull` in a fresh clone brings all of them, the
    reviews and the model included (no step is left out for a missing dep), after which `all` skips."""
    root, data = project
    remote = tmp_path / "remote"
    config = (root / "project.yml").read_text()
    # push and pull read project.yml's vars (they take no --vars): the settings of the runs go there
    with_remote = config.replace("# remotes:\n#   default:", "remotes:\n  default:").replace(
        '"/mnt/shared/weak-ner-cache"', json.dumps(str(remote))
    )
    # whatever the default number of steps is, the test trains 10
    with_remote = re.sub(r"(?m)^  max_steps: \d+$", "  max_steps: 10", with_remote)
    assert with_remote.count("max_steps: 10") == 1 and "remotes:\n  default:" in with_remote
    (root / "project.yml").write_text(with_remote)
    try:
        run(root, "all", conll_dir=data, overrides=False)
        push = [sys.executable, "-m", "spacy", "project", "push", "default", str(root)]
        proc = subprocess.run(push, capture_output=True, text=True)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
        fresh = tmp_path / "fresh"  # a clone of this project as it stands now (the earlier tests edited it)
        fresh.mkdir()
        for name in ("project.yml", "scripts", "configs", "lfs"):
            (shutil.copytree if (root / name).is_dir() else shutil.copy)(root / name, fresh / name)
        pull = [sys.executable, "-m", "spacy", "project", "pull", "default", str(fresh)]
        proc = subprocess.run(pull, capture_output=True, text=True)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
        for path in ("corpus/reviewed.spacy", "corpus/train.spacy", "corpus/dev.spacy", "training/model-best"):
            assert (fresh / path).exists(), path
        _, out = run(fresh, "all", conll_dir=data, overrides=False)
        for step in STEPS:
            assert f"Skipping '{step}': nothing changed" in out, step
        # the wheel is no cached output (outputs_no_cache), and weasel's pull marks `package` done: --force
        assert not (fresh / ARCHIVE).exists()
        run(fresh, "package", "--force", conll_dir=data, overrides=False)
        assert (fresh / ARCHIVE).is_file()
    finally:
        (root / "project.yml").write_text(config)


def test_missing_data_folder_fails_with_a_clear_message(project):
    root, _ = project
    code, out = run(root, "data", "--vars.conll_dir", str(root / "nowhere"), check=False)
    assert code != 0
    assert "CoNLL 2003 data not found" in out and "CONLL_DIR" in out


def test_malformed_conll_names_file_and_line(tmp_path, project):
    root, data = project
    bad = tmp_path / "bad"
    shutil.copytree(data, bad)
    (bad / "train.txt").write_text("-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects\n")
    run(root, "data", "--vars.conll_dir", str(bad))
    code, out = run(root, "convert", "--vars.conll_dir", str(bad), check=False)
    assert code != 0
    assert f"{bad / 'train.txt'}:4:" in out.replace("\n", "")


def test_reference_and_an_extra_test_set_are_rows_of_their_own(project):
    """The reference workflow trains the same config on gold train, apart from `all`; an extra test set reruns
    nothing of `all`; `final` scores every system on it and shows the reference as its own row."""
    from scripts.model.scoring import REFERENCE

    root, data = project
    extra = ["--vars.extra_tests", f"nt={data / 'test.txt'}"]
    before = (root / "training" / "metrics.json").read_text()
    assert REFERENCE not in before and "not trained" in (root / "training" / "metrics.md").read_text()
    _, out = run(root, "reference", *extra, conll_dir=data)
    assert "Running command: 'reference-train'" in out or "reference-train" in out
    ref = json.loads((root / "training" / "reference.json").read_text())
    assert ref["status"] == "trained" and ref["splits"] == ["dev"]
    assert (root / "training" / "reference" / "model-best" / "meta.json").is_file()
    _, out = run(root, "all", *extra, conll_dir=data)
    for step in ("convert", "annotate", "score", "train"):  # an extra held-out set reruns nothing of the method
        assert f"Skipping '{step}': nothing changed" in out, step
    assert "Skipping 'evaluate'" not in out  # it shows the reference now
    metrics = json.loads((root / "training" / "metrics.json").read_text())
    # the same scores, read back through srsly's JSON (ujson's float parsing may differ in the 16th digit)
    assert metrics["splits"] == ["dev"] and rounded(metrics["dev"][REFERENCE]) == rounded(ref["scores"]["dev"])
    assert f"| {REFERENCE} |" in (root / "training" / "report.md").read_text()
    run(root, "final", *extra, conll_dir=data)
    held_out = root / "corpus" / "held_out_annotated"
    assert sorted(p.name for p in held_out.iterdir() if p.is_dir()) == ["nt", "test"]
    assert json.loads((held_out / "sets.json").read_text()) == {"sets": ["nt", "test"]}
    final = json.loads((root / "training" / "final.json").read_text())
    assert final["splits"] == ["test", "nt"]
    for split in final["splits"]:
        assert REFERENCE in final[split] and "baseline (en_core_web_md)" in final[split]
    # the extra set is the fixture's test split under another name: the same scores, the votes' too
    for system in ("weakly supervised model", "weak labels (hmm)", "weak labels (majority)", REFERENCE):
        assert final["nt"][system] == final["test"][system], system
    table = (root / "training" / "final.md").read_text()
    assert "nt F" in table and f"| {REFERENCE} |" in table
