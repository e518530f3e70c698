"""Apply the labelling functions to a corpus: one span group per function in each Doc.

Documents are cut into shards that worker processes annotate independently (DocBin bytes in,
DocBin bytes out), so the step scales with `n_process` and the output is the same whatever the
number of processes. A shard never splits a CoNLL article (sentences sharing split and doc_id), as
the document-level functions read whole articles.
"""
import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Iterator, List, Optional, Sequence

import typer
from spacy.tokens import Doc, DocBin
from tqdm import tqdm
from wasabi import msg

from .lfs import DEFAULT_GAZETTEER_DIR, PRESETS, LabellingFunctionError, build_annotator
from .util import GOLD, make_vocab, parse_labels, read_docs, write_docs


def annotate_docs(docs: Sequence[Doc], labels: List[str], drop_gold: bool = False, preset: Optional[str] = None,
                  gazetteer_dir: str = DEFAULT_GAZETTEER_DIR) -> List[Doc]:
    """Run every labelling function on `docs` (in place) and return them."""
    annotator = build_annotator(labels, preset, gazetteer_dir)
    out = []
    for doc in annotator.pipe(docs):
        if drop_gold and GOLD in doc.spans:
            del doc.spans[GOLD]
        out.append(doc)
    return out


def _annotate_shard(args) -> bytes:
    data, labels, drop_gold, preset, gazetteer_dir = args
    docs = list(DocBin(store_user_data=True).from_bytes(data).get_docs(make_vocab()))
    db = DocBin(store_user_data=True, docs=annotate_docs(docs, labels, drop_gold, preset, gazetteer_dir))
    return db.to_bytes()


def shard_bounds(docs: Sequence[Doc], size: int) -> List[int]:
    """Start indices of shards of about `size` docs; a shard ends only where an article ends."""
    bounds, last = [0], None
    for i, doc in enumerate(docs):
        key = (doc.user_data.get("split"), doc.user_data.get("doc_id"))
        if i - bounds[-1] >= size and (key != last or key[1] is None):
            bounds.append(i)
        last = key
    return bounds


def _shards(docs: Sequence[Doc], bounds: List[int]) -> Iterator[bytes]:
    for start, end in zip(bounds, bounds[1:] + [len(docs)]):
        yield DocBin(store_user_data=True, docs=docs[start:end]).to_bytes()


def annotate_parallel(
    docs: Sequence[Doc], labels: List[str], n_process: int = 1, shard_size: int = 1000, drop_gold: bool = False,
    preset: Optional[str] = None, gazetteer_dir: str = DEFAULT_GAZETTEER_DIR,
) -> List[Doc]:
    """`annotate_docs` over shards in `n_process` processes (in order; same result as one process)."""
    bounds = shard_bounds(docs, shard_size)
    if n_process <= 1 or len(bounds) <= 1:
        docs = tqdm(docs, desc="annotate", unit="doc", leave=False)
        return annotate_docs(docs, labels, drop_gold, preset, gazetteer_dir)
    vocab = make_vocab()
    out: List[Doc] = []
    jobs = ((shard, labels, drop_gold, preset, gazetteer_dir) for shard in _shards(docs, bounds))
    n_shards = len(bounds)
    with ProcessPoolExecutor(n_process, mp_context=get_context("fork")) as pool:
        for data in tqdm(pool.map(_annotate_shard, jobs), total=n_shards, desc="annotate", unit="shard", leave=False):
            out.extend(DocBin(store_user_data=True).from_bytes(data).get_docs(vocab))
    return out


# fmt: off
def main(
    input_path: Path = typer.Argument(..., help="Input .spacy (from convert)", exists=True, dir_okay=False),
    output_path: Path = typer.Argument(..., help="Output .spacy with one span group per labelling function"),
    labels: str = typer.Option("ORG", "--labels", "-l", help="Comma-separated labels to annotate"),
    n_process: int = typer.Option(0, "--n-process", "-n", help="Worker processes (0: all cores)"),
    shard_size: int = typer.Option(1000, "--shard-size", help="Documents per shard"),
    drop_gold: bool = typer.Option(False, "--drop-gold", help="Remove gold spans (training data never keeps them)"),
    preset: str = typer.Option("tutorial", "--preset", help=f"Labelling functions: {' or '.join(PRESETS)}"),
    gazetteer_dir: Path = typer.Option(Path(DEFAULT_GAZETTEER_DIR), "--gazetteers", help="Folder of build_gazetteers' JSON files (preset full)"),
):
    # fmt: on
    """Annotate a corpus with the project's labelling functions (scripts/lfs)."""
    label_list = parse_labels(labels)
    n_process = n_process or os.cpu_count() or 1
    if preset not in PRESETS:
        msg.fail(f"--preset must be one of {', '.join(PRESETS)}, not {preset!r}", exits=1)
    docs = read_docs(input_path)
    try:
        names = build_annotator(label_list, preset, str(gazetteer_dir)).names
        start = time.perf_counter()
        docs = annotate_parallel(docs, label_list, n_process, shard_size, drop_gold, preset, str(gazetteer_dir))
    except LabellingFunctionError as e:
        msg.fail(str(e), exits=1)
    except FileNotFoundError as e:  # a missing gazetteer
        msg.fail(str(e), exits=1)
    seconds = time.perf_counter() - start
    write_docs(output_path, docs)
    fired = sum(1 for d in docs if any(len(d.spans[n]) for n in names))
    msg.good(f"Annotated {len(docs)} docs with {len(names)} labelling functions in {seconds:.0f} s "
             f"({fired} docs with at least one span) -> {output_path}")


if __name__ == "__main__":
    typer.run(main)
