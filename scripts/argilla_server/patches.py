"""What the unmodified argilla-server needs to run without Redis and a job worker (server venv only)."""

import asyncio
import functools

_BACKGROUND_TASKS: set = set()


def patch_redis() -> None:
    """Make ``redis.from_url`` return one shared in-memory fakeredis server.

    Must run before ``argilla_server.jobs.queues`` is imported (it connects at import time). The
    server only pings Redis and enqueues jobs; with `patch_jobs` the one dataset job never reaches
    the queue anyway.
    """
    import fakeredis
    import redis

    server = fakeredis.FakeServer()

    def from_url(url, *args, **kwargs):
        return fakeredis.FakeRedis(server=server)

    redis.from_url = from_url
    redis.Redis.from_url = staticmethod(from_url)


def patch_jobs() -> None:
    """Run ``update_dataset_records_status_job`` in-process instead of via rq.

    An rq worker would run in another process, with its own (empty) copy of the in-memory index,
    so the job is scheduled as an asyncio task in the server's event loop.
    """
    from argilla_server.jobs import dataset_jobs

    job_fn = dataset_jobs.update_dataset_records_status_job

    def delay(*args, **kwargs):
        task = asyncio.get_running_loop().create_task(job_fn(*args, **kwargs))
        _BACKGROUND_TASKS.add(task)
        task.add_done_callback(_BACKGROUND_TASKS.discard)
        return None

    job_fn.delay = delay


def cache_type_adapters() -> None:
    """Build each pydantic TypeAdapter once instead of per call.

    ``Question.parsed_settings`` and ``MetadataProperty.parsed_settings`` make a new
    ``TypeAdapter`` (~2 ms) on every call, i.e. several times per logged record; caching them by
    type is a pure speed-up (it halves the server time of a bulk log).
    """
    from argilla_server.models import database

    original = database.TypeAdapter

    @functools.lru_cache(maxsize=None)
    def cached(tp):
        return original(tp)

    def type_adapter(tp, *args, **kwargs):
        if args or kwargs:
            return original(tp, *args, **kwargs)
        try:
            return cached(tp)
        except TypeError:  # unhashable type
            return original(tp)

    database.TypeAdapter = type_adapter
