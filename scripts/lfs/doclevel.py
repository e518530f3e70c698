"""Document-level labelling functions over whole CoNLL documents.

The corpus holds one Doc per sentence; the sentences of one article share `user_data["doc_id"]`
(within a split). Here they are merged into one Doc per article (sentence starts kept), a majority
vote of the sentence-level `sources` is taken on it, and skweak's document-level annotators read
that vote:

- doc_history (DocumentHistoryAnnotator): once "Franz Fischler" is a PER, a later "Fischler" is too
  (PER and ORG only, as in skweak's example);
- doc_majority_cased / doc_majority_uncased (DocumentMajorityAnnotator): every occurrence of a
  string gets the label it has most often in the article;
- doc_propagate: every occurrence of a string that a high-precision heuristic labelled somewhere in
  the article (a team in a results table, a company with its legal suffix, a full name) gets that
  label, also where the models disagree ("Derbyshire 471" in a table -> "Derbyshire beat ...");
- doc_surname: the last word of a person's full name (a multi-word PER of `surname_sources`) is PER
  where it stands alone later or earlier in the article ("Frederick Geraghty ... Geraghty said"),
  where the models often say ORG;
- sports_team: in a sports article (its headline opens with a sport: "SOCCER - ..."), a city voted
  LOC is a club, so ORG (countries stay LOC, as national teams are in CoNLL).

Their spans are mapped back to the sentence Docs; a span across two sentences is dropped.
"""
import bisect
import warnings
from typing import Dict, Iterable, Iterator, List, Sequence, Tuple

from skweak.doclevel import DocumentHistoryAnnotator, DocumentMajorityAnnotator
from skweak.gazetteers import Trie
from spacy.tokens import Doc, Span

from .gazetteers import FastGazetteer

SpanTuple = Tuple[int, int, str]
VOTE = "doc_vote"
SPORTS = frozenset(
    "SOCCER CRICKET TENNIS GOLF BASEBALL BASKETBALL RUGBY ATHLETICS CYCLING BOXING MOTORCYCLING MOTOR "
    "MOTORSPORT RACING HOCKEY ICE SKIING SWIMMING SQUASH BADMINTON HORSE HORSERACING SAILING ROWING "
    "VOLLEYBALL HANDBALL FOOTBALL NFL NBA NHL NRL AFL TABLE-TENNIS FORMULA".split()
)  # fmt: skip


def document_groups(docs: Sequence[Doc]) -> List[List[int]]:
    """Indices of consecutive docs sharing (split, doc_id): one list per article, in order."""
    groups: List[List[int]] = []
    last = object()
    for i, doc in enumerate(docs):
        key = (doc.user_data.get("split"), doc.user_data.get("doc_id", i))
        if key != last:
            groups.append([])
            last = key
        groups[-1].append(i)
    return groups


def merge(sentences: Sequence[Doc], groups: Iterable[str]) -> Tuple[Doc, List[int]]:
    """One Doc for an article (sentence starts set) with the span groups `groups` copied; and the
    token offset of each sentence."""
    words, spaces, starts, offsets = [], [], [], []
    for sent in sentences:
        offsets.append(len(words))
        words += [t.text for t in sent]
        spaces += [True] * len(sent)
        starts += [True] + [False] * (len(sent) - 1)
    merged = Doc(sentences[0].vocab, words=words, spaces=spaces, sent_starts=starts)
    for name in groups:
        merged.spans[name] = [Span(merged, off + s.start, off + s.end, label=s.label_)
                              for sent, off in zip(sentences, offsets) for s in sent.spans.get(name, [])]  # fmt: skip
    return merged, offsets


def split_back(spans: Iterable[SpanTuple], offsets: List[int], lengths: List[int]) -> Dict[int, List[SpanTuple]]:
    """Article-level spans -> {sentence number: sentence-level spans}; spans across sentences are dropped."""
    out: Dict[int, List[SpanTuple]] = {i: [] for i in range(len(offsets))}
    for start, end, label in spans:
        k = bisect.bisect_right(offsets, start) - 1
        if end <= offsets[k] + lengths[k]:
            out[k].append((start - offsets[k], end - offsets[k], label))
    return out


def is_sports_article(doc: Doc) -> bool:
    """The first sentence reads "SOCCER - ..." (a sport in capitals before a dash)."""
    words = [t.text for t in doc[:4]]
    return "-" in words and any(w in SPORTS for w in words[: words.index("-")])


def sports_team(doc: Doc, cities: set, countries: set) -> Iterator[SpanTuple]:
    """In a sports article, LOC votes that are cities (and not countries) -> ORG.

    Names in capitals are left out: datelines ("LONDON 1996-08-30") and fixtures ("BOSTON AT OAKLAND")
    name the place of the game.
    """
    if not is_sports_article(doc):
        return
    for span in doc.spans.get(VOTE, []):
        key = span.text.lower()
        if span.label_ == "LOC" and key in cities and key not in countries and not span.text.isupper():
            yield span.start, span.end, "ORG"


def propagate(doc: Doc, seeds: Sequence[str]) -> Iterator[SpanTuple]:
    """Every case-sensitive occurrence of a string labelled by one of the `seeds` groups, with the label
    it has most often there (a string with two labels equally often is left out)."""
    from collections import Counter

    counts: Dict[Tuple[str, ...], Counter] = {}
    for name in seeds:
        for span in doc.spans.get(name, []):
            counts.setdefault(tuple(t.text for t in span), Counter())[span.label_] += 1
    tries: Dict[str, Trie] = {}
    for tokens, by_label in counts.items():
        (label, n), *rest = by_label.most_common()
        if not rest or rest[0][1] < n:
            tries.setdefault(label, Trie()).add(list(tokens))
    if tries:
        yield from FastGazetteer("doc_propagate", tries, case_sensitive=True, additional_checks=False).find_spans(doc)


def surnames(doc: Doc, sources: Sequence[str]) -> Iterator[SpanTuple]:
    """Every lone occurrence of the last word of a multi-word PER span of `sources` -> PER.

    Lone: neither neighbour is a capitalised word (so "Geraghty said", not "Geraghty Ltd" or another
    full name). A word inside a multi-word name of another label in `sources` (ORG "Ford Motor Co") is
    left out.
    """
    from .heuristics import is_name_word

    last, other = set(), set()
    for name in sources:
        for span in doc.spans.get(name, []):
            if span.label_ == "PER" and len(span) >= 2:
                last.add(span[-1].text)
            elif span.label_ != "PER" and len(span) >= 2:  # "Ford Motor Co"; a lone "Geraghty" ORG is the error fixed
                other.update(t.text for t in span)
    keep = {w for w in last - other if len(w) > 1 and not w.isupper() and is_name_word(w)}
    if not keep:
        return
    for i, tok in enumerate(doc):
        if tok.text in keep:
            before = i > 0 and not doc[i].is_sent_start and is_name_word(doc[i - 1].text)
            after = i + 1 < len(doc) and not doc[i + 1].is_sent_start and is_name_word(doc[i + 1].text)
            if not before and not after:
                yield i, i + 1, "PER"


class DocumentHistory(DocumentHistoryAnnotator):
    """skweak's DocumentHistoryAnnotator searching with FastGazetteer (`find_spans` is skweak 0.3.3's
    with its GazetteerAnnotator swapped: the same spans, tests/test_lfs_doclevel.py)."""

    def find_spans(self, doc: Doc) -> Iterator[SpanTuple]:
        tries = {label: Trie() for label in self.labels}
        first_bounds = set()
        for tokens, span in self.get_first_mentions(doc).items():
            tries[span.label_].add(tokens)
            first_bounds.add((span.start, span.end))
        gazetteer = FastGazetteer(self.name, tries, case_sensitive=self.case_sensitive,
                                  additional_checks=not self.case_sensitive)  # fmt: skip
        for start, end, label in gazetteer.find_spans(doc):
            if (start, end) not in first_bounds:
                yield start, end, label


class DocumentMajority(DocumentMajorityAnnotator):
    """skweak's DocumentMajorityAnnotator searching with FastGazetteer (as DocumentHistory)."""

    def find_spans(self, doc: Doc) -> Iterator[SpanTuple]:
        majority = self.get_majority_labels(doc)
        tries = {label: Trie() for label in set(majority.values())}
        for tokens, label in majority.items():
            tries[label].add(list(tokens))
        yield from FastGazetteer(self.name, tries, self.case_sensitive,
                                 additional_checks=not self.case_sensitive).find_spans(doc)  # fmt: skip


class DocumentFunctions:
    """The document-level functions, applied article by article to a list of sentence Docs."""

    def __init__(self, sources: Sequence[str], labels: Sequence[str], cities: set = frozenset(),
                 countries: set = frozenset(), seeds: Sequence[str] = (), surname_sources: Sequence[str] = ()):
        self.sources, self.labels, self.seeds = list(sources), list(labels), list(seeds)
        self.surname_sources = list(surname_sources) if "PER" in self.labels else []
        self.cities, self.countries = cities, countries
        history_labels = [l for l in ("PER", "ORG") if l in self.labels]
        self.annotators = [
            DocumentHistory("doc_history", VOTE, history_labels),
            DocumentMajority("doc_majority_cased", VOTE, case_sensitive=True),
            DocumentMajority("doc_majority_uncased", VOTE, case_sensitive=False),
        ]
        self.with_sports = "ORG" in self.labels and bool(cities)

    @property
    def names(self) -> List[str]:
        names = [a.name for a in self.annotators] + (["doc_propagate"] if self.seeds else [])
        names += ["doc_surname"] if self.surname_sources else []
        return names + (["sports_team"] if self.with_sports else [])

    def _voter(self):
        from ..aggregators import VectorisedMajorityVoter  # skweak's MajorityVoter, without its per-token loop

        return VectorisedMajorityVoter(VOTE, self.labels)

    def article_spans(self, merged: Doc) -> Dict[str, List[SpanTuple]]:
        """The span tuples of every document-level function on a merged article."""
        out = {}
        if self.surname_sources:  # before the vote, which it joins: a surname outvotes the models' lone ORG
            out["doc_surname"] = list(surnames(merged, self.surname_sources))
            merged.spans["doc_surname"] = [Span(merged, s, e, label=l) for s, e, l in out["doc_surname"]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            merged = self._voter()(merged)
        out.update({a.name: list(a.find_spans(merged)) for a in self.annotators})
        if self.seeds:
            out["doc_propagate"] = list(propagate(merged, self.seeds))
        if self.with_sports:
            out["sports_team"] = list(sports_team(merged, self.cities, self.countries))
        return out

    def annotate(self, docs: Sequence[Doc]) -> None:
        """Write each function's span group on every sentence Doc (articles must not be split)."""
        for group in document_groups(docs):
            sentences = [docs[i] for i in group]
            wanted = self.sources + self.seeds + self.surname_sources
            groups = [s for s in dict.fromkeys(wanted) if any(s in d.spans for d in sentences)]
            merged, offsets = merge(sentences, groups)
            lengths = [len(s) for s in sentences]
            for name, spans in self.article_spans(merged).items():
                by_sentence = split_back(spans, offsets, lengths)
                for k, sent in enumerate(sentences):
                    sent.spans[name] = [Span(sent, s, e, label=l) for s, e, l in sorted(set(by_sentence[k]))]
