"""Measure how long logging a corpus to Argilla takes, against a fresh local server.

Starts the local server (`scripts.argilla_server`) on a free loopback port in a temporary home, pushes
the corpus (every labelling function's suggestion, the aggregate and gold) with `scripts.review.push`,
and writes the timing to a JSON file: the figure the README states comes from here.
"""

import tempfile
import time
from pathlib import Path
from typing import Annotated, Dict, Optional, Sequence

import typer
from wasabi import msg

from ..argilla_server import launcher as serve
from ..corpus.labels import parse_labels
from ..project import var
from ..review.push import push
from ..util.errors import run
from ..util.files import write_json


def benchmark_push(
    corpus: Path,
    labels: Sequence[str],
    aggregate: str = var("aggregator"),
    api_url: Optional[str] = None,
    api_key: Optional[str] = None,
    dataset: str = "benchmark",
) -> Dict:
    """Push `corpus` once (to the given server) and return count, seconds and records/s."""
    start = time.perf_counter()
    info = push(
        [(corpus, 0)],
        None,
        dataset_name=dataset,
        labels=labels,
        aggregate=aggregate,
        seed=0,  # the whole corpus (sample size 0): the seed draws nothing
        api_url=api_url,
        api_key=api_key,
        progress=False,
    )
    seconds = time.perf_counter() - start
    return {
        "corpus": str(corpus),
        "records": info["count"],
        "seconds": round(seconds, 2),
        "records_per_second": round(info["count"] / seconds, 1),
    }


def main(
    corpus: Annotated[Path, typer.Argument(help="Voted corpus to log, e.g. corpus/dev_aggregated", exists=True)],
    output: Annotated[Path, typer.Argument(help="JSON with the timing")],
    labels: Annotated[str, typer.Option("--labels", "-l", help="Comma-separated labels")] = var("labels"),
    aggregate: Annotated[str, typer.Option("--aggregate", help="Span group of the main suggestion")] = var(
        "aggregator"
    ),
):
    """Time a full push of the corpus to a fresh local Argilla server."""
    try:
        python = serve.find_server_python()
    except serve.ServeError as e:
        msg.fail(str(e), exits=1)
    with tempfile.TemporaryDirectory() as home:
        creds, _ = serve.prepare_home(Path(home), python)
        port = serve.free_port()
        proc = serve.start_server(Path(home), port, python)
        url = f"http://127.0.0.1:{port}"
        try:
            serve.wait_ready(url, creds.api_key, proc, timeout=90)
            result = benchmark_push(corpus, parse_labels(labels), aggregate, url, creds.api_key)
        finally:
            serve.stop_server(proc)
    write_json(output, result)
    msg.good(
        f"Logged {result['records']} records in {result['seconds']} s "
        f"({result['records_per_second']} records/s) -> {output}"
    )


if __name__ == "__main__":
    run(main)
