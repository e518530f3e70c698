"""`annotate`'s cache: each labelling function's span groups per shard, so that a rerun runs only the functions
whose key changed (`scripts.lfs.keys`) and reads the others' spans back.

An entry is one file, FOLDER/SHARD/KEY.msgpack: SHARD hashes the shard's input bytes, KEY the function. It
holds, per doc of the shard, the bytes of the function's span group (`SpanGroup.to_bytes`; b"" for an empty
group, None for none), the strings of its spans, and its spans of labels it did not declare (the warning).
The document-level functions' entry holds their groups of each doc in the order they were written, and per
article a digest of what their feeders found there: an article whose feeders found the same keeps its
groups. An entry is written to a temporary file and renamed: a killed run leaves complete entries or none,
and an entry is read only if its key, shard and number of docs are its address's. LAST_RUN says what the
last complete run ran. The folder is none of a step's outputs: weasel's checks and `push`/`pull` never
read it, and `--vars.lf_cache false` turns it off.

A worker writes a cached shard from the groups' bytes (`annotate_cached`, `patches.docbin_with_groups`),
decoding the docs only when a function has to run on them.
"""

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

import srsly
from spacy.tokens import Doc, DocBin, SpanGroup

from ..corpus.articles import article_groups, user_data_key
from ..corpus.docbin import shard_vocab
from ..corpus.labels import FUNCTIONS, GOLD, NEGATIVE
from ..patches import (
    NO_GROUPS,
    docbin_strings,
    docbin_with_groups,
    group_bytes_of,
    input_span_strings,
    span_strings,
)
from ..pretrained.runs import PREFIX
from ..util import timing
from .annotator import FunctionSettings, LabellingFunctions, get_annotator

SUFFIX = ".msgpack"
LAST_RUN = "last_run.json"  # the functions the last complete run ran, and those it read back
# What the cache may keep beyond the entries of the last run, as a multiple of their size: entries of a
# change that was undone, or of another preset, are read again if they are still there.
KEEP = 3.0


def shard_key(data: bytes) -> str:
    """The address of a shard's entries: a hash of its input bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def feeder_digest(groups: Iterable[Sequence[Tuple[str, Optional[bytes]]]]) -> str:
    """What the feeders found in an article: its docs' (name, SpanGroup bytes or None) of each feeder."""
    h = hashlib.blake2b(digest_size=16)
    for doc_groups in groups:
        for name, raw in doc_groups:
            h.update(name.encode("utf8") + b"\0" + (b"-" if raw is None else len(raw).to_bytes(8, "little") + raw))
        h.update(b"\1")
    return h.hexdigest()


class SpanCache:
    """The entries under `folder`."""

    def __init__(self, folder: Union[str, os.PathLike]):
        self.folder = Path(folder)

    def path(self, shard: str, key: str) -> Path:
        return self.folder / shard / f"{key}{SUFFIX}"

    def get(self, shard: str, key: str, n_docs: int) -> Optional[Dict[str, Any]]:
        """The entry, or None: missing, unreadable, or not the entry of this address (then removed)."""
        path = self.path(shard, key)
        try:
            entry = srsly.msgpack_loads(path.read_bytes())
            if entry["key"] == key and entry["shard"] == shard and len(entry["docs"]) == n_docs:
                os.utime(path)  # recently used: the last to go (`prune`)
                return entry
        except FileNotFoundError:
            return None
        except Exception:  # a truncated or foreign file: never trusted
            pass
        path.unlink(missing_ok=True)
        return None

    def put(self, shard: str, key: str, docs: List[Any], undeclared: Any, **more: Any) -> None:
        """Write an entry whole or not at all (a temporary file, renamed)."""
        path = self.path(shard, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {"key": key, "shard": shard, "docs": docs, "undeclared": undeclared, **more}
        tmp = path.parent / f".{key}.{uuid.uuid4().hex}.tmp"
        try:
            tmp.write_bytes(srsly.msgpack_dumps(entry))
            os.replace(tmp, path)
        except OSError:  # a full disk, a folder pruned meanwhile: the entry is not kept, the run goes on
            pass
        finally:
            tmp.unlink(missing_ok=True)

    def record(self, ran: Sequence[str], reused: Sequence[str]) -> None:
        """Say in LAST_RUN which functions the last complete run ran and which it read back."""
        from ..util.files import write_json

        write_json(self.folder / LAST_RUN, {"ran": list(ran), "from_cache": list(reused)})

    def entries(self) -> Iterable[Path]:
        return self.folder.glob(f"*/*{SUFFIX}") if self.folder.is_dir() else []

    def prune(self, used: Set[Tuple[str, str]], started: float) -> int:
        """After a complete run: remove the temporary files of runs that did not finish, and the least
        recently used entries that this run did not use, beyond `KEEP` times the size of those it did;
        the number removed."""
        removed = 0
        for tmp in self.folder.glob("*/.*.tmp") if self.folder.is_dir() else []:
            if tmp.stat().st_mtime < started:
                tmp.unlink(missing_ok=True)
                removed += 1
        kept, others = 0, []
        for path in self.entries():
            stat = path.stat()
            if (path.parent.name, path.name[: -len(SUFFIX)]) in used:
                kept += stat.st_size
            else:
                others.append((stat.st_mtime, stat.st_size, path))
        budget = KEEP * kept
        for _, size, path in sorted(others, reverse=True):  # newest first
            if budget >= size:
                budget -= size
            else:
                path.unlink(missing_ok=True)
                removed += 1
        for shard in self.folder.iterdir() if self.folder.is_dir() else []:
            if shard.is_dir() and not any(shard.iterdir()):
                shard.rmdir()
        return removed


# ---------------------------------------------------------------------------------------------------------
# A shard through the cache (annotate's workers)


@dataclass(frozen=True)
class CachePlan:
    """Where the cache is and the functions' keys (`scripts.lfs.keys`), for the workers."""

    folder: str
    keys: Dict[str, str]
    document: Optional[str]  # the document-level functions' key
    document_names: Tuple[str, ...]
    feeders: Tuple[str, ...]  # the functions whose spans they read


def group_bytes(doc: Doc, name: str) -> Optional[bytes]:
    """What an entry keeps of a function's group on a doc: its bytes, b"" for an empty group, None for none."""
    if name not in doc.spans:
        return None
    group = doc.spans[name]
    return group.to_bytes() if len(group) else b""


def restore(docs: Sequence[Doc], groups: Iterable[Sequence[Sequence]], strings: Iterable[str] = ()) -> None:
    """Put cached span groups ((name, `group_bytes`) per doc) back on the docs. `strings`: those of their spans
    (the entries'), added to the docs' vocab first: a group's bytes hold its labels' hashes, and a process that
    has not met a label (no function ran here; the shard's input lacks it) could not read them back."""
    for vocab in {id(d.vocab): d.vocab for d in docs}.values():
        for string in strings:
            vocab.strings.add(string)
    for doc, doc_groups in zip(docs, groups):
        for name, raw in doc_groups:
            if raw is not None:
                doc.spans[name] = SpanGroup(doc).from_bytes(raw) if raw else SpanGroup(doc, name=name)


def annotate_cached(data: bytes, settings: FunctionSettings, plan: CachePlan, shard: str, drop_gold: bool):
    """A shard through the cache: the functions with an entry for it (`shard`: its input's hash) are read back,
    the others run and are written; the document-level functions run on the articles whose feeders' spans
    changed; the output is assembled from the groups' bytes (`patches.docbin_with_groups`), and is the
    shard `annotate_docs` + `docs_to_bytes` write. Returns (bytes, docs, names of what ran, docs with a
    span), or None where that path cannot write the shard (then nothing of it is counted)."""
    annotator = get_annotator(settings)
    store = SpanCache(plan.folder)
    with timing.phase("reading"):
        db = DocBin(store_user_data=True).from_bytes(data)
        n = len(db)
        user_data = [srsly.msgpack_loads(u) if u else {} for u in db.user_data] if db.user_data else [{}] * n
        document_names = set(plan.document_names)
        sentence = [name for name in annotator.names if name not in document_names]
        found = {name: store.get(shard, plan.keys[name], n) for name in sentence}
    run = [name for name in sentence if found[name] is None]
    raw: Dict[str, List[Optional[bytes]]] = {}
    strings: Set[str] = set()  # of the spans of the groups the output holds
    for name in sentence:
        entry = found[name]
        if entry is not None:
            raw[name] = entry["docs"]
            strings.update(entry["strings"])
    decoded: List[List[Doc]] = []

    def docs() -> List[Doc]:
        if not decoded:
            with timing.phase("reading"):
                decoded.append(list(db.get_docs(shard_vocab())))
        return decoded[0]

    undeclared = dict(annotator.undeclared)  # this shard's, once it is sure to be written this way
    annotator.undeclared.clear()
    if run:
        todo = docs()
        with timing.phase("functions"):
            for _ in annotator.pipe(todo, only=set(run), document=False):
                pass
        with timing.phase("writing"):
            for name in run:
                raw[name] = [group_bytes(doc, name) for doc in todo]
                found_strings = set().union(*(span_strings(doc.spans[name]) for doc in todo if name in doc.spans))
                strings.update(found_strings)
                own = {lab: k for (f, lab), k in annotator.undeclared.items() if f == name}
                store.put(shard, plan.keys[name], raw[name], own, strings=sorted(found_strings))
    for name in sentence:
        entry = found[name]
        for label, k in entry["undeclared"].items() if entry is not None else ():
            undeclared[name, label] = undeclared.get((name, label), 0) + k
    ran = list(run)
    document: List[list] = [[] for _ in range(n)]
    if plan.document is not None:
        ran += annotate_articles(db, user_data, docs, annotator, store, plan, shard, raw, run, document, strings)
    with timing.phase("writing"):
        out = assemble(db, user_data, annotator, sentence, raw, document, strings, drop_gold)
    if out is None:
        annotator.undeclared.clear()
        return None
    for (name, label), k in annotator.undeclared.items():
        undeclared[name, label] = undeclared.get((name, label), 0) + k
    annotator.undeclared.clear()
    annotator.undeclared.update(undeclared)
    return out[0], n, ran, out[1]


def assemble(
    db: DocBin,
    user_data: List[dict],
    annotator: LabellingFunctions,
    sentence: Sequence[str],
    raw: Dict[str, List[Optional[bytes]]],
    document: List[list],
    strings: Set[str],
    drop_gold: bool,
) -> Optional[Tuple[bytes, int]]:
    """The shard's bytes, as `finish` + `docs_to_bytes` write the docs, from the groups' bytes: the input's
    groups that stay, the sentence-level functions' (in the annotator's order), the document-level functions'
    (as they wrote them), the empty ones left out; and the docs with a span. None: see `docbin_with_groups`."""
    lookup = docbin_strings(db)
    negative = [name for name in annotator.names if name in annotator.negative]
    span_groups, user_data_out, fired = [], [], 0
    for i in range(len(db)):
        out_groups: Dict[bytes, List[str]] = {}  # as SpanGroups.to_bytes: each group's bytes, its names
        for group, keys in group_bytes_of(db.span_groups[i]).items():
            keys = [k for k in keys if not k.startswith(PREFIX) and not (drop_gold and k == GOLD)]
            if keys:
                out_groups[group] = keys
        if out_groups:  # the input's groups that stay (dev's gold)
            spans = input_span_strings(lookup, db.span_groups[i], [k for keys in out_groups.values() for k in keys])
            if spans is None:
                return None
            strings.update(spans)
        ours = [(name, raw[name][i]) for name in sentence] + [(name, group) for name, group in document[i]]
        ours = [(name, group) for name, group in ours if group]
        fired += bool(ours)
        for name, group in ours:
            out_groups.setdefault(group, []).append(name)
        span_groups.append(srsly.msgpack_dumps(out_groups) if out_groups else NO_GROUPS)
        data_i = dict(user_data[i])  # as drop_empty_groups leaves it
        data_i[FUNCTIONS] = list(annotator.names)
        if negative:
            data_i[NEGATIVE] = negative
        user_data_out.append(srsly.msgpack_dumps(data_i))
    out = docbin_with_groups(db, span_groups, user_data_out, strings, lookup)
    return None if out is None else (out, fired)


def annotate_articles(
    db: DocBin,
    user_data: List[dict],
    docs: Callable[[], List[Doc]],
    annotator: LabellingFunctions,
    store: SpanCache,
    plan: CachePlan,
    shard: str,
    raw: Dict[str, List[Optional[bytes]]],
    ran_now: Sequence[str],
    document: List[list],
    strings: Set[str],
) -> List[str]:
    """The document-level functions, through the cache: an article whose feeders found what they found when
    its entry was written gets its groups back (into `document`, per doc), the others run; the names, if any
    ran."""
    assert plan.document is not None
    articles = article_groups([user_data_key(u) for u in user_data])
    digests = [feeder_digest([(f, raw[f][i]) for f in plan.feeders] for i in article) for article in articles]
    with timing.phase("reading"):
        entry = store.get(shard, plan.document, len(db))
    before = {} if entry is None else {(a[0], a[1]): a[2:] for a in entry["articles"]}
    done: List[list] = [[] for _ in articles]  # (digest, undeclared, strings) of each article
    todo = []
    for k, article in enumerate(articles):
        kept = before.get((article[0], article[-1] + 1))
        if entry is not None and kept is not None and kept[0] == digests[k]:
            for i in article:
                document[i] = entry["docs"][i]
            done[k] = kept
        else:
            todo.append(k)
    if todo:
        subset = [i for k in todo for i in articles[k]]
        all_docs = docs()
        cached = [name for name in plan.feeders if name not in ran_now]  # those that ran are on the docs
        with timing.phase("reading"):
            restore([all_docs[i] for i in subset], ([(name, raw[name][i]) for name in cached] for i in subset), strings)
        annotator.undeclared_by_doc = {}
        try:
            with timing.phase("functions"):
                for _ in annotator.pipe([all_docs[i] for i in subset], only=set(), document=True):
                    pass
            by_doc = annotator.undeclared_by_doc
        finally:
            annotator.undeclared_by_doc = None
        names = set(plan.document_names)
        with timing.phase("writing"):
            for k in todo:
                counts: Dict[str, int] = {}
                found: Set[str] = set()
                for i in articles[k]:
                    doc = all_docs[i]
                    document[i] = [[n, group_bytes(doc, n)] for n in doc.spans if n in names]
                    found.update(*(span_strings(doc.spans[n]) for n in doc.spans if n in names))
                    for (name, label), c in by_doc.get(id(doc), {}).items():
                        counts[f"{name}\t{label}"] = counts.get(f"{name}\t{label}", 0) + c
                done[k] = [digests[k], counts, sorted(found)]
            spans = [[a[0], a[-1] + 1, *d] for a, d in zip(articles, done)]
            store.put(shard, plan.document, document, {}, articles=spans)
    undeclared, rerun = annotator.undeclared, set(todo)
    for k, (_, counts, found_strings) in enumerate(done):
        strings.update(found_strings)
        if k in rerun:
            continue  # counted as they ran
        for key, c in counts.items():
            name, label = key.split("\t")
            undeclared[name, label] = undeclared.get((name, label), 0) + c
    return list(plan.document_names) if todo else []
