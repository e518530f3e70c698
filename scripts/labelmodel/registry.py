"""The label models: the one list that `aggregate`, `score`'s reports, the review and the tools read.

A name here is what `--vars.aggregator` takes and the span group a model's votes are written to. Each
entry is "module:class" of this package, imported only when the model is made, so that a model's heavy
imports (the HMM's hmmlearn and scikit-learn) load only where it runs.
"""

import importlib
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Tuple, Type

if TYPE_CHECKING:
    from .base import LabelModel

LABEL_MODELS: Dict[str, str] = {
    "majority": "majority:VectorisedMajorityVoter",  # skweak's majority voter, vectorised
    "hmm": "hmm:VectorisedHMM",  # skweak's HMM, vectorised
    "dawid_skene": "dawid_skene:DawidSkene",  # each function's accuracy per label, by EM (Dawid & Skene 1979)
}


def names() -> Tuple[str, ...]:
    """Every label model's name, in the registry's order."""
    return tuple(LABEL_MODELS)


def model_class(name: str) -> Type["LabelModel"]:
    """The class of the label model `name`; a ValueError that lists the others for an unknown one."""
    if name not in LABEL_MODELS:
        raise ValueError(f"unknown label model {name!r}: choose one of {', '.join(LABEL_MODELS)}")
    module, cls = LABEL_MODELS[name].split(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), cls)


def make(
    name: str, labels: List[str], weights: Optional[Dict[str, float]] = None, negative: Iterable[str] = ()
) -> "LabelModel":
    """A new label model `name` over `labels`; `weights` (function -> weight, default 1) are its
    initial weights (what `score` chose, or a user set by hand); `negative`: the negative functions."""
    model = model_class(name)(name, labels, initial_weights=weights or None)
    if negative:
        model.negative = frozenset(negative)
    return model
