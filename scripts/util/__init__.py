"""Utilities every layer uses, named for what they are; they import nothing of the project.

- `errors`: errors a user can fix (one line, exit 1), the checks of settings and labels, `run` for CLIs
- `files`: atomic writes (text, JSON, folders) and markdown tables
- `timing`: seconds per phase of a step, summed over its worker processes
- `parallel`: where shards are processed (this process, a fork pool, a Dask cluster)
"""
