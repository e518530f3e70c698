"""Corpora on disk: a `.spacy` file (one DocBin) or a folder of DocBin shards (`00000.spacy`, ...).

`iter_docs` streams either, one shard in memory at a time; `CorpusWriter` writes either,
atomically, flushing a folder shard by shard; `iter_shards` hands a corpus to workers as DocBin
bytes of whole articles. Docs are decoded into `make_vocab()`: English lexical attributes, which
the labelling functions read (a bare `Vocab()` has none).
"""

import hashlib
import zlib
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import catalogue
import numpy as np
import srsly
from spacy.attrs import DEP, ENT_ID, ENT_IOB, ENT_KB_ID, ENT_TYPE, LEMMA, MORPH, NORM, ORTH, SENT_START, SPACY, TAG
from spacy.lang.en import English
from spacy.strings import StringStore
from spacy.tokens import Doc, DocBin, Span
from spacy.vocab import Vocab, create_vocab
from srsly import msgpack as _msgpack

from ..project import var
from .articles import article_key, may_cut, user_data_key
from .errors import UserError
from .files import atomic_dir, atomic_path


def cache_msgpack_registries() -> None:
    """Look srsly's msgpack encoders/decoders up once, not on every pack/unpack.

    `catalogue.Registry.get_all` scans every registered function and entry point of the
    process on each call, and DocBin packs three times per Doc: reading or writing the CoNLL
    train set took ~11 s instead of ~1 s. The cache is refreshed whenever anything new is
    registered, so the functions used stay exactly the ones srsly would find.
    """
    for registry in (_msgpack.msgpack_encoders, _msgpack.msgpack_decoders):
        if getattr(registry, "_cached", False):
            continue
        uncached, state = registry.get_all, {"size": -1, "value": None}

        def get_all(uncached=uncached, state=state):
            size = len(catalogue.REGISTRY)
            if size != state["size"]:
                state["size"], state["value"] = size, uncached()
            return state["value"]

        registry.get_all, registry._cached = get_all, True


cache_msgpack_registries()

# Documents per shard: big enough to batch models well, small enough to bound memory.
SHARD_SIZE: int = var("shard_size")


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


def docs_to_bytes(docs: Iterable[Doc]) -> bytes:
    """DocBin bytes of docs, user_data included: the bytes of `DocBin(store_user_data=True, docs=docs)`, but
    the tokens' strings are looked up once per distinct value, not nine times per token (`DocBin.add`
    makes a Token for each word and asks it for its text, tag, lemma, norm...: most of a worker's writing)."""
    db = DocBin(store_user_data=True)
    columns = [db.attrs.index(attr) for attr in STRING_ATTRS if attr != MORPH]
    morph = db.attrs.index(MORPH)
    attrs: List[Union[int, str]] = list(db.attrs)  # spaCy's IDs (typed as names in DocBin)
    values: Dict[int, Tuple[Vocab, List[np.ndarray], List[np.ndarray]]] = {}  # per vocab: string columns, morphs
    for doc in docs:
        tokens = doc.to_array(attrs).reshape((len(doc), len(attrs)))
        db.tokens.append(tokens)
        db.spaces.append(np.asarray(doc.to_array(SPACY), dtype=bool).reshape((-1, 1)))
        db.flags.append({"has_unknown_spaces": doc.has_unknown_spaces})
        db.cats.append(doc.cats)
        db.user_data.append(srsly.msgpack_dumps(doc.user_data))
        db.span_groups.append(doc.spans.to_bytes())
        for group in doc.spans.values():  # as DocBin.add
            for span in group:
                db.strings.add(span.label_)
                if span.kb_id in span.doc.vocab.strings:
                    db.strings.add(span.kb_id_)
                if span.id in span.doc.vocab.strings:
                    db.strings.add(span.id_)
        _, found, morphs = values.setdefault(id(doc.vocab), (doc.vocab, [], []))
        found.append(tokens[:, columns].ravel())
        morphs.append(tokens[:, morph])
    for vocab, found, morphs in values.values():
        db.strings.update(vocab.strings[v] for v in np.unique(np.concatenate(found)).tolist())
        # str(token.morph): the empty analysis ("_") reads ""
        empty = vocab.morphology.EMPTY_MORPH
        for v in np.unique(np.concatenate(morphs)).tolist():
            db.strings.add("" if vocab.strings[v] == empty else vocab.strings[v])
    return db.to_bytes()


def shard_from_bytes(data: bytes, vocab: Vocab) -> Tuple[DocBin, List[Doc]]:
    """A shard's DocBin and its Docs: to change one group of each and write it back (`with_span_group`)."""
    db = DocBin(store_user_data=True).from_bytes(data)
    return db, list(db.get_docs(vocab))


_NO_GROUPS = srsly.msgpack_dumps([])  # what spaCy writes for a doc without span groups


def with_span_group(db: DocBin, docs: Sequence[Doc], name: str) -> bytes:
    """The bytes of `db` with the group `name` of each of `docs` (db's own docs, decoded and changed) added
    or replaced. Every other group, and everything else, stays the bytes it was: encoding every function's
    group of every doc again (`DocBin.add`) took three times as long, for the same docs."""
    if len(docs) != len(db):
        raise ValueError(f"{len(docs)} docs for a DocBin of {len(db)}")
    out = DocBin(store_user_data=db.store_user_data)
    out.attrs, out.strings = db.attrs, set(db.strings)
    for field in ("tokens", "spaces", "cats", "flags", "user_data"):
        setattr(out, field, list(getattr(db, field)))
    for raw, doc in zip(db.span_groups, docs):
        groups = _groups_without(raw, name)
        if name in doc.spans:
            group = doc.spans[name]
            groups.setdefault(group.to_bytes(), []).append(name)
            for span in group:  # the strings DocBin.add keeps for a span
                out.strings.update((span.label_, span.kb_id_, span.id_))
        out.span_groups.append(srsly.msgpack_dumps(groups) if groups else _NO_GROUPS)
    return out.to_bytes()


# spaCy's SpanC as SpanGroup.to_bytes packs it (">QQQllll"): one record per span
SPAN_RECORD = np.dtype(
    [
        ("id", ">u8"),
        ("kb_id", ">u8"),
        ("label", ">u8"),
        ("start", ">i4"),
        ("end", ">i4"),
        ("start_char", ">i4"),
        ("end_char", ">i4"),
    ]
)


def span_groups_of(raw: bytes) -> Dict[str, Tuple[Dict, np.ndarray]]:
    """A doc's serialised span groups (one entry of `DocBin.span_groups`) as {name: (attrs, spans)}, in the
    order of `doc.spans`; `spans` is a record array of SPAN_RECORD (label hashes, token starts and ends...).
    What SpanGroups.from_bytes gives, without a Doc or a Span."""
    msg = [] if not raw or raw == _NO_GROUPS else srsly.msgpack_loads(raw)
    items = [(data, None) for data in msg] if isinstance(msg, list) else list(msg.items())
    out: Dict[str, Tuple[Dict, np.ndarray]] = {}
    for data, keys in items:
        group = srsly.msgpack_loads(data)
        spans = np.frombuffer(b"".join(group["spans"]), dtype=SPAN_RECORD)
        for key in keys or [group["name"]]:
            out[key] = (dict(group["attrs"]), spans)
    return out


def _groups_without(raw: bytes, name: str) -> Dict[bytes, List[str]]:
    """A doc's serialised span groups ({group bytes: the names it is stored under}, as SpanGroups.to_bytes
    writes them), without `name`; no group is decoded."""
    msg = [] if not raw or raw == _NO_GROUPS else srsly.msgpack_loads(raw)
    if isinstance(msg, list):  # spaCy's first format: a list of group bytes, each under its own name
        msg = {data: [srsly.msgpack_loads(data)["name"]] for data in msg}
    groups = {data: [k for k in keys if k != name] for data, keys in msg.items()}
    return {data: keys for data, keys in groups.items() if keys}


class CorpusWriter:
    """Write Docs to `path` atomically: one DocBin if it ends in `.spacy`, else a folder of shards.

    A folder is flushed every `shard_size` docs or so, always where an article ends (so that a
    shard can be annotated on its own), and memory stays bounded by the shard size; a single file
    holds every doc until the end. Nothing appears at `path` unless the block succeeds.

        with CorpusWriter("corpus/train_annotated") as out:
            for doc in docs:
                out.add(doc)
    """

    def __init__(self, path: Path, shard_size: int = SHARD_SIZE, sharded: Optional[bool] = None):
        """`sharded`: a folder of shards (even if the name ends in .spacy); None: by the name."""
        self.path, self.shard_size = Path(path), shard_size
        self.sharded = not self.path.name.endswith(".spacy") if sharded is None else sharded
        self.n_docs = self.n_shards = 0
        self._db = DocBin(store_user_data=True)
        self._last: Optional[Tuple] = None

    def __enter__(self) -> "CorpusWriter":
        self._ctx = atomic_dir(self.path) if self.sharded else atomic_path(self.path)
        self._tmp = self._ctx.__enter__()
        return self

    def add(self, doc: Doc) -> None:
        key = article_key(doc)
        if self.sharded and may_cut(len(self._db), self.shard_size, key, self._last):
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


def iter_shards(path: Path, size: int = SHARD_SIZE, vocab: Optional[Vocab] = None) -> Iterator[bytes]:
    """A corpus as DocBin bytes of whole articles: a folder's shards as they are on disk (CorpusWriter
    never splits an article), a single file cut into chunks of about `size` docs."""
    path = Path(path)
    if path.is_dir():
        for file in corpus_files(path):
            data = file.read_bytes()
            check_shard(file, data)
            yield data
    else:
        yield from split_docbin(path, size)


def split_docbin(file: Path, size: int = SHARD_SIZE) -> Iterator[bytes]:
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
        part = DocBin(store_user_data=True)
        part.attrs, part.strings = db.attrs, db.strings
        for name in ("tokens", "spaces", "cats", "flags", "span_groups", "user_data"):
            setattr(part, name, getattr(db, name)[a:b])
        yield part.to_bytes()


# the token attributes whose strings DocBin.add keeps (text, tag_, lemma_, norm_, morph, dep_, ent_type_, ...)
STRING_ATTRS = (ORTH, TAG, LEMMA, NORM, MORPH, DEP, ENT_TYPE, ENT_KB_ID, ENT_ID)


def docbin_rows(db: DocBin, keep: Sequence[bool]) -> Optional[DocBin]:
    """The DocBin of the docs of `db` that `keep` keeps, with the strings those docs use: what adding them
    to a new DocBin gives, without decoding a Doc. None if a kept doc has span groups (their strings are in
    their bytes: decode those)."""
    rows = [i for i, k in enumerate(keep) if k]
    if any(db.span_groups[i] != _NO_GROUPS for i in rows) or not set(STRING_ATTRS) <= set(db.attrs):
        return None
    out = DocBin(store_user_data=db.store_user_data)
    out.attrs = db.attrs
    for name in ("tokens", "spaces", "cats", "flags", "span_groups", "user_data"):
        values = getattr(db, name)
        setattr(out, name, [values[i] for i in rows] if values else [])
    if rows:
        columns = [db.attrs.index(attr) for attr in STRING_ATTRS]
        values = np.unique(np.concatenate([out.tokens[j][:, columns].ravel() for j in range(len(rows))]))
        strings = StringStore(db.strings)
        out.strings = {strings[int(v)] for v in values.tolist()}
    return out


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


def write_docs(path: Path, docs: Iterable[Doc], shard_size: int = SHARD_SIZE) -> int:
    """Write docs to a `.spacy` file or a folder of shards, atomically; returns how many were written."""
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


class CopiesWithEnts:
    """A DocBin of `copy_with_ents` copies of a shard's docs, made from the shard's token arrays: the bytes
    that adding each copy with `DocBin.add` gives, without a Doc or a Token per word (making and adding
    the copies was two thirds of a vote worker's writing). Other docs (a reviewer's) are added as Docs.

        copies = CopiesWithEnts(db, vocab)     # db: the shard's DocBin, its docs decoded into vocab
        copies.add_copy(i, [(0, 2, label_id)], docs[i].user_data)
        data = copies.to_bytes()
    """

    def __init__(self, db: DocBin, vocab: Vocab):
        self.db, self.vocab, self.out = db, vocab, DocBin(store_user_data=True)
        self.col = {attr: j for j, attr in enumerate(self.out.attrs)}
        self.copies: List[int] = []  # which rows of `out` are copies (their norms and strings come at the end)
        self.labels: set = set()

    def __len__(self) -> int:
        return len(self.out)

    def add_copy(self, i: int, ents: Sequence[Tuple[int, int, int]], user_data: Dict) -> None:
        """A copy of the shard's doc `i` whose entities are `ents` (start, end, label id; sorted, apart)."""
        orth = self.db.tokens[i][:, self.db.attrs.index(ORTH)]
        tokens = np.zeros((len(orth), len(self.out.attrs)), dtype=np.uint64)
        tokens[:, self.col[ORTH]] = orth
        tokens[:, self.col[ENT_IOB]] = 2  # O: doc.ents leaves every other token outside
        end = 0
        for start, stop, label in ents:
            if start < end or stop <= start or stop > len(orth):
                raise ValueError(f"entities {list(ents)} overlap or leave the doc of {len(orth)} tokens")
            tokens[start, self.col[ENT_IOB]] = 3  # B
            tokens[start + 1 : stop, self.col[ENT_IOB]] = 1  # I
            tokens[start:stop, self.col[ENT_TYPE]] = label
            self.labels.add(self.vocab.strings[label])
            end = stop
        if len(orth):
            tokens[0, self.col[SENT_START]] = 1  # what a Doc made from words says of its first token
        self.copies.append(len(self.out))
        self.out.tokens.append(tokens)
        self.out.spaces.append(np.asarray(self.db.spaces[i], dtype=bool).reshape((-1, 1)))
        self.out.flags.append({"has_unknown_spaces": False})
        self.out.cats.append({})
        self.out.user_data.append(srsly.msgpack_dumps({k: user_data[k] for k in IDS if k in user_data}))
        self.out.span_groups.append(_NO_GROUPS)

    def add(self, doc: Doc) -> None:
        """Any doc, as DocBin.add adds it."""
        self.out.add(doc)

    def to_bytes(self) -> bytes:
        """The DocBin's bytes, the copies' norms (their lexemes' in the vocab) and strings filled in."""
        if self.copies:
            orths = np.concatenate([self.out.tokens[j][:, self.col[ORTH]] for j in self.copies])
            unique, where = np.unique(orths, return_inverse=True)
            norms = np.array([self.vocab[int(o)].norm for o in unique.tolist()], dtype=np.uint64)
            start = 0
            for j in self.copies:
                n = len(self.out.tokens[j])
                self.out.tokens[j][:, self.col[NORM]] = norms[where[start : start + n]]
                start += n
            strings = self.vocab.strings
            self.out.strings.update(strings[int(o)] for o in np.concatenate([unique, np.unique(norms)]).tolist())
            self.out.strings.update(self.labels)
            if len(orths):
                self.out.strings.add("")  # the empty tag, lemma, morph, dep, kb id... of each token
        self.copies = []
        return self.out.to_bytes()


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
