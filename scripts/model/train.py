"""The `train` step: `spacy train`, with the finished pipelines moved into place only when training ends.

spaCy writes `model-best` while it trains; killed there, it would leave a half-trained pipeline that
`evaluate` (run alone) would score. Here spaCy trains into a temp folder beside the output, and
`model-best` and `model-last` replace the old ones once training has finished; a killed run's temp
folder is removed by the next one. Options after the config are spaCy's overrides (`--paths.train ...`).

Each finished pipeline holds `training_finished.json` with a digest of its files: `evaluate`, `visualize` and
`package` depend on that small file, not on the 66 MB folder (weasel hashed the folder for each of them on
every run, a quarter of a no-op `all`), and check the digest before they trust the folder.
"""

from pathlib import Path
from typing import Annotated, Optional

import typer
from wasabi import msg

from ..project import var
from ..util.errors import run
from .trained import FINISHED, PIPELINES, check_finished, check_unchanged, finished, pipeline_digest  # noqa: F401
from .training import train


def main(
    ctx: typer.Context,
    config: Annotated[Path, typer.Argument(help="spaCy config", exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder of model-best and model-last")],
    patience: Annotated[
        Optional[int],
        typer.Option("--patience", help="Stop after this many evaluations without a better dev score (0: never)"),
    ] = var("patience"),
):
    """Train with spaCy; model-best/model-last appear (or change) only once training has finished."""
    from ..patches import config_overrides

    train(config, output, config_overrides(ctx.args), patience)
    msg.good(f"Trained pipelines: {', '.join(str(output / name) for name in PIPELINES)}")


if __name__ == "__main__":
    app = typer.Typer(add_completion=False)
    app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(main)
    run(app)
