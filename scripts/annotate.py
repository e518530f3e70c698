"""Apply the labelling functions to a corpus: one span group per function in each Doc.

Documents are cut into shards that worker processes annotate independently (DocBin bytes in,
DocBin bytes out), so the step scales with `n_process` and the output is the same whatever the
number of processes.
"""
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Iterator, List, Sequence

import typer
from spacy.tokens import Doc, DocBin
from tqdm import tqdm
from wasabi import msg

from .lfs import LabellingFunctionError, build_annotator
from .util import GOLD, make_vocab, parse_labels, read_docs, write_docs


def annotate_docs(docs: Sequence[Doc], labels: List[str], drop_gold: bool = False) -> List[Doc]:
    """Run every labelling function on `docs` (in place) and return them."""
    annotator = build_annotator(labels)
    out = []
    for doc in annotator.pipe(docs):
        if drop_gold and GOLD in doc.spans:
            del doc.spans[GOLD]
        out.append(doc)
    return out


def _annotate_shard(args) -> bytes:
    data, labels, drop_gold = args
    docs = list(DocBin(store_user_data=True).from_bytes(data).get_docs(make_vocab()))
    db = DocBin(store_user_data=True, docs=annotate_docs(docs, labels, drop_gold))
    return db.to_bytes()


def _shards(docs: Sequence[Doc], size: int) -> Iterator[bytes]:
    for i in range(0, len(docs), size):
        yield DocBin(store_user_data=True, docs=docs[i : i + size]).to_bytes()


def annotate_parallel(
    docs: Sequence[Doc], labels: List[str], n_process: int = 1, shard_size: int = 1000, drop_gold: bool = False
) -> List[Doc]:
    """`annotate_docs` over shards in `n_process` processes (in order; same result as one process)."""
    if n_process <= 1 or len(docs) <= shard_size:
        return annotate_docs(tqdm(docs, desc="annotate", unit="doc", leave=False), labels, drop_gold)
    vocab = make_vocab()
    out: List[Doc] = []
    jobs = ((shard, labels, drop_gold) for shard in _shards(docs, shard_size))
    n_shards = (len(docs) + shard_size - 1) // shard_size
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
):
    # fmt: on
    """Annotate a corpus with the project's labelling functions (scripts/lfs)."""
    label_list = parse_labels(labels)
    n_process = n_process or os.cpu_count() or 1
    docs = read_docs(input_path)
    try:
        docs = annotate_parallel(docs, label_list, n_process, shard_size, drop_gold)
    except LabellingFunctionError as e:
        msg.fail(str(e), exits=1)
    write_docs(output_path, docs)
    names = build_annotator(label_list).names
    fired = sum(1 for d in docs if any(len(d.spans[n]) for n in names))
    msg.good(f"Annotated {len(docs)} docs with {len(names)} labelling functions "
             f"({fired} docs with at least one span) -> {output_path}")


if __name__ == "__main__":
    typer.run(main)
