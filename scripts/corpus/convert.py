"""The `convert` step: the corpus into DocBins `{split}_gold.spacy`, one Doc per sentence, gold in
`doc.spans["gold"]` (what the labelling functions annotate and score reads), and the standard corpora
`dev.spacy` and `test.spacy`: one Doc per document, gold of the labels in `doc.ents`, for `spacy train`'s
dev set, `evaluate`, `spacy evaluate` and `spacy debug data`.

The files must be the ones `data` fingerprinted (a changed file stops the step), and a malformed line
stops it with `file:line`. Every split is read and checked before any is written. The CoNLL 2003 folder
goes through a `datasets.Dataset` (`conll.conll_to_dataset`); a user's files (vars `train_data`,
`dev_data`, `test_data`) through `readers`, streamed. Train and dev are converted for the method; test and
the extra test sets only with `--held-out`, by the `final` workflow (a changed held-out set reruns nothing of
the method). Without test_data, test_gold.spacy is empty and the test rows are left out of the figures.
Gold labels outside `labels` are kept in the file (another run
may train them) and counted here: every step that scores reads only the labels.
"""

import contextlib
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import typer
from wasabi import msg

from ..project import var
from ..util.errors import UserError, check_known_labels, check_range, run
from .dev_from_train import DevFromTrain, read_labelled
from .docbin import CorpusWriter, make_vocab, read_docs, write_docs
from .gold import document_docs
from .labels import GOLD, parse_labels
from .readers import CorpusReader, ReadStats
from .sources import (
    CONLL2003,
    EXTRA_DIR,
    HELD_OUT,
    HELD_OUT_DIR,
    METHOD,
    PART_SPLITS,
    SETS,
    SPLITS,
    data_sources,
    fingerprint,
)


def check_dev_labels(labels: Sequence[str], stats: ReadStats, files: List[Path]) -> None:
    """Before anything is written, and long before a pipeline runs: every label must occur in dev's gold
    (a function could not be scored on a label dev never has)."""
    where = f"the gold of the dev data ({', '.join(str(f) for f in files[:2])}{', ...' if len(files) > 2 else ''})"
    check_known_labels(labels, stats.gold, where)


def convert_conll(
    files: Dict[str, List[Path]],
    output_dir: Path,
    labels: Sequence[str] = (),
    from_train: Optional[DevFromTrain] = None,
) -> Dict[str, ReadStats]:
    """The CoNLL 2003 folder through `datasets`, as the built-in example always has; `labels` are checked
    against dev's gold before anything is written. `from_train` moves its labelled documents to dev."""
    from .conll import conll_to_dataset, dataset_to_docs

    datasets = {split: conll_to_dataset(paths[0]) for split, paths in files.items()}
    stats, docs_of = {}, {}
    for split, dataset in datasets.items():
        docs = docs_of[split] = list(dataset_to_docs(dataset, split))
        stats[split] = ReadStats(documents=len(set(dataset["doc_id"])), sentences=len(docs))
        stats[split].gold.update(span.label_ for doc in docs for span in doc.spans[GOLD])
        check_split(files[split], split, stats[split])
    if from_train is not None and "train" in docs_of and "dev" in docs_of:
        docs_of["train"] = list(from_train.train(docs_of["train"]))
        subtract_moved(stats["train"], from_train)
        last = docs_of["dev"][-1].user_data
        docs_of["dev"].extend(from_train.dev_sentences(last["index"], last["doc_id"]))
        add_moved(stats["dev"], from_train)
    if labels and "dev" in stats:
        check_dev_labels(labels, stats["dev"], files["dev"])
    for split, docs in docs_of.items():
        write_docs(output_dir / f"{split}_gold.spacy", docs)
    return stats


def convert_files(
    files: Dict[str, List[Path]],
    output_dir: Path,
    shard_size: int,
    lang: str = "en",
    hyphens: str = "split",
    labels: Sequence[str] = (),
    from_train: Optional[DevFromTrain] = None,
) -> Dict[str, ReadStats]:
    """A user's files through `readers`, streamed; nothing is written unless every split reads. Train, which
    may be large, is a folder of shards of `shard_size` docs named train_gold.spacy (memory bounded by it).
    `from_train` moves its labelled documents to dev (train is read first)."""
    stats = {}
    with contextlib.ExitStack() as stack:
        for split in (s for s in SPLITS if s in files):
            path = output_dir / f"{split}_gold.spacy"
            out = stack.enter_context(CorpusWriter(path, shard_size, sharded=split == "train"))
            reader = CorpusReader(split, lang, hyphens)
            docs = reader.read(files[split])
            if from_train is not None and split == "train":
                docs = from_train.train(docs)
            last = None
            for doc in docs:
                out.add(doc)
                last = doc.user_data
            if from_train is not None and split == "train":
                subtract_moved(reader.stats, from_train)
            if from_train is not None and split == "dev" and last is not None:
                for doc in from_train.dev_sentences(last.get("index", 0), last.get("doc_id", 0)):
                    out.add(doc)
                add_moved(reader.stats, from_train)
            stats[split] = reader.stats
            if files[split] or split != "test":
                moved = len(from_train.moved) if from_train is not None and split == "train" else 0
                check_split(files[split], split, reader.stats, moved)
            if split == "dev" and labels:  # inside the writers' block: a failure here writes nothing
                check_dev_labels(labels, reader.stats, files["dev"])
    return stats


EVAL_SPLITS = ("dev", "test")


def subtract_moved(stats: ReadStats, from_train: DevFromTrain) -> None:
    """What left train for dev is not counted as train."""
    stats.documents -= len(from_train.moved)
    stats.sentences -= from_train.removed_sentences
    stats.gold.subtract(from_train.removed_gold)
    stats.gold = +stats.gold


def add_moved(stats: ReadStats, from_train: DevFromTrain) -> None:
    """Count the documents moved from train into dev's statistics."""
    stats.documents += len([d for d in from_train.moved if d])
    stats.sentences += sum(len(d) for d in from_train.moved)
    stats.gold.update(from_train.gold)


def extra_test_docs(name: str, files: List[Path], conll: bool, lang: str = "en", hyphens: str = "split") -> List:
    """The sentence Docs of an extra test set (gold in doc.spans['gold']): CoNLL columns read as the CoNLL
    folder's test.txt is when the corpus is the CoNLL folder, else by extension like test_data."""
    if not conll:
        return list(CorpusReader(name, lang, hyphens).read(files))
    from .conll import conll_to_dataset, dataset_to_docs

    docs: List = []
    for file in files:
        offset = docs[-1].user_data["doc_id"] + 1 if docs else 0  # documents of two files stay apart
        for doc in dataset_to_docs(conll_to_dataset(file), name):
            doc.user_data["doc_id"] += offset
            docs.append(doc)
    return docs


def read_extra_tests(
    extras: Dict[str, List[Path]], labels: List[str], conll: bool, lang: str = "en", hyphens: str = "split"
) -> Dict[str, List]:
    """The sentence Docs of each extra test set, each checked as dev and test are (text, gold of `labels`)."""
    read = {name: extra_test_docs(name, files, conll, lang, hyphens) for name, files in extras.items()}
    for name, docs in read.items():
        stats = ReadStats(sentences=len(docs))
        stats.gold.update(span.label_ for doc in docs for span in doc.spans[GOLD] if span.label_ in labels)
        check_split(extras[name], f"extra test {name}", stats)
    return read


def write_extra_tests(read: Dict[str, List], output_dir: Path, labels: List[str]) -> Dict[str, int]:
    """corpus/extra_tests/NAME.spacy of each extra test set (documents, gold of `labels` in doc.ents), and
    corpus/held_out/NAME.spacy of test (when there is one) and of each extra set (the sentences), each folder
    replaced as a whole with the list of its sets (SETS); the number of documents of each extra set."""
    from ..util.files import atomic_dir, write_json

    out = {}
    with atomic_dir(output_dir / EXTRA_DIR) as tmp:
        for name, docs in read.items():
            out[name] = write_docs(tmp / f"{name}.spacy", document_docs(docs, labels))
        write_json(tmp / SETS, {"sets": list(read)})
    test_file = output_dir / "test_gold.spacy"
    test = read_docs(test_file, make_vocab()) if test_file.exists() else []
    held_out = ({"test": test} if test else {}) | read
    with atomic_dir(output_dir / HELD_OUT_DIR) as tmp:
        for name, docs in held_out.items():
            write_docs(tmp / f"{name}.spacy", docs)
        write_json(tmp / SETS, {"sets": list(held_out)})
    return out


def write_standard(output_dir: Path, labels: List[str], splits: Sequence[str] = EVAL_SPLITS) -> Dict[str, int]:
    """dev.spacy and test.spacy (documents, gold of `labels` in doc.ents) from the sentence files; the number
    of documents of each."""
    out = {}
    for split in splits:
        docs = document_docs(read_docs(output_dir / f"{split}_gold.spacy", make_vocab()), labels)
        write_docs(output_dir / f"{split}.spacy", docs)
        out[split] = len(docs)
    return out


def check_split(paths: List[Path], split: str, stats: ReadStats, moved: int = 0) -> None:
    """A split with no sentence cannot train or score; dev and test without one entity cannot score. `moved`:
    train documents that became dev (dev_from_train)."""
    where = ", ".join(map(str, paths))
    if stats.sentences == 0 and moved:
        raise UserError(
            f"{where}: all {moved} train documents were labelled as dev (corpus/dev_from_train.spacy): nothing is "
            "left to train on; add train text, or label fewer documents (--vars.dev_label_documents)"
        )
    if stats.sentences == 0:
        raise UserError(f"{where}: no sentence (empty, or only -DOCSTART- lines): the {split} split needs text")
    if split != "train" and not stats.gold:
        raise UserError(
            f"{where}: no gold entity in {stats.sentences} sentences: {split} scores the labelling functions "
            'and the model, so it needs gold entities (B-/I- tags, "spans", or doc.ents)'
        )


TRAIN_GOLD_COUNT = "train_gold_count.json"


def main(
    conll_dir: Path = typer.Argument(..., help="Folder with train.txt, dev.txt, test.txt ($CONLL_DIR wins)"),
    fingerprint_path: Path = typer.Argument(..., help="JSON written by the data step (sha256 per file)"),
    output_dir: Path = typer.Argument(..., help="Where to write {split}_gold.spacy"),
    train_data: str = typer.Option("", "--train-data", help="Your unlabelled train corpus (file or folder)"),
    dev_data: str = typer.Option("", "--dev-data", help="Your dev corpus, with gold entities"),
    test_data: str = typer.Option("", "--test-data", help="Your test corpus, with gold entities (optional)"),
    extra_tests: str = typer.Option("", "--extra-tests", help="Held-out test sets NAME=PATH,... ($EXTRA_TESTS wins)"),
    labels: str = typer.Option(var("labels"), "--labels", "-l", help="The labels the project trains"),
    lang: str = typer.Option(var("lang"), "--lang", help="spaCy language of the tokenizer for raw text"),
    hyphens: str = typer.Option(var("hyphens"), "--hyphens", help="Raw text: split words at hyphens (spaCy) or keep"),
    shard_size: int = typer.Option(var("shard_size"), "--shard-size", help="Documents per shard of your train corpus"),
    held_out: bool = typer.Option(
        False, "--held-out", help="Convert the held-out sets (test, extra tests; `final`), not train and dev"
    ),
    dev_from_train: Optional[Path] = typer.Option(
        None, "--dev-from-train", help="Train documents labelled from scratch (dev-pull): they move to dev"
    ),
):
    """Convert the corpus into DocBins with gold spans (`doc.spans['gold']`): train and dev (the method's), or
    with --held-out test and the extra test sets (the `final` step's)."""
    import srsly

    label_list = parse_labels(labels)
    check_range("shard_size", shard_size, 1)
    sources = data_sources(conll_dir, train_data, dev_data, test_data, extra_tests)
    part = HELD_OUT if held_out else METHOD
    if fingerprint(sources, part) != srsly.read_json(fingerprint_path):
        raise UserError("the corpus changed since `data` fingerprinted it: run `spacy project run data` first")
    files = {split: sources[split] for split in PART_SPLITS[part]}
    conll = sources["format"] == CONLL2003
    if held_out:
        convert_held_out(files, sources, output_dir, label_list, conll, lang, hyphens, shard_size)
        return
    from_train = DevFromTrain(read_labelled(dev_from_train), label_list) if dev_from_train is not None else None
    if conll:
        stats = convert_conll(files, output_dir, label_list, from_train)
    else:
        stats = convert_files(files, output_dir, shard_size, lang, hyphens, label_list, from_train)
    if from_train is not None and (from_train.moved or from_train.partial):
        msg.info(from_train.describe())
    for split in files:
        out = output_dir / f"{split}_gold.spacy"
        msg.good(f"{split}: {stats[split].describe()} -> {out}")
        other = {lab: k for lab, k in stats[split].gold.items() if lab not in label_list}
        if other and split != "train":
            ignored = ", ".join(f"{lab} {k}" for lab, k in sorted(other.items()))
            msg.info(f"{split}: {sum(other.values())} gold entities of labels outside --labels are ignored ({ignored})")
    for split, n_docs in write_standard(output_dir, label_list, ("dev",)).items():
        msg.good(f"{split}: {n_docs} documents, gold {', '.join(label_list)} in doc.ents -> {output_dir / split}.spacy")
    n_train = sum(stats["train"].gold.values())
    if n_train:
        msg.info(f"train: its {n_train} gold entities never reach training (annotate drops them)")
    from ..util.files import write_json

    # what later steps may know of train's gold without reading it: whether a supervised reference can train
    write_json(output_dir / TRAIN_GOLD_COUNT, {"train_gold_entities": n_train})


def convert_held_out(
    files: Dict[str, List[Path]],
    sources: Dict,
    output_dir: Path,
    labels: List[str],
    conll: bool,
    lang: str,
    hyphens: str,
    shard_size: int,
) -> None:
    """test_gold.spacy and test.spacy (empty without test_data), the extra test sets (extra_tests/) and all of
    them as sentences (held_out/): what `final` scores. It says how many documents, never how many entities:
    the figures are the final step's."""
    extra_read = read_extra_tests(sources["extra_tests"], labels, conll, lang, hyphens)
    if not files["test"]:
        write_docs(output_dir / "test_gold.spacy", [])
        msg.info(f"test: no test_data, {output_dir / 'test_gold.spacy'} is empty (no test figures)")
    elif conll:
        convert_conll(files, output_dir, labels)
    else:
        convert_files(files, output_dir, shard_size, lang, hyphens, labels)
    extra_docs = write_extra_tests(extra_read, output_dir, labels)
    for split, n_docs in write_standard(output_dir, labels, ("test",)).items():
        if n_docs:
            msg.good(f"{split}: {n_docs} documents -> {output_dir / split}.spacy (held out: `final` scores it)")
    for name, n_docs in extra_docs.items():
        msg.good(f"extra test {name}: {n_docs} documents -> {output_dir / EXTRA_DIR / name}.spacy (held out)")


if __name__ == "__main__":
    run(main)
