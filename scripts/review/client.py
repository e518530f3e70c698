"""The Argilla client: which server, one connection, and SDK errors turned into one line of advice.

The server is the local one (`spacy project run argilla-serve`, `python -m scripts.argilla_server`)
or any Argilla 2.x deployment given by ``ARGILLA_API_URL`` and ``ARGILLA_API_KEY``.
"""

import contextlib
import os
import warnings
from typing import Iterator, Optional, Tuple

from ..argilla_server import DEFAULT_HOST
from ..argilla_server.launcher import CREDENTIALS, DEFAULT_HOME, read_credentials
from ..patches import argilla_sdk_errors
from .records import ReviewError

DEFAULT_WORKSPACE = "argilla"
URL_HINT = f"set ARGILLA_API_URL to the server's base URL (e.g. http://{DEFAULT_HOST}:6900, no path)"
KEY_HINT = "the local server's: python -m scripts.argilla_server credentials --export"
START_HINT = "start it with `spacy project run argilla-serve` (python -m scripts.argilla_server) or set ARGILLA_API_URL"


def argilla_sdk():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import argilla as rg
    return rg


def is_connection_error(exc: BaseException) -> bool:
    import httpx

    while exc is not None:
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, ConnectionError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def local_api_url(port: int) -> str:
    """The URL of the local server (`python -m scripts.argilla_server --port PORT`)."""
    return f"http://{DEFAULT_HOST}:{port}"


def resolve_api(api_url: Optional[str] = None, api_key: Optional[str] = None) -> Tuple[str, str]:
    """The server and key: given, else $ARGILLA_API_URL / $ARGILLA_API_KEY; the key else the local server's
    (from .argilla/credentials.json, written on its first start), "" if it is nowhere to be found. The CLI
    gives the local server's URL (`local_api_url` of the var argilla_port) when none is set."""
    url = (api_url or os.environ.get("ARGILLA_API_URL") or "").rstrip("/")
    if not url:
        raise ReviewError(f"No Argilla server given: {URL_HINT}, or start the local one and pass its URL")
    key = api_key or os.environ.get("ARGILLA_API_KEY")
    if not key:
        creds = read_credentials(DEFAULT_HOME)
        key = creds.api_key if creds else ""
    return url, key


def missing_key(url: str) -> ReviewError:
    return ReviewError(
        f"No API key for {url}: set ARGILLA_API_KEY, or start the local server once "
        f"(spacy project run argilla-serve), which keeps its key in {DEFAULT_HOME / CREDENTIALS}"
    )


@contextlib.contextmanager
def server_errors(api_url: str) -> Iterator[None]:
    """Turn SDK and connection errors into ReviewError with one line of advice."""
    argilla_sdk()
    ArgillaCredentialsError, ArgillaError = argilla_sdk_errors()

    try:
        yield
    except ReviewError:
        raise
    except ArgillaCredentialsError as exc:
        raise ReviewError(f"Argilla at {api_url} rejected the API key: set ARGILLA_API_KEY ({KEY_HINT})") from exc
    except Exception as exc:
        if is_connection_error(exc):
            raise ReviewError(f"No Argilla server at {api_url}: {START_HINT}") from exc
        name = type(exc).__name__
        if name == "UnauthorizedError":
            raise ReviewError(f"Argilla at {api_url} rejected the API key: set ARGILLA_API_KEY ({KEY_HINT})") from exc
        if name == "ForbiddenError":
            raise ReviewError(
                f"The ARGILLA_API_KEY user may not do this on {api_url}: use an owner or admin key"
            ) from exc
        if isinstance(exc, ValueError) and "JSON" in type(exc).__name__ + str(exc):  # e.g. an HTML page
            raise ReviewError(f"{api_url} answered, but not as the Argilla API: {URL_HINT}") from exc
        if name == "HTTPStatusError":
            response = exc.response  # type: ignore[attr-defined]
            raise ReviewError(
                f"Argilla at {api_url} refused {response.request.method} {response.request.url.path} "
                f"({response.status_code}: {' '.join(response.text.split())[:200]})"
            ) from exc
        if isinstance(exc, ArgillaError):
            detail = " ".join(str(exc).split())
            raise ReviewError(f"Argilla at {api_url} refused the request ({detail[:300]})") from exc
        raise


def connect(api_url: Optional[str] = None, api_key: Optional[str] = None, retries: int = 1):
    url, key = resolve_api(api_url, api_key)
    if not key:
        raise missing_key(url)
    rg = argilla_sdk()
    with server_errors(url):
        try:
            client = rg.Argilla(api_url=url, api_key=key, retries=retries)
            _ = client.me  # fails fast on a wrong key or URL
        except Exception as exc:
            if type(exc).__name__ == "NotFoundError":  # the URL has a path: /api/v1/me is not there
                raise ReviewError(f"{url} answered, but not as the Argilla API: {URL_HINT}") from exc
            raise
    return client


def get_workspace(client, workspace: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = client.workspaces(workspace)
    if ws is None:
        names = ", ".join(w.name for w in client.workspaces) or "none"
        raise ReviewError(
            f"Workspace '{workspace}' not found on {client.api_url} (have: {names}): pass --workspace NAME"
        )
    return ws


def get_dataset(client, name: str, workspace: str):
    ws = get_workspace(client, workspace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return client.datasets(name=name, workspace=ws)
