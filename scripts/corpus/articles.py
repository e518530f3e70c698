"""The article a sentence belongs to: the corpus holds one Doc per sentence, in order, and the
sentences of an article share `user_data["split"]` and `user_data["doc_id"]`.

A sentence without a `doc_id` is an article of its own. The document-level labelling functions
and `doc_consistency` read whole articles, so chunks and shards never split one.
"""

from typing import Iterable, Iterator, List, Optional, Sequence, Tuple

from spacy.tokens import Doc

ArticleKey = Tuple[Optional[str], Optional[int]]


def article_key(doc: Doc) -> ArticleKey:
    """The article a sentence belongs to: (split, doc_id)."""
    return user_data_key(doc.user_data)


def user_data_key(user_data: dict) -> ArticleKey:
    """The article of a sentence whose user_data is `user_data` (a Doc's, or a DocBin entry's undecoded)."""
    return user_data.get("split"), user_data.get("doc_id")


def starts_article(key: ArticleKey, last: Optional[ArticleKey]) -> bool:
    """Whether a sentence of article `key` starts a new article after one of article `last`."""
    return key != last or key[1] is None


def may_cut(n_docs: int, size: int, key: ArticleKey, last: Optional[ArticleKey]) -> bool:
    """A chunk of `n_docs` may end before the doc with article `key` (the previous one's is `last`):
    it is big enough and the doc starts another article."""
    return n_docs >= size and starts_article(key, last)


def article_chunks(docs: Iterable[Doc], size: int) -> Iterator[List[Doc]]:
    """Consecutive docs, about `size` at a time, never splitting an article."""
    chunk: List[Doc] = []
    last = None
    for doc in docs:
        key = article_key(doc)
        if may_cut(len(chunk), size, key, last):
            yield chunk
            chunk = []
        chunk.append(doc)
        last = key
    if chunk:
        yield chunk


def document_groups(docs: Sequence[Doc]) -> List[List[int]]:
    """Indices of the docs of each article, in order."""
    return article_groups([article_key(doc) for doc in docs])


def article_groups(keys: Sequence[ArticleKey]) -> List[List[int]]:
    """Indices of each article's sentences, given each sentence's article (`article_key`), in order."""
    groups: List[List[int]] = []
    last: Optional[ArticleKey] = None
    for i, key in enumerate(keys):
        if not groups or starts_article(key, last):
            groups.append([])
        groups[-1].append(i)
        last = key
    return groups
