"""Measure how long logging a corpus to Argilla takes, against a fresh local server.

Starts `scripts.argilla_serve`'s server on a free loopback port in a temporary home, pushes the
corpus (every labelling function's suggestion, the aggregate and gold) with `scripts.review.push`,
and writes the timing to a JSON file: the figure the README states comes from here.
"""
import tempfile
import time
from pathlib import Path
from typing import Dict, Optional

import typer
from wasabi import msg

from . import argilla_serve as serve
from . import review
from .atomic import write_json


def benchmark_push(corpus: Path, labels, aggregate: str = "majority", api_url: Optional[str] = None,
                   api_key: Optional[str] = None, dataset: str = "benchmark") -> Dict:
    """Push `corpus` once (to the given server) and return count, seconds and records/s."""
    start = time.perf_counter()
    info = review.push([(corpus, 0)], None, dataset_name=dataset, labels=labels, aggregate=aggregate,
                       api_url=api_url, api_key=api_key, progress=False)  # fmt: skip
    seconds = time.perf_counter() - start
    return {"corpus": str(corpus), "records": info["count"], "seconds": round(seconds, 2),
            "records_per_second": round(info["count"] / seconds, 1)}  # fmt: skip


# fmt: off
def main(
    corpus: Path = typer.Argument(..., help="Annotated .spacy to log, e.g. corpus/dev_annotated.spacy", exists=True),
    output: Path = typer.Argument(..., help="JSON with the timing"),
    labels: str = typer.Option("ORG", "--labels", "-l", help="Comma-separated labels"),
    aggregate: str = typer.Option("majority", "--aggregate", help="Span group used as the main suggestion"),
):
    # fmt: on
    """Time a full push of the corpus to a fresh local Argilla server."""
    try:
        python = serve.find_server_python()
    except serve.ServeError as e:
        msg.fail(str(e), exits=1)
    with tempfile.TemporaryDirectory() as home:
        serve.prepare_home(Path(home), python)
        port = serve.free_port()
        proc = serve.start_server(Path(home), port, python)
        url = f"http://127.0.0.1:{port}"
        try:
            serve.wait_ready(url, serve.DEFAULT_API_KEY, proc, timeout=90)
            result = benchmark_push(corpus, [l.strip() for l in labels.split(",")], aggregate, url, serve.DEFAULT_API_KEY)
        finally:
            serve.stop_server(proc)
    write_json(output, result)
    msg.good(f"Logged {result['records']} records in {result['seconds']} s "
             f"({result['records_per_second']} records/s) -> {output}")


if __name__ == "__main__":
    typer.run(main)
