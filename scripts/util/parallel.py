"""Where shards are processed: in this process, in a pool of local processes, or on a Dask cluster.

`annotate` and `aggregate` cut their corpus into shards (DocBin bytes), map a function over them
with `ordered_map` and read the results back in order. Only a few shards per worker are in flight
at a time, so memory is bounded by the shard size and not by the corpus size, and the output is
the same document for document whatever runs the shards.

Dask runs when a scheduler address is given (`--scheduler`, project var `dask_scheduler`, or the
env var DASK_SCHEDULER_ADDRESS); its workers must be able to `import scripts` and read the
project's files (start them from a checkout of the project: see the README).
"""

import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from typing import Callable, ContextManager, Iterable, Iterator, Optional

from .errors import check_range

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"


def scheduler_address(value: Optional[str] = None) -> Optional[str]:
    """The Dask scheduler to use: the option's value, else $DASK_SCHEDULER_ADDRESS, else none (local)."""
    return (value or "").strip() or os.environ.get(SCHEDULER_ENV, "").strip() or None


@dataclass(frozen=True)
class Parallelism:
    """How a step processes its shards: `n_process` local processes (0: all cores), or the Dask
    `scheduler` when one is set; `shard_size` documents per shard."""

    n_process: int = 1
    shard_size: Optional[int] = None  # None: a folder's shards as they are (a single file needs a size)
    scheduler: Optional[str] = None

    @classmethod
    def from_options(cls, n_process: int, shard_size: int, scheduler: Optional[str]) -> "Parallelism":
        """From CLI options: 0 processes is every core, an empty scheduler is $DASK_SCHEDULER_ADDRESS or none."""
        check_range("n_process", n_process, 0)
        check_range("shard_size", shard_size, 1)
        return cls(n_process or os.cpu_count() or 1, shard_size, scheduler_address(scheduler))

    def runner(self) -> ContextManager["Runner"]:
        return runner(self.n_process, self.scheduler)

    def describe(self) -> str:
        if self.scheduler:
            return f"Dask at {self.scheduler}"
        return f"{self.n_process} process{'es' if self.n_process > 1 else ''}"


class Runner:
    """Submits shard functions: `submit(fn, arg)` returns a future; `workers` is how many run at once."""

    def __init__(self, submit: Optional[Callable], workers: int, kind: str):
        self.submit, self.workers, self.kind = submit, workers, kind

    @property
    def local(self) -> bool:
        """True when shards run in this process (no serialisation at all)."""
        return self.submit is None


@contextmanager
def runner(n_process: int = 1, scheduler: Optional[str] = None, connect_timeout: str = "10s") -> Iterator[Runner]:
    """A Dask client if `scheduler` is set, else a fork pool of `n_process` processes, else this process."""
    if scheduler:
        client = connect(scheduler, connect_timeout)
        try:
            workers = sum(client.nthreads().values()) or 1
            yield Runner(partial(client.submit, pure=False), workers, f"dask ({scheduler})")
        finally:
            client.close()
    elif n_process > 1:
        # fork: the workers inherit what the parent already loaded (models, gazetteers)
        with ProcessPoolExecutor(n_process, mp_context=get_context("fork")) as pool:
            yield Runner(pool.submit, n_process, f"{n_process} processes")
    else:
        yield Runner(None, 1, "1 process")


def runner_or(run: Optional[Runner], parallel: Parallelism) -> ContextManager[Runner]:
    """The caller's `run` (left open for its next use) if given, else a new runner for `parallel`."""
    return nullcontext(run) if run is not None else parallel.runner()


def connect(scheduler: str, timeout: str = "10s"):
    """A `distributed.Client` on `scheduler`, or an error that says how to fix the address."""
    from distributed import Client

    try:
        return Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise ConnectionError(
            f"cannot reach the Dask scheduler at {scheduler!r} ({e}). Start one (`dask scheduler`, then "
            f"`dask worker {scheduler}` from the project folder), or leave the project var dask_scheduler "
            f"and ${SCHEDULER_ENV} empty to run on this machine."
        ) from e


def ordered_map(run: Runner, fn: Callable, items: Iterable, per_worker: int = 2) -> Iterator:
    """`fn(item)` for each item, in order, at most `per_worker` items per worker in flight."""
    if run.local:
        yield from map(fn, items)
        return
    submit = run.submit
    assert submit is not None  # not local: a pool's or a Dask client's submit
    pending: deque = deque()
    for item in items:
        pending.append(submit(fn, item))
        if len(pending) >= run.workers * per_worker:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
