"""Where a step's time goes: seconds per phase (setup, reading, the functions, voting, writing, ...).

`with phase("reading"):` adds the block's time to this process's totals. Shards processed in worker
processes are timed there and their totals travel back with the results (`take` in the worker, `add`
here), so a phase is process-seconds summed over every process that did it. `summary()` is the line a
step prints at its end; when $WEAK_NER_TIMINGS names a file, `report()` also writes the totals there as
JSON, with the seconds since `start()`: the benchmark sets it for each step it runs, and the wall-clock
time minus those seconds is the step's start-up and imports.
"""

import json
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterable, Iterator, TypeVar

T = TypeVar("T")

ENV = "WEAK_NER_TIMINGS"
_TOTALS: Dict[str, float] = {}
_START = [time.perf_counter()]


def start() -> None:
    """The step's work begins (call first thing in its main): what came before is start-up and imports."""
    _TOTALS.clear()
    _START[0] = time.perf_counter()


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Add the time of the block to phase `name` (blocks must not nest)."""
    begin = time.perf_counter()
    try:
        yield
    finally:
        _TOTALS[name] = _TOTALS.get(name, 0.0) + time.perf_counter() - begin


def timed(items: Iterable[T], name: str) -> Iterator[T]:
    """`items`, the time of producing each one added to phase `name` (e.g. shards read from disk)."""
    it = iter(items)
    while True:
        with phase(name):
            try:
                item = next(it)
            except StopIteration:
                return
        yield item


def take() -> Dict[str, float]:
    """This process's totals since the last `take` (a worker sends them back with its result)."""
    out = dict(_TOTALS)
    _TOTALS.clear()
    return out


def add(seconds: Dict[str, float]) -> None:
    """Add a worker's totals to this process's."""
    for name, value in seconds.items():
        _TOTALS[name] = _TOTALS.get(name, 0.0) + value


def summary() -> str:
    """'reading 0.4 s, functions 1.2 s, writing 0.3 s' (process-seconds, summed over the workers)."""
    return ", ".join(f"{name} {value:.1f} s" for name, value in _TOTALS.items())


def report() -> None:
    """Write the totals to $WEAK_NER_TIMINGS, if set, as {"seconds": since start(), "phases": {...}}."""
    path = os.environ.get(ENV)
    if path:
        data = {"seconds": time.perf_counter() - _START[0], "phases": dict(_TOTALS)}
        Path(path).write_text(json.dumps(data, indent=2), encoding="utf8")
