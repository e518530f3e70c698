"""Every patch of another library, and every use of its private names, in one place.

Each one says what it replaces, why (the gain measured when it was written, on the full CoNLL data unless
said otherwise), the pinned version it was written against and how to drop it; `tests/test_patches.py`
has a test per patch that fails when the pinned library changes under it. Nothing is imported here at
module level but the standard library: the `data` step and the Argilla server's own venv import this
module too, and heavy libraries load only where a function needs them.

- srsly 2.5.6, catalogue 2.0.10: `cache_msgpack_registries` (corpus.docbin at import, model.train)
- spaCy 3.8.18, DocBin and SpanGroups bytes: `NO_GROUPS`, `span_record`, `span_groups_of`,
  `groups_without`, `docbin_slice`, `docbin_rows`, `with_span_group`, `docs_to_bytes`, `CopiesWithEnts`
  (corpus.docbin, labelmodel); its CLI: `config_overrides` (model.train)
- skweak 0.3.3: `defer_skweak_generative` (scripts/__init__.py at import), `plain_spans` (lfs.annotator),
  `skweak_label_index`, `skweak_spans_to_array`, `skweak_vote_matrix`, `skweak_sources`,
  `skweak_em_reset`, `skweak_em_mstep` (labelmodel)
- hmmlearn 0.3.3: `forward_backward_log`, `log_xi_sum` (labelmodel.hmm)
- argilla 2.8.0, the SDK: `argilla_sdk_errors`, `quiet_sdk_progress`, `suggestion_ids` (review)
- argilla-server 2.8.0, in the server's own venv: `patch_redis`, `patch_jobs`, `cache_type_adapters`
  (argilla_server.server)

To drop a patch: do what its "drop" line says, delete it here and its test, and rerun the byte-identity
checks it names (the `aggregate` outputs and `training/lf_scores.csv` on the full data).
"""

import contextlib
import functools
import sys
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

# The versions every patch below was written against (tests/test_patches.py holds them to the installed
# ones and to requirements.txt): a new version means rereading the patches that name it.
PINS = {
    "srsly": "2.5.6",
    "catalogue": "2.0.10",
    "spacy": "3.8.18",
    "skweak": "0.3.3",
    "hmmlearn": "0.3.3",
    "argilla": "2.8.0",
}
# The server venv's (requirements-argilla-server.txt), for the argilla-server patches
SERVER_PINS = {"argilla-server": "2.8.0", "redis": "8.1.0", "fakeredis": "2.40.0", "pydantic": "2.9.2"}

if TYPE_CHECKING:
    import numpy as np
    from spacy.tokens import Doc, DocBin
    from spacy.vocab import Vocab

# ---------------------------------------------------------------------------------------------------------
# srsly 2.5.6 / catalogue 2.0.10


def cache_msgpack_registries() -> None:
    """Look srsly's msgpack encoders/decoders up once, not on every pack/unpack.

    Replaces: `srsly.msgpack.msgpack_encoders.get_all` and `msgpack_decoders.get_all` (catalogue
    registries), with a cached copy refreshed whenever anything new is registered, so the functions used
    stay exactly the ones srsly would find.
    Why: `catalogue.Registry.get_all` scans every registered function and entry point of the process on
    each call, and DocBin packs three times per Doc: reading or writing CoNLL train took ~11 s instead of
    ~1 s; in `spacy train`, 28 of the 39 s before the first step.
    Pin: srsly 2.5.6 (`srsly.msgpack.msgpack_encoders`), catalogue 2.0.10 (`catalogue.REGISTRY`).
    Drop: when srsly caches its registry lookups itself; delete the calls in corpus/docbin.py and
    model/train.py.
    """
    import catalogue
    from srsly import msgpack

    for registry in (msgpack.msgpack_encoders, msgpack.msgpack_decoders):
        if getattr(registry, "_cached", False):
            continue
        uncached, state = registry.get_all, {"size": -1, "value": None}

        def get_all(uncached=uncached, state=state):
            size = len(catalogue.REGISTRY)
            if size != state["size"]:
                state["size"], state["value"] = size, uncached()
            return state["value"]

        registry.get_all, registry._cached = get_all, True


# ---------------------------------------------------------------------------------------------------------
# spaCy 3.8.18: the bytes of DocBin and SpanGroups, read and written without a Doc

# What spaCy writes for a doc without span groups: `SpanGroups.to_bytes()` of none, msgpack's empty list
NO_GROUPS = b"\x90"


# spaCy's SpanC as SpanGroup.to_bytes packs it (">QQQllll"): one record per span
SPAN_FIELDS = (
    ("id", ">u8"),
    ("kb_id", ">u8"),
    ("label", ">u8"),
    ("start", ">i4"),
    ("end", ">i4"),
    ("start_char", ">i4"),
    ("end_char", ">i4"),
)


@functools.lru_cache(maxsize=None)
def span_record() -> "np.dtype":
    """The numpy record of one serialised span (`SPAN_FIELDS`)."""
    import numpy as np

    return np.dtype(list(SPAN_FIELDS))


def span_groups_of(raw: bytes) -> Dict[str, Tuple[Dict, "np.ndarray"]]:
    """A doc's serialised span groups (one entry of `DocBin.span_groups`) as {name: (attrs, spans)}, in the
    order of `doc.spans`; `spans` is a record array of `span_record()` (label hashes, token starts and
    ends...). What `SpanGroups.from_bytes` gives, without a Doc or a Span.

    Replaces: `SpanGroups.from_bytes` + `Span` objects, for code that needs only labels and offsets.
    Why: the HMM's fit read train's observations from decoded Docs: aggregate 17.6 -> 15.8 s.
    Pin: spaCy 3.8.18 (`SpanGroup.to_bytes` packs each span as ">QQQllll"; `SpanGroups.to_bytes` maps each
    group's bytes to its names, or is a list of group bytes in spaCy's first format).
    Drop: decode the docs (`DocBin.get_docs`) and read `doc.spans`.
    """
    import numpy as np
    import srsly

    msg = [] if not raw or raw == NO_GROUPS else srsly.msgpack_loads(raw)
    items = [(data, None) for data in msg] if isinstance(msg, list) else list(msg.items())
    out: Dict[str, Tuple[Dict, np.ndarray]] = {}
    for data, keys in items:
        group = srsly.msgpack_loads(data)
        spans = np.frombuffer(b"".join(group["spans"]), dtype=span_record())
        for key in keys or [group["name"]]:
            out[key] = (dict(group["attrs"]), spans)
    return out


def group_bytes_of(raw: bytes) -> Dict[bytes, List[str]]:
    """A doc's serialised span groups as {group bytes: the names it is stored under}, in order, as
    `SpanGroups.to_bytes` writes them; no group is decoded. (Pin and drop: as `span_groups_of`.)"""
    import srsly

    msg = [] if not raw or raw == NO_GROUPS else srsly.msgpack_loads(raw)
    if isinstance(msg, list):  # spaCy's first format: a list of group bytes, each under its own name
        msg = {data: [srsly.msgpack_loads(data)["name"]] for data in msg}
    return msg


def groups_without(raw: bytes, name: str) -> Dict[bytes, List[str]]:
    """`group_bytes_of` without `name`. (Pin and drop: as `span_groups_of`.)"""
    groups = {data: [k for k in keys if k != name] for data, keys in group_bytes_of(raw).items()}
    return {data: keys for data, keys in groups.items() if keys}


# DocBin's per-doc fields, in the order `DocBin.to_bytes` writes them
DOCBIN_FIELDS = ("tokens", "spaces", "cats", "flags", "span_groups", "user_data")


def docbin_slice(db: "DocBin", start: int, end: int) -> "DocBin":
    """The docs `start:end` of `db` as a DocBin that shares `db`'s attrs and strings (a superset of theirs).

    Replaces: decoding the docs and adding them to a new DocBin.
    Why: cutting a `.spacy` file into shards by decoding and encoding every doc took as long as the
    tutorial's labelling functions (`corpus.docbin.split_docbin`).
    Pin: spaCy 3.8.18 (DocBin's fields `DOCBIN_FIELDS`, `attrs`, `strings`).
    Drop: `DocBin(store_user_data=True, docs=list(db.get_docs(vocab))[start:end])`.
    """
    from spacy.tokens import DocBin

    part = DocBin(store_user_data=True)
    part.attrs, part.strings = db.attrs, db.strings
    for name in DOCBIN_FIELDS:
        setattr(part, name, getattr(db, name)[start:end])
    return part


def docbin_rows(db: "DocBin", keep: Sequence[bool]) -> Optional["DocBin"]:
    """The DocBin of the docs of `db` that `keep` keeps, with the strings those docs use: what adding them
    to a new DocBin gives, without decoding a Doc. None if a kept doc has span groups (their strings are in
    their bytes: decode those).

    Why: balancing the training corpus decoded every voted doc to add the kept ones (aggregate's writing).
    Pin: spaCy 3.8.18 (DocBin's fields; the strings DocBin.add keeps for a token, `STRING_ATTRS`).
    Drop: add the kept docs of `db.get_docs(vocab)` to a new DocBin.
    """
    import numpy as np
    from spacy.strings import StringStore
    from spacy.tokens import DocBin

    rows = [i for i, k in enumerate(keep) if k]
    string_attrs = token_string_attrs()
    if any(db.span_groups[i] != NO_GROUPS for i in rows) or not set(string_attrs) <= set(db.attrs):
        return None
    out = DocBin(store_user_data=db.store_user_data)
    out.attrs = db.attrs
    for name in DOCBIN_FIELDS:
        values = getattr(db, name)
        setattr(out, name, [values[i] for i in rows] if values else [])
    if rows:
        columns = [db.attrs.index(attr) for attr in string_attrs]
        found = np.unique(np.concatenate([out.tokens[j][:, columns].ravel() for j in range(len(rows))]))
        strings = StringStore(db.strings)
        out.strings = {strings[int(v)] for v in found.tolist()}
    return out


def token_string_attrs() -> Tuple[Any, ...]:
    """The token attributes whose strings DocBin.add keeps (text, tag_, lemma_, norm_, morph, dep_,
    ent_type_, ent_kb_id_, ent_id_). Pin: spaCy 3.8.18 (`DocBin.add`)."""
    from spacy.attrs import DEP, ENT_ID, ENT_KB_ID, ENT_TYPE, LEMMA, MORPH, NORM, ORTH, TAG

    return (ORTH, TAG, LEMMA, NORM, MORPH, DEP, ENT_TYPE, ENT_KB_ID, ENT_ID)


def with_span_group(db: "DocBin", docs: Sequence["Doc"], name: str) -> bytes:
    """The bytes of `db` with the group `name` of each of `docs` (db's own docs, decoded and changed) added
    or replaced. Every other group, and everything else, stays the bytes it was.

    Replaces: `DocBin.add` of every changed doc.
    Why: encoding every function's group of every doc again took three times as long, for the same docs
    (the vote workers of `aggregate`).
    Pin: spaCy 3.8.18 (DocBin's fields; SpanGroups bytes as in `span_groups_of`).
    Drop: `DocBin(store_user_data=True, docs=docs).to_bytes()`.
    """
    import srsly
    from spacy.tokens import DocBin

    if len(docs) != len(db):
        raise ValueError(f"{len(docs)} docs for a DocBin of {len(db)}")
    out = DocBin(store_user_data=db.store_user_data)
    out.attrs, out.strings = db.attrs, set(db.strings)
    for field in ("tokens", "spaces", "cats", "flags", "user_data"):
        setattr(out, field, list(getattr(db, field)))
    for raw, doc in zip(db.span_groups, docs):
        groups = groups_without(raw, name)
        if name in doc.spans:
            group = doc.spans[name]
            groups.setdefault(group.to_bytes(), []).append(name)
            for span in group:  # the strings DocBin.add keeps for a span
                out.strings.update((span.label_, span.kb_id_, span.id_))
        out.span_groups.append(srsly.msgpack_dumps(groups) if groups else NO_GROUPS)
    return out.to_bytes()


def docs_to_bytes(docs: Iterable["Doc"]) -> bytes:
    """DocBin bytes of docs, user_data included: the bytes of `DocBin(store_user_data=True, docs=docs)`, with
    the tokens' strings looked up once per distinct value.

    Replaces: `DocBin.add`, which makes a Token for each word and asks it for its text, tag, lemma, norm...
    Why: that was most of a worker's writing (tutorial annotate + score + aggregate 30.4 -> 22.6 s,
    with the other shard-writing changes of the same experiment).
    Pin: spaCy 3.8.18 (`DocBin.add`: its fields, the strings it keeps, "" for the empty morph).
    Drop: `DocBin(store_user_data=True, docs=docs).to_bytes()`.
    """
    import numpy as np
    import srsly
    from spacy.attrs import MORPH, SPACY
    from spacy.tokens import DocBin

    db = DocBin(store_user_data=True)
    columns = [db.attrs.index(attr) for attr in token_string_attrs() if attr != MORPH]
    morph = db.attrs.index(MORPH)
    attrs: List[Any] = list(db.attrs)  # spaCy's IDs (typed as names in DocBin)
    values: Dict[int, Tuple["Vocab", List[np.ndarray], List[np.ndarray]]] = {}  # per vocab: strings, morphs
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


def span_strings(group: Any) -> Set[str]:
    """The strings `DocBin.add` keeps for the spans of a group: labels, and KB and span IDs the doc's vocab
    knows. Pin: spaCy 3.8.18 (`DocBin.add`)."""
    out: Set[str] = set()
    strings = group.doc.vocab.strings
    for span in group:
        out.add(span.label_)
        if span.kb_id in strings:
            out.add(span.kb_id_)
        if span.id in strings:
            out.add(span.id_)
    return out


def docbin_strings(db: "DocBin") -> Any:
    """A StringStore of `db`'s strings: the strings of its hashes. Pin: spaCy 3.8.18 (`DocBin.strings`)."""
    from spacy.strings import StringStore

    return StringStore(db.strings)


def input_span_strings(lookup: Any, raw: bytes, names: Sequence[str]) -> Optional[Set[str]]:
    """`span_strings` of the groups `names` of one doc (its span_groups bytes `raw`), from their bytes and
    `lookup` (`docbin_strings`); None if a label's hash is not in it. Pin: as `span_groups_of`."""
    out: Set[str] = set()
    for name, (_, spans) in span_groups_of(raw).items():
        if name not in names:
            continue
        for h in set(spans["label"].tolist()):
            if h not in lookup:
                return None
            out.add(lookup[h])
        for field in ("kb_id", "id"):
            out.update(lookup[h] for h in set(spans[field].tolist()) if h in lookup)
    return out


def docbin_with_groups(
    db: "DocBin", span_groups: Sequence[bytes], user_data: Sequence[bytes], spans: Set[str], lookup: Any = None
) -> Optional[bytes]:
    """The bytes `docs_to_bytes` gives for the docs of `db` with their span groups and user_data replaced:
    `span_groups` (each doc's `SpanGroups.to_bytes()`), `user_data` (msgpack), `spans` the strings of the
    spans they hold (`span_strings`). The tokens stay `db`'s; their strings are looked up in `db.strings`
    (`lookup`: `docbin_strings(db)`, if made already).
    None if `db` was not written with `docs_to_bytes`' attrs or lacks a token's string (decode, then).

    Replaces: decoding the docs, putting every group on them and `docs_to_bytes`.
    Why: annotate's cache reads most functions' groups back as bytes; decoding, restoring and encoding
    them was most of a rerun after a changed function.
    Pin: spaCy 3.8.18 (DocBin's fields; the strings `DocBin.add` keeps: `token_string_attrs`, "" for the
    empty morph).
    Drop: decode the docs, set their groups and user_data, `docs_to_bytes`.
    """
    import numpy as np
    from spacy.attrs import MORPH
    from spacy.strings import get_string_id
    from spacy.tokens import DocBin

    out = DocBin(store_user_data=True)
    if list(db.attrs) != list(out.attrs) or len(span_groups) != len(db) or len(user_data) != len(db):
        return None
    for field in ("tokens", "spaces", "cats", "flags"):
        setattr(out, field, list(getattr(db, field)))
    out.span_groups, out.user_data = list(span_groups), list(user_data)
    strings = set(spans)
    if len(db):
        store = lookup if lookup is not None else docbin_strings(db)
        columns = [db.attrs.index(attr) for attr in token_string_attrs() if attr != MORPH]
        morph = db.attrs.index(MORPH)
        found = np.unique(np.concatenate([t[:, columns].ravel() for t in db.tokens])).tolist()
        empty = get_string_id("_")  # the empty analysis, which DocBin.add keeps as ""
        morphs = np.unique(np.concatenate([t[:, morph] for t in db.tokens])).tolist()
        if any(v not in store for v in found) or any(v != empty and v not in store for v in morphs):
            return None
        strings.update(store[v] for v in found)
        strings.update("" if v == empty else store[v] for v in morphs)
    out.strings = strings
    return out.to_bytes()


class CopiesWithEnts:
    """A DocBin of `corpus.docbin.copy_with_ents` copies of a shard's docs, made from the shard's token
    arrays: the bytes that adding each copy with `DocBin.add` gives, without a Doc or a Token per word.
    Other docs (a reviewer's) are added as Docs.

        copies = CopiesWithEnts(db, vocab, IDS)  # db: a shard's DocBin decoded into vocab; IDS: user data kept
        copies.add_copy(i, [(0, 2, label_id)], docs[i].user_data)
        data = copies.to_bytes()

    Replaces: `copy_with_ents` + `DocBin.add` per voted train doc.
    Why: making and adding the copies was two thirds of a vote worker's writing.
    Pin: spaCy 3.8.18 (DocBin's token columns, ENT_IOB codes 1/2/3, SENT_START of a Doc made from words,
    the norms and strings DocBin.add keeps).
    Drop: `DocBin.add(copy_with_ents(doc, ents))` for each doc.
    """

    def __init__(self, db: "DocBin", vocab: "Vocab", ids: Sequence[str]):
        from spacy.tokens import DocBin

        self.db, self.vocab, self.ids, self.out = db, vocab, tuple(ids), DocBin(store_user_data=True)
        self.col = {attr: j for j, attr in enumerate(self.out.attrs)}
        self.copies: List[int] = []  # which rows of `out` are copies (their norms and strings come at the end)
        self.labels: set = set()

    def __len__(self) -> int:
        return len(self.out)

    def add_copy(self, i: int, ents: Sequence[Tuple[int, int, int]], user_data: Dict) -> None:
        """A copy of the shard's doc `i` whose entities are `ents` (start, end, label id; sorted, apart)."""
        import numpy as np
        import srsly
        from spacy.attrs import ENT_IOB, ENT_TYPE, ORTH, SENT_START

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
        self.out.user_data.append(srsly.msgpack_dumps({k: user_data[k] for k in self.ids if k in user_data}))
        self.out.span_groups.append(NO_GROUPS)

    def add(self, doc: "Doc") -> None:
        """Any doc, as DocBin.add adds it."""
        self.out.add(doc)

    def to_bytes(self) -> bytes:
        """The DocBin's bytes, the copies' norms (their lexemes' in the vocab) and strings filled in."""
        import numpy as np
        from spacy.attrs import NORM, ORTH

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


def config_overrides(args: List[str]) -> Dict[str, Any]:
    """`--section.key value` arguments as spaCy's CLI parses them ({"section.key": value}).

    Uses: `spacy.cli._util.parse_config_overrides`, so that `python -m scripts.model.train` takes the same
    overrides as `spacy train` (values parsed as JSON where they can be, as spaCy does).
    Pin: spaCy 3.8.18.
    Drop: when spaCy exports it publicly; or weasel.util.parse_config_overrides, once a test shows both
    parse `--paths.train x --training.max_steps 5 --nlp.x true` alike.
    """
    from spacy.cli._util import parse_config_overrides

    return parse_config_overrides(args)


# ---------------------------------------------------------------------------------------------------------
# skweak 0.3.3


def defer_skweak_generative() -> None:
    """Load skweak's HMM module (`skweak.generative`: hmmlearn and scikit-learn) when one of its names is
    first used rather than whenever skweak is. A no-op once it is loaded.

    Replaces: the module object of `skweak.generative` in `sys.modules`, with one whose code runs at the
    first attribute it lacks (importlib's LazyLoader would run it on any attribute, and the import system
    reads `__spec__` at every import).
    Why: skweak's `__init__` and its aggregation module import it even for a heuristic or a majority vote:
    1.5 to 2 s of every step's start-up (importing annotate 3.2 -> 1.7 s, aggregate with majority voting
    3.6 -> 1.8 s).
    Pin: skweak 0.3.3 (`skweak/__init__.py` and `skweak/aggregation.py` import `generative` at module level).
    Drop: when skweak imports it lazily; delete the call in scripts/__init__.py.
    """
    if "skweak.generative" in sys.modules:
        return
    import importlib.machinery
    import importlib.util
    import types

    top = importlib.util.find_spec("skweak")  # a top-level spec: found without importing the package
    if top is None or not top.submodule_search_locations:
        return
    spec = importlib.machinery.PathFinder.find_spec("skweak.generative", list(top.submodule_search_locations))
    if spec is None or spec.loader is None:
        return
    loader = spec.loader

    class Deferred(types.ModuleType):
        def __getattr__(self, name: str):
            if name.startswith("__") or self.__class__ is not Deferred:
                raise AttributeError(name)
            self.__class__ = types.ModuleType  # type: ignore[assignment]
            loader.exec_module(self)
            return getattr(self, name)

    module = importlib.util.module_from_spec(spec)
    module.__class__ = Deferred
    sys.modules["skweak.generative"] = module


def plain_spans(annotator: Any, doc: "Doc") -> Optional[Iterable[Tuple[int, int, str]]]:
    """The spans `annotator(doc)` would write, from its `find_spans`, where its `__call__` is skweak's own
    `SpanAnnotator.__call__` and no incompatible source can veto a span; else None (call it).

    Replaces: `SpanAnnotator.__call__`, which always makes a span group (empty for most functions and docs)
    and checks each span against incompatible sources.
    Why: an empty group cost more to make and drop than the function did to run (annotate, most of the
    tutorial's 23 functions per sentence).
    Pin: skweak 0.3.3 (`SpanAnnotator.__call__`: clear the group, then add each `find_spans` span that
    `_is_allowed_span` allows, which allows all without incompatible sources).
    Drop: call `annotator(doc)` and drop its empty group.
    """
    from skweak.base import SpanAnnotator

    if type(annotator).__call__ is SpanAnnotator.__call__ and not annotator.incompatible_sources:
        return annotator.find_spans(doc)
    return None


def skweak_label_index(labels: List[str]) -> Tuple[Dict[str, int], Optional[set], set]:
    """skweak's (label -> index, prefixes, labels without prefix) of BIO labels (`utils._index_labels`).
    Pin: skweak 0.3.3. Drop: build the index here (label positions in `labels`, prefixes before "-")."""
    from skweak import utils

    return utils._index_labels(labels, strip_prefixes=False)


def skweak_spans_to_array(doc: "Doc", sources: List[str], index) -> "np.ndarray":
    """skweak's observation array of a doc (tokens x sources, label indices; `utils._spans_to_array`),
    `index` from `skweak_label_index`. Pin: skweak 0.3.3. Drop: `labelmodel.base.write_span` per span."""
    from skweak import utils

    label2idx, prefixes, no_prefix = index
    return utils._spans_to_array(doc, sources, label2idx, no_prefix, prefixes)


def skweak_vote_matrix(aggregator: Any, include_underspec: bool = True) -> "np.ndarray":
    """(observed labels x output labels): which output label each observed label votes for
    (`AbstractAggregator._get_vote_matrix`). Pin: skweak 0.3.3. Drop: an identity over BIO labels, once
    no underspecified label is used (the project uses none)."""
    return aggregator._get_vote_matrix(include_underspec=include_underspec)


def skweak_sources(aggregator: Any, doc: Any) -> List[str]:
    """The span groups of `doc` the aggregator votes over (`AbstractAggregator._get_sources_to_aggregate`:
    non-empty, not an aggregate, not avoided, weight above 0). `doc` needs only `spans` of objects with
    `len` and `attrs`. Pin: skweak 0.3.3. Drop: those four conditions here."""
    return aggregator._get_sources_to_aggregate(doc)


def skweak_em_reset(model: Any, sources: Iterable[str]) -> None:
    """Reset a skweak generative model's counts to its priors (`_reset_counts`). Pin: skweak 0.3.3."""
    model._reset_counts(sources)


def skweak_em_mstep(model: Any) -> None:
    """The M-step of a skweak generative model: latent then emissions (`_do_mstep_latent`,
    `_do_mstep_emissions`, which also rescales the weights for redundancy). Pin: skweak 0.3.3."""
    model._do_mstep_latent()
    model._do_mstep_emissions()


# ---------------------------------------------------------------------------------------------------------
# hmmlearn 0.3.3


def forward_backward_log(startprob: "np.ndarray", transmat: "np.ndarray", frame: "np.ndarray"):
    """(log-likelihood, forward lattice, backward lattice) of one sequence, in log space.

    Uses: hmmlearn's compiled `_hmmc.forward_log` and `_hmmc.backward_log`, as its `BaseHMM` does.
    Why: skweak's HMM goes through hmmlearn's model object per doc; calling the kernels on the rows of one
    matrix of all docs is what makes the vectorised EM fast (fit on CoNLL train 40 s -> under 3 s).
    Pin: hmmlearn 0.3.3. Drop: `hmmlearn.hmm` model's `_do_forward_log_pass`/`_do_backward_log_pass`, or a
    numpy forward-backward.
    """
    from hmmlearn import _hmmc

    logprob, fwd = _hmmc.forward_log(startprob, transmat, frame)
    return logprob, fwd, _hmmc.backward_log(startprob, transmat, frame)


def log_xi_sum(fwd: "np.ndarray", transmat: "np.ndarray", bwd: "np.ndarray", frame: "np.ndarray"):
    """The log of the expected transition counts of one sequence (`_hmmc.compute_log_xi_sum`).
    Pin: hmmlearn 0.3.3. Drop: as `forward_backward_log`."""
    from hmmlearn import _hmmc

    return _hmmc.compute_log_xi_sum(fwd, transmat, bwd, frame)


# ---------------------------------------------------------------------------------------------------------
# argilla 2.8.0 (the SDK, in the project's venv)


def argilla_sdk_errors() -> Tuple[type, type]:
    """(ArgillaCredentialsError, ArgillaError): the SDK raises them but does not export them.
    Pin: argilla 2.8.0 (`argilla._exceptions`). Drop: when `argilla` exports its exceptions."""
    from argilla._exceptions import ArgillaCredentialsError, ArgillaError

    return ArgillaCredentialsError, ArgillaError


@contextlib.contextmanager
def quiet_sdk_progress() -> Iterator[None]:
    """No progress bar per `dataset.records.log()` call: the push draws one for the whole push.
    Replaces: `argilla.records._dataset_records.tqdm` for the block. Pin: argilla 2.8.0.
    Drop: when `log()` takes a flag to hide its bar."""
    import argilla.records._dataset_records as mod

    original = mod.tqdm
    mod.tqdm = lambda iterable=None, **kwargs: iterable
    try:
        yield
    finally:
        mod.tqdm = original


def suggestion_ids(record: Any) -> Tuple[Any, Dict[str, Any]]:
    """(the record's server id, {question name: suggestion id}) of a record read from the server: what the
    push needs to delete the suggestions of functions that stopped firing. Pin: argilla 2.8.0
    (`Record._server_id`, `Suggestion._model.id`). Drop: when the SDK exposes both ids."""
    by_question = {s.question_name: s._model.id for s in record.suggestions if s._model.id is not None}
    return record._server_id, by_question


# ---------------------------------------------------------------------------------------------------------
# argilla-server 2.8.0 (the server's own venv: these run in `python -m scripts.argilla_server.server`)

_BACKGROUND_TASKS: set = set()


def patch_redis() -> None:
    """Make `redis.from_url` return one shared in-memory fakeredis server.

    Why: the server only pings Redis and enqueues jobs; a Redis server is one more service to install
    and run. Must run before `argilla_server.jobs.queues` is imported (it connects at import time).
    Pin: argilla-server 2.8.0, redis 8.1.0, fakeredis 2.40.0 (requirements-argilla-server.txt).
    Drop: run a Redis server and an rq worker beside argilla-server.
    """
    import fakeredis
    import redis

    server = fakeredis.FakeServer()

    def from_url(url, *args, **kwargs):
        return fakeredis.FakeRedis(server=server)

    redis.from_url = from_url
    redis.Redis.from_url = staticmethod(from_url)


def patch_jobs() -> None:
    """Run `update_dataset_records_status_job` in-process (an asyncio task) instead of through rq.

    Why: an rq worker would run in another process, with its own (empty) copy of the in-memory index.
    Pin: argilla-server 2.8.0 (`argilla_server.jobs.dataset_jobs`). Drop: with `patch_redis`.
    """
    import asyncio

    from argilla_server.jobs import dataset_jobs

    job_fn = dataset_jobs.update_dataset_records_status_job

    def delay(*args, **kwargs):
        task = asyncio.get_running_loop().create_task(job_fn(*args, **kwargs))
        _BACKGROUND_TASKS.add(task)
        task.add_done_callback(_BACKGROUND_TASKS.discard)
        return None

    job_fn.delay = delay


def cache_type_adapters() -> None:
    """Build each pydantic TypeAdapter once instead of per call.

    Replaces: `argilla_server.models.database.TypeAdapter`. `Question.parsed_settings` and
    `MetadataProperty.parsed_settings` make a new TypeAdapter (~2 ms) on every call, several times per
    logged record. Why: it halves the server time of a bulk log.
    Pin: argilla-server 2.8.0, pydantic 2.9.2. Drop: when argilla-server caches its adapters.
    """
    from argilla_server.models import database

    original = database.TypeAdapter

    @functools.lru_cache(maxsize=None)
    def cached(tp):
        return original(tp)

    def type_adapter(tp, *args, **kwargs):
        if args or kwargs:
            return original(tp, *args, **kwargs)
        try:
            return cached(tp)
        except TypeError:  # unhashable type
            return original(tp)

    database.TypeAdapter = type_adapter
