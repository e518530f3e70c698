"""`python -m scripts.review push|pull`: the `review-push` and `review-pull` steps.

The API key is read from $ARGILLA_API_KEY (default: the local server's), never from the command
line: project.lock records every command line.
"""

from pathlib import Path
from typing import List, Optional

import typer
from wasabi import color, msg

from ..corpus.labels import parse_labels
from ..project import var
from .client import DEFAULT_WORKSPACE, resolve_api
from .pull import pull
from .push import push
from .records import ReviewError

Arg = typer.Argument
Opt = typer.Option
app = typer.Typer(
    add_completion=False, help="Human review of the weak labels in Argilla 2.x: push documents, pull reviews."
)


def fail(text: str) -> None:
    """msg.fail on one line (wasabi wraps at 80 columns), then exit 1."""
    line = f"\u2718 {text}"
    if msg.show_color:
        line = color(line, fg=msg.colors["red"])
    print(line, flush=True)
    raise SystemExit(1)


def label_list(labels: str) -> List[str]:
    """--labels as a list, or a ReviewError (one line) if it names none."""
    try:
        return parse_labels(labels)
    except ValueError as e:
        raise ReviewError(f"--labels: {e}") from None


def _run(fn):
    try:
        return fn()
    except ReviewError as exc:
        fail(str(exc))


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
):
    """Log docs with every labelling function's spans to Argilla for review.
    The API key is read from $ARGILLA_API_KEY (default: the local server's)."""

    def go():
        corpora = [(dev, 0)]
        if train is not None:
            corpora.append((train, train_sample))
        info = push(
            corpora,
            manifest,
            dataset_name=dataset,
            workspace=workspace,
            labels=label_list(labels),
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

    _run(go)


@app.command("pull")
def pull_cli(
    corpora: List[Path] = Arg(..., help="The DocBins that were pushed (to copy words and user_data)"),
    output: Path = Opt(..., "--output", "-o", help="DocBin to write (e.g. corpus/reviewed.spacy)"),
    labels: str = Opt(var("labels"), "--labels", "-l", help="Comma-separated labels"),
    dataset: str = Opt(var("argilla_dataset"), "--dataset", "-d", help="Argilla dataset name"),
    workspace: str = Opt(DEFAULT_WORKSPACE, "--workspace", "-w", help="Argilla workspace"),
    discarded: str = Opt("keep", "--discarded", help="keep (marked user_data['review_status']='discarded') or drop"),
    api_url: Optional[str] = Opt(None, "--api-url", help="Argilla URL (default: $ARGILLA_API_URL or the local server)"),
):
    """Read submitted reviews back into a DocBin with doc.ents set by the reviewer."""

    def go():
        if discarded not in ("keep", "drop"):
            raise ReviewError("--discarded must be 'keep' or 'drop'")
        counts = pull(
            corpora,
            output,
            dataset_name=dataset,
            workspace=workspace,
            labels=label_list(labels),
            keep_discarded=discarded == "keep",
            api_url=api_url,
        )
        msg.text(
            f"submitted {counts.get('submitted', 0)} · discarded {counts.get('discarded', 0)} · "
            f"draft {counts.get('draft', 0)} (ignored) · pending {counts.get('pending', 0)} (ignored)"
        )
        if counts.get("missing_from_corpus"):
            msg.warn(f"{counts['missing_from_corpus']} reviewed records are not in the given corpora")
        if counts.get("spans_dropped"):
            msg.warn(f"{counts['spans_dropped']} reviewed spans had another label or overlapped and were dropped")
        msg.good(f"Wrote {counts.get('written', 0)} reviewed docs to {output}")

    _run(go)


if __name__ == "__main__":
    app()
