"""A user's own corpus: `.jsonl`, `.txt`, `.spacy` and `.conll`/`.iob` files (or folders of them) into the
project's Docs, one per sentence, gold entities in `doc.spans["gold"]`, ids in `doc.user_data` (as `conll`).

- `.jsonl`: one document a line, `{"text": ...}` or pre-tokenised `{"tokens": [...]}` (words, or Prodigy's
  token dicts), optional `"spans": [{"start", "end", "label"}]` (character offsets; Prodigy's
  `token_start`/`token_end` are used when present) and `"meta": {"doc_id": ...}`: consecutive lines with the
  same document id are one document (e.g. one sentence a line).
- `.txt`: plain text, one document a line.
- `.spacy`: a DocBin; gold from the span group `gold` when a doc has one, else from `doc.ents`; a doc with
  sentence boundaries (`spacy convert -n 10`, `nlp.pipe`) is a document of those sentences.
- `.conll`/`.iob`: whitespace-separated columns, word first, NER tag last (IOB1 or IOB2, any labels; a file
  of one column is unlabelled), a blank line between sentences, `-DOCSTART-` between documents.

Raw text is tokenised by spaCy and split into sentences by its `sentencizer` (never inside a gold entity);
pre-tokenised input keeps its tokens and its sentences (a DocBin's own sentence boundaries split it).
The sentences of a document share `doc_id`, so the document-level functions see whole documents.
Readers stream: one document in memory at a time. A line that cannot be read stops the reader with
`file:line`.
"""

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from spacy.tokens import Doc, Span

from ..pipeline.components import HYPHENS, set_hyphens
from ..util.errors import UserError
from .conll import CONTROL, iob_to_spans, text_lines
from .conll import read_columns as conll_columns
from .docbin import load_docbin
from .labels import GOLD, SpanTuple

TAG_RE = re.compile(r"^(O|[BI]-\S+)$")
# Where a .jsonl line may name its document.
DOC_ID_KEYS = ("doc_id", "document", "id")


class CorpusFormatError(UserError):
    """A file or line of a user's corpus that cannot be read; the message names it."""


@dataclass
class ReadStats:
    """What a reader saw: documents, sentences, gold entities per label, spans it had to fix or drop."""

    documents: int = 0
    sentences: int = 0
    gold: Counter = field(default_factory=Counter)
    snapped: int = 0  # character spans that did not fall on token boundaries: widened to the tokens they touch

    def describe(self) -> str:
        n = sum(self.gold.values())
        by_label = ", ".join(f"{label} {k}" for label, k in sorted(self.gold.items()))
        text = f"{self.sentences} sentences, {self.documents} documents, {n} gold entities"
        text += f" ({by_label})" if by_label else ""
        if self.snapped:
            text += f"; {self.snapped} gold spans widened to token boundaries"
        return text


def blank_pipeline(lang: str = "en", hyphens: str = "split"):
    """spaCy's blank pipeline of `lang`, the tokenizer of raw text. hyphens "split" is spaCy's own rule
    ("1996-08-22" -> 1996 - 08 - 22, "Bre-X" -> Bre - X); "keep" leaves words with a hyphen whole, as CoNLL and
    the Penn Treebank do (the functions of the CoNLL example read dates, scores and names that way)."""
    import spacy

    if hyphens not in HYPHENS:
        raise UserError(f"--vars.hyphens {hyphens!r}: must be one of {', '.join(HYPHENS)}")
    nlp = spacy.blank(lang)
    set_hyphens(nlp, hyphens)  # the rule the trained pipeline's tokenizer follows too
    return nlp


class CorpusReader:
    """Reads the files of one split into sentence Docs (see the module docstring)."""

    def __init__(self, split: str, lang: str = "en", hyphens: str = "split"):
        self.split = split
        self.nlp = blank_pipeline(lang, hyphens)
        self.sentencizer = self.nlp.add_pipe("sentencizer")
        self.stats = ReadStats()
        self._index = 0

    def read(self, files: Iterable[Path]) -> Iterator[Doc]:
        for file in files:
            suffix = file.suffix.lower()
            if suffix == ".jsonl":
                yield from self._documents(self._jsonl(file))
            elif suffix == ".txt":
                yield from self._documents(self._text(file))
            elif suffix == ".spacy":
                yield from self._documents(self._docbin(file))
            else:
                yield from self._documents(self._columns(file))

    # Each format yields (document key, Doc, gold tuples, split into sentences?); the key groups
    # consecutive records into one document (None: a document of its own).
    Record = Tuple[Any, Doc, List[SpanTuple], bool]

    def _documents(self, records: Iterator[Record]) -> Iterator[Doc]:
        last: Any = object()
        for key, doc, gold, split_sentences in records:
            if key is None or key != last:
                self.stats.documents += 1
            last = key
            if split_sentences:
                sentences = self._sentences(doc, gold)
            elif len(doc) and doc.has_annotation("SENT_START"):  # a DocBin of whole documents
                sentences = self._boundaries(doc, [t.i for t in doc if t.is_sent_start], gold)
            else:
                sentences = [(0, len(doc))]
            for start, end in sentences:
                yield self._sentence(doc, gold, start, end)

    def _sentence(self, doc: Doc, gold: List[SpanTuple], start: int, end: int) -> Doc:
        words = [t.text for t in doc[start:end]]
        spaces = [bool(t.whitespace_) for t in doc[start:end]]
        spaces[-1] = False  # the space after a sentence belongs to no sentence
        sent = Doc(self.nlp.vocab, words=words, spaces=spaces)
        sent.spans[GOLD] = [Span(sent, s - start, e - start, label=lab) for s, e, lab in gold if start <= s < end]
        for span in sent.spans[GOLD]:
            self.stats.gold[span.label_] += 1
        sent.user_data.update({"split": self.split, "index": self._index, "doc_id": self.stats.documents - 1})
        self._index += 1
        self.stats.sentences += 1
        return sent

    def _sentences(self, doc: Doc, gold: List[SpanTuple]) -> List[Tuple[int, int]]:
        """Sentence boundaries of a raw-text document, none inside a gold entity."""
        if len(doc) == 0:
            return []
        self.sentencizer(doc)
        return self._boundaries(doc, [t.i for t in doc if t.is_sent_start], gold)

    @staticmethod
    def _boundaries(doc: Doc, starts: List[int], gold: List[SpanTuple]) -> List[Tuple[int, int]]:
        """(start, end) of each sentence from its first tokens, none inside a gold entity."""
        inside = {i for s, e, _ in gold for i in range(s + 1, e)}
        kept = [i for i in starts if i not in inside and i > 0]
        return list(zip([0] + kept, kept + [len(doc)]))

    # -- formats

    def _text(self, file: Path) -> Iterator[Record]:
        for _, line in text_lines(file, error=CorpusFormatError):
            if line.strip():
                yield None, self.nlp.make_doc(line.strip()), [], True

    def _jsonl(self, file: Path) -> Iterator[Record]:
        for where, record in jsonl_records(file):
            doc, pretokenised = self._jsonl_doc(record, where)
            gold = self._jsonl_spans(doc, record.get("spans") or [], where)
            meta = record.get("meta") or {}
            key = next((meta[k] for k in DOC_ID_KEYS if isinstance(meta, dict) and k in meta), None)
            yield (None if key is None else (file, key)), doc, gold, not pretokenised

    def _jsonl_doc(self, record: Dict, where: str) -> Tuple[Doc, bool]:
        tokens = jsonl_tokens(record, where)
        if tokens is not None:
            return Doc(self.nlp.vocab, words=tokens[0], spaces=tokens[1]), True
        return self.nlp.make_doc(jsonl_text(record, where)), False

    def _jsonl_spans(self, doc: Doc, spans: Any, where: str) -> List[SpanTuple]:
        if not isinstance(spans, list):
            raise CorpusFormatError(f'{where}: "spans" must be a list of {{"start", "end", "label"}}')
        out: List[SpanTuple] = []
        for span in spans:
            if not isinstance(span, dict) or not isinstance(span.get("label"), str) or not span["label"]:
                raise CorpusFormatError(f'{where}: a span without a "label": {json.dumps(span)[:80]}')
            if "token_start" in span and "token_end" in span:
                s, e = span["token_start"], span["token_end"] + 1  # Prodigy's token_end is inclusive
                if not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(doc)):
                    raise CorpusFormatError(f"{where}: span {json.dumps(span)} is outside the {len(doc)} tokens")
            else:
                start, end = span.get("start"), span.get("end")
                if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(doc.text)):
                    raise CorpusFormatError(
                        f"{where}: span {json.dumps(span)} needs character offsets 0 <= start < end <= "
                        f"{len(doc.text)} (the text's length)"
                    )
                exact = doc.char_span(start, end)
                found = exact if exact is not None else doc.char_span(start, end, alignment_mode="expand")
                if found is None or len(found) == 0:
                    raise CorpusFormatError(f"{where}: span {json.dumps(span)} covers no token")
                self.stats.snapped += exact is None
                s, e = found.start, found.end
            out.append((s, e, span["label"]))
        return check_overlaps(sorted(set(out)), where)

    def _docbin(self, file: Path) -> Iterator[Record]:
        for k, doc in enumerate(load_docbin(file).get_docs(self.nlp.vocab)):
            source = doc.spans[GOLD] if GOLD in doc.spans else doc.ents
            gold = check_overlaps(sorted({(s.start, s.end, s.label_) for s in source}), f"{file}: doc {k}")
            key = doc.user_data.get("doc_id") if isinstance(doc.user_data, dict) else None
            yield (None if key is None else (file, key)), doc, gold, False

    def _columns(self, file: Path) -> Iterator[Record]:
        for doc_id, words, tags in read_columns(file):
            doc = Doc(self.nlp.vocab, words=words)
            yield (file, doc_id), doc, iob_to_spans(tags), False


def jsonl_tokens(record: Dict, where: str) -> Optional[Tuple[List[str], List[bool]]]:
    """The words and spaces of a pre-tokenised JSONL record ("tokens": words, or Prodigy's token dicts), or
    None when it has no "tokens"; a CorpusFormatError names `where` (file:line) otherwise."""
    tokens = record.get("tokens")
    if tokens is None:
        return None
    if not isinstance(tokens, list) or not tokens:
        raise CorpusFormatError(f'{where}: "tokens" must be a non-empty list of words')
    if all(isinstance(t, str) for t in tokens):
        words, spaces = tokens, [True] * (len(tokens) - 1) + [False]  # the text: words joined by spaces
    elif all(isinstance(t, dict) and isinstance(t.get("text"), str) for t in tokens):
        words, spaces = [t["text"] for t in tokens], [bool(t.get("ws", True)) for t in tokens]
    else:
        raise CorpusFormatError(f'{where}: "tokens" must be words or {{"text": ...}} objects')
    if any(not w or w.isspace() or CONTROL.search(w) for w in words):
        raise CorpusFormatError(f"{where}: a token is empty, blank or holds a control character")
    return words, spaces


def jsonl_text(record: Dict, where: str) -> str:
    """The "text" of a JSONL record, or a CorpusFormatError naming `where`."""
    text = record.get("text")
    if not isinstance(text, str):
        raise CorpusFormatError(f'{where}: no "text" (a string) and no "tokens": one of them is needed')
    return text


def jsonl_records(file: Path) -> Iterator[Tuple[str, Dict]]:
    """(file:line, object) of each non-blank line of a JSONL file; a CorpusFormatError at the first line
    that is no JSON object."""
    for lineno, line in text_lines(file, error=CorpusFormatError):
        if not line.strip():
            continue
        where = f"{file}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise CorpusFormatError(f"{where}: not JSON ({e.msg} at column {e.colno}): one object a line") from None
        if not isinstance(record, dict):
            raise CorpusFormatError(f'{where}: expected a JSON object like {{"text": ...}}, got {line.strip()[:60]}')
        yield where, record


def check_overlaps(spans: Sequence[SpanTuple], where: str) -> List[SpanTuple]:
    """Sorted gold spans, or a CorpusFormatError at the first two that overlap (gold is one entity a token)."""
    for (s1, e1, l1), (s2, e2, l2) in zip(spans, spans[1:]):
        if s2 < e1:
            raise CorpusFormatError(
                f"{where}: gold spans overlap (tokens {s1}-{e1} {l1} and {s2}-{e2} {l2}): keep one entity per token"
            )
    return list(spans)


def read_columns(path: Path) -> Iterator[Tuple[int, List[str], List[str]]]:
    """(document number, words, tags) per sentence of a column file: word first, tag last, any label set;
    a file of a single column is unlabelled (every tag O)."""
    bad_tag = "{tag!r} is not an NER tag (O, or B-/I- and a label, e.g. B-DRUG)"
    return conll_columns(path, TAG_RE, bad_tag, CorpusFormatError, unlabelled=True)
