"""The report: PNG plots of the labelling functions and of the scores, and the markdown that shows them."""

import json

from scripts.model import report
from scripts.util.files import write_text

SCORES = {
    "p": 0.5,
    "r": 0.25,
    "f": 1 / 3,
    "per_type": {"ORG": {"p": 0.5, "r": 0.25, "f": 1 / 3}, "PER": {"p": 0.9, "r": 0.8, "f": 0.85}},
}


def test_report_writes_pngs_and_markdown(tmp_path):
    write_text(
        tmp_path / "lf_scores.csv",
        "function,label,precision,recall,f1,coverage,overlap,conflict,spans,docs,status\n"
        "a,ORG,0.900,0.1,0.2,0.3,0,0,4,4,kept\nb,PER,0.200,0.1,0.1,0.1,0,0,2,2,dropped\nc,,,,,,,,0,0,no dev evidence\n",
    )
    metrics = {"labels": ["ORG", "PER"], "dev": {"baseline": SCORES, "model": SCORES}, "test": {"model": SCORES}}
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    write_text(tmp_path / "metrics.md", "| split | system |\n")
    report.main(tmp_path / "lf_scores.csv", tmp_path / "metrics.json", tmp_path)
    for name in ("lf_scores.png", "scores.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    md = (tmp_path / "report.md").read_text()
    assert "![Labelling functions on dev](lf_scores.png)" in md and "| split | system |" in md
