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
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Dict, Iterable, List, Optional, Sequence, Tuple

import typer
from spacy.tokens import Doc, DocBin, SpanGroup
from wasabi import msg

from ..corpus.articles import document_groups
from ..corpus.docbin import iter_docs, iter_shards, make_vocab
from ..corpus.gold import score_spans
from ..corpus.labels import GOLD, NOT_ENTITY, SpanTuple, parse_labels
from ..labelmodel.base import spans_of
from ..project import var
from ..util.errors import UserError, run, switch
from ..util.files import markdown_table, write_json, write_text
from ..util.stats import wilson
from .annotator import FunctionSettings, LabellingFunctionError, build_annotator, get_annotator
from .cache import SpanCache, shard_key
from .keys import FunctionKeys
from .registry import get


@dataclass(frozen=True)
class CacheSource:
    """Where annotate's cache is, and the dev input it keyed its shards by (read `shard_size` docs at a time)."""

    folder: Path
    dev_input: Path
    shard_size: int


def from_cache(docs: List[Doc], settings: FunctionSettings, names: Sequence[str], cache: CacheSource) -> List[str]:
    """The named sentence-level functions whose spans annotate's cache holds for every shard of dev (at their
    current key): their groups put back on the docs as annotate writes them; the names read back."""
    names = [name for name in names if get(name).kind == "span"]  # batch: pipelines; document: built together
    if not names or not cache.folder.is_dir() or not cache.dev_input.exists():
        return []
    keys = FunctionKeys(settings, names=names).keys
    store = SpanCache(cache.folder)
    shards = []
    for data in iter_shards(cache.dev_input, cache.shard_size):
        shards.append((shard_key(data), len(DocBin().from_bytes(data))))
    if sum(n for _, n in shards) != len(docs):
        return []  # dev changed since annotate: run them all
    out = []
    for name in names:
        key, entries, strings = keys[name], [], set()
        for shard, n in shards:
            entry = store.get(shard, key, n)
            if entry is None:
                break
            entries.append(entry["docs"])
            strings.update(entry["strings"])
        else:
            raw = [group for docs_groups in entries for group in docs_groups]
            for string in strings:  # the labels' strings, which the groups' bytes hold as hashes
                docs[0].vocab.strings.add(string)
            for doc, group in zip(docs, raw):
                if name in doc.spans:
                    del doc.spans[name]
                if group:
                    doc.spans[name] = SpanGroup(doc).from_bytes(group)
            out.append(name)
    return out


def rerun(docs: List[Doc], settings: FunctionSettings, names: Sequence[str]) -> None:
    """The named functions afresh on the docs (their groups replaced), the others' spans kept."""
    if not names:
        return
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


def document_states(
    docs: List[Doc], settings: FunctionSettings, names: Sequence[str], before: Dict[str, List]
) -> Tuple[List[Doc], List[Doc], List[str]]:
    """The dev docs as the vote sees them with the named functions and without them: the document-level
    functions of the preset run again on the articles where a named function feeds them and its spans
    changed (`before`: each named function's spans per doc as annotate left them), or where it has spans
    (without it: on copies). The docs unchanged if none feeds them; the document-level functions that ran."""
    annotator = get_annotator(settings)
    document = [n for f in annotator.doc_functions for n in f.names]
    feeding = [n for n in names if n not in document and get(n).roles or n in annotator.negative]
    if not document or not feeding:
        return docs, docs, []
    articles = document_groups(docs)
    changed, fired = [], []
    for article in articles:
        now = [[spans_of(docs[i], n) if n in docs[i].spans else [] for n in feeding] for i in article]
        if any(any(spans) for spans in now):
            fired.append(article)
        if now != [[before[n][i] for n in feeding] for i in article]:
            changed.append(article)

    def run_document_functions(functions, subset: List[Doc]) -> None:
        for doc in functions.pipe(subset, only=set(), document=True):
            for name in document:  # as annotate leaves them: a group only where they found something
                if name in doc.spans and not len(doc.spans[name]):
                    del doc.spans[name]

    run_document_functions(
        build_annotator(settings, only=[*feeding, *document]), [docs[i] for article in changed for i in article]
    )
    without = list(docs)
    for article in fired:
        for i in article:
            without[i] = docs[i].copy()
            for name in feeding:
                if name in without[i].spans:
                    del without[i].spans[name]
    run_document_functions(build_annotator(settings, only=document), [without[i] for a in fired for i in a])
    return docs, without, document


def as_score_would(
    docs: List[Doc], selection: Dict, names: Sequence[str], labels: List[str], known: Dict[str, Dict]
) -> Dict[str, Dict]:
    """What `score` decides for each named function, with its thresholds and weighting: the labels it keeps,
    its weight and token-level precision per label. `known`: those `score` decided as they are
    (`decided_by_score`); the others (new, or changed) scored here the same way (skweak's LFAnalysis, per token)."""
    from ..labelmodel.lf_scores import function_weights, score_functions

    out = {}
    for name in names:
        if get(name).negative:
            continue  # a negative function is scored where it contradicts the kept ones: `score` only
        if name in known:  # unchanged since annotate, scored by `score` since: its decision as it stands
            out[name] = known[name]
            continue
        rows = score_functions(
            docs,
            labels,
            selection.get("min_precision", 0.0),
            sources=[name],
            label_min_precision=selection.get("label_min_precision") or {},
        )
        kept = [r["label"] for r in rows if r["status"] == "kept"]
        weight = function_weights(rows, selection.get("weighting", "uniform")).get(name, 1.0)
        out[name] = {
            "kept": kept,
            "weight": weight,
            "precision": {r["label"]: r["precision"] for r in rows if r["label"]},
            "thresholds": {r["label"]: r["threshold"] for r in rows if r["label"]},
            "fires": any(r["label"] for r in rows),
        }
    return out


def decided_by_score(selection: Dict, scores_csv: Path, names: Sequence[str]) -> Dict[str, Dict]:
    """`as_score_would`'s view of the functions `score` scored as they are (`names`: unchanged since annotate,
    from its cache), from its selection and lf_scores.csv; none when those are older than the selection's rows."""
    import csv

    if not scores_csv.is_file():
        return {}
    with open(scores_csv, encoding="utf8") as f:
        rows = [r for r in csv.DictReader(f) if r["function"] in names and r["label"] and r["precision"]]
    thresholds = selection.get("label_min_precision") or {}
    out = {}
    for name in names:
        own = {r["label"]: float(r["precision"]) for r in rows if r["function"] == name}
        if not own or name not in selection["kept"] and name not in selection.get("dropped", {}):
            continue
        out[name] = {
            "kept": [lab for lab in own if lab in (selection["kept"].get(name) or own)],
            "weight": float((selection.get("weights") or {}).get(name, 1.0)),
            "precision": own,
            "thresholds": {lab: thresholds.get(lab, selection.get("min_precision", 0.0)) for lab in own},
            "fires": True,
        }
    return out


def vote_delta(
    docs: List[Doc],
    selection: Dict,
    names: Sequence[str],
    labels: List[str],
    decided: Dict[str, Dict],
    without_docs: Optional[List[Doc]] = None,
) -> Dict[str, float]:
    """Dev F of the majority vote over `score`'s kept functions, with the named ones and without them
    (`without_docs`: the docs without them, where the document-level functions ran again). A named function
    votes as `score` would let it (`as_score_would`: its kept labels, its weight)."""
    from ..labelmodel import registry

    kept, weights = dict(selection["kept"]), dict(selection.get("weights") or {})
    negative = set(selection.get("negative") or []) | {n for n in names if get(n).negative}
    gold = [[g for g in spans_of(d, GOLD) if g[2] in labels] for d in docs]
    with_named = dict(kept)
    for n in names:
        if n in decided and decided[n]["fires"]:
            if decided[n]["kept"]:
                with_named[n] = decided[n]["kept"]
                weights[n] = decided[n]["weight"]
            else:  # `score` would drop it on every label: it does not vote
                with_named.pop(n, None)
        elif n not in kept:
            with_named[n] = []
    without = {k: v for k, v in kept.items() if k not in names}
    without_docs = without_docs or docs

    def voted(functions: Dict[str, List[str]], state: List[Doc]) -> List[List[SpanTuple]]:
        model = registry.make("majority", labels, weights, [n for n in negative if n in functions])
        return model.vote_spans(state, functions)

    with_spans = voted(with_named, docs)
    # a function without a span in a doc is out of that doc's vote (`base.Observations`): the two votes differ
    # only where a named one has spans, or where the document-level functions ran again without them
    differ = [
        i
        for i, doc in enumerate(docs)
        if without_docs[i] is not doc or any(n in doc.spans and len(doc.spans[n]) for n in names)
    ]
    without_spans = list(with_spans)
    for i, spans in zip(differ, voted(without, [without_docs[i] for i in differ])):
        without_spans[i] = spans
    out = {
        "with": score_spans(with_spans, gold, labels)["f"],
        "without": score_spans(without_spans, gold, labels)["f"],
    }
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
    scores_path: Annotated[
        Path, Opt("--scores", help="aggregate's scores: what a fitted label model learnt of each function")
    ] = Path("training/aggregate_scores.json"),
    output: Annotated[Path, Opt("--output", "-o", help="Folder of the HTML page and JSON")] = Path("training/inspect"),
    top: Annotated[int, Opt("--top", help="Rows of each list")] = 10,
    with_gaps: Annotated[
        bool, Opt("--gaps", help="Also the most frequent capitalised runs of train no kept function labels")
    ] = False,
    train: Annotated[Path, Opt("--train", help="Annotated train, for --gaps")] = Path("corpus/train_annotated"),
    pattern: Annotated[str, Opt("--pattern", help="--gaps: a regex for what looks like an entity")] = CAPITALISED_RUN,
    lf_cache: Annotated[
        str, Opt("--lf-cache", help="Read unchanged functions' spans from annotate's cache: true or false")
    ] = var("lf_cache"),
    cache_dir: Annotated[Path, Opt("--cache-dir", help="annotate's cache")] = Path(var("lf_cache_dir")),
    dev_input: Annotated[
        Path, Opt("--dev-input", help="annotate's dev input (the shards the cache is keyed by)")
    ] = Path("corpus/dev_pretrained"),
    shard_size: Annotated[int, Opt("--shard-size", help="Documents per shard, as annotate's")] = var("shard_size"),
):
    """See what labelling functions get right and wrong on dev, with the spans, and where rules are missing."""
    begin = time.perf_counter()
    cache_on = switch("lf_cache", lf_cache)
    label_list = parse_labels(labels)
    settings = FunctionSettings(tuple(label_list), preset, str(gazetteer_dir), str(presets), code, lang, hyphens)
    chosen = settings.chosen()
    # names as arguments, or as one string of them (the project command passes its var quoted)
    names = [n for item in names or [] for n in re.split(r"[\s,]+", item) if n] or list(chosen.functions)
    for name in names:
        if not get(name).emits_any(label_list):  # an unknown name: one line with the closest ones
            raise UserError(
                f"{name} emits none of the labels {','.join(label_list)} (its labels: "
                f"{', '.join(get(name).labels or [])}): a typo in its labels, or add them to --vars.labels"
            )
    dev = dev or next((p for p in (Path("corpus/dev_aggregated"), Path("corpus/dev_annotated")) if p.exists()), None)
    if dev is None or not dev.exists():
        raise UserError(
            "no annotated dev (corpus/dev_aggregated or corpus/dev_annotated): run `spacy project run annotate` first"
        )
    docs = list(iter_docs(dev, make_vocab()))
    if not any(GOLD in d.spans for d in docs):
        raise UserError(f"{dev} has no gold spans: inspect reads the annotated dev set")
    before = {n: [spans_of(d, n) if n in d.spans else [] for d in docs] for n in names}
    cached = from_cache(docs, settings, names, CacheSource(cache_dir, dev_input, shard_size)) if cache_on else []
    try:
        rerun(docs, settings, [n for n in names if n not in cached])
    except LabellingFunctionError as err:
        raise UserError(str(err)) from None
    if cached:
        msg.info(f"From annotate's cache (unchanged since): {', '.join(cached)}")
    selection = json.loads(selection_path.read_text()) if selection_path.exists() else {"kept": {}}
    known = decided_by_score(selection, selection_path.parent / "lf_scores.csv", cached)
    decided = as_score_would(docs, selection, names, label_list, known) if selection["kept"] else {}
    others = [n for n in chosen.functions if n not in names]
    report: Dict = {"dev": str(dev), "functions": {}}
    fitted = json.loads(scores_path.read_text()) if scores_path.exists() else {}
    learnt: Dict[str, Dict[str, float]] = fitted.get("reliability") or {}
    model = fitted.get("aggregator", "label model") if learnt else "label model"
    for name in names:
        emits = [NOT_ENTITY] if get(name).negative else [lab for lab in label_list if get(name).emits_any([lab])]
        rows = function_table(docs, name, emits, others)
        for row in rows:  # what the fitted label model learnt of it, beside what dev says
            row["learnt_precision"] = learnt.get(name, {}).get(row["label"])
        lists = error_lists(docs, name, emits, vote, top)
        report["functions"][name] = {"labels": rows, **lists}
        msg.divider(name)
        header = ["label", "spans", "span P", "P 95%", f"{model} P", "R", "coverage", "overlap", "conflict", "FP"]
        header += ["boundary", "missed"]
        table = [
            [
                r["label"],
                r["spans"],
                f"{r['precision']:.3f}",
                f"{r['precision_95'][0]:.2f}-{r['precision_95'][1]:.2f}",
                "-" if r["learnt_precision"] is None else f"{r['learnt_precision']:.3f}",
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
        if name in decided and decided[name]["fires"]:
            d = decided[name]
            verdicts = ", ".join(
                f"{lab} {p:.3f} {'kept' if lab in d['kept'] else 'dropped'} (threshold {d['thresholds'][lab]:g})"
                for lab, p in d["precision"].items()
            )
            print(f"score (per token, as training/lf_scores.md): {verdicts}; weight {d['weight']:g}")
        totals = {k: sum(r[f] for r in rows) for k, f in (("fp", "false_positives"), ("boundary", "boundary_errors"))}
        totals["miss"] = sum(r["misses"] for r in rows)
        for kind, title in (("fp", "False positives"), ("boundary", "Right label, wrong extent"), ("miss", "Missed")):
            if lists[kind]:
                distinct = len({(e["text"], e["label"]) for e in lists[kind]})
                more = f" (the {distinct} most frequent of {totals[kind]}; --top N for more)" if distinct == top else ""
                print(f"{title}{more}:")
                for e in lists[kind]:
                    gold = ", ".join(e["gold"]) or "-"
                    print(f"  {e['count']:>4}  {e['text']!r} {e['label']}  |  {e['sentence'][:110]}  | gold: {gold}")
    if selection["kept"]:
        try:
            with_docs, without_docs, document = document_states(docs, settings, names, before)
        except LabellingFunctionError as e:
            raise UserError(str(e)) from None
        delta = vote_delta(with_docs, selection, names, label_list, decided, without_docs)
        report["vote"] = {**delta, "document_level_rerun": document}
        again = ", the document-level functions they feed run again on dev" if document else ""
        msg.info(
            f"Majority vote on dev: F {delta['with']:.3f} with {', '.join(names)}, {delta['without']:.3f} without "
            f"({delta['delta']:+.3f}{again}, each as `score` would weigh it)"
            + ("" if vote == "majority" else f"; the {vote}'s vote: `spacy project run score aggregate`")
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
