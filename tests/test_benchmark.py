"""The benchmark command: real runs of annotate and aggregate at two corpus sizes (figures not asserted)."""
import json

from scripts import benchmark
from scripts.annotate import annotate_docs
from scripts.convert import conll_to_dataset, dataset_to_docs
from scripts.score import score_functions, selection
from scripts.util import write_docs, write_json

from .conftest import FIXTURE_CONLL


def test_resample_is_seeded_and_renumbered():
    docs = list(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / "dev.txt"), "dev"))
    a, b = benchmark.resample(docs, 3, seed=1), benchmark.resample(docs, 3, seed=1)
    assert len(a) == 3 * len(docs)
    assert [d.text for d in a] == [d.text for d in b]
    assert [d.user_data["index"] for d in a] == list(range(len(a)))
    assert {d.text for d in a} <= {d.text for d in docs}


def test_benchmark_writes_rows_for_each_step_and_size(tmp_path):
    train = list(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / "train.txt"), "train"))
    dev = annotate_docs(list(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / "dev.txt"), "dev")), ["ORG"])
    write_docs(tmp_path / "train_gold.spacy", train)
    write_docs(tmp_path / "dev_annotated.spacy", dev)
    write_json(tmp_path / "sel.json", selection(score_functions(dev, ["ORG"], 0.7), 0.7))
    benchmark.main(tmp_path / "train_gold.spacy", tmp_path / "dev_annotated.spacy", tmp_path / "sel.json",
                   tmp_path / "bench.json", factors="1,2", n_process=2, labels="ORG", preset="tutorial",
                   gazetteers=str(tmp_path))  # fmt: skip
    rows = json.loads((tmp_path / "bench.json").read_text())["rows"]
    assert [(r["step"], r["factor"], r["n_process"]) for r in rows] == [
        ("annotate", 1, 1), ("annotate", 1, 2), ("aggregate", 1, 1),
        ("annotate", 2, 1), ("annotate", 2, 2), ("aggregate", 2, 1)]  # fmt: skip
    assert [r["docs"] for r in rows] == [len(train)] * 3 + [2 * len(train)] * 3
    assert all(r["seconds"] > 0 and r["peak_rss_mb"] > 50 for r in rows)
    assert "| annotate | 2 |" in (tmp_path / "bench.md").read_text()
