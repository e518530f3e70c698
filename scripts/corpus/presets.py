"""Presets of labelling functions: a YAML file maps each preset's name to a list of function (or preset) names.

Read here, below the functions themselves, so that the `pretrained` step can tell which pipelines a preset
needs without importing (and depending on) the rules.
"""

from pathlib import Path
from typing import Dict, List, Tuple, Union

from ..util.errors import UserError


def load_presets(path: Union[str, Path]) -> Dict[str, List[str]]:
    """{preset: [names]} from a YAML file; a UserError names the file and what is wrong."""
    import srsly

    path = Path(path)
    if not path.is_file():
        raise UserError(f"--vars.presets {str(path)!r}: no such file (the presets are in configs/presets.yml)")
    try:
        data = srsly.read_yaml(path)
    except Exception as e:
        raise UserError(f"{path}: not YAML ({' '.join(str(e).split())[:100]})") from None
    if not isinstance(data, dict) or not all(
        isinstance(v, list) and all(isinstance(n, str) for n in v) for v in data.values()
    ):
        raise UserError(f"{path}: a preset file maps each preset name to a list of function (or preset) names")
    return {str(k): list(v) for k, v in data.items()}


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
