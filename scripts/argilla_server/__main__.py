"""`python -m scripts.argilla_server [install]`: serve Argilla on 127.0.0.1 until Ctrl-C, or install its venv.

    python -m scripts.argilla_server install      # once: create the server venv
    python -m scripts.argilla_server              # serve on http://127.0.0.1:6900
    python -m scripts.argilla_server credentials  # the login and API key, generated on first start

With a real deployment, skip this and set ``ARGILLA_API_URL`` / ``ARGILLA_API_KEY`` for
``python -m scripts.review``.
"""

import signal
from pathlib import Path
from typing import Annotated, Optional

import typer
from wasabi import msg

from ..project import var
from . import DEFAULT_HOST
from .launcher import (
    DEFAULT_HOME,
    DEFAULT_VENV,
    ServeError,
    credentials_path,
    find_server_python,
    install,
    port_free,
    prepare_home,
    read_credentials,
    start_server,
    stop_server,
    wait_ready,
)

Opt = typer.Option
app = typer.Typer(add_completion=False, invoke_without_command=True, help=__doc__.split("\n\n")[0])


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@app.callback()
def serve(
    ctx: typer.Context,
    port: Annotated[int, Opt("--port", "-p", help=f"Port on {DEFAULT_HOST}")] = var("argilla_port"),
    home: Annotated[Path, Opt("--home", help="Folder for the SQLite database and server files")] = DEFAULT_HOME,
    api_key: Annotated[
        Optional[str], Opt("--api-key", help="Set the owner's API key (default: generated on first start, then kept)")
    ] = None,
    password: Annotated[
        Optional[str], Opt("--password", help="Set the owner's password (default: generated on first start, then kept)")
    ] = None,
    server_python: Annotated[Optional[str], Opt("--server-python", help="Python with argilla-server installed")] = None,
):
    """Serve Argilla on http://127.0.0.1:PORT until Ctrl-C."""
    if ctx.invoked_subcommand is not None:
        return
    url = f"http://{DEFAULT_HOST}:{port}"
    # The server runs in its own session (so Ctrl-C reaches only us): turn
    # Ctrl-C, SIGTERM and SIGHUP into a clean stop of the server process.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    proc = None
    try:
        python = find_server_python(server_python)
        if not port_free(port):
            raise ServeError(
                f"Port {port} on {DEFAULT_HOST} is in use: is the server already running? Else pass --port"
            )
        msg.text(f"Preparing {home}/ (database migrations, owner user)")
        creds, changes = prepare_home(home, python, api_key=api_key, password=password)
        for change in changes:
            msg.info(f"{home}: {change}")
        proc = start_server(home, port, python, log_path=Path(home) / "server.log")
        wait_ready(url, creds.api_key, proc)
        msg.good(f"Argilla is running at {url} (this machine only)")
        # the secrets stay in the file: this output may end up in a log
        msg.text(
            f"Log in as '{creds.username}': the password and API key are in {credentials_path(home)} "
            f"(readable by you only); `python -m scripts.argilla_server credentials` shows them. "
            "The review commands read the key from there."
        )
        msg.text(f"Server log: {Path(home) / 'server.log'} · Ctrl-C stops it")
        code = proc.wait()
    except ServeError as exc:
        if proc is not None:
            stop_server(proc)
        msg.fail(str(exc), exits=1)
    except KeyboardInterrupt:
        if proc is not None:
            stop_server(proc)
        msg.info("Stopped")
        return
    if code != 0:
        msg.fail(f"The Argilla server exited with code {code}; see {Path(home) / 'server.log'}", exits=1)


@app.command("credentials")
def credentials_cli(
    home: Annotated[Path, Opt("--home", help="Home of the local server")] = DEFAULT_HOME,
    export: Annotated[
        bool, Opt("--export", help="Print `export ARGILLA_API_URL=... ARGILLA_API_KEY=...` lines")
    ] = False,
    port: Annotated[int, Opt("--port", "-p", help="Port, for --export")] = var("argilla_port"),
):
    """Show the local server's login (username, password) and API key: what to type in the browser."""
    creds = read_credentials(home)
    if creds is None:
        msg.fail(f"No {credentials_path(home)}: start the server once (spacy project run argilla-serve)", exits=1)
    if export:
        print(f"export ARGILLA_API_URL=http://{DEFAULT_HOST}:{port}\nexport ARGILLA_API_KEY={creds.api_key}")
        return
    print(f"username: {creds.username}\npassword: {creds.password}\napi key:  {creds.api_key}")


@app.command("install")
def install_cli(venv: Annotated[Path, Opt("--venv", help="Folder of the server venv")] = DEFAULT_VENV):
    """Create the server venv and install the `#server:` pins of requirements-argilla.txt."""
    if install(venv, say=msg.text) != 0:
        msg.fail(f"pip install into {venv} failed", exits=1)
    msg.good(f"argilla-server installed in {venv}")


if __name__ == "__main__":
    app()
