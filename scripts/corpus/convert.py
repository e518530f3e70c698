"""The `convert` step: the CoNLL 2003 splits into DocBins, gold kept in `doc.spans["gold"]`.

The folder must be the one `data` fingerprinted (a changed file stops the step), and a malformed
line stops it with `file:line`. Each split goes through a `datasets.Dataset` (`conll.conll_to_dataset`).
"""

from pathlib import Path

import typer
from wasabi import msg

from .conll import ConllFormatError, conll_to_dataset, dataset_to_docs
from .docbin import write_docs
from .fingerprint import check_conll_dir, resolve_conll_dir, sha256
from .labels import GOLD


def main(
    conll_dir: Path = typer.Argument(..., help="Folder with train.txt, dev.txt, test.txt ($CONLL_DIR wins)"),
    fingerprint_path: Path = typer.Argument(..., help="JSON written by the data step (sha256 per file)"),
    output_dir: Path = typer.Argument(..., help="Where to write {split}_gold.spacy"),
):
    """Convert the CoNLL 2003 splits into DocBins with gold spans (`doc.spans['gold']`)."""
    import srsly

    conll_dir = resolve_conll_dir(conll_dir)
    try:
        files = check_conll_dir(conll_dir)
    except FileNotFoundError as e:
        msg.fail(str(e), exits=1)
    expected = srsly.read_json(fingerprint_path)
    for split, path in files.items():
        if sha256(path) != expected.get(split):
            msg.fail(f"{path} changed since `data` fingerprinted it: run `spacy project run data` first", exits=1)
    for split, path in files.items():
        try:
            dataset = conll_to_dataset(path)
        except ConllFormatError as e:
            msg.fail(str(e), exits=1)
        docs = list(dataset_to_docs(dataset, split))
        out = output_dir / f"{split}_gold.spacy"
        write_docs(out, docs)
        n_docs = len(set(dataset["doc_id"]))
        n_ents = sum(len(doc.spans[GOLD]) for doc in docs)
        msg.good(f"{split}: {len(docs)} sentences, {n_docs} documents, {n_ents} gold entities -> {out}")


if __name__ == "__main__":
    typer.run(main)
