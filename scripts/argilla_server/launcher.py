"""The local Argilla server, from the project side: its venv, its home, start, wait, stop.

The official ``argilla-server`` package (same version as the ``argilla`` SDK) lives in its own
venv (``.venv-argilla-server``, made by `install`) because it needs an older ``click`` than the
project venv has. The database is ``<home>/argilla.db`` (default home ``.argilla/``): stop and
start again and the datasets and reviews are still there. Standard library only.
"""

import dataclasses
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from . import DEFAULT_HOST, DEFAULT_USERNAME, ENGINE_NAME

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements-argilla.txt"
CONSTRAINTS = ROOT / "requirements-argilla-server.txt"
DEFAULT_VENV = ROOT / ".venv-argilla-server"
DEFAULT_HOME = Path(".argilla")
CREDENTIALS = "credentials.json"


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


def server_env(home: Path, base: Optional[Dict[str, str]] = None, port: Optional[int] = None) -> Dict[str, str]:
    """Environment for the server process and its CLI (migrate, users). CORS allows the server's own origin
    only (none before the port is known): a page on another origin cannot read or change the datasets."""
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
            "ARGILLA_CORS_ORIGINS": json.dumps([f"http://{DEFAULT_HOST}:{port}"] if port else []),
        }
    )
    return env


PRIVATE = 0o077  # umask of the server and its CLI: the home, database and log are the user's alone


def _run_cli(python: str, args: List[str], env: Dict[str, str], what: str, stdin: Optional[str] = None) -> str:
    result = subprocess.run([python, *args], env=env, capture_output=True, text=True, input=stdin, umask=PRIVATE)
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise ServeError(f"argilla_server {what} failed: {last[0]}")
    return result.stdout


def _owner(db_path: Path) -> Optional[str]:
    """The username of the database's first owner, None if it has no user yet."""
    if not db_path.exists():
        return None
    try:
        with sqlite3.connect(str(db_path)) as conn:
            row = conn.execute("SELECT username FROM users WHERE role = 'owner' ORDER BY inserted_at").fetchone()
            return row[0] if row else None
    except sqlite3.Error:
        return None


@dataclass(frozen=True)
class Credentials:
    """The local server's owner: generated on first start, kept in <home>/credentials.json (mode 0600)."""

    username: str
    password: str
    api_key: str


def credentials_path(home: Path) -> Path:
    return Path(home) / CREDENTIALS


def read_credentials(home: Path = DEFAULT_HOME) -> Optional[Credentials]:
    """The credentials of the local server with this home, None if it was never started."""
    path = credentials_path(home)
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf8"))
    return Credentials(data["username"], data["password"], data["api_key"])


def write_credentials(home: Path, creds: Credentials) -> None:
    """Write credentials.json atomically, readable by the user only (created 0600, never wider)."""
    path = credentials_path(home)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf8") as f:
        json.dump(dataclasses.asdict(creds), f, indent=2)
    os.replace(tmp, path)


def make_private(home: Path) -> None:
    """The home folder 0700, its files 0600 (also for a home made before this was enforced)."""
    home = Path(home)
    os.chmod(home, 0o700)
    for path in home.iterdir():
        if path.is_file():
            os.chmod(path, 0o600)


def set_owner_credentials(db_path: Path, python: str, username: str, password: str, api_key: str) -> None:
    """Set the owner's password (bcrypt, as argilla_server hashes it) and API key in the database."""
    hashed = _run_cli(
        python,
        ["-c", "import sys, bcrypt; print(bcrypt.hashpw(sys.stdin.read().encode(), bcrypt.gensalt()).decode())"],
        dict(os.environ),
        "hashing the password",
        stdin=password,
    ).strip()
    with sqlite3.connect(str(db_path)) as conn:
        changed = conn.execute(
            "UPDATE users SET password_hash = ?, api_key = ? WHERE username = ?", (hashed, api_key, username)
        ).rowcount
    if changed != 1:
        raise ServeError(f"User {username!r} is not in {db_path}: the password was not changed")


def prepare_home(
    home: Path, python: str, api_key: Optional[str] = None, password: Optional[str] = None
) -> Tuple[Credentials, List[str]]:
    """Create the home (private), migrate the database, and make sure the owner has the credentials of
    credentials.json: generated on first start, or the given ones (which then replace the old ones, in the
    database too). A home made before credentials were generated gets new ones: the well-known defaults stop
    working. Returns the credentials and what changed."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    make_private(home)
    if password is not None and len(password) < 8:
        raise ServeError("--password must have at least 8 characters (Argilla's rule)")
    env = server_env(home)
    db = home / "argilla.db"
    _run_cli(python, ["-m", "argilla_server", "database", "migrate"], env, "database migrate")
    stored = read_credentials(home)
    owner = _owner(db)
    creds = Credentials(
        username=owner or DEFAULT_USERNAME,
        password=password or (stored.password if stored else secrets.token_urlsafe(18)),
        api_key=api_key or (stored.api_key if stored else f"argilla.{secrets.token_urlsafe(32)}"),
    )
    changes = []
    if owner is None:
        args = ["database", "users", "create_default", "--api-key", creds.api_key, "--password", creds.password]
        # the password goes on the command line of a child process only: never into a log or project.lock
        _run_cli(python, ["-m", "argilla_server", *args, "--quiet"], env, "users create_default")
        changes.append(
            "created the owner with generated credentials" if not (password or api_key) else "created the owner"
        )
    elif stored != creds:
        set_owner_credentials(db, python, creds.username, creds.password, creds.api_key)
        if stored is None:
            changes.append("replaced the well-known default credentials of this older home with generated ones")
        else:
            changes += [
                f"changed the {what}"
                for what, new, old in (
                    ("password", creds.password, stored.password),
                    ("API key", creds.api_key, stored.api_key),
                )
                if new != old
            ]
    write_credentials(home, creds)
    make_private(home)
    return creds, changes


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
    # the log is private too: it may show record texts
    out = (
        os.fdopen(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        if log_path
        else subprocess.DEVNULL
    )
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
            env=server_env(home, port=port),
            umask=PRIVATE,
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
