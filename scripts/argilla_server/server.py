"""The local Argilla server process: patches, the in-process engine, the official app on uvicorn.

Runs inside the server venv (``.venv-argilla-server``), which has ``argilla-server`` but not the
project's packages; `launcher.start_server` runs ``python -m scripts.argilla_server.server`` there
with the project root on PYTHONPATH and ``ARGILLA_HOME_PATH``, ``ARGILLA_DATABASE_URL`` and friends
set (`launcher.server_env`).
"""

import argparse
import os
from typing import Any, List, Optional

from .. import patches
from . import DEFAULT_HOST, ENGINE_NAME


def prepare_server() -> Any:
    """Patch Redis and jobs, register the engine and return the ASGI app."""
    os.environ.setdefault("ARGILLA_SEARCH_ENGINE", ENGINE_NAME)
    os.environ.setdefault("ARGILLA_ENABLE_TELEMETRY", "0")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    patches.patch_redis()  # before anything imports argilla_server.jobs.queues (it connects on import)
    from . import engine

    engine.register()
    patches.patch_jobs()
    patches.cache_type_adapters()
    import argilla_server

    return argilla_server.app


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="Run the Argilla server with the in-process search engine.")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=6900)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    import uvicorn

    app = prepare_server()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
