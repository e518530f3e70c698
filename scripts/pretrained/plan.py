"""The `pretrained-plan` step: which pretrained runs the preset's model functions need, as a small JSON file.

`pretrained` depends on this file, not on the presets: weasel hashes a dep's content, so an edit of the
presets that keeps the same runs (a rule added or dropped, the tutorial instead of another preset without
model functions) rewrites the same bytes and leaves the pipelines skipped, while `annotate`, which depends
on the presets, reruns.
"""

from pathlib import Path
from typing import Annotated

import typer
from wasabi import msg

from ..corpus.presets import resolve_preset
from ..project import var
from ..util import timing
from ..util.errors import run
from ..util.files import write_text
from .runs import plan_text, preset_runs, read_plan  # noqa: F401

Arg, Opt = typer.Argument, typer.Option


def main(
    output: Annotated[Path, Arg(help="The plan: a JSON file of the runs (package, mode) to make")],
    preset: Annotated[str, Opt("--preset", help="Labelling functions: a preset of --presets")] = var("preset"),
    presets: Annotated[Path, Opt("--presets", help="YAML file of presets (lists of function names)")] = Path(
        var("presets")
    ),
):
    """Write the pretrained runs that the preset's model functions read."""
    timing.start()
    with timing.phase("setup"):
        chosen = resolve_preset(presets, preset)
        runs = preset_runs(chosen.functions, chosen.pipelines)
    text = plan_text(runs)
    what = ", ".join(f"{r.package} ({r.mode})" for r in runs) or f"none (preset {preset!r} has no model function)"
    if output.is_file() and output.read_text(encoding="utf8") == text:
        msg.good(f"{output}: unchanged, {what}")
    else:
        write_text(output, text)
        msg.good(f"{output}: {what}")
    timing.report()


if __name__ == "__main__":
    run(main)
