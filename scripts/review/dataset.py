"""The Argilla dataset of the review: its fields, questions and metadata, created once, checked after."""

from typing import Sequence

from .client import argilla_sdk, get_dataset
from .records import GOLD_QUESTION, LF_PREFIX, MAIN_QUESTION, SUMMARY_FIELD, ReviewError, field_name, question_name


def build_settings(
    labels: Sequence[str], functions: Sequence[str], with_gold: bool, aggregate: str, view: str = "span"
):
    rg = argilla_sdk()
    questions = [
        rg.SpanQuestion(
            name=MAIN_QUESTION,
            field="text",
            labels=list(labels),
            allow_overlapping=False,
            required=True,
            title="Entities: correct the suggested spans, then submit",
            description=f"Pre-filled with the aggregate '{aggregate}'. Discard a sentence that should be dropped.",
        )
    ]
    # Argilla allows one span question per text field, so every reference
    # question gets its own copy of the sentence.
    fields = [rg.TextField(name="text", title="Sentence (correct the entities here)", use_markdown=False)]
    if with_gold:
        fields.append(rg.TextField(name=field_name(GOLD_QUESTION), title="CoNLL gold", required=False))
        questions.append(
            rg.SpanQuestion(
                name=GOLD_QUESTION,
                field=field_name(GOLD_QUESTION),
                labels=list(labels),
                allow_overlapping=False,
                required=False,
                title="CoNLL gold entities (reference only)",
            )
        )
    if view == "text":
        fields.append(
            rg.TextField(
                name=SUMMARY_FIELD, title="What the labelling functions proposed", use_markdown=True, required=False
            )
        )
    for function in functions:
        qname = question_name(function)
        title = f"Labelling function '{function}' (reference only)"
        if view == "text":
            questions.append(rg.TextQuestion(name=qname, title=title, required=False, use_markdown=False))
            continue
        fields.append(rg.TextField(name=field_name(qname), title=f"LF: {function}", required=False))
        questions.append(
            rg.SpanQuestion(
                name=qname,
                field=field_name(qname),
                labels=list(labels),
                allow_overlapping=False,
                required=False,
                title=title,
            )
        )
    metadata = [
        rg.TermsMetadataProperty("split", title="Split"),
        rg.IntegerMetadataProperty("sentence", title="Sentence index"),
        rg.IntegerMetadataProperty("doc_id", title="CoNLL document"),
        rg.TermsMetadataProperty("functions", title="Functions that fired", options=list(functions) or None),
        rg.IntegerMetadataProperty("n_functions", title="Number of functions that fired"),
        rg.IntegerMetadataProperty("disagreement", title="Disagreement (tokens)"),
    ]
    guidelines = (
        "Correct the entity spans in **Entities** (pre-filled with the aggregate "
        f"`{aggregate}`) and submit. Discard a sentence that should not be used. "
        "The other questions show what each labelling function (and the CoNLL gold, where present) "
        "proposed; they are for reference. Filter by the `functions` metadata and sort by `disagreement`."
    )
    return rg.Settings(
        fields=fields,
        questions=questions,
        metadata=metadata,
        guidelines=guidelines,
    )


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
