"""What a word of a name looks like, and runs of such words: what every rule-based function builds on.

Surface form only: capitalisation, numbers, a few function words. No labelling function here.
"""

import re
from functools import partial
from typing import Any, Callable, Dict, List, Tuple

from spacy.attrs import ORTH
from spacy.tokens import Doc

from ..pipeline.components import NUMBER_RE, is_name_word  # noqa: F401  (shared with the shipped component)

# Words that start a sentence in capitals without being a name.
FUNCTION_WORDS = frozenset(
    "A An The This That These Those It Its He She They We I You His Her Their Our In On At Of For By With From "
    "To But And Or If When While After Before As So Not No Yes There Here What Who Which Why How All Some Any "
    "Mr Mrs Ms Dr Former".split()
)


MONTHS_DAYS = frozenset(
    "January February March April May June July August September October November December Jan Feb Mar Apr Jun Jul "
    "Aug Sep Sept Oct Nov Dec Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
)


CONNECTORS = frozenset({"of", "for", "de", "du", "der", "von", "van", "la", "&"})


# The doc being annotated and what was computed from it: the functions run one after another on each doc
# (annotator._run_all), and several read the same things (the words, the name runs, the sentence ends).
_DOC: List[Any] = [None, {}]


def per_doc(doc: Doc, compute: Callable[[Doc], Any], key: Any = None) -> Any:
    """`compute(doc)`, computed once for the doc last asked about (held, so its id is not reused) under
    `key` (default: `compute` itself); recomputed if the doc's length has changed (retokenised). The
    result is shared: callers must not change it."""
    if _DOC[0] is not doc:
        _DOC[:] = [doc, {}]
    cache: Dict[Any, Tuple[int, Any]] = _DOC[1]
    key = compute if key is None else key
    hit = cache.get(key)
    if hit is None or hit[0] != len(doc):
        hit = cache[key] = (len(doc), compute(doc))
    return hit[1]


def _strings(attr: int, doc: Doc) -> List[str]:
    strings = doc.vocab.strings
    return [strings[key] for key in doc.to_array(attr).tolist()]


def token_strings(doc: Doc, attr: int = ORTH) -> List[str]:
    """The strings of `attr` (ORTH: the texts, LOWER...) of every token, as `[t.orth_ for t in doc]` without
    a Token per word, computed once per doc (`per_doc`)."""
    return per_doc(doc, partial(_strings, attr), ("strings", attr))


def name_runs(doc: Doc, connectors: bool = False) -> List[Tuple[int, int]]:
    """Maximal runs of name words, optionally joined by connectors ("Bank of England"); computed once per
    doc (five functions ask)."""
    return per_doc(doc, partial(_name_runs, connectors=connectors), ("name_runs", connectors))


def _name_runs(doc: Doc, connectors: bool = False) -> List[Tuple[int, int]]:
    words = token_strings(doc)
    runs, i, n = [], 0, len(words)
    while i < n:
        if not is_name_word(words[i]):
            i += 1
            continue
        j = i + 1
        while j < n:
            if is_name_word(words[j]):
                j += 1
            elif connectors and words[j] in CONNECTORS and j + 1 < n and is_name_word(words[j + 1]):
                j += 2
            else:
                break
        runs.append((i, j))
        i = j
    return runs


def strip_function_words(doc: Doc, start: int, end: int) -> int:
    words = token_strings(doc)
    while start < end and words[start] in FUNCTION_WORDS:
        start += 1
    return start


def is_number(text: str) -> bool:
    return bool(NUMBER_RE.match(text))


def is_table_value(text: str) -> bool:
    """A cell of a results table: a number, a score ("133-5", "10-0-43-2") or an empty cell ("-")."""
    return is_number(text) or text in ("-", "--") or bool(re.match(r"^\d+(-\d+)+$", text))


def run_after(doc: Doc, i: int, max_words: int = 4) -> int:
    """End of the name run starting at i (name words, "of"/"de"/"&" inside it); i if doc[i] is no name word."""
    words, j = token_strings(doc), i
    while j < len(words) and j - i < max_words:
        if is_name_word(words[j]):
            j += 1
        elif j > i and words[j] in CONNECTORS and j + 1 < len(words) and is_name_word(words[j + 1]):
            j += 2
        else:
            break
    return j


def run_before(doc: Doc, i: int, max_words: int = 4) -> int:
    """Start of the run of name words that ends just before i; i if none."""
    words, k = token_strings(doc), i
    while k > 0 and i - k < max_words and is_name_word(words[k - 1]):
        k -= 1
    return k
