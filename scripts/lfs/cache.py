"""`annotate`'s cache: each labelling function's span groups per shard, so that a rerun runs only the functions
whose key changed (`scripts.lfs.keys`) and reads the others' spans back.

An entry is one file, FOLDER/SHARD/KEY.msgpack: SHARD hashes the shard's input bytes, KEY the function. It
holds, per doc of the shard, the bytes of the function's span group (`SpanGroup.to_bytes`, or None where it
has none) and its spans of labels it did not declare (the warning); the document-level functions' entry holds
their groups of each doc in the order they were written. An entry is written to a temporary file and renamed:
a killed run leaves complete entries or none, and an entry is read only if its key, shard and number of docs
are its address's. The folder is none of a step's outputs: weasel's checks and `push`/`pull` never read it.
"""

import hashlib
import os
import uuid
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

import srsly

SUFFIX = ".msgpack"
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
