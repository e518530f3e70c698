"""The benchmark command: real runs of every measured step at two corpus sizes (figures not asserted)."""

import json
import shutil

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
def test_benchmark_measures_pipeline_and_every_mode_and_size(tmp_path):
    corpus = tmp_path / "corpus"
    write_docs(corpus / "train_gold.spacy", fixture_docs("train"))
    write_docs(corpus / "dev_gold.spacy", fixture_docs("dev"))
    benchmark.main(
        corpus,
        tmp_path / "bench.json",
        factors="1,2",
        modes="1,n,dask",
        n_process=2,
        labels="ORG",
        preset="tutorial",
        aggregator="hmm",
        scaling_preset="tutorial",
        scaling_aggregator="majority",
        min_precision=0.7,
        label_min_precision="",
        weights="precision",
        gazetteers=str(tmp_path),
        project_dir=None,
        pipeline=True,
        seed=0,
    )
    result = json.loads((tmp_path / "bench.json").read_text())
    steps = result["pipeline"]["steps"]
    assert set(steps) == {"annotate train + dev", "score", "aggregate"}
    assert result["pipeline"]["total_seconds"] > 0 and all(s["peak_pss_mb"] > 20 for s in steps.values())
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
    assert "| annotate | 2 |" in md and "## Pipeline" in md


def test_noop_is_not_timed_when_the_workflow_is_stale(tmp_path):
    shutil.copy(ROOT / "project.yml", tmp_path / "project.yml")  # no project.lock: every step would run
    out = benchmark.run_noop(tmp_path)
    assert "seconds" not in out and "convert" in out["skipped"]
