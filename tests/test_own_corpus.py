"""End to end on a corpus of one's own: the drug-review example (examples/drugs) through `all` with its own
labels, functions, presets and baseline label map, a no-op rerun, and a rerun after editing a user's function."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from scripts.corpus.docbin import iter_docs, read_docs

from .conftest import ROOT, copy_project

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("own"))
    shutil.copytree(ROOT / "examples", root / "examples")
    (root / "lfs").mkdir(exist_ok=True)
    return root


def run_example(root, *args):
    env = dict(os.environ)
    env.pop("CONLL_DIR", None)
    env["PATH"] = f"{os.path.dirname(sys.executable)}:{env['PATH']}"  # the `spacy` of this venv
    env["SPACY_CONFIG_OVERRIDES"] = "--training.eval_frequency=5"
    cmd = ["bash", str(root / "examples" / "drugs" / "run.sh"), *args, "--vars.max_steps", "10"]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


def test_custom_labels_end_to_end_then_noop_then_edit(project):
    root = project
    out = run_example(root)
    assert "dev: 130 sentences, 60 documents, 198 gold entities (CONDITION 70, DRUG 128)" in " ".join(out.split())
    metrics = json.loads((root / "training" / "metrics.json").read_text())
    assert metrics["labels"] == ["DRUG", "CONDITION"]
    assert "dev" in metrics and "test" not in metrics  # test is the final workflow's
    assert metrics["dev"]["weak labels (hmm)"]["per_type"]["DRUG"]["f"] > 0.5  # 10 steps teach the model little
    assert set(metrics["dev"]["weakly supervised model"]["per_type"]) == {"DRUG", "CONDITION"}
    assert "baseline (en_core_web_md)" in metrics["dev"]  # its PRODUCT mapped to DRUG
    scores = (root / "training" / "lf_scores.csv").read_text()
    for name in ("drug_list", "condition_patterns", "drug_suffix", "for_my_condition", "md_products"):
        assert f"\n{name}," in scores
    train = read_docs(root / "corpus" / "train.spacy")
    labels = {e.label_ for d in train for e in d.ents}
    assert labels == {"DRUG", "CONDITION"}
    assert (root / "corpus" / "train_gold.spacy").is_dir()  # a user's train streams into shards

    # nothing changed: everything after data is skipped
    out = run_example(root)
    for step in ("convert", "check", "pretrained", "annotate", "score", "aggregate", "train", "evaluate"):
        assert f"Skipping '{step}': nothing changed" in out

    # a new function in the user's file, named in the preset: annotate reruns and writes its spans
    code = root / "examples" / "drugs" / "lfs" / "drugs.py"
    code.write_text(
        code.read_text() + "\n\n@labelling_function('mg_drug', labels=['DRUG'])\ndef mg_drug(doc):\n"
        "    for tok in doc[1:]:\n        if tok.lower_ == 'mg' and doc[tok.i - 1].like_num and tok.i > 1:\n"
        "            yield tok.i - 2, tok.i - 1, 'DRUG'\n"
    )
    presets = root / "examples" / "drugs" / "presets.yml"
    presets.write_text(presets.read_text().replace('    - "drug_suffix"\n', '    - "drug_suffix"\n    - "mg_drug"\n'))
    out = run_example(root, "annotate")
    assert "Skipping 'annotate'" not in out and "with 13 labelling functions" in " ".join(out.split())
    assert any(len(d.spans.get("mg_drug", [])) for d in iter_docs(root / "corpus" / "dev_annotated"))
