"""The Argilla dataset of the review: its fields, questions and metadata, created once, checked after."""

from typing import List, Optional, Sequence, Tuple

from .client import argilla_sdk, get_dataset
from .records import GOLD_QUESTION, LF_PREFIX, MAIN_QUESTION, SUMMARY_FIELD, ReviewError, field_name, question_name


def reference_span_question(rg, name: str, labels: Sequence[str], title: str):
    """A span question that only shows a suggestion (gold, a labelling function): optional, over its own field."""
    return rg.SpanQuestion(
        name=name, field=field_name(name), labels=list(labels), allow_overlapping=False, required=False, title=title
    )


def main_question(rg, labels: Sequence[str], title: str, description: Optional[str] = None):
    """The required span question over the sentence whose answer is pulled (the review's and the dev labelling's)."""
    return rg.SpanQuestion(
        name=MAIN_QUESTION,
        field="text",
        labels=list(labels),
        allow_overlapping=False,
        required=True,
        title=title,
        description=description,
    )


def fields_and_questions(
    rg, labels: Sequence[str], functions: Sequence[str], with_gold: bool, aggregate: str, view: str
) -> Tuple[List, List]:
    """The dataset's fields and questions: the sentence with the main question (pre-filled with the
    aggregate), then gold and each function for reference. Argilla allows one span question per text
    field, so every reference span question gets its own copy of the sentence."""
    fields = [rg.TextField(name="text", title="Sentence (correct the entities here)", use_markdown=False)]
    main = main_question(
        rg,
        labels,
        "Entities: correct the suggested spans, then submit",
        description=f"Pre-filled with the aggregate '{aggregate}'. Discard a sentence that should be dropped.",
    )
    questions = [main]
    if with_gold:
        fields.append(rg.TextField(name=field_name(GOLD_QUESTION), title="Gold", required=False))
        questions.append(reference_span_question(rg, GOLD_QUESTION, labels, "Gold entities (reference only)"))
    if view == "text":
        title = "What the labelling functions proposed"
        fields.append(rg.TextField(name=SUMMARY_FIELD, title=title, use_markdown=True, required=False))
    for function in functions:
        qname = question_name(function)
        title = f"Labelling function '{function}' (reference only)"
        if view == "text":
            questions.append(rg.TextQuestion(name=qname, title=title, required=False, use_markdown=False))
            continue
        fields.append(rg.TextField(name=field_name(qname), title=f"LF: {function}", required=False))
        questions.append(reference_span_question(rg, qname, labels, title))
    return fields, questions


def build_settings(
    labels: Sequence[str], functions: Sequence[str], with_gold: bool, aggregate: str, view: str = "span"
):
    """The rg.Settings of a new review dataset: fields, questions, metadata to filter and sort by, guidelines."""
    rg = argilla_sdk()
    fields, questions = fields_and_questions(rg, labels, functions, with_gold, aggregate, view)
    metadata = [
        rg.TermsMetadataProperty("split", title="Split"),
        rg.IntegerMetadataProperty("sentence", title="Sentence index"),
        rg.IntegerMetadataProperty("doc_id", title="Document"),
        rg.TermsMetadataProperty("functions", title="Functions that fired", options=list(functions) or None),
        rg.IntegerMetadataProperty("n_functions", title="Number of functions that fired"),
        rg.IntegerMetadataProperty("disagreement", title="Disagreement (tokens)"),
    ]
    guidelines = (
        "Correct the entity spans in **Entities** (pre-filled with the aggregate "
        f"`{aggregate}`) and submit. Discard a sentence that should not be used. "
        "The other questions show what each labelling function (and the gold, where present) "
        "proposed; they are for reference. Filter by the `functions` metadata and sort by `disagreement`."
    )
    return rg.Settings(fields=fields, questions=questions, metadata=metadata, guidelines=guidelines)


def ensure_dataset(
    client, name: str, workspace: str, labels, functions, with_gold: bool, aggregate: str, view: str = "span"
):
    """The existing dataset (checked for compatible labels and view) or a new one."""
    rg = argilla_sdk()
    dataset = get_dataset(client, name, workspace)
    if dataset is None:
        settings = build_settings(labels, functions, with_gold, aggregate, view)
        dataset = rg.Dataset(name=name, workspace=workspace, settings=settings, client=client)
        dataset.create()
        return dataset
    existing = {q.name: q for q in dataset.settings.questions}
    main = existing.get(MAIN_QUESTION)
    if main is None:
        raise ReviewError(f"Dataset '{name}' exists but has no '{MAIN_QUESTION}' question: pass another --dataset")
    has_summary = any(f.name == SUMMARY_FIELD for f in dataset.settings.fields)
    if any(q.startswith(LF_PREFIX) for q in existing) and has_summary != (view == "text"):
        other = "text" if has_summary else "span"
        raise ReviewError(
            f"Dataset '{name}' was created with --function-view {other}: pass it again or another --dataset"
        )
    have = sorted(main.labels if isinstance(main.labels, list) else list(main.labels))
    if have != sorted(labels):
        raise ReviewError(
            f"Dataset '{name}' has labels {','.join(have)}, not {','.join(labels)}: "
            "pass the same --labels or another --dataset"
        )
    return dataset
