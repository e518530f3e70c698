"""A local Argilla 2.x server with one command, on 127.0.0.1 only, without Elasticsearch, Redis or Docker.

The official ``argilla-server`` package runs unmodified with SQLite, an in-process search engine and
an in-memory Redis, in its own venv (``.venv-argilla-server``: it needs an older ``click`` than the
project has).

- `launcher`: the project side: install the server venv, prepare its private home and credentials, start, stop
- `__main__`: `python -m scripts.argilla_server [install]`, the `argilla-serve` step
- `server`: the server process (runs in the server venv): patches, the engine, uvicorn
- `engine`: the in-process search engine, registered with argilla_server as "inprocess"
- `search`: the engine's matching, sorting and similarity as pure functions (tested without a server)
(its patches of argilla-server, fakeredis for Redis and the dataset job run in-process, are in `scripts.patches`)

This package imports nothing of the project (the server venv has only argilla-server): these
constants are all that `scripts.review` reads from it.
"""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_USERNAME = "argilla"  # the owner; its password and API key are generated on first start
ENGINE_NAME = "inprocess"
