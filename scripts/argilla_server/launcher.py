"""The local Argilla server, from the project side: its venv, its home, start, wait, stop.

The official ``argilla-server`` package (same version as the ``argilla`` SDK) lives in its own
venv (``.venv-argilla-server``, made by `install`) because it needs an older ``click`` than the
project venv has. The database is ``<home>/argilla.db`` (default home ``.argilla/``): stop and
start again and the datasets and reviews are still there. Standard library only.
"""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Dict, List, Optional

from . import DEFAULT_API_KEY, DEFAULT_HOST, DEFAULT_PASSWORD, ENGINE_NAME

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements-argilla.txt"
CONSTRAINTS = ROOT / "requirements-argilla-server.txt"
DEFAULT_VENV = ROOT / ".venv-argilla-server"
DEFAULT_HOME = Path(".argilla")


class ServeError(Exception):
    """An error with a one-line message that says what to do."""


def server_requirements(path: Path = REQUIREMENTS) -> List[str]:
    """The ``#server:`` pins of requirements-argilla.txt."""
    reqs = []
    for line in path.read_text(encoding="utf8").splitlines():
        if line.startswith("#server:"):
            reqs.append(line.split(":", 1)[1].strip())
    return reqs


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _has_argilla_server(python: str) -> bool:
    result = subprocess.run([python, "-c", "import argilla_server"], capture_output=True, text=True)
    return result.returncode == 0


def find_server_python(explicit: Optional[str] = None) -> str:
    """--server-python, $ARGILLA_SERVER_PYTHON, .venv-argilla-server, or this Python."""
    candidates = [explicit, os.environ.get("ARGILLA_SERVER_PYTHON"), str(_venv_python(DEFAULT_VENV))]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    if _has_argilla_server(sys.executable):
        return sys.executable
    raise ServeError(
        "argilla-server is not installed: run `python -m scripts.argilla_server install` "
        f"(creates {DEFAULT_VENV.name}/) or set ARGILLA_SERVER_PYTHON"
    )


def server_env(home: Path, base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """Environment for the server process and its CLI (migrate, users)."""
    home = Path(home).resolve()
    env = dict(os.environ if base is None else base)
    # Settings meant for the SDK must not leak into the server's own settings.
    for key in ("ARGILLA_API_URL", "ARGILLA_API_KEY"):
        env.pop(key, None)
    env.update(
        {
            "ARGILLA_HOME_PATH": str(home),
            "ARGILLA_DATABASE_URL": f"sqlite+aiosqlite:///{home}/argilla.db?check_same_thread=False",
            "ARGILLA_SEARCH_ENGINE": ENGINE_NAME,
            "ARGILLA_ENABLE_TELEMETRY": "0",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
            # the server runs `python -m scripts.argilla_server.server`: the project root must be importable
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def _run_cli(python: str, args: List[str], env: Dict[str, str], what: str) -> None:
    result = subprocess.run([python, "-m", "argilla_server", *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise ServeError(f"argilla_server {what} failed: {last[0]}")


def _has_users(db_path: Path) -> bool:
    if not db_path.exists():
        return False
    try:
        with sqlite3.connect(str(db_path)) as conn:
            return conn.execute("SELECT count(*) FROM users").fetchone()[0] > 0
    except sqlite3.Error:
        return False


def prepare_home(home: Path, python: str, api_key: str = DEFAULT_API_KEY, password: str = DEFAULT_PASSWORD) -> None:
    """Create the home folder, migrate the database, create the owner once."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    env = server_env(home)
    _run_cli(python, ["database", "migrate"], env, "database migrate")
    if not _has_users(home / "argilla.db"):
        _run_cli(
            python,
            ["database", "users", "create_default", "--api-key", api_key, "--password", password, "--quiet"],
            env,
            "users create_default",
        )


def port_free(port: int, host: str = DEFAULT_HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def start_server(
    home: Path, port: int, python: str, log_path: Optional[Path] = None, log_level: str = "warning"
) -> subprocess.Popen:
    """Start the server process (`scripts.argilla_server.server`, in the server venv)."""
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            [
                python,
                "-m",
                "scripts.argilla_server.server",
                "--host",
                DEFAULT_HOST,
                "--port",
                str(port),
                "--log-level",
                log_level,
            ],
            env=server_env(home),
            stdout=out,
            stderr=subprocess.STDOUT if log_path else subprocess.DEVNULL,
            start_new_session=True,
        )
    finally:
        if log_path:
            out.close()


def wait_ready(url: str, api_key: str, proc: Optional[subprocess.Popen] = None, timeout: float = 60.0) -> None:
    """Poll /api/v1/me until the server answers 200."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(f"{url}/api/v1/me", headers={"X-Argilla-Api-Key": api_key})
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServeError(f"The Argilla server exited with code {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code == 401:
                raise ServeError(f"Server at {url} is up but rejects the API key") from None
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise ServeError(f"The Argilla server did not answer at {url} within {timeout:.0f}s")


def stop_server(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def install(venv: Path = DEFAULT_VENV, say: Callable[[str], None] = print) -> int:
    """Create the server venv and install the `#server:` pins of requirements-argilla.txt, every dependency
    pinned by requirements-argilla-server.txt; returns pip's exit code."""
    reqs = server_requirements()
    python = _venv_python(venv)
    if not python.exists():
        say(f"Creating {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    say(f"Installing {' '.join(reqs)} (every dependency pinned by {CONSTRAINTS.name})")
    return subprocess.run([str(python), "-m", "pip", "install", "-q", "-c", str(CONSTRAINTS), *reqs]).returncode
