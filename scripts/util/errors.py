"""Errors a user can fix: one line that names the file (and line) or the setting, what is wrong and what to do.

Every CLI of the project runs through `run` (or catches `UserError` itself): such an error prints that one
line in red and exits 1, with no traceback; anything else is a bug and keeps its traceback.
"""

import re
from pathlib import Path
from typing import Callable, Iterable, List, NoReturn, Optional, Sequence


class UserError(Exception):
    """Bad input or a bad setting; the message is the one line the user sees."""


def fail(text: str) -> NoReturn:
    """Print `text` as one red line (wasabi's msg.fail wraps at 80 columns) and exit 1."""
    from wasabi import color, msg

    line = f"\u2718 {' '.join(str(text).split())}"
    if msg.show_color:
        line = color(line, fg=msg.colors["red"])
    print(line, flush=True)
    raise SystemExit(1)


def run(main: Callable) -> None:
    """`typer.run(main)` (or call a typer app), with a UserError as one line and exit 1."""
    import typer

    try:
        if isinstance(main, typer.Typer):
            main()
        else:
            typer.run(main)
    except UserError as exc:
        fail(str(exc))


def setting(name: str, value, problem: str) -> UserError:
    """A UserError about a project var: "--vars.NAME VALUE: PROBLEM"."""
    return UserError(f"--vars.{name} {value!r}: {problem}")


def switch(name: str, value) -> bool:
    """A var that turns something on or off: true/false (as YAML and weasel write them), yes/no, on/off, 1/0."""
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise setting(name, value, "give true or false")


def check_package_name(name: str, lang: str) -> None:
    """The var package_name: a lower-case Python module name that starts with the language (spaCy names a
    package LANG_NAME; `spacy.load` takes that name)."""
    if not name.isidentifier() or name != name.lower():
        raise setting("package_name", name, f"must be a lower-case Python module name, e.g. {lang}_weak_ner")
    if not name.startswith(f"{lang}_"):
        raise setting("package_name", name, f"spaCy names a package after its language: use {lang}_{name}")


def fine_tunes(config: Path) -> bool:
    """Whether a training config sources a component from the pipeline of the var source_model."""
    return Path(config).is_file() and "${paths.source}" in Path(config).read_text(encoding="utf8")


def check_training_config(config: str, source: str, vectors: str) -> None:
    """The vars train_config, source_model and vectors_model, before any training: the config exists, and a
    config that sources a component (`source = ${paths.source}`) names an installed pipeline that is also the
    vectors' (the sourced NER's features were learnt on its vectors)."""
    import importlib.util

    path = Path(config)
    if not path.is_file():
        raise setting("train_config", config, "no such file: configs/finetune.cfg or configs/config.cfg")
    if not fine_tunes(path):
        return
    if not source:
        raise setting("source_model", source, f"{config} fine-tunes a pipeline's NER: name it (e.g. {vectors})")
    if source != vectors:
        raise setting(
            "source_model", source, f"must be the vectors' pipeline, vectors_model {vectors!r} (its NER uses them)"
        )
    if importlib.util.find_spec(source) is None:
        raise setting("source_model", source, f"not installed: python -m spacy download {source} (or pip install it)")


LABEL_RE = re.compile(r"^[A-Z][A-Z0-9_-]*$")


def check_labels(labels: str, var: str = "labels") -> List[str]:
    """'ORG,PER' -> ['ORG', 'PER']; a UserError naming the var if it names none or one is not an upper-case name."""
    out = [label.strip() for label in labels.split(",") if label.strip()]
    if not out:
        raise setting(var, labels, "names no label: pass e.g. ORG or ORG,PER,LOC,MISC")
    for label in out:
        if not LABEL_RE.match(label):
            hint = f": did you mean {label.upper()}?" if LABEL_RE.match(label.upper()) else ""
            raise setting(var, labels, f"{label!r} is not a label name (upper case, e.g. ORG){hint}")
    return list(dict.fromkeys(out))


def check_known_labels(labels: Sequence[str], known: Iterable[str], where: str, var: str = "labels") -> None:
    """A UserError unless every label occurs in `known` (the gold labels of `where`)."""
    known = sorted(set(known))
    unknown = [label for label in labels if label not in known]
    if unknown:
        raise setting(
            var, ",".join(labels), f"{', '.join(unknown)} never occurs in {where} (its labels: {', '.join(known)})"
        )


def check_range(var: str, value: float, low: Optional[float] = None, high: Optional[float] = None) -> None:
    """A UserError unless low <= value <= high."""
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low} and {high}" if low is not None and high is not None else f"at least {low}"
        raise setting(var, value, f"must be {bounds}")
