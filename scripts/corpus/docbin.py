"""Corpora on disk: a `.spacy` file (one DocBin) or a folder of DocBin shards (`00000.spacy`, ...).

`iter_docs` streams either, one shard in memory at a time; `CorpusWriter` writes either,
atomically, flushing a folder shard by shard; `iter_shards` hands a corpus to workers as DocBin
bytes of whole articles. Docs are decoded into `make_vocab()`: English lexical attributes, which
the labelling functions read (a bare `Vocab()` has none).
"""

import hashlib
import zlib
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Tuple

import srsly
from spacy.lang.en import English
from spacy.tokens import Doc, DocBin, Span
from spacy.vocab import Vocab, create_vocab

from ..patches import cache_msgpack_registries, docbin_slice
from ..util.errors import UserError
from ..util.files import atomic_dir, atomic_path
from .articles import article_key, may_cut, user_data_key

# srsly's msgpack registries scanned per pack/unpack make every DocBin read and write 10x slower (patches)
cache_msgpack_registries()


def make_vocab() -> Vocab:
    """A fresh vocab with English lexical attributes (a bare Vocab() has none: is_title etc. come back empty).

    Built directly (microseconds) rather than through spacy.blank("en") (~0.1 s), since every worker
    shard gets its own: the strings of one shard never accumulate in a long-running worker.
    """
    return create_vocab("en", English.Defaults)


_SHARD_VOCAB: List[Vocab] = []


def shard_vocab(max_strings: int = 500_000) -> Vocab:
    """The vocab a worker decodes its shards into: reused from shard to shard (building the lexemes of
    every word again for each shard costs seconds), replaced by a fresh one once it holds
    `max_strings` strings, so that a worker's memory stays bounded on any corpus."""
    if not _SHARD_VOCAB or len(_SHARD_VOCAB[0].strings) > max_strings:
        _SHARD_VOCAB[:] = [make_vocab()]
    return _SHARD_VOCAB[0]


def corpus_files(path: Path) -> List[Path]:
    """The DocBin files of a corpus: the file itself, or a folder's `*.spacy` shards in name order."""
    path = Path(path)
    if path.is_dir():
        return sorted(path.glob("*.spacy"))
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run the step that makes it first")
    return [path]


class DamagedCorpusError(UserError):
    """A .spacy file that is not a readable DocBin (truncated, overwritten, not spaCy's)."""


def load_docbin(file: Path, data: Optional[bytes] = None) -> DocBin:
    """The DocBin of a file (or of its bytes), or a DamagedCorpusError that names it."""
    try:
        return DocBin(store_user_data=True).from_bytes(Path(file).read_bytes() if data is None else data)
    except Exception as exc:  # zlib, msgpack and spaCy (E1014) errors all mean the same here
        detail = " ".join(str(exc).split()).split(". ")[0][:120]
        raise DamagedCorpusError(
            f"{file} is not a readable DocBin ({type(exc).__name__}: {detail}): it is damaged or was cut short; "
            "delete it and rerun the step that writes it (spacy project run STEP --force)"
        ) from None


def iter_docs(path: Path, vocab: Optional[Vocab] = None) -> Iterator[Doc]:
    """Stream the Docs of a corpus (file or folder of shards), user_data and span groups included."""
    vocab = vocab or make_vocab()
    for file in corpus_files(path):
        yield from load_docbin(file).get_docs(vocab)


def read_docs(path: Path, vocab: Optional[Vocab] = None) -> List[Doc]:
    """Every Doc of a corpus (file or folder of shards), in memory."""
    return list(iter_docs(path, vocab))


def docs_from_bytes(data: bytes, vocab: Vocab) -> List[Doc]:
    """The Docs of DocBin bytes (a shard from or for a worker)."""
    return list(DocBin(store_user_data=True).from_bytes(data).get_docs(vocab))


def shard_from_bytes(data: bytes, vocab: Vocab) -> Tuple[DocBin, List[Doc]]:
    """A shard's DocBin and its Docs: to change one group of each and write it back (`with_span_group`)."""
    db = DocBin(store_user_data=True).from_bytes(data)
    return db, list(db.get_docs(vocab))


class CorpusWriter:
    """Write Docs to `path` atomically: one DocBin if it ends in `.spacy`, else a folder of shards.

    A folder is flushed every `shard_size` docs or so, always where an article ends (so that a
    shard can be annotated on its own), and memory stays bounded by the shard size; a single file
    holds every doc until the end. Nothing appears at `path` unless the block succeeds.

        with CorpusWriter("corpus/train_annotated") as out:
            for doc in docs:
                out.add(doc)
    """

    def __init__(self, path: Path, shard_size: Optional[int] = None, sharded: Optional[bool] = None):
        """`sharded`: a folder of shards (even if the name ends in .spacy); None: by the name. A folder cut
        from single docs (`add`) needs `shard_size` (the project's var shard_size, which the steps pass);
        whole shards (`add_shard`) keep their size."""
        self.path = Path(path)
        self.sharded = not self.path.name.endswith(".spacy") if sharded is None else sharded
        self.shard_size = shard_size
        self.n_docs = self.n_shards = 0
        self._db = DocBin(store_user_data=True)
        self._last: Optional[Tuple] = None

    def __enter__(self) -> "CorpusWriter":
        self._ctx = atomic_dir(self.path) if self.sharded else atomic_path(self.path)
        self._tmp = self._ctx.__enter__()
        return self

    def add(self, doc: Doc) -> None:
        key = article_key(doc)
        if self.sharded:
            if not self.shard_size:
                raise ValueError(f"{self.path} is a folder of shards: give CorpusWriter its shard_size")
            if may_cut(len(self._db), self.shard_size, key, self._last):
                self._flush()
        self._last = key
        self._db.add(doc)
        self.n_docs += 1

    def add_shard(self, data: bytes, n_docs: int) -> None:
        """Add a whole shard (DocBin bytes, e.g. from a worker) without decoding it into Docs."""
        if self.sharded:
            if len(self._db):
                self._flush()
            (self._tmp / f"{self.n_shards:05d}.spacy").write_bytes(data)
            self.n_shards += 1
        else:
            self._db.merge(DocBin(store_user_data=True).from_bytes(data))
        self._last = None
        self.n_docs += n_docs

    def add_docbin(self, db: DocBin) -> None:
        """Add a DocBin's docs (e.g. `docbin_rows`) to a single file, without decoding them."""
        if self.sharded:
            raise ValueError(f"{self.path} is a folder of shards: add docs or whole shards")
        self._db.merge(db)
        self._last = None
        self.n_docs += len(db)

    def _flush(self) -> None:
        if self.sharded:
            self._db.to_disk(self._tmp / f"{self.n_shards:05d}.spacy")
            self.n_shards += 1
            self._db = DocBin(store_user_data=True)
        else:
            self._db.to_disk(self._tmp)

    def __exit__(self, exc_type, exc, tb) -> Optional[bool]:
        if exc_type is None and (len(self._db) or not self.sharded):
            self._flush()
        return self._ctx.__exit__(exc_type, exc, tb)


def iter_shards(path: Path, size: Optional[int] = None) -> Iterator[bytes]:
    """A corpus as DocBin bytes of whole articles: a folder's shards as they are on disk (CorpusWriter
    never splits an article), a single file cut into chunks of about `size` docs (needed for a file)."""
    path = Path(path)
    if path.is_dir():
        for file in corpus_files(path):
            data = file.read_bytes()
            check_shard(file, data)
            yield data
    elif not size:
        raise ValueError(f"{path} is one file: give the shard size to cut it into")
    else:
        yield from split_docbin(path, size)


def split_docbin(file: Path, size: int) -> Iterator[bytes]:
    """A `.spacy` file as DocBin bytes of about `size` docs, never splitting an article, as `article_chunks`
    cuts it, without making a single Doc: each part takes its docs' arrays as they are (and the file's
    strings). Decoding and encoding every doc here took as long as the workers' labelling functions."""
    db = load_docbin(file)
    last: Optional[Tuple] = None
    bounds, start = [], 0
    for i, data in enumerate(db.user_data):
        user_data = srsly.msgpack_loads(data) if data else {}
        key = user_data_key(user_data)
        if may_cut(i - start, size, key, last):
            bounds.append((start, i))
            start = i
        last = key
    if len(db.tokens):
        bounds.append((start, len(db.tokens)))
    for a, b in bounds:
        yield docbin_slice(db, a, b).to_bytes()


def check_shard(file: Path, data: bytes) -> None:
    """Fail here, naming the file, if a shard's bytes are cut short: a worker would only say E1014.
    (A DocBin is one zlib stream: decompressing it is a full check, about 1 s per GB on one core.)"""
    inflate = zlib.decompressobj()
    try:
        inflate.decompress(data)
    except zlib.error:
        pass
    if not inflate.eof:
        load_docbin(file, data)  # raises DamagedCorpusError with the reason


def n_shards(path: Path) -> Optional[int]:
    """How many shards `iter_shards` gives for a folder of shards (None for a file: not known before reading)."""
    return len(corpus_files(path)) if Path(path).is_dir() else None


def write_docs(path: Path, docs: Iterable[Doc], shard_size: Optional[int] = None) -> int:
    """Write docs to a `.spacy` file or a folder of shards (of `shard_size` docs), atomically; returns how
    many were written."""
    with CorpusWriter(path, shard_size) as out:
        for doc in docs:
            out.add(doc)
    return out.n_docs


IDS = ("split", "index", "doc_id")  # the user data a copy keeps: where its sentence is


def copy_with_ents(doc: Doc, ents: Iterable[Tuple[int, int, str]], vocab: Optional[Vocab] = None) -> Doc:
    """A fresh Doc with the same words and ids (split, index, doc_id), and only `ents` as annotation."""
    new = Doc(vocab or doc.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc])
    new.ents = [Span(new, s, e, label=lab) for s, e, lab in ents]
    new.user_data.update({k: doc.user_data[k] for k in IDS if k in doc.user_data})
    return new


def text_sha1(doc: Doc) -> str:
    """The sha1 of a sentence's text (trailing space dropped): what a human review is attached to, so that a
    review follows its sentence when others are inserted or deleted, and an edited sentence loses it."""
    return sha1_of_text(doc.text)


def reviewed_text_sha1(review: Doc) -> str:
    """The text hash a pulled review was made on: stored with it, computed for files pulled before it was."""
    return review.user_data.get("text_sha1") or text_sha1(review)


def sha1_of_text(text: str) -> str:
    """`text_sha1` of a text (an Argilla record's sentence)."""
    return hashlib.sha1(text.rstrip().encode("utf8")).hexdigest()


def doc_ref(doc: Doc) -> str:
    """How a doc is named in messages: split, sentence index, CoNLL document and the start of its text."""
    ud = doc.user_data
    text = doc.text if len(doc.text) <= 60 else doc.text[:57] + "..."
    return f"{ud.get('split', '?')} sentence {ud.get('index', '?')} (document {ud.get('doc_id', '?')}): {text!r}"
