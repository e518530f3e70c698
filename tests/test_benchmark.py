"""The benchmark command: real runs of every measured step at two corpus sizes (figures not asserted)."""

import json
import shutil
import subprocess
import sys

import pytest

from scripts.corpus.conll import conll_to_dataset, dataset_to_docs
from scripts.corpus.docbin import write_docs
from scripts.tools import benchmark

from .conftest import FIXTURE_CONLL, ROOT


def fixture_docs(split):
    return list(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / f"{split}.txt"), split))


def test_resample_is_seeded_and_renumbered():
    docs = fixture_docs("dev")
    a, b = list(benchmark.resample(docs, 3, seed=1)), list(benchmark.resample(docs, 3, seed=1))
    assert len(a) == 3 * len(docs)
    assert [d.text for d in a] == [d.text for d in b]
    assert [d.user_data["index"] for d in a] == list(range(len(a)))
    assert {d.text for d in a} <= {d.text for d in docs}


@pytest.mark.slow
def test_benchmark_measures_steps_phases_and_every_mode_and_size(tmp_path):
    corpus = tmp_path / "corpus"
    write_docs(corpus / "train_gold.spacy", fixture_docs("train"))
    write_docs(corpus / "dev_gold.spacy", fixture_docs("dev"))
    build = subprocess.run(
        [sys.executable, "-m", "scripts.lfs.lexicons.build", str(corpus / "gazetteers")], cwd=ROOT, capture_output=True
    )
    assert build.returncode == 0, build.stderr
    benchmark.main(
        corpus,
        tmp_path / "bench.json",
        factors="1,2",
        modes="1,n,dask",
        n_process=2,
        labels="ORG,PER",
        preset="full",
        aggregator="hmm",
        scaling_preset="tutorial",
        scaling_aggregator="majority",
        min_precision=0.7,
        label_min_precision="",
        weights="precision",
        gazetteers=str(corpus / "gazetteers"),
        project_dir=ROOT,
        steps=True,
        noop=False,
        workflow=False,
        seed=0,
    )
    result = json.loads((tmp_path / "bench.json").read_text())
    # both runs went through weasel, in a temp project: the repo's corpus/ and training/ are untouched
    assert set(result["steps"]) == {"tutorial", "project"}
    for run in result["steps"].values():
        assert set(run["steps"]) == {"pretrained-plan", "pretrained", "annotate", "score", "aggregate"}
        assert run["total_seconds"] == pytest.approx(sum(m["seconds"] for m in run["steps"].values()), abs=0.2)
        # the target is the issue's three steps, not the pretrained one-off before them
        three = sum(run["steps"][s]["seconds"] for s in ("annotate", "score", "aggregate"))
        assert run["target_steps_seconds"] == pytest.approx(three, abs=0.2)
        assert run["target_steps_seconds"] < run["total_seconds"]
        assert run["meets_target"] == (run["target_steps_seconds"] <= run["target_seconds"])
        # an edited module of functions reruns the last three; annotate against a forced one without the cache
        assert set(run["rule_change"]["seconds"]) == {"annotate", "score", "aggregate"}
        assert all(s > 0 for s in run["rule_change"]["seconds"].values())
        cache = run["cache"]
        assert cache["edited_seconds"] == run["rule_change"]["seconds"]["annotate"] and cache["uncached_seconds"] > 0
        assert cache["meets_target"] == (cache["edited_seconds"] <= 0.5 * cache["uncached_seconds"])
        assert 0 < cache["functions_rerun"] <= cache["functions"]
        for m in run["steps"].values():
            # start-up is part of the step (equal once rounded, for a step with next to no work of its own)
            assert m["peak_pss_mb"] > 20 and 0 < m["start-up + imports"] <= m["seconds"]
        # each step's own phases, as the step timed them
        assert {"setup", "reading", "functions", "writing"} <= set(run["steps"]["annotate"]["phases"])
        assert {"reading", "scoring"} <= set(run["steps"]["score"]["phases"])
        assert {"reading", "voting", "writing"} <= set(run["steps"]["aggregate"]["phases"])
    # the tutorial's functions are all in tutorial.py; context.py holds a few of the project's preset
    tutorial, project = (result["steps"][name]["cache"] for name in ("tutorial", "project"))
    assert tutorial["functions_rerun"] == tutorial["functions"] and project["functions_rerun"] < project["functions"]
    assert result["steps"]["tutorial"]["vars"]["preset"] == "tutorial"
    assert result["steps"]["project"]["vars"]["labels"] == "ORG,PER"
    assert "fitting" in result["steps"]["project"]["steps"]["aggregate"]["phases"]  # the HMM
    # the project's preset runs its pipelines in the pretrained step; the tutorial's has none to run
    assert "pipelines" in result["steps"]["project"]["steps"]["pretrained"]["phases"]
    assert "pipelines" not in result["steps"]["tutorial"]["steps"]["pretrained"]["phases"]
    # inspect, timed on a heuristic of each preset in a cold process, against score --force of the same run
    for name, function in (("project", "org_role"), ("tutorial", "shire_team")):
        inspected = result["steps"][name]["inspect"]
        assert inspected["function"] == function and inspected["seconds"] > 0
        assert inspected["score_seconds"] == result["steps"][name]["score_force_seconds"]
        assert inspected["meets_target"] == (inspected["seconds"] <= inspected["score_seconds"])
    memory = result["in_memory"]
    assert set(memory["seconds"]) >= {"imports", "reading", "annotate dev", "score", "annotate + vote train"}
    assert memory["train_docs"] == len(fixture_docs("train")) and memory["train_entities"] > 0
    rows = result["scaling"]["rows"]
    assert [(r["step"], r["factor"], r["mode"]) for r in rows] == [
        (step, factor, mode)
        for factor in (1, 2)
        for mode in ("1 process", "2 processes", "dask")
        for step in ("annotate", "aggregate")
    ]
    n_train = len(fixture_docs("train"))
    assert [r["docs"] for r in rows] == [n_train] * 6 + [2 * n_train] * 6
    assert all(r["seconds"] > 0 and r["peak_rss_mb"] > 50 and r["peak_pss_mb"] > 50 for r in rows)
    # the Dask runs count the workers' memory: more than the step's own process
    assert all(r["peak_pss_mb"] > r["peak_rss_mb"] for r in rows if r["mode"] == "dask")
    assert set(result["scaling"]["memory_growth"]["ratios"]) == {
        f"{s} ({m})" for s in ("annotate", "aggregate") for m in ("1 process", "2 processes", "dask")
    }
    md = (tmp_path / "bench.md").read_text()
    assert "| annotate | 2 |" in md
    assert "## pretrained-plan + pretrained + annotate + score + aggregate as weasel runs them: tutorial" in md
    assert "After an edit of scripts/lfs/tutorial.py (annotate " in md
    assert "After an edit of scripts/lfs/context.py (annotate " in md
    # the edits were made in the temp project's copy of the code, not in the project's
    assert "a role word dropped" not in (ROOT / "scripts" / "lfs" / "context.py").read_text()
    assert "annotate + score + aggregate: **" in md
    assert "## The tutorial in memory" in md
    assert "`inspect org_role` (a cold process, its page included): **" in md


def test_workflow_report_puts_each_rounds_steps_and_model_f_side_by_side():
    rounds = {
        name: {
            "vars": v,
            "seconds": {"annotate": a, "train": t},
            "total_seconds": a + t,
            "target_seconds": target,
            "meets_target": a + t <= target,
            "model_f": {"dev": f, "test": f - 0.05},
        }
        for name, v, a, t, target, f in (
            ("quick", {"max_steps": "400"}, 10.0, 100.0, 300.0, 0.8),
            ("default", {}, 10.0, 700.0, 600.0, 0.85),
        )
    }
    result = {
        "machine": {"cpu_count": 2, "python": "3.11"},
        "noop_all": {},
        "steps": {},
        "workflow": rounds,
        "scaling": {"rows": []},
    }
    md = benchmark.report(result)
    assert "| step | quick (--vars.max_steps 400) | default (defaults) |" in md
    assert "| train | 100.0 | 700.0 |" in md and "| model F, dev | 0.8 | 0.85 |" in md
    assert "quick: target under 5 min, met. default: target under 10 min, missed." in md


def test_noop_is_not_timed_when_the_workflow_is_stale(tmp_path):
    shutil.copy(ROOT / "project.yml", tmp_path / "project.yml")  # no project.lock: every step would run
    out = benchmark.run_noop(tmp_path)
    assert "seconds" not in out and "convert" in out["skipped"]
