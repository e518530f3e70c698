"""`inspect`: what labelling functions get right and wrong on dev, in seconds, spans and all.

    python -m scripts.lfs.inspect took_context                # one function, declared, in a preset or not
    python -m scripts.lfs.inspect --preset drugs --gaps       # every function of a preset, and what none finds

The named functions run afresh on dev (the other functions' spans are the last `annotate`'s, in
corpus/dev_aggregated or corpus/dev_annotated); for each function and label it prints the spans, precision
with a 95% interval (Wilson's: few spans look uncertain), recall, coverage, and its overlaps and conflicts
with the preset's other functions; then its false positives, misses and boundary errors (right label,
wrong extent), each with a sentence, most frequent first. The effect on the vote: the dev F of the
majority vote over `score`'s kept functions with and without the named ones (`score`'s weights; a function
`score` has not seen weighs what its dev precision gives). `--gaps` lists the most frequent capitalised
runs of train (or `--pattern`'s matches) that no kept function labels. An HTML page (displaCy: gold, the
function, the vote; errors marked) goes to training/inspect/.
"""

import html
import json
import math
import re
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Annotated, Dict, Iterable, List, Optional, Sequence, Tuple

import typer
from spacy.tokens import Doc
from wasabi import msg

from ..corpus.docbin import iter_docs, make_vocab
from ..corpus.gold import score_spans
from ..corpus.labels import GOLD, NOT_ENTITY, SpanTuple, parse_labels
from ..labelmodel.base import spans_of
from ..labelmodel.lf_scores import precision_weight
from ..project import var
from ..util.errors import UserError, run
from ..util.files import markdown_table, write_json, write_text
from .annotator import FunctionSettings, build_annotator
from .registry import get

Z95 = 1.96


def wilson(successes: int, n: int, z: float = Z95) -> Tuple[float, float]:
    """The 95% Wilson score interval of a proportion (0, 1 for n = 0)."""
    if not n:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def rerun(docs: List[Doc], settings: FunctionSettings, names: Sequence[str]) -> None:
    """The named functions afresh on the docs (their groups replaced), the others' spans kept."""
    functions = build_annotator(settings, only=list(names))
    for name in names:
        for doc in docs:
            if name in doc.spans:
                del doc.spans[name]
    for chunk_start in range(0, len(docs), 2000):
        list(functions.pipe(docs[chunk_start : chunk_start + 2000]))


def classify(doc: Doc, name: str, labels: Sequence[str]) -> Dict[str, List[Tuple]]:
    """A function's spans of one doc against gold: right, false positive (no gold span of its label over it),
    boundary (a gold span of its label over it, another extent); and the gold spans it misses entirely."""
    gold = [g for g in spans_of(doc, GOLD) if g[2] in labels]
    found = [s for s in spans_of(doc, name) if s[2] in labels]
    out: Dict[str, List[Tuple]] = {"right": [], "fp": [], "boundary": [], "miss": []}
    for s in found:
        same = [g for g in gold if g[2] == s[2] and g[0] < s[1] and s[0] < g[1]]
        out["right" if s in gold else "boundary" if same else "fp"].append(s)
    for g in gold:
        if not any(s[2] == g[2] and s[0] < g[1] and g[0] < s[1] for s in found):
            out["miss"].append(g)
    return out


def tokens_of(found: Iterable[SpanTuple]) -> Dict[int, str]:
    return {i: label for start, end, label in found for i in range(start, end)}


def function_table(docs: List[Doc], name: str, labels: Sequence[str], others: Sequence[str]) -> List[Dict]:
    """Per label the function emits on dev: spans, precision and its interval, recall, token coverage, and
    the share of its tokens that other functions label too (overlap) or label otherwise (conflict)."""
    rows = []
    n_tokens = sum(len(d) for d in docs)
    counts: Dict[str, Counter] = {label: Counter() for label in labels}  # per label: right, fp, boundary, miss, ...
    for doc in docs:
        found = spans_of(doc, name)
        theirs: Optional[Dict[int, set]] = None  # the others' labels per token, made where the function fires
        for label in labels:
            c, n = classify(doc, name, [label]), counts[label]
            for kind in ("right", "fp", "boundary", "miss"):
                n[kind] += len(c[kind])
            mine = {i for start, end, lab in found if lab == label for i in range(start, end)}
            if not mine:
                continue
            if theirs is None:
                theirs = defaultdict(set)
                for other in others:
                    for i, lab in tokens_of(spans_of(doc, other)).items():
                        theirs[i].add(lab)
            n["covered"] += len(mine)
            n["overlap"] += sum(1 for i in mine if theirs.get(i))
            n["conflict"] += sum(1 for i in mine if theirs.get(i, set()) - {label})
    for label in labels:
        right, fp, boundary, miss, covered, overlap, conflict = (
            counts[label][k] for k in ("right", "fp", "boundary", "miss", "covered", "overlap", "conflict")
        )
        n_spans = right + fp + boundary
        if not n_spans and not miss:
            continue
        low, high = wilson(right, n_spans)
        rows.append(
            {
                "label": label,
                "spans": n_spans,
                "right": right,
                "false_positives": fp,
                "boundary_errors": boundary,
                "misses": miss,
                "precision": right / n_spans if n_spans else 0.0,
                "precision_95": [round(low, 3), round(high, 3)],
                "recall": right / (right + boundary + miss) if right + boundary + miss else 0.0,
                "coverage": covered / n_tokens if n_tokens else 0.0,
                "overlap": overlap / covered if covered else 0.0,
                "conflict": conflict / covered if covered else 0.0,
            }
        )
    return rows


def error_lists(docs: List[Doc], name: str, labels: Sequence[str], vote: str, top: int) -> Dict[str, List[Dict]]:
    """The false positives, misses and boundary errors of a function, grouped by text, most frequent first,
    each with an example sentence and what gold and the vote say there."""
    found: Dict[str, Counter] = {"fp": Counter(), "miss": Counter(), "boundary": Counter()}
    example: Dict[Tuple[str, str, str], Dict] = {}
    for doc in docs:
        c = classify(doc, name, labels)
        for kind in found:
            for start, end, label in c[kind]:
                key = (kind, doc[start:end].text, label)
                found[kind][key[1:]] += 1
                if key not in example:
                    near = [g for g in spans_of(doc, GOLD) if g[0] < end + 3 and start - 3 < g[1]]
                    example[key] = {
                        "sentence": doc.text.strip(),
                        "span": [start, end],
                        "gold": [f"{doc[s:e].text} {lab}" for s, e, lab in near],
                        "vote": [
                            f"{doc[s:e].text} {lab}" for s, e, lab in spans_of(doc, vote) if s < end and start < e
                        ],
                    }
    return {
        kind: [
            {"text": text, "label": label, "count": n, **example[(kind, text, label)]}
            for (text, label), n in counter.most_common(top)
        ]
        for kind, counter in found.items()
    }


def vote_delta(
    docs: List[Doc], selection: Dict, names: Sequence[str], labels: List[str], precision: Dict[str, float]
) -> Dict[str, float]:
    """Dev F of the majority vote over `score`'s kept functions, with the named ones and without them."""
    from ..labelmodel import registry

    kept, weights = dict(selection["kept"]), dict(selection.get("weights") or {})
    negative = set(selection.get("negative") or []) | {n for n in names if get(n).negative}
    gold = [[g for g in spans_of(d, GOLD) if g[2] in labels] for d in docs]
    with_named = {**kept, **{n: kept.get(n, []) for n in names}}
    for n in names:
        if n not in weights and n not in kept:
            weights[n] = precision_weight(precision.get(n, 0.8))  # what `score` would give it
    without = {k: v for k, v in kept.items() if k not in names}
    out = {}
    for key, functions in (("with", with_named), ("without", without)):
        model = registry.make("majority", labels, weights, [n for n in negative if n in functions])
        out[key] = score_spans(model.vote_spans(docs, functions), gold, labels)["f"]
    out["delta"] = out["with"] - out["without"]
    return out


CAPITALISED_RUN = r"(?<![.!?] )\b[A-Z][\w&.'-]*(?: [A-Z][\w&.'-]*)*"


def gaps(train: Iterable[Doc], kept: Dict, pattern: str, top: int) -> List[Dict]:
    """The most frequent matches of `pattern` in train's sentences (not at their start, not a stop word such as
    "I") that no kept function labels anywhere, with a count and an example sentence each."""
    from spacy.lang.en.stop_words import STOP_WORDS

    regex = re.compile(pattern)
    counts: Counter = Counter()
    examples: Dict[str, str] = {}
    for doc in train:
        labelled = [False] * len(doc.text)
        for name in kept:
            for span in doc.spans.get(name, []):
                labelled[span.start_char : span.end_char] = [True] * (span.end_char - span.start_char)
        for m in regex.finditer(doc.text):
            if m.start() == 0 or m.group().lower() in STOP_WORDS or any(labelled[m.start() : m.end()]):
                continue
            counts[m.group()] += 1
            examples.setdefault(m.group(), doc.text.strip())
    return [{"text": t, "count": n, "sentence": examples[t]} for t, n in counts.most_common(top)]


COLORS = {"fp": "#ff9a9a", "boundary": "#ffd27a", "miss": "#c9a0ff"}


def render(doc: Doc, rows: Sequence[Tuple[str, List[SpanTuple], Dict[Tuple[int, int, str], str]]]) -> str:
    """displaCy's entity style, one line per row (title, spans, marks {span: fp/boundary/miss})."""
    from spacy import displacy

    out = []
    for title, found, marks in rows:
        ents = []
        for start, end, label in sorted(found):
            mark = marks.get((start, end, label))
            shown = (
                f"{label} ✗"
                if mark == "fp"
                else f"{label} ↔"
                if mark == "boundary"
                else f"{label} missed"
                if mark == "miss"
                else label
            )
            ents.append({"start": doc[start].idx, "end": doc[end - 1].idx + len(doc[end - 1]), "label": shown})
        colors = {e["label"]: COLORS[m] for e, m in zip(ents, [marks.get(s) for s in sorted(found)]) if m}
        page = displacy.render(
            {"text": doc.text, "ents": ents, "title": None}, style="ent", manual=True, options={"colors": colors}
        )
        out.append(f"<div class='row'><b>{html.escape(title)}</b>{page}</div>")
    return "\n".join(out)


def html_report(docs: List[Doc], names: Sequence[str], labels: Sequence[str], vote: str, limit: int = 40) -> str:
    """A page of the dev sentences where the named functions err: gold (misses marked), each function (false
    positives and boundary errors marked), the vote."""
    sections = []
    for name in names:
        shown = 0
        for doc in docs:
            c = classify(doc, name, labels)
            if not (c["fp"] or c["boundary"] or c["miss"]):
                continue
            marks = {s: kind for kind in ("fp", "boundary") for s in c[kind]}
            rows = [
                ("gold", [g for g in spans_of(doc, GOLD) if g[2] in labels], {g: "miss" for g in c["miss"]}),
                (name, [s for s in spans_of(doc, name) if s[2] in labels], marks),
                (f"vote ({vote})", [s for s in spans_of(doc, vote) if s[2] in labels], {}),
            ]
            sections.append(f"<section><h3>{html.escape(name)}</h3>{render(doc, rows)}</section>")
            shown += 1
            if shown >= limit:
                break
    legend = "✗ false positive · ↔ right label, wrong extent · missed: gold it does not find"
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>inspect</title>"
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto} .row{margin:4px 0} "
        "section{border-bottom:1px solid #ddd}</style>"
        f"</head><body><h1>{html.escape(', '.join(names))} on dev</h1><p>{legend}</p>{''.join(sections)}</body></html>"
    )


Arg, Opt = typer.Argument, typer.Option


def main(
    names: Annotated[
        Optional[List[str]], Arg(help="Labelling functions to inspect (declared; in a preset or not)")
    ] = None,
    preset: Annotated[
        str, Opt("--preset", help="The preset (its functions are inspected when no NAME is given)")
    ] = var("preset"),
    presets: Annotated[Path, Opt("--presets", help="YAML file of presets")] = Path(var("presets")),
    code: Annotated[str, Opt("--code", help="Your labelling functions: a .py file or a folder")] = var("lf_code"),
    labels: Annotated[str, Opt("--labels", "-l", help="Comma-separated labels")] = var("labels"),
    gazetteer_dir: Annotated[Path, Opt("--gazetteers", help="Folder of the lexicons")] = Path(var("gazetteers_dir")),
    lang: Annotated[str, Opt("--lang", help="spaCy language of the tokenizer of phrases")] = var("lang"),
    hyphens: Annotated[str, Opt("--hyphens", help="split or keep")] = var("hyphens"),
    dev: Annotated[
        Optional[Path], Opt("--dev", help="Annotated dev (default: corpus/dev_aggregated, else corpus/dev_annotated)")
    ] = None,
    selection_path: Annotated[Path, Opt("--selection", help="score's lf_selection.json")] = Path(
        "training/lf_selection.json"
    ),
    vote: Annotated[str, Opt("--vote", help="The vote's span group in --dev (the aggregator)")] = var("aggregator"),
    output: Annotated[Path, Opt("--output", "-o", help="Folder of the HTML page and JSON")] = Path("training/inspect"),
    top: Annotated[int, Opt("--top", help="Rows of each list")] = 10,
    with_gaps: Annotated[
        bool, Opt("--gaps", help="Also the most frequent capitalised runs of train no kept function labels")
    ] = False,
    train: Annotated[Path, Opt("--train", help="Annotated train, for --gaps")] = Path("corpus/train_annotated"),
    pattern: Annotated[str, Opt("--pattern", help="--gaps: a regex for what looks like an entity")] = CAPITALISED_RUN,
):
    """See what labelling functions get right and wrong on dev, with the spans, and where rules are missing."""
    begin = time.perf_counter()
    label_list = parse_labels(labels)
    settings = FunctionSettings(tuple(label_list), preset, str(gazetteer_dir), str(presets), code, lang, hyphens)
    chosen = settings.chosen()
    # names as arguments, or as one string of them (the project command passes its var quoted)
    names = [n for item in names or [] for n in re.split(r"[\s,]+", item) if n] or list(chosen.functions)
    for name in names:
        get(name)  # an unknown name: one line with the closest ones
    dev = dev or next((p for p in (Path("corpus/dev_aggregated"), Path("corpus/dev_annotated")) if p.exists()), None)
    if dev is None or not dev.exists():
        raise UserError(
            "no annotated dev (corpus/dev_aggregated or corpus/dev_annotated): run `spacy project run annotate` first"
        )
    docs = list(iter_docs(dev, make_vocab()))
    if not any(GOLD in d.spans for d in docs):
        raise UserError(f"{dev} has no gold spans: inspect reads the annotated dev set")
    rerun(docs, settings, names)
    selection = json.loads(selection_path.read_text()) if selection_path.exists() else {"kept": {}}
    others = [n for n in chosen.functions if n not in names]
    report: Dict = {"dev": str(dev), "functions": {}}
    precision: Dict[str, float] = {}
    for name in names:
        emits = [NOT_ENTITY] if get(name).negative else [lab for lab in label_list if get(name).emits_any([lab])]
        rows = function_table(docs, name, emits, others)
        lists = error_lists(docs, name, emits, vote, top)
        total = sum(r["spans"] for r in rows)
        precision[name] = sum(r["right"] for r in rows) / total if total else 0.0
        report["functions"][name] = {"labels": rows, **lists}
        msg.divider(name)
        header = ["label", "spans", "P", "P 95%", "R", "coverage", "overlap", "conflict", "FP", "boundary", "missed"]
        table = [
            [
                r["label"],
                r["spans"],
                f"{r['precision']:.3f}",
                f"{r['precision_95'][0]:.2f}-{r['precision_95'][1]:.2f}",
                f"{r['recall']:.3f}",
                f"{r['coverage']:.3f}",
                f"{r['overlap']:.2f}",
                f"{r['conflict']:.2f}",
                r["false_positives"],
                r["boundary_errors"],
                r["misses"],
            ]
            for r in rows
        ]
        print(markdown_table(header, table))
        for kind, title in (("fp", "False positives"), ("boundary", "Right label, wrong extent"), ("miss", "Missed")):
            if lists[kind]:
                print(f"{title}:")
                for e in lists[kind]:
                    gold = ", ".join(e["gold"]) or "-"
                    print(f"  {e['count']:>4}  {e['text']!r} {e['label']}  |  {e['sentence'][:110]}  | gold: {gold}")
    if selection["kept"]:
        delta = vote_delta(docs, selection, names, label_list, precision)
        report["vote"] = delta
        msg.info(
            f"Majority vote on dev: F {delta['with']:.3f} with {', '.join(names)}, {delta['without']:.3f} without "
            f"({delta['delta']:+.3f}); the HMM's needs `spacy project run aggregate`"
        )
    if with_gaps:
        report["gaps"] = gaps(iter_docs(train, make_vocab()), selection["kept"], pattern, top)
        print("Where rules are missing (train, no kept function labels it):")
        for g in report["gaps"]:
            print(f"  {g['count']:>5}  {g['text']!r}  |  {g['sentence'][:110]}")
    stem = "_".join(re.sub(r"\W+", "-", n) for n in names)[:80] or "preset"
    write_json(output / f"{stem}.json", report)
    write_text(output / f"{stem}.html", html_report(docs, names, label_list, vote))
    msg.good(f"{output / stem}.html ({time.perf_counter() - begin:.1f} s)")


if __name__ == "__main__":
    run(main)
