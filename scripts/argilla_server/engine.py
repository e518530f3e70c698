"""The in-process search engine of the local Argilla server (runs in the server venv only).

Argilla's server keeps its records in SQL and asks a search engine (Elasticsearch or OpenSearch)
for every listing, filter, sort and progress count. This engine keeps one dict per dataset in the
server process (record id -> index document, like the ES source: see `search`) and answers from
it; what matches, how it sorts and how similar two records are is in `search`, as pure functions.
The index is rebuilt from the SQLite database when the server starts, so a restarted server shows
the same records. `register()` makes it argilla_server's engine "inprocess".
"""

import asyncio
import logging
from typing import Dict, Iterable, List, Optional, Union
from uuid import UUID

from argilla_server.enums import DatasetStatus, MetadataPropertyType, ResponseStatusFilter, SimilarityOrder, SortOrder
from argilla_server.models import Dataset, MetadataProperty, Record, Response, Suggestion, User, VectorSettings
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
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import ENGINE_NAME, search

_LOGGER = logging.getLogger("argilla.inprocess")


def loaded(obj, attr):
    """An attribute's value if SQLAlchemy already loaded it, else None (a lazy load in async code
    raises MissingGreenlet)."""
    if obj is None:
        return None
    try:
        if attr in sa_inspect(obj).unloaded:
            return None
    except Exception:  # not a mapped instance
        pass
    return getattr(obj, attr, None)


def map_suggestion(suggestion) -> dict:
    return {
        "type": search.plain(suggestion.type),
        "agent": suggestion.agent,
        "score": suggestion.score,
        "value": suggestion.value,
    }


def map_response(response) -> dict:
    values = response.values or {}
    return {
        "id": str(response.id),
        "status": search.plain(response.status),
        "user_id": str(response.user_id),
        "values": {q: (v or {}).get("value") for q, v in values.items()},
    }


class InProcessSearchEngine(SearchEngine):
    """argilla_server's SearchEngine over an in-memory index: one dict per dataset, record id -> document."""

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

    # -- rebuild -------------------------------------------------------------
    async def _load_from_database(self) -> None:
        from argilla_server.database import AsyncSessionLocal

        n_records = 0
        async with AsyncSessionLocal() as db:
            query = (
                select(Dataset)
                .where(Dataset.status == DatasetStatus.ready)
                .options(selectinload(Dataset.questions), selectinload(Dataset.metadata_properties))
            )
            datasets = (await db.execute(query)).scalars().all()
            for dataset in datasets:
                self.indexes[str(dataset.id)] = {}
                for question in dataset.questions:
                    self.questions[str(question.id)] = question.name
                records = (
                    select(Record)
                    .where(Record.dataset_id == dataset.id)
                    .order_by(Record.inserted_at.asc())
                    .options(
                        selectinload(Record.responses), selectinload(Record.suggestions), selectinload(Record.vectors)
                    )
                    .execution_options(yield_per=500)
                )
                async for record in (await db.stream(records)).scalars():
                    self._put(str(dataset.id), record)
                    n_records += 1
        if n_records:
            _LOGGER.info("in-process index rebuilt: %d records", n_records)

    # -- index management ----------------------------------------------------
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

    def _put(self, dataset_id: str, record) -> None:
        dataset = loaded(record, "dataset")
        if dataset is not None:
            self._remember_questions(dataset)
        doc = {
            "id": str(record.id),
            "external_id": record.external_id,
            "fields": dict(record.fields or {}),
            "status": search.plain(record.status),
            "inserted_at": record.inserted_at,
            "updated_at": record.updated_at,
            "metadata": dict(record.metadata_ or {}),
            "responses": [map_response(r) for r in (loaded(record, "responses") or [])],
            "suggestions": {},
            "vectors": {},
        }
        for suggestion in loaded(record, "suggestions") or []:
            name = self._question_name(suggestion)
            if name is not None:
                doc["suggestions"][name] = map_suggestion(suggestion)
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
            doc[key] = search.plain(value)

    async def delete_records(self, dataset: Dataset, records: Iterable[Record]):
        index = self._index(dataset.id)
        for record in records:
            index.pop(str(record.id), None)
            self.record_dataset.pop(str(record.id), None)

    async def update_record_response(self, response: Response):
        doc = self._doc(response.record_id)
        if doc is None:
            return
        mapped = map_response(response)
        doc["responses"] = [r for r in doc["responses"] if r["id"] != mapped["id"]] + [mapped]

    async def delete_record_response(self, response: Response):
        doc = self._doc(response.record_id)
        if doc is not None:
            doc["responses"] = [r for r in doc["responses"] if r["id"] != str(response.id)]

    async def update_record_suggestion(self, suggestion: Suggestion):
        doc = self._doc(suggestion.record_id)
        name = self._question_name(suggestion)
        if doc is not None and name is not None:
            doc["suggestions"][name] = map_suggestion(suggestion)

    async def delete_record_suggestion(self, suggestion: Suggestion):
        doc = self._doc(suggestion.record_id)
        name = self._question_name(suggestion)
        if doc is not None and name is not None:
            doc["suggestions"].pop(name, None)

    # -- progress and metrics ------------------------------------------------
    async def get_dataset_progress(self, dataset: Dataset) -> dict:
        if dataset.is_draft:
            return {}
        return search.status_counts(doc["status"] for doc in self._index(dataset.id).values())

    async def get_dataset_user_progress(self, dataset: Dataset, user: User) -> dict:
        if dataset.is_draft:
            return {}
        docs = self._index(dataset.id).values()
        return search.status_counts(r["status"] for doc in docs for r in search.responses_of(doc, str(user.id)))

    async def compute_metrics_for(self, metadata_property: MetadataProperty):
        docs = self._index(metadata_property.dataset_id).values()
        values = [doc["metadata"].get(metadata_property.name) for doc in docs]
        values = [v for v in values if v is not None]
        if metadata_property.type == MetadataPropertyType.terms:
            total, counts = search.terms_counts(values)
            return TermsMetrics(total=total, values=[TermsMetrics.TermCount(term=t, count=c) for t, c in counts])
        low, high = search.number_range(values)
        integer = metadata_property.type == MetadataPropertyType.integer
        return (IntegerMetadataMetrics if integer else FloatMetadataMetrics)(min=low, max=high)

    # -- search --------------------------------------------------------------
    @staticmethod
    def _text_match(doc: dict, query: Optional[Union[TextQuery, str]]) -> bool:
        if query is None:
            return True
        if isinstance(query, str):
            query = TextQuery(q=query)
        return search.text_match(doc, query.q, query.field)

    @staticmethod
    def _scope_values(doc: dict, scope) -> list:
        """The values of a document that a filter or sort on `scope` reads."""
        if isinstance(scope, MetadataFilterScope):
            return search.as_list(doc["metadata"].get(scope.metadata_property))
        if isinstance(scope, SuggestionFilterScope):
            suggestion = doc["suggestions"].get(scope.question)
            return [] if suggestion is None else search.as_list(suggestion.get(scope.property))
        if isinstance(scope, RecordFilterScope):
            return search.as_list(doc.get(scope.property))
        raise ValueError(f"Cannot process request for search scope {scope}")

    @staticmethod
    def _value_matches(filter_, values: list) -> bool:
        if isinstance(filter_, TermsFilter):
            return search.terms_match(values, filter_.values)
        if isinstance(filter_, RangeFilter):
            return search.range_match(values, filter_.ge, filter_.le)
        raise ValueError(f"Cannot process filter {filter_}")

    def _response_match(self, doc: dict, filter_) -> bool:
        scope = filter_.scope
        responses = search.responses_of(doc, str(scope.user.id) if scope.user is not None else None)
        if scope.question:
            return any(self._value_matches(filter_, search.as_list(r["values"].get(scope.question))) for r in responses)
        if scope.property == "status" and isinstance(filter_, TermsFilter):
            return search.status_match(responses, filter_.values, ResponseStatusFilter.pending.value)
        raise ValueError(f"Cannot process filter scope {scope}")

    def _match(self, doc: dict, filter_) -> bool:
        if filter_ is None:
            return True
        if isinstance(filter_, AndFilter):
            return all(self._match(doc, f) for f in filter_.filters)
        if isinstance(filter_.scope, ResponseFilterScope):
            return self._response_match(doc, filter_)
        return self._value_matches(filter_, self._scope_values(doc, filter_.scope))

    def _sort_values(self, doc: dict, order: Order) -> list:
        scope = order.scope
        if not isinstance(scope, ResponseFilterScope):
            return self._scope_values(doc, scope)
        responses = search.responses_of(doc, str(scope.user.id) if scope.user is not None else None)
        if scope.question:
            return [v for r in responses for v in search.as_list(r["values"].get(scope.question))]
        return [v for r in responses for v in search.as_list(r.get(scope.property))]

    def _sorted(self, docs: List[dict], sort: Optional[List[Order]]) -> List[dict]:
        keys = [
            (
                lambda d, o=order: search.sort_value(self._sort_values(d, o), o.order == SortOrder.asc),
                order.order == SortOrder.desc,
            )
            for order in sort or []
        ]
        return search.sort_docs(docs, keys)

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
        docs = [d for d in self._index(dataset.id).values() if self._text_match(d, query) and self._match(d, filter)]
        docs = self._sorted(docs, sort)
        page = docs[offset : offset + limit]
        score = 1.0 if query is not None else None
        return SearchResponses(
            items=[SearchResponseItem(record_id=UUID(d["id"]), score=score) for d in page], total=len(docs)
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
        docs = [d for d in self._index(dataset.id).values() if self._text_match(d, query) and self._match(d, filter)]
        scored = search.most_similar(
            docs, key, value, excluded, order == SimilarityOrder.least_similar, max_results, threshold
        )
        return SearchResponses(
            items=[SearchResponseItem(record_id=UUID(d["id"]), score=s) for s, d in scored], total=len(scored)
        )


def register() -> None:
    """Make this the search engine argilla_server uses under ARGILLA_SEARCH_ENGINE=inprocess."""
    SearchEngine.register(engine_name=ENGINE_NAME)(InProcessSearchEngine)
