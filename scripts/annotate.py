"""Apply the labelling functions to a corpus: one span group per function in each Doc.

The corpus streams through in shards (DocBin bytes in, DocBin bytes out) that worker processes,
or Dask workers, annotate independently: memory is bounded by the shard size, the step scales
with `n_process`, and the output is the same whatever runs it. A shard never splits a CoNLL
article (sentences sharing split and doc_id), as the document-level functions read whole articles.
"""
import contextlib
import os
import time
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import typer
from spacy.tokens import Doc, DocBin
from tqdm import tqdm
from wasabi import msg

from .lfs import DEFAULT_GAZETTEER_DIR, PRESETS, LabellingFunctionError, LabellingFunctions, build_annotator
from .parallel import ordered_map, runner, scheduler_address
from .util import (GOLD, SHARD_SIZE, CorpusWriter, article_chunks, corpus_files, iter_shards, make_vocab, parse_labels,
                   shard_vocab)  # fmt: skip

_ANNOTATORS: Dict[Tuple, LabellingFunctions] = {}


def get_annotator(labels: Sequence[str], preset: Optional[str], gazetteer_dir: str) -> LabellingFunctions:
    """The labelling functions, built once per process (workers reuse them from shard to shard)."""
    key = (tuple(labels), preset, str(gazetteer_dir))
    if key not in _ANNOTATORS:
        _ANNOTATORS[key] = build_annotator(labels, preset, gazetteer_dir)
    return _ANNOTATORS[key]


def annotate_docs(docs: Iterable[Doc], labels: List[str], drop_gold: bool = False, preset: Optional[str] = None,
                  gazetteer_dir: str = DEFAULT_GAZETTEER_DIR) -> List[Doc]:
    """Run every labelling function on `docs` (in place) and return them."""
    return list(annotate_iter(docs, labels, drop_gold, preset, gazetteer_dir))


def annotate_iter(docs: Iterable[Doc], labels: List[str], drop_gold: bool = False, preset: Optional[str] = None,
                  gazetteer_dir: str = DEFAULT_GAZETTEER_DIR) -> Iterator[Doc]:
    """`annotate_docs`, yielding each doc as soon as its article is done."""
    for doc in get_annotator(labels, preset, gazetteer_dir).pipe(docs):
        if drop_gold and GOLD in doc.spans:
            del doc.spans[GOLD]
        yield doc


def _annotate_shard(args) -> Tuple[int, bytes, int, int]:
    """Worker side: DocBin bytes in; the corpus number, annotated DocBin bytes, the number of docs and of
    docs with a span out."""
    corpus, data, labels, drop_gold, preset, gazetteer_dir = args
    docs = DocBin(store_user_data=True).from_bytes(data).get_docs(shard_vocab())
    docs = annotate_docs(docs, labels, drop_gold, preset, gazetteer_dir)
    names = get_annotator(labels, preset, gazetteer_dir).names
    fired = sum(1 for d in docs if any(len(d.spans[n]) for n in names))
    return corpus, DocBin(store_user_data=True, docs=docs).to_bytes(), len(docs), fired


def shard_bounds(docs: Sequence[Doc], size: int) -> List[int]:
    """Start indices of shards of about `size` docs; a shard ends only where an article ends."""
    bounds = [0]
    for chunk in article_chunks(docs, size):
        bounds.append(bounds[-1] + len(chunk))
    return bounds[:-1]


def annotate_stream(
    docs: Iterable[Doc], labels: List[str], n_process: int = 1, shard_size: int = SHARD_SIZE, drop_gold: bool = False,
    preset: Optional[str] = None, gazetteer_dir: str = DEFAULT_GAZETTEER_DIR, scheduler: Optional[str] = None,
) -> Iterator[Doc]:
    """Annotated docs, in order: in this process, in `n_process` forked processes, or on Dask."""
    gazetteer_dir = str(gazetteer_dir)
    if scheduler is None and n_process > 1:
        get_annotator(labels, preset, gazetteer_dir).load()  # before the fork: workers share the models
    with runner(n_process, scheduler) as run:
        if run.local:
            yield from annotate_iter(docs, labels, drop_gold, preset, gazetteer_dir)
            return
        vocab = make_vocab()
        jobs = ((0, DocBin(store_user_data=True, docs=chunk).to_bytes(), labels, drop_gold, preset, gazetteer_dir)
                for chunk in article_chunks(docs, shard_size))  # fmt: skip
        for _, data, _, _ in ordered_map(run, _annotate_shard, jobs):
            yield from DocBin(store_user_data=True).from_bytes(data).get_docs(vocab)


def annotate_parallel(
    docs: Sequence[Doc], labels: List[str], n_process: int = 1, shard_size: int = SHARD_SIZE, drop_gold: bool = False,
    preset: Optional[str] = None, gazetteer_dir: str = DEFAULT_GAZETTEER_DIR, scheduler: Optional[str] = None,
) -> List[Doc]:
    """`annotate_stream` into a list (same result as one process)."""
    return list(annotate_stream(docs, labels, n_process, shard_size, drop_gold, preset, gazetteer_dir, scheduler))


def annotate_corpus(input_path: Path, output_path: Path, labels: List[str], n_process: int = 1,
                    shard_size: int = SHARD_SIZE, drop_gold: bool = False, preset: Optional[str] = None,
                    gazetteer_dir: str = DEFAULT_GAZETTEER_DIR, scheduler: Optional[str] = None) -> Dict[str, int]:
    """Annotate a corpus (file or folder of shards) into `output_path`, shard by shard; returns counts."""
    return annotate_corpora([(input_path, output_path, drop_gold)], labels, n_process, shard_size, preset,
                            gazetteer_dir, scheduler)[0]  # fmt: skip


def annotate_corpora(corpora: Sequence[Tuple[Path, Path, bool]], labels: List[str], n_process: int = 1,
                     shard_size: int = SHARD_SIZE, preset: Optional[str] = None,
                     gazetteer_dir: str = DEFAULT_GAZETTEER_DIR, scheduler: Optional[str] = None) -> List[Dict[str, int]]:
    """Annotate each (input, output, drop_gold) corpus, shard by shard, in one pool; counts per corpus.

    Shards travel as DocBin bytes: this process only reads and writes them, the workers decode,
    annotate and encode. One pool for train and dev loads the models once and keeps every worker
    busy until the last shard of the last corpus.
    """
    gazetteer_dir = str(gazetteer_dir)
    annotator = get_annotator(labels, preset, gazetteer_dir)
    if scheduler is None and n_process > 1:
        annotator.load()  # before the fork: workers share the models
    counts = [{"docs": 0, "fired": 0, "functions": len(annotator.names)} for _ in corpora]
    total = sum(len(corpus_files(c[0])) for c in corpora) if all(Path(c[0]).is_dir() for c in corpora) else None
    jobs = ((k, data, labels, drop, preset, gazetteer_dir) for k, (path, _, drop) in enumerate(corpora)
            for data in iter_shards(path, shard_size))  # fmt: skip
    with runner(n_process, scheduler) as run, contextlib.ExitStack() as stack:
        writers = [stack.enter_context(CorpusWriter(out, shard_size)) for _, out, _ in corpora]
        for k, data, n_docs, fired in tqdm(ordered_map(run, _annotate_shard, jobs), total=total, desc="annotate",
                                           unit="shard", leave=False):  # fmt: skip
            writers[k].add_shard(data, n_docs)
            counts[k]["docs"] += n_docs
            counts[k]["fired"] += fired
    return counts


# fmt: off
def main(
    input_path: Path = typer.Argument(..., help="Input corpus (from convert): a .spacy file or a folder of shards", exists=True),
    output_path: Path = typer.Argument(..., help="Output: a folder of .spacy shards (or one .spacy file), one span group per function"),
    labels: str = typer.Option("ORG", "--labels", "-l", help="Comma-separated labels to annotate"),
    n_process: int = typer.Option(0, "--n-process", "-n", help="Worker processes (0: all cores)"),
    shard_size: int = typer.Option(SHARD_SIZE, "--shard-size", help="Documents per shard"),
    drop_gold: bool = typer.Option(False, "--drop-gold", help="Remove gold spans (training data never keeps them)"),
    preset: str = typer.Option("tutorial", "--preset", help=f"Labelling functions: {' or '.join(PRESETS)}"),
    gazetteer_dir: Path = typer.Option(Path(DEFAULT_GAZETTEER_DIR), "--gazetteers", help="Folder of build_gazetteers' JSON files (preset full)"),
    scheduler: str = typer.Option("", "--scheduler", help="Dask scheduler address (default: $DASK_SCHEDULER_ADDRESS); empty: this machine"),
    dev: Optional[Tuple[Path, Path]] = typer.Option(None, "--dev", help="Also annotate this INPUT OUTPUT in the same run (models loaded once), keeping its gold spans for scoring"),
):
    # fmt: on
    """Annotate a corpus with the project's labelling functions (scripts/lfs)."""
    label_list = parse_labels(labels)
    n_process = n_process or os.cpu_count() or 1
    if preset not in PRESETS:
        msg.fail(f"--preset must be one of {', '.join(PRESETS)}, not {preset!r}", exits=1)
    address = scheduler_address(scheduler)
    start = time.perf_counter()
    try:
        corpora = [(input_path, output_path, drop_gold)]
        if dev:
            if not dev[0].exists():
                msg.fail(f"--dev input {dev[0]} does not exist", exits=1)
            corpora.append((dev[0], dev[1], False))
        all_counts = annotate_corpora(corpora, label_list, n_process, shard_size, preset, str(gazetteer_dir), address)
    except (LabellingFunctionError, FileNotFoundError, ConnectionError) as e:  # FileNotFoundError: a gazetteer
        msg.fail(str(e), exits=1)
    seconds = time.perf_counter() - start
    where = f"Dask at {address}" if address else f"{n_process} process{'es' if n_process > 1 else ''}"
    for (_, out, _), counts in zip(corpora, all_counts):
        msg.good(f"Annotated {counts['docs']} docs with {counts['functions']} labelling functions "
                 f"({counts['fired']} with at least one span) -> {out}")
    msg.info(f"{seconds:.0f} s on {where}")


if __name__ == "__main__":
    typer.run(main)
