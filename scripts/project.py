"""The project's defaults: the vars of project.yml, the one source of every CLI default.

`python -m scripts.lfs.annotate IN OUT` alone therefore does what `spacy project run annotate` does
with the default vars; a var changed in project.yml changes both.
"""

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILE = ROOT / "project.yml"


@lru_cache(maxsize=None)
def project_vars() -> Dict[str, Any]:
    """The `vars` section of project.yml."""
    import srsly

    return dict(srsly.read_yaml(PROJECT_FILE)["vars"])


def var(name: str) -> Any:
    """One var of project.yml (a KeyError names it when project.yml lacks it)."""
    return project_vars()[name]
