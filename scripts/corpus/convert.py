"""The `convert` step: the CoNLL 2003 splits into DocBins, gold kept in `doc.spans["gold"]`.

The folder must be the one `data` fingerprinted (a changed file stops the step), and a malformed
line stops it with `file:line`. Each split goes through a `datasets.Dataset` (`conll.conll_to_dataset`).
"""

from pathlib import Path

import typer
from wasabi import msg

from .conll import conll_to_dataset, dataset_to_docs
from .docbin import write_docs
from .errors import UserError, run
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
        raise UserError(str(e)) from None
    expected = srsly.read_json(fingerprint_path)
    for split, path in files.items():
        if sha256(path) != expected.get(split):
            raise UserError(f"{path} changed since `data` fingerprinted it: run `spacy project run data` first")
    # every split is read and checked before any is written: a bad dev file leaves no new train file behind
    datasets = {split: conll_to_dataset(path) for split, path in files.items()}
    for split, dataset in datasets.items():
        check_split(files[split], split, dataset)
    for split, dataset in datasets.items():
        docs = list(dataset_to_docs(dataset, split))
        out = output_dir / f"{split}_gold.spacy"
        write_docs(out, docs)
        n_docs = len(set(dataset["doc_id"]))
        n_ents = sum(len(doc.spans[GOLD]) for doc in docs)
        msg.good(f"{split}: {len(docs)} sentences, {n_docs} documents, {n_ents} gold entities -> {out}")


def check_split(path: Path, split: str, dataset) -> None:
    """A split with no sentence cannot train or score; dev and test without one entity cannot score."""
    if len(dataset) == 0:
        raise UserError(f"{path}: no sentence (empty, or only -DOCSTART- lines): the {split} split needs sentences")
    if split != "train" and not any(any(tags) for tags in dataset["ner_tags"]):  # tag 0 is O
        raise UserError(
            f"{path}: no gold entity in {len(dataset)} sentences: {split} scores the labelling functions "
            "and the model, so it needs gold NER tags (B-/I- in the last column)"
        )


if __name__ == "__main__":
    run(main)
