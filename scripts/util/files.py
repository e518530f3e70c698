"""Atomic file writes (standard library only): an interrupted step never leaves a half-written output."""

import fcntl
import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, List, Sequence

_UMASK = os.umask(0)
os.umask(_UMASK)


# Temp names carry the writer's pid (".NAME.PID.RANDOM.tmp" / ".old"), so that the leftovers of a killed
# run can be told from the work of a live one and removed.
LEFTOVER = re.compile(r"^\..+\.(\d+)\.[^.]+\.(tmp|old)$")


def _alive(pid: int) -> bool:
    """Whether process `pid` runs. A zombie does not: a killed step whose parent died too waits for init to
    reap it, and init in a container may take its time (its temp files are leftovers all the same)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc (macOS): kill(0) is all we know
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def remove_leftovers(folder: Path) -> List[Path]:
    """Remove the temp files and folders that killed runs left in `folder` (their pid is gone)."""
    removed: List[Path] = []
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return removed
    for name in names:
        match = LEFTOVER.match(name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            path = Path(folder) / name
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def temp_prefix(path: Path) -> str:
    return f".{Path(path).name}.{os.getpid()}."


@contextmanager
def swap_lock(path: Path) -> Iterator[None]:
    """Serialise the final renames of writers in one folder (two runs writing one corpus at once): a lock
    on the folder itself, so that no lock file is left beside the outputs."""
    fd = os.open(Path(path).parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temp path beside `path`; rename it over `path` only if the block succeeds.

    An interrupted step therefore never leaves a half-written file that weasel
    (or the next step) would trust; the next write removes what it left.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temp_prefix(path), suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.is_file():  # mkstemp makes 0600 files; give outputs the usual permissions
            os.chmod(tmp_path, 0o666 & ~_UMASK)
        if path.is_dir():  # a folder of shards before (e.g. train_gold.spacy of a user's corpus)
            replace_dir(tmp_path, path)
        else:
            os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Yield a temp folder beside `path`; it replaces `path` (file or folder) only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(path.parent)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=temp_prefix(path), suffix=".tmp"))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_UMASK)
        replace_dir(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def replace_dir(src: Path, path: Path) -> None:
    """Move the finished folder `src` to `path`, replacing what is there (file or folder) in one rename."""
    with swap_lock(path):
        old = None
        if path.exists():  # a folder cannot be renamed over a non-empty one: move the old one aside first
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=temp_prefix(path), suffix=".old"))
            os.replace(path, old / path.name)
        os.replace(src, path)
    if old is not None:
        shutil.rmtree(old)


def write_text(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf8")


def write_json(path: Path, data) -> None:
    """Write `data` as indented JSON with sorted keys, atomically."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
