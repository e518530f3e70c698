"""The `pretrained` step: the pretrained pipelines of the preset's model functions, run once per corpus.

Each corpus is copied shard by shard with every run's entities (the pipeline's own labels) as span
groups (`runs.Run.group`), which `annotate` reads and maps instead of running the pipelines
itself. Its deps are the gold corpora, the plan of runs (`plan`) and this package, not the rules or the
presets: a changed labelling function, or a preset edit that keeps the same pipelines, reruns `annotate`
alone. Pipelines of your own code (`registry.pipeline`) still run inside `annotate`. A preset without
model functions copies the shards as they are.
"""

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, List, Optional, Sequence, Tuple

import typer
from spacy.tokens import DocBin
from wasabi import msg

from ..corpus.docbin import docs_from_bytes, shard_vocab
from ..corpus.presets import resolve_preset
from ..corpus.shards import ShardResult, map_corpora
from ..corpus.sources import SETS
from ..patches import docs_to_bytes
from ..project import var
from ..util import timing
from ..util.errors import UserError, run
from ..util.files import write_json
from ..util.parallel import Parallelism
from .pipelines import add_entities, load
from .runs import Run, preset_runs, read_plan


@dataclass
class PretrainedJob:
    corpus: int
    data: bytes
    runs: Tuple[Run, ...]


def pretrained_shard(job: PretrainedJob) -> ShardResult:
    """Worker side: decode a shard, add every run's entities, encode it (a shard without runs passes as is)."""
    if not job.runs:
        with timing.phase("reading"):  # a shard's size in docs, without decoding them
            n_docs = len(DocBin().from_bytes(job.data))
        return ShardResult(job.corpus, job.data, n_docs, {"groups": 0}, timing.take())
    with timing.phase("reading"):
        docs = docs_from_bytes(job.data, shard_vocab())
    with timing.phase("pipelines"):
        groups = add_entities(docs, job.runs)
    with timing.phase("writing"):
        data = docs_to_bytes(docs)
    return ShardResult(job.corpus, data, len(docs), {"groups": groups}, timing.take())


Corpus = Tuple[Path, Path]


def run_corpora(corpora: Sequence[Corpus], runs: Sequence[Run], parallel: Parallelism = Parallelism()) -> List[dict]:
    """Every run on each (input, output) corpus, in one pool; docs and groups written per corpus."""
    with timing.phase("setup"):
        if runs and parallel.scheduler is None:
            for r in runs:
                load(r)  # before a fork: the workers share the models
        if not runs:
            parallel = Parallelism(1, parallel.shard_size)  # copying shards: no pool to start

    def job(k: int, data: bytes) -> PretrainedJob:
        return PretrainedJob(k, data, tuple(runs))

    return map_corpora(corpora, job, pretrained_shard, parallel, "pretrained")  # type: ignore[arg-type]


Arg, Opt = typer.Argument, typer.Option


def main(
    input_path: Annotated[
        Optional[Path],
        Arg(help="Input corpus (from convert): a .spacy file or a folder of shards (none: --held-out only)"),
    ] = None,
    output_path: Annotated[
        Optional[Path], Arg(help="Output: a folder of .spacy shards, the runs' entities as span groups")
    ] = None,
    preset: Annotated[str, Opt("--preset", help="Labelling functions: a preset of --presets")] = var("preset"),
    presets: Annotated[Path, Opt("--presets", help="YAML file of presets (lists of function names)")] = Path(
        var("presets")
    ),
    plan: Annotated[
        Optional[Path], Opt("--plan", help="The runs from this file (`pretrained-plan`'s) instead of --preset")
    ] = None,
    n_process: Annotated[int, Opt("--n-process", "-n", help="Worker processes (0: all cores)")] = var("n_process"),
    shard_size: Annotated[int, Opt("--shard-size", help="Documents per shard")] = var("shard_size"),
    scheduler: Annotated[
        str, Opt("--scheduler", help="Dask scheduler address (default: $DASK_SCHEDULER_ADDRESS); empty: this machine")
    ] = var("dask_scheduler"),
    dev: Annotated[
        Optional[Tuple[Path, Path]], Opt("--dev", help="Also this INPUT OUTPUT in the same run (models loaded once)")
    ] = None,
    held_out: Annotated[
        Optional[Tuple[Path, Path]],
        Opt("--held-out", help="Also each NAME.spacy of the folder INPUT, into OUTPUT/NAME.spacy"),
    ] = None,
):
    """Run the pretrained pipelines of the preset's model functions on the corpora, once."""
    timing.start()
    if plan:
        runs = read_plan(plan)
    else:
        chosen = resolve_preset(presets, preset)
        runs = preset_runs(chosen.functions, chosen.pipelines)
    parallel = Parallelism.from_options(n_process, shard_size, scheduler)
    if input_path is not None and not input_path.exists():
        raise UserError(f"{input_path} does not exist: run `spacy project run convert` first")
    corpora: List[Corpus] = [(input_path, output_path)] if input_path is not None and output_path is not None else []
    if dev:
        if not dev[0].exists():
            raise UserError(f"--dev input {dev[0]} does not exist: run `spacy project run convert` first")
        corpora.append(dev)
    names: List[str] = []
    if held_out:
        for file in sorted(held_out[0].glob("*.spacy")) if held_out[0].is_dir() else []:
            corpora.append((file, held_out[1] / file.name))
            names.append(file.stem)
    start = time.perf_counter()
    try:
        counts = run_corpora(corpora, runs, parallel)
    except OSError as e:  # a pipeline that is not installed
        msg.fail(
            f"cannot load a pretrained pipeline ({' '.join(str(e).split())[:160]}): run `python -m "
            "scripts.tools.setup_model` for the project's, install a preset's own (pip) or fix its `model:` path",
            exits=1,
        )
    if held_out:  # a set no longer held out leaves nothing stale behind
        held_out[1].mkdir(parents=True, exist_ok=True)
        for old in held_out[1].iterdir():
            if old.is_dir():
                shutil.rmtree(old)
            elif old.name != SETS and old.stem not in names:
                old.unlink()
        write_json(held_out[1] / SETS, {"sets": names})
    what = ", ".join(f"{r.package} ({r.mode})" for r in runs) or "none (the preset has no model function)"
    for (_, out), c in zip(corpora, counts):
        msg.good(f"{c['docs']} docs, {c['groups']} with a run's entities -> {out}")
    msg.info(f"Pipelines: {what}; {time.perf_counter() - start:.1f} s on {parallel.describe()} ({timing.summary()})")
    timing.report()


if __name__ == "__main__":
    run(main)
