"""The `pretrained-plan` step: which pretrained runs the preset's model functions need, as a small JSON file.

`pretrained` depends on this file, not on the presets: weasel hashes a dep's content, so an edit of the
presets that keeps the same runs (a rule added or dropped, the tutorial instead of another preset without
model functions) rewrites the same bytes and leaves the pipelines skipped, while `annotate`, which depends
on the presets, reruns.
"""

import json
from pathlib import Path
from typing import Annotated, List, Sequence

import typer
from wasabi import msg

from ..corpus import timing
from ..corpus.errors import UserError, run
from ..corpus.files import write_text
from ..corpus.presets import load_presets, preset_names
from ..project import var
from .runs import FUNCTIONS, Run


def preset_runs(names: Sequence[str]) -> List[Run]:
    """The runs the model functions among `names` read, each once, in order."""
    return list(dict.fromkeys(FUNCTIONS[n] for n in names if n in FUNCTIONS))


def plan_text(runs: Sequence[Run]) -> str:
    """The plan file's text: the runs in order (no preset name, so that presets with the same runs agree)."""
    return json.dumps({"runs": [{"package": r.package, "mode": r.mode} for r in runs]}, indent=2) + "\n"


def read_plan(path: Path) -> List[Run]:
    """The runs of a plan file; a UserError names the file and what to do when it is not one."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"--plan {path}: no such file (run `spacy project run pretrained-plan` first)")
    try:
        runs = json.loads(path.read_text(encoding="utf8"))["runs"]
        out = [Run(str(r["package"]), str(r["mode"])) for r in runs]
    except (ValueError, KeyError, TypeError) as e:
        raise UserError(
            f"{path}: not a plan of pretrained runs ({' '.join(str(e).split())[:80]}): rerun"
            " `spacy project run pretrained-plan`"
        ) from None
    return out


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
        runs = preset_runs(preset_names(load_presets(presets), preset, str(presets)))
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
