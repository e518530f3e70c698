"""What the figures say to do: checks of the dev set, the functions and the model, each one line a user can act
on (`evaluate` prints them; metrics.md and the report keep them)."""

from typing import Dict, List, Optional, Sequence, Set

# Fewer dev entities of a label than this, and its F moves by more than .03 with one entity more or less.
FEW_ENTITIES = 30
# A dev set of this many documents or fewer is a thin basis for choosing anything.
FEW_DOCUMENTS = 2


def diagnose(
    labels: Sequence[str],
    dev_entities: Dict[str, int],
    dev_documents: int,
    emitted: Optional[Set[str]],
    model: Optional[Dict],
    weak: Optional[Dict],
    baseline: Optional[Dict],
    best_at_last: bool,
) -> List[Dict[str, str]]:
    """The diagnostics that apply ({"check", "message"}). `dev_entities`: gold entities per label on dev;
    `emitted`: the labels some kept function emits (None: unknown); `model`, `weak`, `baseline`: dev scores
    of the trained model, its training labels and the zero-shot baseline (None where there is none); the model
    is below one of them when its 95% interval is (`clearly_below`);
    `best_at_last`: the best dev score came at training's last evaluation."""
    out = []

    def say(check: str, message: str) -> None:
        out.append({"check": check, "message": message})

    if dev_documents <= FEW_DOCUMENTS:
        say(
            "few_documents",
            f"dev is {dev_documents} document{'s' if dev_documents != 1 else ''}: every figure chosen on it is "
            "a thin basis (the intervals resample its sentences); label more dev documents: `spacy project run "
            "dev-push` sends train documents to label from scratch in Argilla, `dev-pull` moves them to dev",
        )
    for label in labels:
        n = dev_entities.get(label, 0)
        if n < FEW_ENTITIES:
            say(
                "few_entities",
                f"dev has {n} {label} entit{'y' if n == 1 else 'ies'}: its F moves by about {1 / max(n, 1):.2f} "
                f"with one more or less; label more dev text with {label} in it",
            )
    for label in labels if emitted is not None else []:
        if label not in emitted:
            say(
                "label_not_emitted",
                f"no kept labelling function emits {label}: the model cannot learn it (write a function for it, "
                f"or lower its threshold: --vars.label_min_precision {label}:0.5)",
            )
    if model and weak and clearly_below(model, weak["f"]):
        say(
            "below_labels",
            f"the model (dev F {model['f']:.3f}) is below its own training labels ({weak['f']:.3f}): train longer "
            "(--vars.max_steps), give it more train text, or look at the functions (`spacy project run inspect`)",
        )
    if model and baseline and clearly_below(model, baseline["f"]):
        say(
            "below_baseline",
            f"the model (dev F {model['f']:.3f}) is below the zero-shot baseline it learnt beside "
            f"({baseline['f']:.3f}): look at the functions' precision (training/lf_scores.md) and at what they miss",
        )
    if best_at_last:
        say(
            "best_at_last",
            "the best dev score came at the last evaluation: the model was still improving (train longer: "
            "--vars.max_steps)",
        )
    return out


def clearly_below(scores: Dict, other: float) -> bool:
    """The system's F is below `other` by more than chance on dev: its whole 95% interval is (without an
    interval, by more than .01)."""
    if "f_95" in scores:
        return scores["f_95"][1] < other
    return scores["f"] < other - 0.01


def markdown(diagnostics: List[Dict[str, str]]) -> str:
    """The diagnostics as a section of metrics.md and the report."""
    if not diagnostics:
        return (
            "## What the figures say\n\nNothing to act on: no check of the dev set, the functions or the model fired.\n"
        )
    return "## What the figures say\n\n" + "".join(f"- {d['message']}\n" for d in diagnostics)
