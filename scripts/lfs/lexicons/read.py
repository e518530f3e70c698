"""Read the lexicons that `build` wrote: the functions' shared context (`scripts.lfs.annotator.Context`) and the
gazetteers read them through these, without importing a module of functions."""

from functools import lru_cache
from pathlib import Path
from typing import Dict, Set

import srsly


class GazetteerMissing(FileNotFoundError):
    pass


@lru_cache(maxsize=None)
def load_lexicon(folder: str, name: str) -> Dict:
    path = Path(folder) / f"{name}.json"
    if not path.exists():
        raise GazetteerMissing(
            f"{path} does not exist: build the gazetteers with `spacy project run build-gazetteers` "
            f"(python -m scripts.lfs.lexicons.build {folder})"
        )
    return srsly.read_json(path)


def places_of(folder: str, name: str) -> frozenset:
    """The LOC entries of a lexicon ("places", "cities"), lower-cased strings."""
    return frozenset(" ".join(e).lower() for e in load_lexicon(folder, name)["entries"].get("LOC", []))


def legal_suffixes(folder: str) -> frozenset:
    """The company legal forms, lower-cased ("ag", "spa", "plc")."""
    return frozenset(s.lower() for s in load_lexicon(folder, "legal_suffixes")["suffixes"])


def countries(folder: str) -> frozenset:
    """Lower-cased countries and continents (places.json "countries"; all places for an older file)."""
    data = load_lexicon(folder, "places")
    return frozenset(" ".join(e).lower() for e in data.get("countries", data["entries"]["LOC"]))


def place_words(folder: str) -> frozenset:
    """Lower-cased countries, US states and nationalities: names that hold roles and teams without
    being organisations ("Russian President", "club Germany"). Cities are not in it: a club is often
    named after its city ("Norwich striker Keith O'Neill")."""
    out: Set[str] = set()
    for name in ("places", "nationalities"):
        for entries in load_lexicon(folder, name)["entries"].values():
            out.update(" ".join(e).lower() for e in entries)
    return frozenset(out)
