"""The `annotate` step: every labelling function on a corpus, one span group per function in each Doc.

The corpus streams through in shards (DocBin bytes in, DocBin bytes out) that worker processes,
or Dask workers, annotate independently: memory is bounded by the shard size, the step scales
with the processes, and the output is the same whatever runs it. A shard never splits an article
(`corpus.articles`), as the document-level functions read whole articles.
"""

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Dict, Iterable, List, Optional, Sequence, Tuple

import typer
from spacy.tokens import Doc
from wasabi import msg

from ..corpus.docbin import docs_from_bytes, iter_docs, shard_vocab
from ..corpus.gold import gold_labels
from ..corpus.labels import GOLD, drop_empty_groups, parse_labels
from ..corpus.shards import ShardResult, map_corpora
from ..corpus.sources import SETS
from ..patches import docs_to_bytes
from ..pretrained.pipelines import drop_groups
from ..pretrained.runs import PREFIX
from ..project import var
from ..util import timing
from ..util.errors import UserError, check_known_labels, run, setting, switch
from ..util.files import write_json
from ..util.parallel import Parallelism
from .annotator import FunctionSettings, LabellingFunctionError, LabellingFunctions, get_annotator
from .cache import CachePlan, SpanCache, annotate_cached, shard_key
from .keys import FunctionKeys
from .models import ModelFunction
from .pipelines import PipelineFunction


def annotate_docs(docs: Iterable[Doc], settings: FunctionSettings, drop_gold: bool = False) -> List[Doc]:
    """Run every labelling function on `docs` (in place) and return them (`finish`)."""
    annotator = get_annotator(settings)
    return [finish(doc, annotator, drop_gold) for doc in annotator.pipe(docs)]


def finish(doc: Doc, annotator: LabellingFunctions, drop_gold: bool) -> Doc:
    """`drop_gold` removes gold (train never keeps it); a function's span group is kept only where it found
    something (`drop_empty_groups`); the pretrained pipelines' raw entities are dropped."""
    if drop_gold and GOLD in doc.spans:
        del doc.spans[GOLD]
    negative = [name for name in annotator.names if name in annotator.negative]
    return drop_empty_groups(drop_groups(doc), annotator.names, negative)


@dataclass
class AnnotateJob:
    """A shard for a worker: which corpus it belongs to, its DocBin bytes, the functions, train or not, and
    the cache (None: off) with the shard's address in it."""

    corpus: int
    data: bytes
    settings: FunctionSettings
    drop_gold: bool
    cache: Optional[CachePlan] = None
    shard: str = ""


def annotate_shard(job: AnnotateJob) -> ShardResult:
    """Worker side: decode, annotate and encode one shard (through the cache if the job has one)."""
    annotator = get_annotator(job.settings)
    names = annotator.names
    done = None
    if job.cache is not None:
        done = annotate_cached(job.data, job.settings, job.cache, job.shard, job.drop_gold)
    if done is not None:
        data, n_docs, ran, fired = done
    else:  # no cache, or a shard its bytes path cannot write (`docbin_with_groups`)
        with timing.phase("reading"):
            docs = docs_from_bytes(job.data, shard_vocab())
        with timing.phase("functions"):
            docs, ran = annotate_docs(docs, job.settings, job.drop_gold), names
        fired = sum(1 for d in docs if any(n in d.spans for n in names))
        with timing.phase("writing"):
            data, n_docs = docs_to_bytes(docs), len(docs)
    counts = {"fired": fired, **{f"undeclared\t{n}\t{lab}": k for (n, lab), k in annotator.undeclared.items()}}
    counts.update({f"ran\t{name}": 1 for name in ran})
    annotator.undeclared.clear()
    return ShardResult(job.corpus, data, n_docs, counts, timing.take())


# A corpus to annotate: its input, its output, and whether it is train (its gold spans are dropped).
Corpus = Tuple[Path, Path, bool]


def annotate_corpora(
    corpora: Sequence[Corpus],
    settings: FunctionSettings,
    parallel: Parallelism = Parallelism(),
    cache: Optional[Path] = None,
) -> List[Dict[str, int]]:
    """Annotate each (input, output, drop_gold) corpus, shard by shard, in one pool (`map_corpora`);
    counts per corpus ("ran\tNAME": the shards a function ran on). The pretrained pipelines load where a
    shard needs them (`scripts.pretrained`): not at all when the `pretrained` step has left their entities
    on every doc. `cache`: the folder of the functions' spans per shard (`scripts.lfs.cache`), None: off."""
    started = time.time()
    with timing.phase("setup"):
        annotator = get_annotator(settings)
        if annotator.model_functions and parallel.scheduler is None and corpora:
            # before a fork, so that workers share them: the models a shard will run (not the project's
            # pipelines when the `pretrained` step has left their entities on the docs)
            groups = _pretrained_groups(corpora[0][0])
            for func in annotator.model_functions:
                done = isinstance(func, ModelFunction) and bool(groups)  # truecase's are on capitals only
                if not (done or (isinstance(func, PipelineFunction) and func.run.group in groups)):
                    func.load()
        plan = None
        if cache is not None:
            keys = FunctionKeys(settings, annotator)
            # an absolute folder: Dask workers may run elsewhere (where it is missing, its entries are too)
            folder = str(Path(cache).resolve())
            plan = CachePlan(folder, keys.keys, keys.document, tuple(keys.document_names), tuple(keys.feeders))
    shards = set()

    def job(k: int, data: bytes) -> AnnotateJob:
        shard = shard_key(data) if plan is not None else ""
        shards.add(shard)
        return AnnotateJob(k, data, settings, corpora[k][2], plan, shard)

    counts = map_corpora([(i, o) for i, o, _ in corpora], job, annotate_shard, parallel, "annotate")  # type: ignore[arg-type]
    if plan is not None:
        store = SpanCache(plan.folder)
        store.prune({(s, key) for s in shards for key in set(plan.keys.values())}, started)
        ran = [name for name in annotator.names if any(c.get(f"ran\t{name}") for c in counts)]
        store.record(ran, [name for name in annotator.names if name not in ran])
    return [{"fired": 0, **c, "functions": len(annotator.names)} for c in counts]


def _pretrained_groups(path: Path) -> List[str]:
    """The runs' groups that the `pretrained` step left on the corpus's first doc (none: not from it)."""
    first = next(iter_docs(path), None)
    return [name for name in first.spans if name.startswith(PREFIX)] if first is not None else []


Arg, Opt = typer.Argument, typer.Option


def main(
    input_path: Annotated[
        Optional[Path],
        Arg(help="Input corpus (from convert): a .spacy file or a folder of shards (none: --held-out only)"),
    ] = None,
    output_path: Annotated[
        Optional[Path], Arg(help="Output: a folder of .spacy shards (or one .spacy file), a group per function")
    ] = None,
    labels: Annotated[str, Opt("--labels", "-l", help="Comma-separated labels to annotate")] = var("labels"),
    n_process: Annotated[int, Opt("--n-process", "-n", help="Worker processes (0: all cores)")] = var("n_process"),
    shard_size: Annotated[int, Opt("--shard-size", help="Documents per shard")] = var("shard_size"),
    drop_gold: Annotated[bool, Opt("--drop-gold", help="Remove gold spans (training data never keeps them)")] = False,
    preset: Annotated[str, Opt("--preset", help="Labelling functions: a preset of --presets")] = var("preset"),
    presets: Annotated[Path, Opt("--presets", help="YAML file of presets (lists of function names)")] = Path(
        var("presets")
    ),
    code: Annotated[
        str, Opt("--code", help="Your labelling functions: a .py file or a folder of them (empty: none)")
    ] = var("lf_code"),
    gazetteer_dir: Annotated[
        Path, Opt("--gazetteers", help="Folder of the lexicons (build-gazetteers; preset full)")
    ] = Path(var("gazetteers_dir")),
    lang: Annotated[str, Opt("--lang", help="spaCy language of the tokenizer of phrases and lexicon entries")] = var(
        "lang"
    ),
    hyphens: Annotated[str, Opt("--hyphens", help="Phrases: split words at hyphens (spaCy) or keep")] = var("hyphens"),
    scheduler: Annotated[
        str, Opt("--scheduler", help="Dask scheduler address (default: $DASK_SCHEDULER_ADDRESS); empty: this machine")
    ] = var("dask_scheduler"),
    dev: Annotated[
        Optional[Tuple[Path, Path]],
        Opt("--dev", help="Also annotate this INPUT OUTPUT in the same run (models loaded once), keeping its gold"),
    ] = None,
    held_out: Annotated[
        Optional[Tuple[Path, Path]],
        Opt("--held-out", help="Also annotate each NAME.spacy of the folder INPUT into OUTPUT/NAME, keeping gold"),
    ] = None,
    lf_cache: Annotated[
        str, Opt("--lf-cache", help="Rerun only the functions whose code, files or settings changed: true or false")
    ] = var("lf_cache"),
    cache_dir: Annotated[
        Path, Opt("--cache-dir", help="The folder of each function's spans per shard (the cache)")
    ] = Path(var("lf_cache_dir")),
):
    """Annotate a corpus with the project's labelling functions (scripts/lfs)."""
    timing.start()
    cache = cache_dir if switch("lf_cache", lf_cache) else None
    label_list = tuple(parse_labels(labels))
    settings = FunctionSettings(label_list, preset, str(gazetteer_dir), str(presets), code, lang, hyphens)
    names = settings.names()  # an unknown preset or function name stops here, before any work
    parallel = Parallelism.from_options(n_process, shard_size, scheduler)
    start = time.perf_counter()
    if input_path is not None and not input_path.exists():
        raise UserError(f"{input_path} does not exist: run `spacy project run pretrained` first")
    corpora: List[Corpus] = [(input_path, output_path, drop_gold)] if input_path and output_path else []
    if dev:
        if not dev[0].exists():
            raise UserError(f"--dev input {dev[0]} does not exist: run `spacy project run convert` first")
        # before hours of annotation: a label the dev gold never has could not be scored
        check_known_labels(label_list, gold_labels(iter_docs(dev[0])), f"the gold of {dev[0]}")
        corpora.append((dev[0], dev[1], False))
    held_out_names = []
    if held_out:
        for file in sorted(held_out[0].glob("*.spacy")) if held_out[0].is_dir() else []:
            corpora.append((file, held_out[1] / file.stem, False))
            held_out_names.append(file.stem)
    with timing.phase("setup"):
        built = get_annotator(settings).names
    if not built:
        raise setting(
            "labels",
            ",".join(label_list),
            f"none of the {len(names)} functions of preset {preset!r} emits these labels",
        )
    try:
        all_counts = annotate_corpora(corpora, settings, parallel, cache)
    except (LabellingFunctionError, FileNotFoundError, ConnectionError) as e:  # FileNotFoundError: a gazetteer
        msg.fail(str(e), exits=1)
    if held_out:  # a set no longer held out (an extra test removed) leaves no stale votes behind
        held_out[1].mkdir(parents=True, exist_ok=True)
        for old in (p for p in held_out[1].iterdir() if p.is_dir() and p.name not in held_out_names):
            shutil.rmtree(old)
        write_json(held_out[1] / SETS, {"sets": held_out_names})  # never an empty folder (see sources.SETS)
    seconds = time.perf_counter() - start
    for (_, out, _), counts in zip(corpora, all_counts):
        msg.good(
            f"Annotated {counts['docs']} docs with {counts['functions']} labelling functions "
            f"({counts['fired']} with at least one span) -> {out}"
        )
    undeclared: Dict[Tuple[str, str], int] = {}
    for counts in all_counts:
        for key, n in counts.items():
            if key.startswith("undeclared\t"):
                _, name, label = key.split("\t")
                undeclared[name, label] = undeclared.get((name, label), 0) + n
    for (name, label), n in sorted(undeclared.items()):
        msg.warn(
            f"labelling function {name!r} yielded {n} spans labelled {label!r}, a label it does not declare: they "
            "are dropped (a typo in the label, or add it to the function's labels)"
        )
    if cache is not None:
        ran = [n for n in built if any(c.get(f"ran\t{n}") for c in all_counts)]
        shown = ", ".join(ran[:8]) + (f" and {len(ran) - 8} more" if len(ran) > 8 else "")
        if len(ran) == len(built):
            cached = "none came from the cache"
        elif not ran:
            cached = "every one's spans came from the cache"
        else:
            cached = "the others' spans came from the cache"
        msg.info(
            f"{len(ran)} of {len(built)} functions ran"
            + (f" ({shown})" if ran and len(ran) < len(built) else "")
            + f"; {cached} ({cache_dir}; --vars.lf_cache false turns it off)"
        )
    msg.info(f"{seconds:.1f} s on {parallel.describe()} ({timing.summary()})")
    timing.report()


if __name__ == "__main__":
    run(main)
