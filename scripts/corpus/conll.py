"""Read CoNLL 2003 (English) columns into a Hugging Face `datasets.Dataset` and spaCy Docs.

One Doc per CoNLL sentence, gold entities in `doc.spans["gold"]`, and in `doc.user_data`:
`split`, `index` (sentence number in the split) and `doc_id` (the -DOCSTART- document it belongs to).
Tags may be IOB1 (the original distribution) or IOB2 (Hugging Face's); both give the same spans.
"""

import re
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from spacy.tokens import Doc, Span

from ..util.errors import UserError
from .docbin import make_vocab
from .labels import GOLD, SpanTuple

ENTITY_TYPES = ("PER", "ORG", "LOC", "MISC")
# The Hugging Face conll2003 label order, so that a Dataset made here looks like the hub's.
NER_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
TAG_RE = re.compile(r"^(O|[BI]-(?:%s))$" % "|".join(ENTITY_TYPES))


class ConllFormatError(UserError):
    """A line of a CoNLL file that cannot be read; the message names file and line."""


# Control characters (NUL and the rest of C0, DEL) and a byte-order mark past the file's start have no place
# in a token; tab is a column separator.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]")


def text_lines(path: Path, error: type = ConllFormatError) -> Iterator[Tuple[int, str]]:
    """(line number, line) of a UTF-8 file, a BOM at its start dropped; an `error` (a UserError) names the line
    of a byte that is not UTF-8 or of a control character."""
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            try:
                line = raw.decode("utf8")
            except UnicodeDecodeError as e:
                raise error(
                    f"{path}:{lineno}: byte 0x{raw[e.start]:02x} at column {e.start + 1} is not UTF-8: save the file "
                    "as UTF-8 (e.g. `iconv -f latin1 -t utf-8 in.txt > out.txt`)"
                ) from None
            if lineno == 1:
                line = line.removeprefix("\ufeff")
            bad = CONTROL.search(line)
            if bad:
                raise error(
                    f"{path}:{lineno}: control character U+{ord(bad.group()):04X} at column {bad.start() + 1}: "
                    "remove it (a token is printable text)"
                )
            yield lineno, line


def read_conll(path: Path) -> Iterator[Tuple[int, List[str], List[str]]]:
    """Yield (doc_id, words, tags) per sentence of a CoNLL 2003 file (the four CoNLL labels), validating every
    line: `read_columns` with CoNLL's tags."""
    return read_columns(path)


CONLL_BAD_TAG = "unknown NER tag {tag!r} (expected O or B-/I- with %s)" % "/".join(ENTITY_TYPES)


def read_columns(
    path: Path,
    tag_re: re.Pattern = TAG_RE,
    bad_tag: str = CONLL_BAD_TAG,
    error: type = ConllFormatError,
    unlabelled: bool = False,
) -> Iterator[Tuple[int, List[str], List[str]]]:
    """Yield (doc_id, words, tags) per sentence of a column file, validating every line.

    Columns are whitespace-separated; the word is the first, the NER tag the last (CoNLL 2003 has four:
    word POS chunk NER), and a tag must match `tag_re` (else `bad_tag`, formatted with the tag, names the
    problem). With `unlabelled`, a file of a single column is words only (every tag O). -DOCSTART- lines
    start a new document. Errors are `error`s that name file and line.
    """
    path = Path(path)
    doc_id, doc_has_sents = 0, False
    words: List[str] = []
    tags: List[str] = []
    n_cols: Optional[int] = None
    first_line: Optional[int] = None
    for lineno, line in text_lines(path, error=error):
        cols = line.split()
        if not cols or cols[0] == "-DOCSTART-":
            if words:
                yield doc_id, words, tags
                doc_has_sents = True
                words, tags = [], []
            if cols and doc_has_sents:
                doc_id, doc_has_sents = doc_id + 1, False
            continue
        if len(cols) < 2 and not unlabelled:
            raise error(
                f"{path}:{lineno}: expected 'word POS chunk NER' (space-separated columns, "
                f"NER tag last), got {line.rstrip()!r}"
            )
        if n_cols is None:
            n_cols, first_line = len(cols), lineno
        elif len(cols) != n_cols:
            raise error(f"{path}:{lineno}: {len(cols)} columns where line {first_line} has {n_cols}: {line.rstrip()!r}")
        tag = cols[-1] if n_cols > 1 else "O"
        if not tag_re.match(tag):
            raise error(f"{path}:{lineno}: {bad_tag.format(tag=tag)}: {line.rstrip()!r}")
        words.append(cols[0])
        tags.append(tag)
    if words:
        yield doc_id, words, tags


def iob_to_spans(tags: List[str]) -> List[SpanTuple]:
    """Token spans (start, end, label) from IOB1 or IOB2 tags.

    B-X always starts an entity; I-X continues one of type X and otherwise starts one
    (IOB1, where B- only separates two adjacent entities of the same type).
    """
    spans = []
    start, label = 0, None  # `start` is read only while an entity is open (label is not None)
    for i, tag in enumerate(tags + ["O"]):
        prefix, _, typ = tag.partition("-")
        if prefix == "I" and label == typ:
            continue
        if label is not None:
            spans.append((start, i, label))
            start, label = 0, None
        if prefix in ("B", "I"):
            start, label = i, typ
    return spans


def spans_to_iob2(n: int, spans: List[SpanTuple]) -> List[str]:
    """IOB2 tags of `n` tokens with `spans`."""
    tags = ["O"] * n
    for start, end, label in spans:
        tags[start] = f"B-{label}"
        for i in range(start + 1, end):
            tags[i] = f"I-{label}"
    return tags


def conll_to_dataset(path: Path):
    """A `datasets.Dataset` with the hub's conll2003 features (tags normalised to IOB2) plus doc_id."""
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    rows: Dict[str, list] = {"id": [], "doc_id": [], "tokens": [], "ner_tags": []}
    for i, (doc_id, words, tags) in enumerate(read_conll(path)):
        rows["id"].append(str(i))
        rows["doc_id"].append(doc_id)
        rows["tokens"].append(words)
        rows["ner_tags"].append(spans_to_iob2(len(words), iob_to_spans(tags)))
    features = Features(
        {
            "id": Value("string"),
            "doc_id": Value("int32"),
            "tokens": Sequence(Value("string")),
            "ner_tags": Sequence(ClassLabel(names=NER_TAGS)),
        }
    )
    return Dataset.from_dict(rows, features=features)


def dataset_to_docs(dataset, split: str, vocab=None) -> Iterator[Doc]:
    """spaCy Docs from a conll2003-style Dataset: gold in doc.spans['gold'], ids in user_data."""
    vocab = vocab or make_vocab()
    names = dataset.features["ner_tags"].feature.names
    for index, row in enumerate(dataset):
        doc = Doc(vocab, words=row["tokens"])
        tags = [names[t] for t in row["ner_tags"]]
        doc.spans[GOLD] = [Span(doc, s, e, label=lab) for s, e, lab in iob_to_spans(tags)]
        doc.user_data.update({"split": split, "index": index, "doc_id": int(row["doc_id"])})
        yield doc
