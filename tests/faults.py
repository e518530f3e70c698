"""Fault injection: run a project step and `kill -9` it (and its workers) at a chosen point.

    killed = kill_when(cmd, cwd, env, lambda: any(cwd.glob("corpus/.train_annotated.*.tmp/*.spacy")))

The point is a condition polled while the step runs (a temp file appears, a line is printed...); the
whole process group gets SIGKILL, as a crash or an OOM kill would, with no chance to clean up.
"""

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable, Dict, Sequence


def kill_when(
    cmd: Sequence[str], cwd: Path, env: Dict[str, str], point: Callable[[], bool], timeout: float = 600
) -> bool:
    """Run `cmd`; SIGKILL its process group as soon as `point()` is true. Returns whether it was killed
    there (False: the command ended first, which the caller should treat as a failed injection)."""
    proc = subprocess.Popen(
        list(cmd), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if point():
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return True
            time.sleep(0.05)
        return False
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def appears(folder: Path, pattern: str) -> Callable[[], bool]:
    """A point: a path matching `pattern` exists under `folder`."""
    return lambda: any(Path(folder).glob(pattern))
