"""The `predict` command: a trained pipeline over your documents, entities out.

    python -m scripts.model.predict en_weak_ner my_texts.txt predictions.jsonl

MODEL is an installed package (`package`) or a path (training/model-best). INPUT is a file or a folder of:

- `.txt`: one document a line;
- `.jsonl`: one object a line, `{"text": ...}` or pre-tokenised `{"tokens": [...]}` (as the corpus readers
  take them), with an optional "meta" that is passed through;
- `.spacy`: a DocBin; each Doc is a document and keeps its tokens (any entities in it are replaced).

Each document goes through the pipeline whole (so doc_consistency sees all of it), batched by `nlp.pipe`
over `--n-process` processes. OUTPUT is `.jsonl` (`{"text", "spans": [{"start", "end", "label", "text"}],
"meta"}`, character offsets: the readers' own format, so a corrected file can come back as dev_data) or
`.spacy` (a DocBin with `doc.ents`). Every input line is checked before the model is loaded, and the output
appears only once every document is done.
"""

import json
from pathlib import Path
from typing import Annotated, Dict, Iterator, List, Tuple, Union

import typer
from spacy.tokens import Doc, DocBin
from wasabi import msg

from ..corpus.conll import text_lines
from ..corpus.docbin import load_docbin, make_vocab
from ..corpus.readers import CorpusFormatError, jsonl_records, jsonl_text, jsonl_tokens
from ..pipeline import components  # noqa: F401  (a path's pipeline needs its tokenizer and doc_consistency)
from ..util.errors import UserError, check_range, run
from ..util.files import atomic_path
from .scoring import load_pipeline_or_exit, run_pipeline

INPUTS = (".txt", ".jsonl", ".spacy")
OUTPUTS = (".jsonl", ".spacy")
# What nlp.pipe gets: a text, or words and spaces (pre-tokenised), with the record's meta.
Item = Tuple[Union[str, Tuple[List[str], List[bool]]], Dict]


def input_files(path: Path) -> List[Path]:
    """The input file, or the .txt/.jsonl/.spacy files of a folder (sorted)."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in INPUTS)
        if not files:
            raise UserError(f"{path}: no {', '.join(INPUTS)} file in the folder")
        return files
    if not path.exists():
        raise UserError(f"{path} does not exist: give a {', '.join(INPUTS)} file or a folder of them")
    if path.suffix.lower() not in INPUTS:
        raise UserError(f"{path}: not a {', '.join(INPUTS)} file")
    return [path]


def read_items(files: List[Path]) -> Iterator[Item]:
    """The documents of the files, in order; a CorpusFormatError names file:line."""
    for file in files:
        suffix = file.suffix.lower()
        if suffix == ".txt":
            for _, line in text_lines(file, error=CorpusFormatError):
                if line.strip():
                    yield line.strip(), {}
        elif suffix == ".jsonl":
            for where, record in jsonl_records(file):
                meta = record.get("meta") or {}
                tokens = jsonl_tokens(record, where)
                yield (tokens if tokens is not None else jsonl_text(record, where)), meta
        else:
            for doc in load_docbin(file).get_docs(make_vocab()):
                meta = doc.user_data.get("meta", {}) if isinstance(doc.user_data, dict) else {}
                yield ([t.text for t in doc], [bool(t.whitespace_) for t in doc]), meta


def as_input(nlp, item) -> Union[str, Doc]:
    """A text for the pipeline's tokenizer, or a Doc of given words (no annotation)."""
    if isinstance(item, str):
        return item
    words, spaces = item
    return Doc(nlp.vocab, words=words, spaces=spaces)


def record(doc: Doc, meta: Dict) -> Dict:
    """The JSONL line of a predicted document."""
    spans = [{"start": e.start_char, "end": e.end_char, "label": e.label_, "text": e.text} for e in doc.ents]
    return {"text": doc.text, "spans": spans, **({"meta": meta} if meta else {})}


def predict(model: str, inputs: Path, output: Path, batch_size: int = 64, n_process: int = 1) -> int:
    """Run the pipeline over the documents of `inputs` into `output`; returns the number of documents."""
    if output.suffix.lower() not in OUTPUTS:
        raise UserError(f"{output}: the output must end in {' or '.join(OUTPUTS)}")
    check_range("n_process", n_process, 1)
    check_range("batch_size", batch_size, 1)
    files = input_files(inputs)
    metas = [meta for _, meta in read_items(files)]  # every line checked before the model loads
    nlp = load_pipeline_or_exit(model)
    texts = (as_input(nlp, item) for item, _ in read_items(files))
    docs = run_pipeline(nlp, texts, total=len(metas), batch_size=batch_size, n_process=n_process, desc="predict")
    with atomic_path(output) as tmp:
        if output.suffix.lower() == ".jsonl":
            with tmp.open("w", encoding="utf8") as out:
                for doc, meta in zip(docs, metas):
                    out.write(json.dumps(record(doc, meta), ensure_ascii=False) + "\n")
        else:
            db = DocBin(store_user_data=True)
            for doc, meta in zip(docs, metas):
                if meta:
                    doc.user_data["meta"] = meta
                db.add(doc)
            db.to_disk(tmp)
    return len(metas)


Arg, Opt = typer.Argument, typer.Option


def main(
    model: Annotated[str, Arg(help="Installed package name (e.g. en_weak_ner) or a pipeline folder")],
    inputs: Annotated[Path, Arg(help="A .txt (one document a line), .jsonl or .spacy file, or a folder of them")],
    output: Annotated[Path, Arg(help="predictions.jsonl (text, spans with character offsets) or .spacy")],
    batch_size: Annotated[int, Opt("--batch-size", "-b", help="Documents per nlp.pipe batch")] = 64,
    n_process: Annotated[int, Opt("--n-process", "-n", help="Processes for nlp.pipe")] = 1,
):
    """Find the entities of your documents with a trained pipeline."""
    n = predict(model, inputs, output, batch_size, n_process)
    msg.good(f"{n} documents -> {output}")


if __name__ == "__main__":
    run(main)
