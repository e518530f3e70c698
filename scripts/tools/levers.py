"""The levers of the model that were measured and not adopted, kept so that their figures can be reproduced
(docs/experiments.md, "Beyond the weak labels"). Run after `spacy project run all`, then train on the output
with the overrides of `train` (`python -m scripts.model.train configs/config.cfg --output training/lever
--paths.train OUT ...`) and compare spacy train's dev F step by step with the default's.

    python -m scripts.tools.levers missing corpus/train_aggregated corpus/train.spacy training/lf_selection.json \\
        corpus/lever_missing.spacy
    python -m scripts.tools.levers teacher training/model-best corpus/train_annotated corpus/lever/train_annotated

- `missing`: the training corpus with the tokens nobody knows as missing values instead of O (spaCy takes
  no loss there): capitalised tokens past the first of a sentence that no kept function labels, and tokens
  a kept function labels but the vote leaves O.
- `teacher`: an annotated corpus with one more span group, `teacher`: the trained model's entities, so that
  `score` and `aggregate` treat the model as a labelling function (one round of self-training).
- `config`: a variant of configs/config.cfg (a stronger CPU model), to train on corpus/train.spacy:

    python -m scripts.tools.levers config chars configs/config.cfg training/chars.cfg
"""

from pathlib import Path
from typing import Annotated, Dict, List

import numpy as np
import srsly
import typer
from spacy.tokens import Doc, Span
from tqdm import tqdm
from wasabi import msg

from ..corpus.docbin import corpus_files, iter_docs, make_vocab, read_docs, write_docs
from ..pipeline import components  # noqa: F401  (the trained pipeline's tokenizer and doc_consistency)
from ..util.errors import UserError, run

TEACHER = "teacher"


def unknown_tokens(voted: Doc, annotated: Doc, kept: Dict[str, List[str]]) -> np.ndarray:
    """A mask of the tokens of a voted training doc that are outside its entities and that nobody knows:
    capitalised past the first token and labelled by no kept function, or labelled by one the vote overruled."""
    n = len(voted)
    covered, entity = np.zeros(n, bool), np.zeros(n, bool)
    for name, labels in kept.items():
        for span in annotated.spans.get(name, []):
            if span.label_ in labels:
                covered[span.start : span.end] = True
    for ent in voted.ents:
        entity[ent.start : ent.end] = True
    capitalised = np.array([t.text[:1].isupper() for t in voted], dtype=bool)
    capitalised[:1] = False
    return ~entity & (covered | capitalised)


def with_missing(voted: Doc, mask: np.ndarray) -> Doc:
    """A copy of `voted` (words, entities, ids) whose `mask` tokens are missing values."""
    doc = Doc(voted.vocab, words=[t.text for t in voted], spaces=[bool(t.whitespace_) for t in voted])
    ents = [Span(doc, e.start, e.end, label=e.label_) for e in voted.ents]
    doc.set_ents(ents, missing=[Span(doc, int(i), int(i) + 1) for i in np.flatnonzero(mask)], default="outside")
    doc.user_data.update(voted.user_data)
    return doc


def doc_key(doc: Doc):
    return doc.user_data.get("doc_id"), doc.user_data.get("index")


app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0])
Arg = typer.Argument


@app.command("missing")
def missing_cmd(
    aggregated: Annotated[Path, Arg(help="aggregate's train_aggregated (every function's spans)", exists=True)],
    train: Annotated[Path, Arg(help="aggregate's train.spacy (the voted training corpus)", exists=True)],
    selection: Annotated[Path, Arg(help="score's lf_selection.json", exists=True)],
    output: Annotated[Path, Arg(help="The training corpus to write")],
):
    """The training corpus with the tokens nobody knows as missing values."""
    kept = srsly.read_json(selection)["kept"]
    vocab = make_vocab()
    by_key = {doc_key(d): d for d in iter_docs(aggregated, vocab)}
    out, n_tokens, n_missing = [], 0, 0
    for doc in tqdm(read_docs(train, vocab), desc="docs", unit="doc", leave=False, disable=None):
        annotated = by_key.get(doc_key(doc))
        if annotated is None or [t.text for t in annotated] != [t.text for t in doc]:
            raise UserError(f"{train}: a sentence ({doc_key(doc)}) is not in {aggregated}: rerun `aggregate`")
        mask = unknown_tokens(doc, annotated, kept)
        out.append(with_missing(doc, mask))
        n_tokens, n_missing = n_tokens + len(doc), n_missing + int(mask.sum())
    write_docs(output, out)
    msg.good(f"{n_missing} of {n_tokens} train tokens missing -> {output}")


@app.command("teacher")
def teacher_cmd(
    model: Annotated[Path, Arg(help="The trained pipeline, e.g. training/model-best", exists=True)],
    annotated: Annotated[Path, Arg(help="An annotated corpus (annotate's output)", exists=True)],
    output: Annotated[Path, Arg(help="The same corpus with a `teacher` span group (a folder of shards)")],
):
    """Add the model's entities (on the corpus's own tokens) as the span group `teacher`."""
    import spacy

    nlp = spacy.load(model)
    for file in tqdm(corpus_files(annotated), desc="shards", unit="shard", leave=False, disable=None):
        docs = read_docs(file, make_vocab())
        words = (Doc(nlp.vocab, words=[t.text for t in d], spaces=[bool(t.whitespace_) for t in d]) for d in docs)
        for doc, pred in zip(docs, nlp.pipe(words, batch_size=256)):
            doc.spans[TEACHER] = [Span(doc, e.start, e.end, label=e.label_) for e in pred.ents]
        write_docs(output / file.name, docs)
    msg.good(f"{annotated} with the span group {TEACHER!r} of {model} -> {output}")


# The model variants measured against configs/config.cfg: `wide` is the config of b9f25c1 (tok2vec width 256,
# depth 8, spaCy's accuracy preset), replaced at 8db7aef by the smaller one for speed; `narrow` is the config
# before b9f25c1 (the lever "a stronger CPU model" widened its NER and hash rows), `chars` was measured on it.
def _wide(cfg: dict) -> None:
    cfg["components"]["tok2vec"]["model"]["encode"].update(width=256, depth=8)
    cfg["nlp"]["batch_size"] = 1000
    cfg["training"]["eval_frequency"] = 200


def _narrow(cfg: dict) -> None:
    _wide(cfg)
    cfg["components"]["ner"]["model"]["hidden_width"] = 64
    cfg["components"]["tok2vec"]["model"]["embed"]["rows"] = [5000, 1000, 2500, 2500]


def _chars(cfg: dict) -> None:
    _narrow(cfg)
    cfg["components"]["tok2vec"]["model"]["embed"] = {
        "@architectures": "spacy.CharacterEmbed.v2",
        "width": "${components.tok2vec.model.encode.width}",
        "rows": 7000,
        "nM": 64,
        "nC": 8,
        "include_static_vectors": True,
    }


VARIANTS = {
    "wide": (_wide, "b9f25c1's config (tok2vec width 256, depth 8, 1000 documents per batch, dev every 200 steps)"),
    "narrow": (_narrow, "the config before b9f25c1 (NER hidden width 64, spaCy's generated hash rows)"),
    "chars": (_chars, "the narrow config with spaCy's CharacterEmbed.v2 (8 characters of each word, and the vectors)"),
}


def variant_config(config: Path, variant: str):
    """configs/config.cfg (uninterpolated) with one of the VARIANTS applied."""
    from spacy.util import load_config

    if variant not in VARIANTS:
        raise UserError(f"variant {variant!r}: no such model variant (variants: {', '.join(VARIANTS)})")
    cfg = load_config(config, interpolate=False)
    VARIANTS[variant][0](cfg)
    return cfg


@app.command("config")
def config_cmd(
    variant: Annotated[str, Arg(help=f"One of {', '.join(VARIANTS)}")],
    config: Annotated[Path, Arg(help="The project's config, configs/config.cfg", exists=True, dir_okay=False)],
    output: Annotated[Path, Arg(help="The variant's config to write")],
):
    """Write a variant of the training config (train it with scripts.model.train and train's overrides)."""
    variant_config(config, variant).to_disk(output)
    msg.good(f"{config} with {VARIANTS[variant][1]} -> {output}")


if __name__ == "__main__":
    run(app)
