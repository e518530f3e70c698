"""Small helpers shared by the project's scripts: atomic writes, DocBin I/O, label lists."""
from pathlib import Path
from typing import Iterable, List, Sequence, Tuple

import catalogue
import spacy
from spacy.tokens import Doc, DocBin, Span
from spacy.vocab import Vocab
from srsly import msgpack as _msgpack

from .atomic import atomic_path, write_json, write_text  # noqa: F401 (re-exported)


def _cache_msgpack_registries() -> None:
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


_cache_msgpack_registries()

# Span groups that are not labelling functions: gold, and what the aggregators write.
GOLD = "gold"
AGGREGATES = ("majority", "hmm")
NON_LF_GROUPS = frozenset((GOLD, *AGGREGATES))


def make_vocab() -> Vocab:
    """A vocab with English lexical attributes (a bare Vocab() has none: is_title etc. come back empty)."""
    return spacy.blank("en").vocab


def parse_labels(labels: str) -> List[str]:
    """'ORG,PER' -> ['ORG', 'PER'] (order kept, duplicates and blanks dropped)."""
    out: List[str] = []
    for label in labels.split(","):
        label = label.strip()
        if label and label not in out:
            out.append(label)
    if not out:
        raise ValueError(f"no labels in {labels!r}")
    return out


def read_docs(path: Path, vocab: Vocab = None) -> List[Doc]:
    """Read every Doc of a .spacy file (user_data and span groups included)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run the step that makes it first")
    vocab = vocab or make_vocab()
    return list(DocBin(store_user_data=True).from_disk(path).get_docs(vocab))


def write_docs(path: Path, docs: Iterable[Doc]) -> int:
    """Write docs to a .spacy file atomically; returns how many were written."""
    db = DocBin(store_user_data=True)
    n = 0
    for doc in docs:
        db.add(doc)
        n += 1
    with atomic_path(path) as tmp:
        db.to_disk(tmp)
    return n


def copy_with_ents(doc: Doc, ents: Iterable[Tuple[int, int, str]], vocab: Vocab = None) -> Doc:
    """A fresh Doc with the same words and ids (split, index, doc_id), and only `ents` as annotation."""
    new = Doc(vocab or doc.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc])
    new.ents = [Span(new, s, e, label=l) for s, e, l in ents]
    new.user_data.update({k: doc.user_data[k] for k in ("split", "index", "doc_id") if k in doc.user_data})
    return new


def lf_names(docs: Sequence[Doc]) -> List[str]:
    """Names of the labelling-function span groups present in the docs (sorted)."""
    names = set()
    for doc in docs:
        names.update(k for k in doc.spans if k not in NON_LF_GROUPS)
    return sorted(names)


def doc_ref(doc: Doc) -> str:
    """How a doc is named in messages: split, sentence index, CoNLL document and the start of its text."""
    ud = doc.user_data
    text = doc.text if len(doc.text) <= 60 else doc.text[:57] + "..."
    return f"{ud.get('split', '?')} sentence {ud.get('index', '?')} (document {ud.get('doc_id', '?')}): {text!r}"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
