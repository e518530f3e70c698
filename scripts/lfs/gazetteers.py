"""Gazetteer labelling functions: skweak tries over the lexicons of scripts/lfs/lexicons/build.py.

Each lexicon gives two functions, one case-sensitive ("Japan") and one case-insensitive with
skweak's extra checks (also "JAPAN" in a headline, never a lower-case "japan"). Person names are
not matched alone (too many surnames are words: Young, White, Bush); `full_name` instead wants a
known first name followed by a capitalised word.
"""

from functools import partial
from typing import AbstractSet, Dict, Iterator, List, Sequence

from skweak import utils as skweak_utils
from skweak.gazetteers import GazetteerAnnotator, Trie
from skweak.heuristics import FunctionAnnotator
from spacy.tokens import Doc

from ..corpus.labels import SpanTuple
from .lexicons.read import GazetteerMissing, countries, legal_suffixes, load_lexicon, place_words, places_of  # noqa: F401
from .names import FUNCTION_WORDS, is_name_word, per_doc, token_strings
from .registry import factory
from .sports import team_positions_of

# The files the build-gazetteers step writes, and the lexicons used as gazetteers (the others feed heuristics).
TRIE_LEXICONS = ("places", "cities", "nationalities")
FILES = TRIE_LEXICONS + ("person_names", "legal_suffixes")


def tries(data: Dict, labels: Sequence[str]) -> Dict[str, Trie]:
    """One skweak Trie per label of a lexicon (only the project's labels)."""
    return {label: Trie(entries) for label, entries in data["entries"].items() if label in labels}


def may_start(word: str, starts: AbstractSet[str], case_sensitive: bool) -> bool:
    """Whether skweak's `Trie._find_match(word, trie.start)` could match: the word, or (case-insensitive)
    its titled, lower or upper form, is a first token of some entry."""
    if word in starts:
        return True
    if case_sensitive:
        return False
    return (
        (not word.istitle() and word.title() in starts)
        or (not word.islower() and word.lower() in starts)
        or (not word.isupper() and word.upper() in starts)
    )


class FastGazetteer(GazetteerAnnotator):
    """skweak's GazetteerAnnotator with the same spans, found faster: skweak looks each token up in every
    trie, through spaCy Token objects; here the positions no entry can start at are skipped first,
    and skweak's own steps run only at the few that remain. The tries must not change after init."""

    def __init__(self, name: str, tries: Dict[str, Trie], case_sensitive: bool = True, additional_checks: bool = True):
        super().__init__(name, tries, case_sensitive=case_sensitive, additional_checks=additional_checks)
        self.starts = frozenset(word for trie in tries.values() for word in trie.start)

    def find_spans(self, doc: Doc) -> Iterator[SpanTuple]:
        tokens = token_strings(doc)
        candidates = [i for i, word in enumerate(tokens) if may_start(word, self.starts, self.case_sensitive)]
        if not candidates:
            return
        boundaries = per_doc(doc, skweak_utils.get_next_sentence_boundaries)
        skip_to = 0  # as skweak's loop: after a match, search again after its end
        for i in candidates:
            if i < skip_to:
                continue
            length = self._get_lookahead(doc[i], boundaries[i])
            if not length:
                continue
            window = tokens[i : i + length]
            matches = []
            for label, trie in self.tries.items():
                match = trie.find_longest_match(window, self.case_sensitive)
                if match and (not self.additional_checks or self._is_valid_match(doc[i : i + len(match)], match)):
                    matches.append((match, label))
            if matches:
                longest = max(len(match) for match, _ in matches)
                for match, label in matches:
                    if len(match) == longest:
                        yield i, i + longest, label
                skip_to = i + longest


class TeamAwareGazetteer(FastGazetteer):
    """A gazetteer that says nothing where a sports structure names a club (`teams(doc)`: sports.
    team_positions): "Arbroath 4 2 0 2 4 3" is a club, not the town."""

    def __init__(self, name: str, tries: Dict[str, Trie], case_sensitive: bool = True, teams=None):
        super().__init__(name, tries, case_sensitive=case_sensitive)
        self.teams = teams

    def find_spans(self, doc: Doc) -> Iterator[SpanTuple]:
        spans = list(super().find_spans(doc))
        if self.teams is None or not spans:
            yield from spans
            return
        teams = self.teams(doc)
        for s, e, label in spans:
            if label != "LOC" or not any(ts < e and s < te for ts, te in teams):
                yield s, e, label


def gazetteer_annotators(folder: str, name: str, labels: Sequence[str], teams=None) -> List[GazetteerAnnotator]:
    """The cased and uncased skweak gazetteers of one lexicon ([] if it has none of the labels); with
    `teams`, they abstain on the clubs of sports tables, score lines and fixtures."""
    t = tries(load_lexicon(folder, name), labels)
    if not t:
        return []
    return [
        TeamAwareGazetteer(f"{name}_cased", t, case_sensitive=True, teams=teams),
        TeamAwareGazetteer(f"{name}_uncased", t, case_sensitive=False, teams=teams),
    ]


def full_name(doc: Doc, first_names: frozenset) -> Iterator[SpanTuple]:
    """A known first name and one or two more capitalised words: "Franz Fischler", "Bill Clinton" -> PER.

    Names in capitals are skipped (headlines), as are runs whose first word ends a sentence start
    such as "The"; a run of more than three words is an organisation or a title, not a person.
    """
    n = len(doc)
    i = 0
    while i < n - 1:
        word = doc[i].text
        if word in first_names and word not in FUNCTION_WORDS and is_name_word(doc[i + 1].text):
            j = i + 1
            while j < n and is_name_word(doc[j].text) and not doc[j].text.isupper():
                j += 1
            before_ok = i == 0 or not is_name_word(doc[i - 1].text)
            if 2 <= j - i <= 3 and before_ok:
                yield i, j, "PER"
            i = max(j, i + 1)
        else:
            i += 1


# The gazetteer functions: places, cities and nationalities (cased and uncased skweak tries), abstaining on the
# clubs of sports structures; first names + capitalised words. (name, labels, roles of the cased, of the uncased)
GAZETTEERS = [
    ("places", ("LOC",), ("doc_vote",), ()),
    ("cities", ("LOC",), (), ()),
    ("nationalities", ("MISC",), ("doc_vote", "doc_seed"), ()),
]


def _gazetteer(lexicon: str, cased: bool):
    def build(ctx):
        found = gazetteer_annotators(ctx.gazetteer_dir, lexicon, ctx.labels, team_positions_of(ctx))
        return found[0 if cased else 1] if found else None

    return build


for _lexicon, _labels, _cased_roles, _uncased_roles in GAZETTEERS:
    factory(f"{_lexicon}_cased", _labels, _cased_roles)(_gazetteer(_lexicon, True))
    factory(f"{_lexicon}_uncased", _labels, _uncased_roles)(_gazetteer(_lexicon, False))


@factory("full_name", ["PER"], ("doc_vote", "doc_seed", "doc_surname"))
def _full_name(ctx):
    return FunctionAnnotator("full_name", partial(full_name, first_names=ctx.first_names()))
