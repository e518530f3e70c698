"""The pretrained pipelines of the project's model functions, how they are run, and their raw entities.

A `Run` is a pipeline package and a mode: "plain" gives the pipeline the gold words as they are;
"truecase" gives it the words of a sentence in capitals (CoNLL's headlines and sports tables, where
models trained on mixed case see nothing) title-cased where the tagger judges them proper, the other
capitalised words lower-cased; "pipeline" runs a user's whole pipeline (declared in the presets file) on
the gold words. Either way the tokens are the gold ones, so the entities' token offsets are the gold doc's.

`entities` gives a run's raw entities (the pipeline's own labels) for a list of docs: read from the
span group `Run.group` that the `pretrained` step left on a doc, computed for the docs without one.
The step covers the sentences the functions read: "plain" the sentences not in capitals, "truecase" those
in capitals, "pipeline" all (`covers`).
"""

from typing import Any, Dict, List, Sequence, Tuple

import srsly
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc, Span

from .runs import PREFIX, Run

BATCH_SIZE = 256
RawEntity = Tuple[int, int, str]  # token start, end, the pipeline's label

_PIPELINES: Dict[Tuple[str, Tuple[str, ...]], Any] = {}  # (name, components kept; () the whole pipeline)


def load_model_parts(name: str, keep: Tuple[str, ...] = ("tok2vec", "ner")):
    """`spacy.load(name)` with only the components in `keep` (cached per process)."""
    if (name, keep) not in _PIPELINES:
        import spacy

        # the component names from the package's meta: loading the whole pipeline to list them costs seconds
        names = srsly.read_json(spacy.util.get_package_path(name) / "meta.json")["pipeline"]
        _PIPELINES[name, keep] = spacy.load(name, exclude=[p for p in names if p not in keep])
    return _PIPELINES[name, keep]


def load_ner(name: str):
    """The pipeline with only what NER needs: its ner has its own embedding layer, so not even the shared tok2vec."""
    return load_model_parts(name, ("ner",))


def load_tagger(name: str):
    """The pipeline with only what the part-of-speech tagger needs."""
    return load_model_parts(name, ("tok2vec", "tagger"))


def load_whole(name: str):
    """The whole pipeline `name` (a package or a path), as a user's pipeline function runs it (cached)."""
    if (name, ()) not in _PIPELINES:
        import spacy

        _PIPELINES[name, ()] = spacy.load(name)
    return _PIPELINES[name, ()]


def load(run: Run) -> None:
    """Load what `run` needs now (a parent process does, so that forked workers share the models)."""
    if run.mode == "pipeline":
        load_whole(run.package)
        return
    load_ner(run.package)
    if run.mode == "truecase":
        load_tagger(run.package)


def is_caps_sentence(words: Sequence[str]) -> bool:
    """Most cased words are in capitals (headlines, datelines, sports tables)."""
    cased = [w for w in words if any(c.isalpha() for c in w) and len(w) > 1]
    if not cased:
        return False
    upper = sum(1 for w in cased if w.isupper())
    return upper >= 1 and upper / len(cased) >= 0.8


def covers(mode: str, doc: Doc) -> bool:
    """Whether the `pretrained` step runs `mode` on `doc`: truecase on sentences in capitals, plain on the
    others, a user's whole pipeline on every one."""
    return mode == "pipeline" or is_caps_sentence([t.text for t in doc]) == (mode == "truecase")


PROPER_TAGS = frozenset({"NNP", "NNPS"})


def truecase(words: Sequence[str], proper: Sequence[bool]) -> List[str]:
    """Title-case the capitalised words judged proper, lower-case the others.

    "SHEARER NAMED AS ENGLAND CAPTAIN" with proper = [1, 0, 0, 1, 0] -> "Shearer named as England captain".
    Words with a dot or a digit (U.S., F.C., 1996-08-22) and one-letter words keep their form.
    """
    out = []
    for w, is_proper in zip(words, proper):
        if not w.isupper() or len(w) < 2 or any(c.isdigit() or c == "." for c in w):
            out.append(w)
        elif is_proper and w.lower() not in STOP_WORDS:
            out.append(w.title())
        else:
            out.append(w.lower())
    return out


def proper_words(tagger, sentences: Sequence[Sequence[str]], batch_size: int = BATCH_SIZE) -> List[List[bool]]:
    """Which words of capitalised sentences look like proper nouns, judged by the tagger on three casings.

    Proper if tagged NNP/NNPS when the sentence is lower-cased (the tagger knows "panama", "shearer"),
    or when both the capitals and the title-cased forms are tagged NNP/NNPS while the lower-cased
    word is still a noun ("LEICESTERSHIRE", "ROTOR"). A common noun (VICTORY, RESULTS) or a verb
    (TAKE, NAMED) fails both tests.
    """
    variants = []
    for words in sentences:
        variants += [list(words), [w.lower() for w in words], [w.title() for w in words]]
    docs = (Doc(tagger.vocab, words=v) for v in variants)
    tags = [[t.tag_ for t in d] for d in tagger.pipe(docs, batch_size=batch_size)]
    out = []
    for i in range(len(sentences)):
        caps, low, title = tags[3 * i : 3 * i + 3]
        out.append(
            [
                lo in PROPER_TAGS or (ca in PROPER_TAGS and ti in PROPER_TAGS and lo.startswith("NN"))
                for ca, lo, ti in zip(caps, low, title)
            ]
        )
    return out


def compute(run: Run, docs: Sequence[Doc], batch_size: int = BATCH_SIZE) -> List[List[RawEntity]]:
    """Run the pipeline on `docs` (the words as `run.mode` says) and return each doc's entities."""
    if not docs:
        return []
    nlp = load_whole(run.package) if run.mode == "pipeline" else load_ner(run.package)
    words = [[t.text for t in d] for d in docs]
    if run.mode == "truecase":
        proper = proper_words(load_tagger(run.package), words, batch_size)
        words = [truecase(w, p) for w, p in zip(words, proper)]
    inputs = [Doc(nlp.vocab, words=w, spaces=[bool(t.whitespace_) for t in d]) for d, w in zip(docs, words)]
    return [[(e.start, e.end, e.label_) for e in pred.ents] for pred in nlp.pipe(inputs, batch_size=batch_size)]


def entities(run: Run, docs: Sequence[Doc], batch_size: int = BATCH_SIZE) -> List[List[RawEntity]]:
    """Each doc's entities by `run`: from its span group `run.group` where the `pretrained` step left one,
    else computed now (the pipeline loads only if some doc needs it)."""
    out: List[List[RawEntity]] = []
    missing: List[int] = []
    for i, doc in enumerate(docs):
        group = doc.spans.get(run.group)
        if group is None:
            missing.append(i)
            out.append([])
        else:
            out.append([(span.start, span.end, span.label_) for span in group])
    for i, found in zip(missing, compute(run, [docs[i] for i in missing], batch_size)):
        out[i] = found
    return out


def add_entities(docs: Sequence[Doc], runs: Sequence[Run], batch_size: int = BATCH_SIZE) -> int:
    """Leave each run's entities on the docs it covers, as span group `run.group` (empty where it found
    none: the group says the run was done); returns how many groups were written."""
    written = 0
    for run in runs:
        todo = [doc for doc in docs if covers(run.mode, doc)]
        for doc, found in zip(todo, compute(run, todo, batch_size)):
            doc.spans[run.group] = [Span(doc, s, e, label=label) for s, e, label in found]
        written += len(todo)
    return written


def drop_groups(doc: Doc) -> Doc:
    """Remove the raw entities of every run from `doc` (they are no labelling function's spans)."""
    for name in [n for n in doc.spans if n.startswith(PREFIX)]:
        del doc.spans[name]
    return doc


def has_entities(doc: Doc) -> bool:
    """Whether the `pretrained` step passed over `doc` (some run's group is on it)."""
    return any(name.startswith(PREFIX) for name in doc.spans)
