"""What a word of a name looks like, and runs of such words: what every rule-based function builds on.

Surface form only: capitalisation, numbers, a few function words. No labelling function here.
"""

import re
from typing import List, Tuple

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


def name_runs(doc: Doc, connectors: bool = False) -> List[Tuple[int, int]]:
    """Maximal runs of name words, optionally joined by connectors ("Bank of England")."""
    runs, i, n = [], 0, len(doc)
    while i < n:
        if not is_name_word(doc[i].text):
            i += 1
            continue
        j = i + 1
        while j < n:
            if is_name_word(doc[j].text):
                j += 1
            elif connectors and doc[j].text in CONNECTORS and j + 1 < n and is_name_word(doc[j + 1].text):
                j += 2
            else:
                break
        runs.append((i, j))
        i = j
    return runs


def strip_function_words(doc: Doc, start: int, end: int) -> int:
    while start < end and doc[start].text in FUNCTION_WORDS:
        start += 1
    return start


def is_number(text: str) -> bool:
    return bool(NUMBER_RE.match(text))


def is_table_value(text: str) -> bool:
    """A cell of a results table: a number, a score ("133-5", "10-0-43-2") or an empty cell ("-")."""
    return is_number(text) or text in ("-", "--") or bool(re.match(r"^\d+(-\d+)+$", text))


def run_after(doc: Doc, i: int, max_words: int = 4) -> int:
    """End of the name run starting at i (name words, "of"/"de"/"&" inside it); i if doc[i] is no name word."""
    j = i
    while j < len(doc) and j - i < max_words:
        if is_name_word(doc[j].text):
            j += 1
        elif j > i and doc[j].text in CONNECTORS and j + 1 < len(doc) and is_name_word(doc[j + 1].text):
            j += 2
        else:
            break
    return j


def run_before(doc: Doc, i: int, max_words: int = 4) -> int:
    """Start of the run of name words that ends just before i; i if none."""
    k = i
    while k > 0 and i - k < max_words and is_name_word(doc[k - 1].text):
        k -= 1
    return k
