"""Measuring a command from the outside: wall-clock seconds and the peak memory of it and its workers.

Memory is sampled (every 0.2 s), not read from wait4: Linux carries the ru_maxrss high-water mark
of a forking parent across exec, so a child of a big benchmark process looked as big.
"""

import os
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple


def _pss(proc) -> int:
    try:
        return proc.memory_full_info().pss
    except Exception:  # psutil.Error or OSError: a process that just ended
        return 0


def _rss(proc) -> int:
    try:
        return proc.memory_info().rss
    except Exception:
        return 0


class MemorySampler(threading.Thread):
    """Peak summed PSS (proportional set size: shared pages counted once) of a process, its
    descendants and `extra` processes (Dask workers), sampled every `interval` seconds."""

    def __init__(self, pid: int, extra: Sequence[int] = (), interval: float = 0.2):
        super().__init__(daemon=True)
        self.pids, self.interval, self._stop_event = [pid, *extra], interval, threading.Event()
        self.peak_mb = self.peak_rss_mb = 0.0

    def run(self) -> None:
        import psutil

        roots = []
        for pid in self.pids:
            try:
                roots.append(psutil.Process(pid))
            except psutil.Error:  # already ended
                pass
        while not self._stop_event.is_set():
            procs = list(roots)
            try:
                procs += roots[0].children(recursive=True) if roots else []
            except psutil.Error:  # the step just ended
                pass
            self.peak_mb = max(self.peak_mb, sum(_pss(p) for p in procs) / 2**20)
            if roots and roots[0].pid == self.pids[0]:
                self.peak_rss_mb = max(self.peak_rss_mb, _rss(roots[0]) / 2**20)
            self._stop_event.wait(self.interval)

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return round(self.peak_mb, 1)


def measure(cmd: List[str], extra_pids: Sequence[int] = (), env: Optional[Mapping[str, str]] = None) -> Dict:
    """Run `cmd`; wall-clock seconds, its own peak RSS and the peak PSS of it, its workers and
    `extra_pids` (MB), both sampled. (Not wait4's ru_maxrss: Linux carries the high-water mark of
    the forking parent across exec, so a child of a big benchmark process looked as big.)"""
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: progress bars would fill a pipe and block
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        sampler = MemorySampler(proc.pid, extra_pids)
        sampler.start()
        _, status, _ = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        peak_pss = sampler.stop()
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            output = err.read().decode(errors="replace").replace("\r", "\n").splitlines()
            lines = [line for line in output if not line.rstrip().endswith("]")]  # not the progress bars
            raise RuntimeError(f"{' '.join(cmd)} exited with {code}: " + "\n".join(lines[-20:]))
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(sampler.peak_rss_mb, 1), "peak_pss_mb": peak_pss}


@contextmanager
def local_cluster(n_workers: int) -> Iterator[Tuple[str, List[int]]]:
    """A Dask LocalCluster on loopback (one single-threaded worker process per core); yields its address
    and the pids of its processes (nannies and workers), whose memory the measurement adds."""
    import psutil
    from distributed import LocalCluster

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        pids = [p.pid for p in psutil.Process().children(recursive=True) if p.pid not in before]
        yield cluster.scheduler_address, pids
