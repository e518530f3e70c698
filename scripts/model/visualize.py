"""The `visualize` step: one static HTML page (displaCy's `ent` style) to see what the model gets wrong.

For a seeded sample of dev documents (short ones by default, to read at a glance) it shows, one above
the other, the gold entities, the model's (the text run through the pipeline, as a user runs it) and the
weak labels it was trained on (the aggregate's vote). An entity that gold does not have (a false
positive, or the wrong label) is marked "✗" in red; a gold entity that the model missed is marked
"missed" in the gold line. Documents with the most errors come first.
"""

import html
import random
from pathlib import Path
from typing import Annotated, Dict, List, Optional, Sequence, Set, Tuple

import srsly
import typer
from spacy import displacy
from spacy.tokens import Doc
from wasabi import msg

from ..corpus.docbin import make_vocab, read_docs
from ..corpus.gold import document_docs
from ..corpus.labels import parse_labels
from ..pipeline import components  # noqa: F401  (a path's pipeline needs its tokenizer and doc_consistency)
from ..project import var
from ..util.errors import UserError, check_range, run
from ..util.files import write_text
from .scoring import keep_labels, load_pipeline_or_exit, run_pipeline
from .trained import check_unchanged

CharSpan = Tuple[int, int, str]
WRONG, MISSED = " ✗", " missed"
# displaCy's colours for CoNLL's labels; a wrong entity is red, a missed one orange, whatever its label
COLOURS = {"ORG": "#7aecec", "PER": "#aa9cfc", "LOC": "#ff9561", "MISC": "#c887fb"}
WRONG_COLOUR, MISSED_COLOUR = "#ff5a5f", "#ffc04d"


def char_spans(doc: Doc) -> List[CharSpan]:
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


def marked(spans: Sequence[CharSpan], gold: Set[CharSpan], suffix: str) -> List[Dict]:
    """displaCy's manual ents: a span not in `gold` gets `suffix` after its label."""
    return [{"start": s, "end": e, "label": lab if (s, e, lab) in gold else lab + suffix} for s, e, lab in spans]


def document_html(title: str, text: str, rows: Dict[str, List[CharSpan]], labels: Sequence[str]) -> str:
    """One document: a heading, then a displaCy line per row ("gold" first, the others against it)."""
    gold = set(rows["gold"])
    others = {name: spans for name, spans in rows.items() if name != "gold"}
    found = set(others.get("model", []))
    colours = {
        **COLOURS,
        **{lab + WRONG: WRONG_COLOUR for lab in labels},
        **{lab + MISSED: MISSED_COLOUR for lab in labels},
    }
    parts = [f"<h2>{html.escape(title)}</h2>"]
    lines = {"gold": marked(rows["gold"], found, MISSED), **{n: marked(s, gold, WRONG) for n, s in others.items()}}
    for name, ents in lines.items():
        markup = displacy.render(
            {"text": text, "ents": ents, "title": None},
            style="ent",
            manual=True,
            page=False,
            options={"colors": colours},
        )
        parts.append(f'<div class="row"><div class="name">{html.escape(name)}</div>{markup}</div>')
    return '<section class="doc">' + "\n".join(parts) + "</section>"


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em; max-width: 1100px; }}
.doc {{ border-top: 1px solid #ddd; padding-top: 0.5em; margin-top: 1.5em; }}
.row {{ display: flex; gap: 1em; align-items: flex-start; }}
.name {{ min-width: 9em; font-weight: bold; padding-top: 1em; }}
.entities {{ flex: 1; line-height: 2.3 !important; }}
.legend span {{ padding: 0.1em 0.4em; border-radius: 0.3em; margin-right: 0.5em; }}
</style></head><body>
<h1>{title}</h1>
<p>{summary}</p>
<p class="legend"><span style="background:{wrong}">LABEL ✗</span> not in gold (a false positive, or the wrong
label) <span style="background:{missed}">LABEL missed</span> gold entity the model did not find</p>
{body}
</body></html>
"""


def errors(rows: Dict[str, List[CharSpan]]) -> int:
    """False positives plus misses of the model against gold."""
    gold, model = set(rows["gold"]), set(rows["model"])
    return len(model - gold) + len(gold - model)


def visualize(
    nlp,
    refs: Sequence[Doc],
    weak: Optional[Sequence[Doc]],
    labels: List[str],
    sample: int,
    seed: int,
    weak_name: str = "weak labels",
    max_chars: int = 0,
) -> Tuple[str, int]:
    """The page for a seeded sample of `refs` (documents with gold ents; `weak`: the same documents with the
    weak labels as ents, or None), drawn from the documents of at most `max_chars` characters (0: any;
    all of them when none is that short); and the number of model errors on the page."""
    pool = [i for i, d in enumerate(refs) if not max_chars or len(d.text) <= max_chars] or list(range(len(refs)))
    ids = sorted(random.Random(seed).sample(pool, min(sample, len(pool))))
    texts = [refs[i].text for i in ids]
    predicted = [keep_labels(d, labels) for d in run_pipeline(nlp, texts, total=len(ids), desc="visualize")]
    docs = []
    for k, i in enumerate(ids):
        rows = {"gold": char_spans(refs[i]), "model": char_spans(predicted[k])}
        if weak is not None:
            rows[weak_name] = char_spans(weak[i])
        docs.append((errors(rows), i, rows))
    docs.sort(key=lambda x: (-x[0], x[1]))
    body = []
    for n_errors, i, rows in docs:
        first = refs[i].text.split("\n", 1)[0][:80]
        title = f"dev document {refs[i].user_data.get('doc_id', i)}: {first} ({n_errors} model errors)"
        body.append(document_html(title, refs[i].text, rows, labels))
    total = sum(d[0] for d in docs)
    summary = (
        f"{len(docs)} of {len(refs)} dev documents (seed {seed}"
        + (f", of at most {max_chars} characters" if max_chars else "")
        + f"), {total} model errors. Rows: gold, the model "
        f"(the text through the pipeline, as a user runs it){', ' + weak_name if weak is not None else ''}."
    )
    page = PAGE.format(
        title="What the model gets wrong on dev",
        summary=html.escape(summary),
        body="\n".join(body),
        wrong=WRONG_COLOUR,
        missed=MISSED_COLOUR,
    )
    return page, total


Arg, Opt = typer.Argument, typer.Option


def main(
    model: Annotated[str, Arg(help="Trained pipeline (path or package name)")],
    dev: Annotated[Path, Arg(help="convert's dev.spacy: documents with gold in doc.ents")],
    output: Annotated[Path, Arg(help="HTML page to write")],
    weak: Annotated[Optional[Path], Opt("--weak", help="aggregate's dev_aggregated (the weak labels)")] = None,
    scores: Annotated[Optional[Path], Opt("--scores", help="aggregate_scores.json (names the aggregator)")] = None,
    labels: Annotated[str, Opt("--labels", "-l", help="Comma-separated labels")] = var("labels"),
    sample: Annotated[int, Opt("--sample", help="How many dev documents")] = 20,
    max_chars: Annotated[
        int, Opt("--max-chars", help="Only documents this short (0: any), to read at a glance")
    ] = 1500,
    seed: Annotated[int, Opt("--seed")] = var("seed"),
):
    """Write a displaCy page of dev documents: gold, the model and the weak labels, errors marked."""
    label_list = parse_labels(labels)
    check_range("sample", sample, 1)
    check_range("max_chars", max_chars, 0)
    if Path(model).is_dir():  # a folder train made (an installed package has no marker)
        check_unchanged(Path(model))
    vocab = make_vocab()
    refs = read_docs(dev, vocab)
    if not refs:
        raise UserError(f"{dev}: no document to show")
    weak_docs, weak_name = None, "weak labels"
    if weak is not None:
        aggregator = srsly.read_json(scores)["aggregator"] if scores else var("aggregator")
        weak_docs = document_docs(read_docs(weak, vocab), label_list, group=aggregator)
        weak_name = f"weak labels ({aggregator})"
        if [d.text for d in weak_docs] != [d.text for d in refs]:
            raise UserError(f"{weak} does not hold the documents of {dev}: rerun `spacy project run aggregate`")
    nlp = load_pipeline_or_exit(model)
    page, n_errors = visualize(nlp, refs, weak_docs, label_list, sample, seed, weak_name, max_chars)
    write_text(output, page)
    msg.good(f"{page.count('<section')} dev documents, {n_errors} model errors marked -> {output}")


if __name__ == "__main__":
    run(main)
