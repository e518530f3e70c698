"""Presets of labelling functions: a YAML file of named presets, each the functions that run and, optionally,
the pipelines they declare as data, which functions hold a role, and weights set by hand.

A preset is a list of function (or preset) names, in the order they run:

    tutorial:
      - "sports_results"
      - "shire_team"

or a mapping with that list under `functions` and any of:

    drugs:
      functions: ["drug_list", "md_products", "not_a_drug", "doc_majority_cased", "first_drug"]
      pipelines:        # spaCy pipelines as labelling functions, declared as data: the `pretrained` step
        md_products:    # runs them once, so that a changed rule does not rerun them
          model: "en_core_web_md"
          labels: {"PRODUCT": "DRUG"}
      roles:            # who holds a role, instead of the functions that declare it (see lfs/README.md)
        doc_vote: ["drug_list", "md_products"]
      weights:          # a function's weight in the vote, instead of the one `score` estimates on dev;
        not_a_drug: 2   # 0 keeps a function out of the vote (it is still scored)

A name in a list may be another preset: its functions come in its place, and its pipelines, roles and
weights too (the including preset's own win). Read here, below the functions themselves, so that the
`pretrained` step can tell which pipelines a preset needs without importing (and depending on) the rules.
"""

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from ..util.errors import UserError

# What else reads a function's spans (lfs/README.md says what each does)
ROLES = ("doc_vote", "doc_seed", "doc_surname", "doc_company")
PRESET_KEYS = ("functions", "pipelines", "roles", "weights")
PIPELINE_KEYS = ("model", "labels", "roles")


@dataclass
class Preset:
    """A preset resolved: its function names (included presets expanded), the pipelines declared as data
    ({name: {"model", "labels", "roles"}}), the role holders it sets and the weights it fixes."""

    name: str
    functions: List[str]
    pipelines: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    roles: Dict[str, List[str]] = field(default_factory=dict)
    weights: Dict[str, float] = field(default_factory=dict)


def read_preset_file(path: Union[str, Path]) -> Dict[str, Any]:
    """The presets file as YAML ({preset: a list, or a mapping}); a UserError names the file and what is wrong."""
    import copy

    path = Path(path)
    if not path.is_file():
        raise UserError(f"--vars.presets {str(path)!r}: no such file (the presets are in configs/presets.yml)")
    stat = path.stat()
    try:
        data = copy.deepcopy(_parsed(path.resolve(), stat.st_mtime_ns, stat.st_size))
    except Exception as e:
        raise UserError(f"{path}: not YAML ({yaml_problem(str(e))})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: a preset file maps each preset name to a list of function (or preset) names")
    for name, value in data.items():
        _check_preset(path, str(name), value)
    return {str(k): v for k, v in data.items()}


@lru_cache(maxsize=8)
def _parsed(path: Path, mtime_ns: int, size: int) -> Any:
    """The YAML of a file, parsed once per version of it (a command resolves its preset several times; ruamel
    took 50 ms a time). Callers copy it before they change it."""
    import srsly

    return srsly.read_yaml(path)


def _check_preset(path: Path, name: str, value: Any) -> None:
    """One line for what is wrong with a preset's value (a list of names, or the mapping)."""
    where = f"{path}: preset {name!r}"
    if isinstance(value, list):
        if not all(isinstance(n, str) for n in value):
            raise UserError(f"{where}: a preset is a list of function (or preset) names, each a string")
        return
    if not isinstance(value, dict):
        raise UserError(f"{where}: a preset is a list of names, or a mapping with `functions:` (and {_others()})")
    unknown = [k for k in value if k not in PRESET_KEYS]
    if unknown:
        raise UserError(f"{where}: unknown key {unknown[0]!r} (a preset has `functions:`, and {_others()})")
    functions = value.get("functions")
    if not isinstance(functions, list) or not all(isinstance(n, str) for n in functions):
        raise UserError(f"{where}: `functions:` must be a list of function (or preset) names")
    for pipe, spec in (value.get("pipelines") or {}).items():
        _check_pipeline(where, str(pipe), spec)
    roles = value.get("roles") or {}
    if not isinstance(roles, dict):
        raise UserError(f"{where}: `roles:` maps a role ({', '.join(ROLES)}) to a list of function names")
    for role, names in roles.items():
        if role not in ROLES:
            raise UserError(f"{where}: `roles:` names the unknown role {role!r} (roles: {', '.join(ROLES)})")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise UserError(f"{where}: `roles: {role}:` must be a list of function names")
    weights = value.get("weights") or {}
    if not isinstance(weights, dict):
        raise UserError(f"{where}: `weights:` maps a function name to its weight (a number >= 0)")
    for function, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight >= 0:
            raise UserError(
                f"{where}: `weights: {function}: {weight!r}`: a weight is a number >= 0 (0: not in the vote)"
            )


def yaml_problem(text: str) -> str:
    """A YAML parser's message in a few words, at the line where it found the problem (the last one it names)."""
    import re

    text = " ".join(text.split())
    where = re.findall(r"line (\d+), column (\d+)", text)
    problem = re.sub(r' in "[^"]*", line \d+, column \d+', "", text).replace("Invalid YAML: ", "")
    if len(problem) > 120:
        problem = problem[:120].rsplit(" ", 1)[0] + " ..."
    line = f"line {where[-1][0]}, column {where[-1][1]}: " if where else ""
    return f"{line}{problem}; check the indentation there"


def _close(name: str, options) -> str:
    """ " (did you mean X?)" for a misspelt name, or ""."""
    import difflib

    close = difflib.get_close_matches(name, list(options), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _others() -> str:
    return ", ".join(f"`{k}:`" for k in PRESET_KEYS[1:])


def _check_pipeline(where: str, name: str, spec: Any) -> None:
    from ..util.errors import LABEL_RE

    example = 'e.g. {model: "en_core_web_md", labels: {"PRODUCT": "DRUG"}}'
    if not isinstance(spec, dict) or not isinstance(spec.get("model"), str) or not spec.get("model"):
        raise UserError(
            f"{where}: pipeline {name!r} needs a `model:` (an installed spaCy pipeline or a path), {example}"
        )
    unknown = [k for k in spec if k not in PIPELINE_KEYS]
    if unknown:
        raise UserError(f"{where}: pipeline {name!r}: unknown key {unknown[0]!r} (keys: {', '.join(PIPELINE_KEYS)})")
    labels = spec.get("labels")
    if not isinstance(labels, dict) or not labels:
        raise UserError(f"{where}: pipeline {name!r} needs `labels:`, its labels mapped to yours, {example}")
    for theirs, ours in labels.items():
        if not isinstance(ours, str) or not LABEL_RE.match(ours):
            raise UserError(
                f"{where}: pipeline {name!r}: `labels: {theirs}: {ours!r}`: map to a label name (upper case)"
            )
    roles = spec.get("roles") or []
    if not isinstance(roles, list) or any(r not in ROLES for r in roles):
        raise UserError(f"{where}: pipeline {name!r}: `roles:` is a list of roles ({', '.join(ROLES)})")


def load_presets(path: Union[str, Path]) -> Dict[str, List[str]]:
    """{preset: [names]} from a YAML file (each preset's own list, included presets not expanded)."""
    return _lists(read_preset_file(path))


def _lists(data: Dict[str, Any]) -> Dict[str, List[str]]:
    """{preset: its own list of names} of a presets file's data (either form)."""
    return {name: list(value if isinstance(value, list) else value["functions"]) for name, value in data.items()}


def preset_names(presets: Dict[str, List[str]], preset: str, path: str = "configs/presets.yml") -> List[str]:
    """The function names of a preset, presets named in it expanded in place (order kept, duplicates dropped)."""
    if preset not in presets:
        raise UserError(f"--vars.preset {preset!r}: no such preset in {path} (presets: {', '.join(presets)})")
    out: List[str] = []

    def expand(name: str, seen: Tuple[str, ...]) -> None:
        for item in presets[name]:
            if item in presets:
                if item in seen:
                    raise UserError(f"{path}: preset {item!r} includes itself")
                expand(item, seen + (item,))
            elif item not in out:
                out.append(item)

    expand(preset, (preset,))
    return out


def resolve_preset(path: Union[str, Path], preset: str, first: Optional[Callable[[Preset], None]] = None) -> Preset:
    """A preset with its functions, the pipelines it declares, its roles and weights (included presets'
    first, the preset's own last, so that they win); a UserError for a role or weight of a function that
    is not in the preset. `first(preset)` runs before that check (`FunctionSettings.chosen` checks the
    function names there: a misspelt function is then said as such, not as a role holder missing)."""
    data = read_preset_file(path)
    names = _lists(data)
    functions = preset_names(names, preset, str(path))
    order: List[str] = []  # the presets whose settings apply, included ones first

    def visit(name: str) -> None:
        for item in names[name]:
            if item in names and item not in order:
                visit(item)
        if name not in order:
            order.append(name)

    visit(preset)
    out = Preset(preset, functions)
    for name in order:
        value = data[name]
        if isinstance(value, dict):
            out.pipelines.update({str(k): dict(v) for k, v in (value.get("pipelines") or {}).items()})
            out.roles.update({str(k): list(v) for k, v in (value.get("roles") or {}).items()})
            out.weights.update({str(k): float(v) for k, v in (value.get("weights") or {}).items()})
    if first is not None:
        first(out)
    known = set(out.functions)
    for role, holders in out.roles.items():
        missing = [n for n in holders if n not in known]
        if missing:
            raise UserError(
                f"{path}: preset {preset!r}: `roles: {role}:` names {missing[0]!r}, which is not one of its functions"
                f"{_close(missing[0], known)}: the names in `functions:` and `roles:` must match"
            )
    missing = [n for n in out.weights if n not in known]
    if missing:
        raise UserError(
            f"{path}: preset {preset!r}: `weights:` names {missing[0]!r}, which is not one of its functions"
            f"{_close(missing[0], known)}: the names in `functions:` and `weights:` must match"
        )
    return out
