"""The same labelling functions as a plain in-memory skweak script: the benchmark's yardstick for the steps.

What the Argilla + skweak tutorial does in one process, with nothing written: read the train and dev
corpora, annotate dev with the preset's functions (skweak's CombinedAnnotator), score them on dev
(skweak's LFAnalysis), annotate train and vote over it with skweak's own MajorityVoter. Each phase is
timed from inside; the benchmark adds the process's wall-clock time (start-up) from outside.

    python -m scripts.tools.inmemory corpus training/inmemory.json --preset tutorial --labels ORG
"""

import time

_T0 = time.perf_counter()

import json  # noqa: E402  (after _T0: the imports are a phase of their own)
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated  # noqa: E402

import typer  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    import skweak  # noqa: E402  (the whole of skweak, as a script imports it)

    skweak.generative.HMM  # noqa: B018  (loaded now, as in a plain script: scripts/__init__.py defers it)
    from skweak.analysis import LFAnalysis  # noqa: E402
    from skweak.voting import SequentialMajorityVoter  # noqa: E402

from ..corpus.docbin import read_docs  # noqa: E402
from ..corpus.labels import GOLD, parse_labels  # noqa: E402
from ..lfs.annotator import FunctionSettings, build_annotator  # noqa: E402
from ..project import var  # noqa: E402
from ..util.errors import run  # noqa: E402

IMPORTS_S = time.perf_counter() - _T0


def in_memory_run(corpus_dir: Path, labels: list, preset: str, gazetteers: str) -> dict:
    """Seconds per phase of the in-memory run, and the dev F1 of the majority vote (a check that it ran)."""
    seconds = {"imports": IMPORTS_S}

    def timed(name, fn):
        begin = time.perf_counter()
        out = fn()
        seconds[name] = time.perf_counter() - begin
        return out

    train, dev = timed(
        "reading", lambda: (read_docs(corpus_dir / "train_gold.spacy"), read_docs(corpus_dir / "dev_gold.spacy"))
    )
    settings = FunctionSettings(
        tuple(labels), preset, gazetteers, var("presets"), var("lf_code"), var("lang"), var("hyphens")
    )
    annotator = timed("setup", lambda: build_annotator(settings))
    dev = timed("annotate dev", lambda: list(annotator.pipe(dev)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        timed(
            "score",
            lambda: LFAnalysis(dev, labels).lf_empirical_scores(
                dev, gold_span_name=GOLD, gold_labels=labels + ["O"], print_warnings=False
            ),
        )
    for doc in train:
        doc.spans.pop(GOLD, None)
    voter = SequentialMajorityVoter("majority", labels)
    train = timed("annotate + vote train", lambda: list(voter.pipe(annotator.pipe(train))))
    n_ents = sum(len(d.spans["majority"]) for d in train)
    return {
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "total_seconds": round(time.perf_counter() - _T0, 2),
        "train_docs": len(train),
        "train_entities": n_ents,
    }


def main(
    corpus_dir: Annotated[Path, typer.Argument(help="The corpus folder (train_gold.spacy, dev_gold.spacy)")],
    output: Annotated[Path, typer.Argument(help="JSON of the seconds per phase")],
    labels: Annotated[str, typer.Option("--labels", "-l")] = "ORG",
    preset: Annotated[str, typer.Option("--preset")] = "tutorial",
    gazetteers: Annotated[str, typer.Option("--gazetteers")] = "corpus/gazetteers",
):
    """Run the preset's functions, LFAnalysis and majority voting in memory, timed phase by phase."""
    result = in_memory_run(corpus_dir, parse_labels(labels), preset, gazetteers)
    output.write_text(json.dumps(result, indent=2), encoding="utf8")


if __name__ == "__main__":
    run(main)
