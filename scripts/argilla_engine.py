"""In-process search engine and launcher for a local Argilla 2.x server.

Argilla's server keeps its records in SQL and asks a search engine
(Elasticsearch or OpenSearch) for every listing, filter, sort and progress
count. Neither can be installed here, so this module registers a small
in-memory engine under the name "inprocess" and starts the official,
unmodified ``argilla_server`` app with it, SQLite as the database,
``fakeredis`` in place of Redis and the one background job the server queues
(``update_dataset_records_status_job``) run as an asyncio task in the server
process.

The index lives in the server process. It is rebuilt from the SQLite database
when the server starts, so a restarted server shows the same records.

This file runs inside the *server* venv (``.venv-argilla-server``), which has
``argilla-server`` but not the project's own packages: it only imports the
standard library and what ``argilla-server`` depends on. Start it through
``python -m scripts.argilla_serve``; running it directly works too::

    .venv-argilla-server/bin/python scripts/argilla_engine.py --port 6900

with ``ARGILLA_HOME_PATH``, ``ARGILLA_DATABASE_URL`` and friends set (see
``server_env`` in ``scripts/argilla_serve.py``).
"""
import argparse
import asyncio
import logging
import math
import os
import re
from typing import Any, Dict, Iterable, List, Optional, Union
from uuid import UUID

ENGINE_NAME = "inprocess"

_LOGGER = logging.getLogger("argilla.inprocess")


def _patch_redis() -> None:
    """Make ``redis.from_url`` return one shared in-memory fakeredis server.

    Must run before ``argilla_server.jobs.queues`` is imported (it connects at
    import time). The server only pings Redis and enqueues jobs; with the patch
    below the one dataset job never reaches the queue anyway.
    """
    import fakeredis
    import redis

    server = fakeredis.FakeServer()

    def from_url(url, *args, **kwargs):
        return fakeredis.FakeRedis(server=server)

    redis.from_url = from_url
    redis.Redis.from_url = staticmethod(from_url)


_BACKGROUND_TASKS = set()


def _patch_jobs() -> None:
    """Run ``update_dataset_records_status_job`` in-process instead of via rq.

    An rq worker would run in another process, with its own (empty) copy of
    the in-memory index, so the job is scheduled as an asyncio task in the
    server's event loop.
    """
    from argilla_server.jobs import dataset_jobs

    job_fn = dataset_jobs.update_dataset_records_status_job

    def delay(*args, **kwargs):
        task = asyncio.get_running_loop().create_task(job_fn(*args, **kwargs))
        _BACKGROUND_TASKS.add(task)
        task.add_done_callback(_BACKGROUND_TASKS.discard)
        return None

    job_fn.delay = delay


def _cache_type_adapters() -> None:
    """Build each pydantic TypeAdapter once instead of per call.

    ``Question.parsed_settings`` and ``MetadataProperty.parsed_settings`` make
    a new ``TypeAdapter`` (~2 ms) on every call, i.e. several times per logged
    record; caching them by type is a pure speed-up (it halves the server time
    of a bulk log).
    """
    import functools

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


def _register_engine():
    """Define the engine class and register it with argilla_server.

    Defined inside a function so that importing this module (e.g. to read
    ENGINE_NAME) does not need argilla_server.
    """
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from argilla_server.enums import (
        DatasetStatus,
        MetadataPropertyType,
        ResponseStatusFilter,
        SimilarityOrder,
        SortOrder,
    )
    from argilla_server.models import (
        Dataset,
        MetadataProperty,
        Record,
        Response,
        Suggestion,
        User,
        VectorSettings,
    )
    from argilla_server.search_engine.base import (
        AndFilter,
        FloatMetadataMetrics,
        IntegerMetadataMetrics,
        MetadataFilterScope,
        Order,
        RangeFilter,
        RecordFilterScope,
        ResponseFilterScope,
        SearchEngine,
        SearchResponseItem,
        SearchResponses,
        SuggestionFilterScope,
        TermsFilter,
        TermsMetrics,
        TextQuery,
    )

    def loaded(obj, attr):
        """An attribute's value if SQLAlchemy already loaded it, else None
        (a lazy load in async code raises MissingGreenlet)."""
        if obj is None:
            return None
        try:
            if attr in sa_inspect(obj).unloaded:
                return None
        except Exception:  # not a mapped instance
            pass
        return getattr(obj, attr, None)

    def as_list(value) -> list:
        if value is None:
            return []
        if isinstance(value, (list, tuple)):
            return list(value)
        return [value]

    def plain(value):
        """Enum members and UUIDs as plain strings, for comparisons."""
        if isinstance(value, UUID):
            return str(value)
        if hasattr(value, "value") and not isinstance(value, (int, float, str)):
            return value.value
        return value

    _WORD = re.compile(r"\w+", re.UNICODE)

    class InProcessSearchEngine(SearchEngine):
        """Keeps one dict per dataset: record id -> document (like the ES source)."""

        # Shared by all instances: the server creates one instance per request.
        indexes: Dict[str, Dict[str, dict]] = {}
        record_dataset: Dict[str, str] = {}
        questions: Dict[str, str] = {}  # question id -> name
        _loaded_from_db = False
        _load_lock: Optional[asyncio.Lock] = None

        @classmethod
        async def new_instance(cls) -> "InProcessSearchEngine":
            engine = cls()
            if not cls._loaded_from_db:
                if cls._load_lock is None:
                    cls._load_lock = asyncio.Lock()
                async with cls._load_lock:
                    if not cls._loaded_from_db:
                        await engine._load_from_database()
                        cls._loaded_from_db = True
            return engine

        async def close(self):
            pass

        async def ping(self) -> bool:
            return True

        async def info(self) -> dict:
            return {"engine": ENGINE_NAME, "indexes": len(self.indexes)}

        # -- rebuild ---------------------------------------------------------
        async def _load_from_database(self) -> None:
            from argilla_server.database import AsyncSessionLocal

            n_records = 0
            async with AsyncSessionLocal() as db:
                datasets = (
                    await db.execute(
                        select(Dataset)
                        .where(Dataset.status == DatasetStatus.ready)
                        .options(
                            selectinload(Dataset.questions),
                            selectinload(Dataset.metadata_properties),
                        )
                    )
                ).scalars().all()
                for dataset in datasets:
                    self.indexes[str(dataset.id)] = {}
                    for question in dataset.questions:
                        self.questions[str(question.id)] = question.name
                    stream = await db.stream(
                        select(Record)
                        .where(Record.dataset_id == dataset.id)
                        .order_by(Record.inserted_at.asc())
                        .options(
                            selectinload(Record.responses),
                            selectinload(Record.suggestions),
                            selectinload(Record.vectors),
                        )
                        .execution_options(yield_per=500)
                    )
                    async for record in stream.scalars():
                        self._put(str(dataset.id), record)
                        n_records += 1
            if n_records:
                _LOGGER.info("in-process index rebuilt: %d records", n_records)

        # -- index management ------------------------------------------------
        def _index(self, dataset_id) -> Dict[str, dict]:
            return self.indexes.setdefault(str(dataset_id), {})

        def _doc(self, record_id) -> Optional[dict]:
            dataset_id = self.record_dataset.get(str(record_id))
            if dataset_id is None:
                return None
            return self.indexes.get(dataset_id, {}).get(str(record_id))

        def _remember_questions(self, dataset) -> None:
            for question in loaded(dataset, "questions") or []:
                self.questions[str(question.id)] = question.name

        async def create_index(self, dataset: Dataset):
            self._index(dataset.id)
            self._remember_questions(dataset)

        async def delete_index(self, dataset: Dataset):
            index = self.indexes.pop(str(dataset.id), {})
            for record_id in index:
                self.record_dataset.pop(record_id, None)

        async def configure_metadata_property(self, dataset: Dataset, metadata_property: MetadataProperty):
            self._index(dataset.id)

        async def configure_index_vectors(self, vector_settings: VectorSettings):
            pass

        def _question_name(self, suggestion) -> Optional[str]:
            question = loaded(suggestion, "question")
            if question is not None:
                self.questions[str(question.id)] = question.name
                return question.name
            return self.questions.get(str(suggestion.question_id))

        def _map_suggestion(self, suggestion) -> dict:
            return {
                "type": plain(suggestion.type),
                "agent": suggestion.agent,
                "score": suggestion.score,
                "value": suggestion.value,
            }

        @staticmethod
        def _map_response(response) -> dict:
            values = response.values or {}
            return {
                "id": str(response.id),
                "status": plain(response.status),
                "user_id": str(response.user_id),
                "values": {q: (v or {}).get("value") for q, v in values.items()},
            }

        def _put(self, dataset_id: str, record) -> None:
            dataset = loaded(record, "dataset")
            if dataset is not None:
                self._remember_questions(dataset)
            doc = {
                "id": str(record.id),
                "external_id": record.external_id,
                "fields": dict(record.fields or {}),
                "status": plain(record.status),
                "inserted_at": record.inserted_at,
                "updated_at": record.updated_at,
                "metadata": dict(record.metadata_ or {}),
                "responses": [self._map_response(r) for r in (loaded(record, "responses") or [])],
                "suggestions": {},
                "vectors": {},
            }
            for suggestion in loaded(record, "suggestions") or []:
                name = self._question_name(suggestion)
                if name is not None:
                    doc["suggestions"][name] = self._map_suggestion(suggestion)
            for vector in loaded(record, "vectors") or []:
                doc["vectors"][str(vector.vector_settings_id)] = list(vector.value or [])
            index = self._index(dataset_id)
            old = index.get(doc["id"])
            if old is not None:
                # A record update that did not load responses keeps the old ones.
                if loaded(record, "responses") is None:
                    doc["responses"] = old["responses"]
                if loaded(record, "vectors") is None:
                    doc["vectors"] = old["vectors"]
            index[doc["id"]] = doc
            self.record_dataset[doc["id"]] = dataset_id

        async def index_records(self, dataset: Dataset, records: Iterable[Record]):
            self._remember_questions(dataset)
            for record in records:
                self._put(str(dataset.id), record)

        async def partial_record_update(self, record: Record, **update):
            doc = self._doc(record.id)
            if doc is None:
                return
            for key, value in update.items():
                doc[key] = plain(value)

        async def delete_records(self, dataset: Dataset, records: Iterable[Record]):
            index = self._index(dataset.id)
            for record in records:
                index.pop(str(record.id), None)
                self.record_dataset.pop(str(record.id), None)

        async def update_record_response(self, response: Response):
            doc = self._doc(response.record_id)
            if doc is None:
                return
            mapped = self._map_response(response)
            doc["responses"] = [r for r in doc["responses"] if r["id"] != mapped["id"]] + [mapped]

        async def delete_record_response(self, response: Response):
            doc = self._doc(response.record_id)
            if doc is not None:
                doc["responses"] = [r for r in doc["responses"] if r["id"] != str(response.id)]

        async def update_record_suggestion(self, suggestion: Suggestion):
            doc = self._doc(suggestion.record_id)
            name = self._question_name(suggestion)
            if doc is not None and name is not None:
                doc["suggestions"][name] = self._map_suggestion(suggestion)

        async def delete_record_suggestion(self, suggestion: Suggestion):
            doc = self._doc(suggestion.record_id)
            name = self._question_name(suggestion)
            if doc is not None and name is not None:
                doc["suggestions"].pop(name, None)

        # -- progress and metrics --------------------------------------------
        async def get_dataset_progress(self, dataset: Dataset) -> dict:
            if dataset.is_draft:
                return {}
            counts: Dict[str, int] = {}
            for doc in self._index(dataset.id).values():
                counts[doc["status"]] = counts.get(doc["status"], 0) + 1
            return {"total": sum(counts.values()), **counts}

        async def get_dataset_user_progress(self, dataset: Dataset, user: User) -> dict:
            if dataset.is_draft:
                return {}
            user_id = str(user.id)
            counts: Dict[str, int] = {}
            for doc in self._index(dataset.id).values():
                for response in doc["responses"]:
                    if response["user_id"] == user_id:
                        counts[response["status"]] = counts.get(response["status"], 0) + 1
            return {"total": sum(counts.values()), **counts}

        async def compute_metrics_for(self, metadata_property: MetadataProperty):
            docs = self._index(metadata_property.dataset_id).values()
            name = metadata_property.name
            values = [doc["metadata"].get(name) for doc in docs]
            values = [v for v in values if v is not None]
            if metadata_property.type == MetadataPropertyType.terms:
                counts: Dict[str, int] = {}
                total = 0
                for value in values:
                    terms = [str(t) for t in as_list(value)]
                    total += len(terms)
                    for term in set(terms):
                        counts[term] = counts.get(term, 0) + 1
                ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                return TermsMetrics(
                    total=total, values=[TermsMetrics.TermCount(term=t, count=c) for t, c in ordered]
                )
            numbers = [n for v in values for n in as_list(v) if isinstance(n, (int, float))]
            cls = IntegerMetadataMetrics if metadata_property.type == MetadataPropertyType.integer else FloatMetadataMetrics
            if not numbers:
                return cls(min=None, max=None)
            return cls(min=min(numbers), max=max(numbers))

        # -- search ----------------------------------------------------------
        @staticmethod
        def _text_match(doc: dict, query: Optional[Union[TextQuery, str]]) -> bool:
            if query is None:
                return True
            if isinstance(query, str):
                query = TextQuery(q=query)
            words = [w.lower() for w in _WORD.findall(query.q)]
            if not words:
                return True
            if query.field:
                texts = [doc["fields"].get(query.field)]
            else:
                texts = list(doc["fields"].values())
            haystack = set()
            for text in texts:
                if text is None:
                    continue
                if not isinstance(text, str):
                    text = str(text)
                haystack.update(w.lower() for w in _WORD.findall(text))
            return all(w in haystack for w in words)

        @staticmethod
        def _scope_values(doc: dict, scope) -> list:
            if isinstance(scope, MetadataFilterScope):
                return as_list(doc["metadata"].get(scope.metadata_property))
            if isinstance(scope, SuggestionFilterScope):
                suggestion = doc["suggestions"].get(scope.question)
                if suggestion is None:
                    return []
                return as_list(suggestion.get(scope.property))
            if isinstance(scope, RecordFilterScope):
                return as_list(doc.get(scope.property))
            raise ValueError(f"Cannot process request for search scope {scope}")

        @staticmethod
        def _value_matches(filter_, values: list) -> bool:
            if isinstance(filter_, TermsFilter):
                wanted = {str(plain(v)) for v in filter_.values}
                return any(str(plain(v)) in wanted for v in values)
            if isinstance(filter_, RangeFilter):
                for v in values:
                    if isinstance(v, bool) or not isinstance(v, (int, float)):
                        continue
                    if filter_.ge is not None and v < filter_.ge:
                        continue
                    if filter_.le is not None and v > filter_.le:
                        continue
                    return True
                return False
            raise ValueError(f"Cannot process filter {filter_}")

        def _response_match(self, doc: dict, filter_) -> bool:
            scope = filter_.scope
            user_id = str(scope.user.id) if scope.user is not None else None
            responses = doc["responses"]
            if user_id is not None:
                responses = [r for r in responses if r["user_id"] == user_id]
            if scope.question:
                return any(
                    self._value_matches(filter_, as_list(r["values"].get(scope.question))) for r in responses
                )
            if scope.property == "status" and isinstance(filter_, TermsFilter):
                statuses = {str(plain(v)) for v in filter_.values}
                if ResponseStatusFilter.pending.value in statuses and not responses:
                    return True
                return any(r["status"] in statuses for r in responses)
            raise ValueError(f"Cannot process filter scope {scope}")

        def _match(self, doc: dict, filter_) -> bool:
            if filter_ is None:
                return True
            if isinstance(filter_, AndFilter):
                return all(self._match(doc, f) for f in filter_.filters)
            if isinstance(filter_.scope, ResponseFilterScope):
                return self._response_match(doc, filter_)
            return self._value_matches(filter_, self._scope_values(doc, filter_.scope))

        def _sort_value(self, doc: dict, order: Order):
            scope = order.scope
            if isinstance(scope, ResponseFilterScope):
                responses = doc["responses"]
                if scope.user is not None:
                    responses = [r for r in responses if r["user_id"] == str(scope.user.id)]
                key = scope.question or scope.property
                values = [
                    v
                    for r in responses
                    for v in as_list(r["values"].get(key) if scope.question else r.get(key))
                ]
            else:
                values = self._scope_values(doc, scope)
            values = [plain(v) for v in values if v is not None]
            if not values:
                return None
            numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
            if numbers:
                return sum(numbers) / len(numbers)
            return min(values) if order.order == SortOrder.asc else max(values)

        def _sorted(self, docs: List[dict], sort: Optional[List[Order]]) -> List[dict]:
            # Stable sorts applied from the last key to the first; missing values last.
            for order in reversed(sort or []):
                present = [(self._sort_value(d, order), d) for d in docs]
                with_value = [p for p in present if p[0] is not None]
                without = [p[1] for p in present if p[0] is None]
                try:
                    with_value.sort(key=lambda p: p[0], reverse=order.order == SortOrder.desc)
                except TypeError:
                    with_value.sort(key=lambda p: str(p[0]), reverse=order.order == SortOrder.desc)
                docs = [p[1] for p in with_value] + without
            return docs

        async def search(
            self,
            dataset: Dataset,
            query: Optional[Union[TextQuery, str]] = None,
            filter=None,
            sort: Optional[List[Order]] = None,
            offset: int = 0,
            limit: int = 100,
            user_id: Optional[str] = None,
        ) -> SearchResponses:
            docs = [
                d
                for d in self._index(dataset.id).values()
                if self._text_match(d, query) and self._match(d, filter)
            ]
            docs = self._sorted(docs, sort)
            page = docs[offset : offset + limit]
            score = 1.0 if query is not None else None
            return SearchResponses(
                items=[SearchResponseItem(record_id=UUID(d["id"]), score=score) for d in page],
                total=len(docs),
            )

        async def similarity_search(
            self,
            dataset: Dataset,
            vector_settings: VectorSettings,
            value: Optional[List[float]] = None,
            record: Optional[Record] = None,
            query: Optional[Union[TextQuery, str]] = None,
            filter=None,
            max_results: int = 100,
            order: SimilarityOrder = SimilarityOrder.most_similar,
            threshold: Optional[float] = None,
        ) -> SearchResponses:
            if bool(value) == bool(record):
                raise ValueError("Must provide either vector value or record to compute the similarity search")
            key = str(vector_settings.id)
            excluded = None
            if not value:
                excluded = str(record.id)
                doc = self._doc(record.id)
                value = (doc or {}).get("vectors", {}).get(key)
            if not value:
                raise ValueError("Cannot find a vector value to apply with provided info")

            def cosine(a, b):
                dot = sum(x * y for x, y in zip(a, b))
                na = math.sqrt(sum(x * x for x in a))
                nb = math.sqrt(sum(y * y for y in b))
                return dot / (na * nb) if na and nb else 0.0

            scored = []
            for doc in self._index(dataset.id).values():
                vec = doc["vectors"].get(key)
                if vec is None or doc["id"] == excluded:
                    continue
                if not (self._text_match(doc, query) and self._match(doc, filter)):
                    continue
                sim = cosine(value, vec)
                if order == SimilarityOrder.least_similar:
                    sim = -sim
                scored.append(((1.0 + sim) / 2.0, doc))
            scored.sort(key=lambda p: p[0], reverse=True)
            scored = scored[:max_results]
            if threshold is not None:
                scored = [p for p in scored if p[0] >= threshold]
            return SearchResponses(
                items=[SearchResponseItem(record_id=UUID(d["id"]), score=s) for s, d in scored],
                total=len(scored),
            )

    SearchEngine.register(engine_name=ENGINE_NAME)(InProcessSearchEngine)
    return InProcessSearchEngine


def prepare_server() -> Any:
    """Patch Redis and jobs, register the engine and return the ASGI app."""
    os.environ.setdefault("ARGILLA_SEARCH_ENGINE", ENGINE_NAME)
    os.environ.setdefault("ARGILLA_ENABLE_TELEMETRY", "0")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    _patch_redis()
    _register_engine()
    _patch_jobs()
    _cache_type_adapters()
    import argilla_server

    return argilla_server.app


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="Run the Argilla server with the in-process search engine.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6900)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    import uvicorn

    app = prepare_server()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
