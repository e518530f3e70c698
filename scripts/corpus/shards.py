"""A step that rewrites corpora shard by shard: DocBin bytes in, a worker function, DocBin bytes out.

`annotate` and `pretrained` both stream their corpora through `map_corpora`: this process only reads
and writes shards, the workers (a fork pool, Dask, or this process) decode, work and encode, and one
pool serves every corpus of the step, so that models load once and no worker idles between corpora.
"""

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

from tqdm import tqdm

from ..util import timing
from ..util.parallel import Parallelism, ordered_map
from .docbin import CorpusWriter, iter_shards, n_shards


@dataclass
class ShardResult:
    """A worker's shard: its corpus (index), DocBin bytes, how many docs, counts to sum, seconds per phase."""

    corpus: int
    data: bytes
    n_docs: int
    counts: Dict[str, int] = field(default_factory=dict)
    seconds: Dict[str, float] = field(default_factory=dict)  # the worker's time per phase (timing.take)


def map_corpora(
    corpora: Sequence[Tuple[Path, Path]],
    make_job: Callable[[int, bytes], object],
    worker: Callable[[object], ShardResult],
    parallel: Parallelism,
    desc: str,
) -> List[Dict[str, int]]:
    """Write `worker(make_job(k, shard))` for every shard of each (input, output) corpus k, in order;
    returns per corpus the docs and the sums of the workers' counts."""
    totals: List[Dict[str, int]] = [{"docs": 0} for _ in corpora]
    sizes = [n_shards(path) for path, _ in corpora]
    total = None if None in sizes else sum(n for n in sizes if n is not None)
    jobs = (
        make_job(k, data)
        for k, (path, _) in enumerate(corpora)
        for data in timing.timed(iter_shards(path, parallel.shard_size), "reading")
    )
    with parallel.runner() as run, contextlib.ExitStack() as stack:
        writers = [stack.enter_context(CorpusWriter(out, parallel.shard_size)) for _, out in corpora]
        for result in tqdm(ordered_map(run, worker, jobs), total=total, desc=desc, unit="shard", leave=False):
            timing.add(result.seconds)
            with timing.phase("writing"):
                writers[result.corpus].add_shard(result.data, result.n_docs)
            totals[result.corpus]["docs"] += result.n_docs
            for key, value in result.counts.items():
                totals[result.corpus][key] = totals[result.corpus].get(key, 0) + value
    return totals
