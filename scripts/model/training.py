"""`spacy train` with the finished pipelines moved into place only when training ends (the `train` step, and
`seeds`, which trains once per seed): a killed run leaves nothing `evaluate` would trust."""

import tempfile
from pathlib import Path
from typing import Optional

from wasabi import msg

from ..util.errors import check_range
from ..util.files import remove_leftovers, replace_dir, temp_prefix, write_json
from .trained import FINISHED, PIPELINES, pipeline_digest


def train(config: Path, output: Path, overrides: dict, patience: Optional[int] = None) -> None:
    """spacy train CONFIG into a temp folder, then model-best and model-last into `output`; `patience`: stop
    after that many evaluations without a better dev score (`with_patience`), max_steps being the ceiling."""
    from spacy.cli.train import train as spacy_train

    from ..patches import cache_msgpack_registries
    from ..pipeline import components  # noqa: F401  (the tokenizer and doc_consistency, as --code would)

    # spaCy's corpus readers decode DocBins with srsly's msgpack, which scans every entry point of the
    # process per call: most of the 40 s before the first step, and of each re-read of train and dev
    cache_msgpack_registries()

    if "training.max_steps" in overrides:
        check_range("max_steps", overrides["training.max_steps"], 1)
    overrides = with_last_step_evaluated(config, overrides)
    overrides = with_patience(config, overrides, patience)
    output.mkdir(parents=True, exist_ok=True)
    remove_leftovers(output)
    with tempfile.TemporaryDirectory(dir=output, prefix=temp_prefix(Path("train")), suffix=".tmp") as tmp:
        spacy_train(config, Path(tmp), overrides=overrides)
        for name in PIPELINES:
            marker = {"config": str(config), "overrides": overrides, "md5": pipeline_digest(Path(tmp) / name)}
            write_json(Path(tmp) / name / FINISHED, marker)
            replace_dir(Path(tmp) / name, output / name)


def with_last_step_evaluated(config: Path, overrides: dict) -> dict:
    """`overrides`, with an eval_frequency under which the last step is evaluated where one is near.

    spaCy evaluates every eval_frequency steps and picks model-best among those steps only: a run of
    fewer steps would leave model-best the untrained step 0, and 300 steps at 200 would never evaluate
    the 100 after step 200. The frequency becomes max_steps (a shorter run) or the largest divisor of
    max_steps between half the frequency and the frequency (300 at 200: 150); else it stays."""
    from spacy.util import load_config

    training = load_config(config, overrides=overrides, interpolate=False)["training"]
    steps, frequency = training["max_steps"], training["eval_frequency"]
    if steps <= 0 or steps % frequency == 0:
        return overrides
    if steps < frequency:
        return {**overrides, "training.eval_frequency": steps}
    for f in range(frequency - 1, (frequency + 1) // 2 - 1, -1):
        if steps % f == 0:
            return {**overrides, "training.eval_frequency": f}
    msg.warn(f"max_steps {steps}: the last {steps % frequency} steps are not evaluated (eval_frequency {frequency})")
    return overrides


def with_patience(config: Path, overrides: dict, evaluations: Optional[int]) -> dict:
    """`overrides`, with spaCy's training.patience (in steps) set to `evaluations` evaluations without a better
    dev score, at the eval_frequency of the run: patience counted in evaluations does not depend on the
    corpus's size as steps do. None, or a training.patience given as an override, leaves it as it is; 0
    never stops early."""
    from spacy.util import load_config

    if evaluations is None or "training.patience" in overrides:
        return overrides
    check_range("patience", evaluations, 0)
    frequency = load_config(config, overrides=overrides, interpolate=False)["training"]["eval_frequency"]
    return {**overrides, "training.patience": evaluations * frequency}
