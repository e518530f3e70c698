"""`python -m scripts.review push|pull`: the `review-push` and `review-pull` steps.

The API key is read from $ARGILLA_API_KEY (default: the local server's), never from the command
line: project.lock records every command line.
"""

import os
from pathlib import Path
from typing import List, Optional

import typer
from wasabi import msg

from ..corpus.labels import parse_labels
from ..project import var
from ..util.errors import run
from .client import DEFAULT_WORKSPACE, local_api_url, resolve_api
from .dev import pull_dev, push_dev
from .pull import pull, server_counts
from .push import push

Arg = typer.Argument
Opt = typer.Option
app = typer.Typer(
    add_completion=False,
    help="Human review in Argilla 2.x: push documents, pull reviews; label train documents from scratch as dev.",
)


def default_api_url(api_url: Optional[str], port: int) -> str:
    """--api-url, else $ARGILLA_API_URL, else the local server's on --port (the var argilla_port)."""
    return api_url or os.environ.get("ARGILLA_API_URL") or local_api_url(port)


@app.command("push")
def push_cli(
    dev: Path = Arg(..., help="Corpus with the docs to review (e.g. corpus/dev_aggregated)", exists=False),
    manifest: Path = Opt(..., "--manifest", "-m", help="JSON manifest written after a successful push"),
    train: Optional[Path] = Opt(None, "--train", help="Also push a seeded sample of this DocBin"),
    train_sample: int = Opt(
        var("review_train_sample"), "--train-sample", help="Number of --train docs to push (0 = all)"
    ),
    seed: int = Opt(var("seed"), "--seed", help="Seed of the train sample"),
    labels: str = Opt(var("labels"), "--labels", "-l", help="Comma-separated labels"),
    aggregate: str = Opt(
        var("aggregator"), "--aggregate", "-a", help="Span group of the aggregate (the main suggestion)"
    ),
    dataset: str = Opt(var("argilla_dataset"), "--dataset", "-d", help="Argilla dataset name"),
    workspace: str = Opt(DEFAULT_WORKSPACE, "--workspace", "-w", help="Argilla workspace"),
    batch_size: int = Opt(256, "--batch-size", help="Records per request"),
    function_view: str = Opt(
        "span",
        "--function-view",
        help="span: a highlighted copy of the sentence per function; text: one line per function (compact)",
    ),
    api_url: Optional[str] = Opt(None, "--api-url", help="Argilla URL (default: $ARGILLA_API_URL or the local server)"),
    port: int = Opt(
        var("argilla_port"), "--port", help="The local server's port (without --api-url or $ARGILLA_API_URL)"
    ),
):
    """Log docs with every labelling function's spans to Argilla for review.
    The API key is read from $ARGILLA_API_KEY (default: the local server's)."""
    api_url = default_api_url(api_url, port)
    corpora = [(dev, 0)]
    if train is not None:
        corpora.append((train, train_sample))
    info = push(
        corpora,
        manifest,
        dataset_name=dataset,
        workspace=workspace,
        labels=parse_labels(labels),
        aggregate=aggregate,
        seed=seed,
        batch_size=batch_size,
        api_url=api_url,
        view=function_view,
    )
    url, _ = resolve_api(api_url)
    msg.good(
        f"Logged {info['count']} records to '{dataset}' ({len(info['functions'])} labelling functions)",
        f"Review at {url} · manifest {manifest}",
    )


@app.command("pull")
def pull_cli(
    corpora: List[Path] = Arg(..., help="The DocBins that were pushed (they give each review its sentence)"),
    output: Path = Opt(..., "--output", "-o", help="The reviewed set to merge into (e.g. corpus/reviewed.spacy)"),
    labels: str = Opt(var("labels"), "--labels", "-l", help="Comma-separated labels"),
    dataset: str = Opt(var("argilla_dataset"), "--dataset", "-d", help="Argilla dataset name"),
    workspace: str = Opt(DEFAULT_WORKSPACE, "--workspace", "-w", help="Argilla workspace"),
    replace: bool = Opt(
        False, "--replace", help="Write only the server's reviews, even fewer than before (the old file is backed up)"
    ),
    api_url: Optional[str] = Opt(None, "--api-url", help="Argilla URL (default: $ARGILLA_API_URL or the local server)"),
    port: int = Opt(
        var("argilla_port"), "--port", help="The local server's port (without --api-url or $ARGILLA_API_URL)"
    ),
):
    """Merge the submitted and discarded reviews into the reviewed set: a newer answer wins, none is lost."""
    api_url = default_api_url(api_url, port)
    result = pull(
        corpora,
        output,
        dataset_name=dataset,
        workspace=workspace,
        labels=parse_labels(labels),
        replace=replace,
        api_url=api_url,
    )
    c = result.counts
    msg.text(server_counts(c))
    if c.get("kept_from_before") and not replace:
        msg.info(f"{c['kept_from_before']} reviews pulled before are not on the server now: kept")
    if c.get("older_than_before"):
        msg.info(f"{c['older_than_before']} answers on the server are older than the ones pulled before: not used")
    if c.get("not_in_corpus"):
        msg.warn(
            f"{c['not_in_corpus']} reviews are of sentences no longer in the corpora (edited or deleted upstream): "
            "kept, not applied"
        )
    if c.get("spans_dropped"):
        msg.warn(f"{c['spans_dropped']} reviewed spans had another label or overlapped and were dropped")
    if result.backup:
        msg.info(f"The previous reviewed set ({c['before']} reviews) is backed up in {result.backup}")
    msg.good(
        f"{output}: {c['written']} reviews ({c.get('new', 0)} new, {c.get('updated', 0)} changed, {c['before']} before)"
    )


@app.command("push-dev")
def push_dev_cli(
    train: Path = Arg(..., help="The converted train corpus to sample documents from (corpus/train_gold.spacy)"),
    labelled: Path = Opt(..., "--labelled", help="The documents labelled so far (corpus/dev_from_train.spacy)"),
    manifest: Path = Opt(..., "--manifest", "-m", help="JSON manifest written after a successful push"),
    documents: int = Opt(var("dev_label_documents"), "--documents", "-n", help="Documents to label, in all"),
    seed: int = Opt(var("seed"), "--seed", help="Seed of the sample's order"),
    labels: str = Opt(var("labels"), "--labels", "-l", help="Comma-separated labels"),
    dataset: str = Opt(var("argilla_dev_dataset"), "--dataset", "-d", help="Argilla dataset name"),
    workspace: str = Opt(DEFAULT_WORKSPACE, "--workspace", "-w", help="Argilla workspace"),
    api_url: Optional[str] = Opt(None, "--api-url", help="Argilla URL (default: $ARGILLA_API_URL or the local server)"),
    port: int = Opt(
        var("argilla_port"), "--port", help="The local server's port (without --api-url or $ARGILLA_API_URL)"
    ),
):
    """Push a seeded sample of train's documents, without suggestions, to be labelled from scratch as dev."""
    api_url = default_api_url(api_url, port)
    info = push_dev(
        train,
        labelled,
        manifest,
        documents_total=documents,
        seed=seed,
        dataset_name=dataset,
        labels=parse_labels(labels),
        workspace=workspace,
        api_url=api_url,
    )
    url, _ = resolve_api(api_url)
    msg.good(
        f"Logged {info['records']} sentences of {info['documents']} train documents to '{dataset}' "
        f"({info['documents_labelled']} labelled before)",
        f"Label them at {url}, then `spacy project run dev-pull` with the same vars · manifest {manifest}",
    )


@app.command("pull-dev")
def pull_dev_cli(
    train: Path = Arg(..., help="The converted train corpus (gives each answer its sentence's words)"),
    output: Path = Opt(..., "--output", "-o", help="The labelled set to merge into (corpus/dev_from_train.spacy)"),
    labels: str = Opt(var("labels"), "--labels", "-l", help="Comma-separated labels"),
    dataset: str = Opt(var("argilla_dev_dataset"), "--dataset", "-d", help="Argilla dataset name"),
    workspace: str = Opt(DEFAULT_WORKSPACE, "--workspace", "-w", help="Argilla workspace"),
    api_url: Optional[str] = Opt(None, "--api-url", help="Argilla URL (default: $ARGILLA_API_URL or the local server)"),
    port: int = Opt(
        var("argilla_port"), "--port", help="The local server's port (without --api-url or $ARGILLA_API_URL)"
    ),
):
    """Merge the answers of the dev labelling into the labelled set: a newer answer wins, none is lost;
    `convert` then moves each fully answered document from train to dev."""
    c = pull_dev(
        train,
        output,
        dataset_name=dataset,
        labels=parse_labels(labels),
        workspace=workspace,
        api_url=default_api_url(api_url, port),
    )
    msg.text(server_counts(c))
    if c.get("spans_dropped"):
        msg.warn(f"{c['spans_dropped']} labelled spans had another label or overlapped and were dropped")
    if c.get("backup"):
        msg.info(f"The previous labelled set ({c['before']} sentences) is backed up in {c['backup']}")
    msg.good(
        f"{output}: {c['written']} sentences ({c.get('new', 0)} new, {c.get('updated', 0)} changed, {c['before']} "
        f"before); {c['complete']} documents complete (convert moves them to dev), {c['partial']} partly labelled"
    )


if __name__ == "__main__":
    run(app)
