"""The Argilla client: which server, one connection, and SDK errors turned into one line of advice.

The server is the local one (`spacy project run argilla-serve`, `python -m scripts.argilla_server`)
or any Argilla 2.x deployment given by ``ARGILLA_API_URL`` and ``ARGILLA_API_KEY``.
"""

import contextlib
import os
import warnings
from typing import Iterator, Optional, Tuple

from ..argilla_server import DEFAULT_API_KEY, DEFAULT_HOST
from ..project import var
from .records import ReviewError

DEFAULT_API_URL = f"http://{DEFAULT_HOST}:{var('argilla_port')}"
DEFAULT_WORKSPACE = "argilla"
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


def resolve_api(api_url: Optional[str] = None, api_key: Optional[str] = None) -> Tuple[str, str]:
    url = api_url or os.environ.get("ARGILLA_API_URL") or DEFAULT_API_URL
    key = api_key or os.environ.get("ARGILLA_API_KEY") or DEFAULT_API_KEY
    return url.rstrip("/"), key


@contextlib.contextmanager
def server_errors(api_url: str) -> Iterator[None]:
    """Turn SDK and connection errors into ReviewError with one line of advice."""
    argilla_sdk()
    from argilla._exceptions import ArgillaCredentialsError, ArgillaError

    try:
        yield
    except ReviewError:
        raise
    except ArgillaCredentialsError as exc:
        raise ReviewError(
            f"Argilla at {api_url} rejected the API key: set ARGILLA_API_KEY "
            f"(the local server's default is {DEFAULT_API_KEY})"
        ) from exc
    except Exception as exc:
        if is_connection_error(exc):
            raise ReviewError(f"No Argilla server at {api_url}: {START_HINT}") from exc
        name = type(exc).__name__
        if name == "UnauthorizedError":
            raise ReviewError(
                f"Argilla at {api_url} rejected the API key: set ARGILLA_API_KEY "
                f"(the local server's default is {DEFAULT_API_KEY})"
            ) from exc
        if name == "ForbiddenError":
            raise ReviewError(
                f"The ARGILLA_API_KEY user may not do this on {api_url}: use an owner or admin key"
            ) from exc
        if isinstance(exc, ArgillaError):
            detail = " ".join(str(exc).split())
            raise ReviewError(f"Argilla at {api_url} refused the request ({detail[:300]})") from exc
        raise


def connect(api_url: Optional[str] = None, api_key: Optional[str] = None, retries: int = 1):
    url, key = resolve_api(api_url, api_key)
    rg = argilla_sdk()
    with server_errors(url):
        client = rg.Argilla(api_url=url, api_key=key, retries=retries)
        _ = client.me  # fails fast on a wrong key
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


@contextlib.contextmanager
def quiet_sdk_progress():
    """The SDK draws a bar per log() call; we draw one for the whole push."""
    import argilla.records._dataset_records as mod

    original = mod.tqdm
    mod.tqdm = lambda iterable=None, **kwargs: iterable
    try:
        yield
    finally:
        mod.tqdm = original
