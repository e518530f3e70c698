"""CoNLL 2003 as a user would bring it: raw text, no CoNLL tokens. For the measurement that the own-corpus
readers lose nothing (README, "Use it on your own data").

Writes, from the CoNLL folder (var conll_dir / CONLL_DIR):
- train.jsonl: one detokenised sentence a line ({"text", "meta": {"doc_id"}}), no gold;
- dev.spacy: a DocBin, one Doc per article with its sentence boundaries and gold in `doc.ents` (as
  `spacy convert -n` or Prodigy's data-to-spacy make it);
- test.jsonl: detokenised sentences with character spans of the gold entities.

    python -m scripts.tools.conll_as_text "$CONLL_DIR" corpus/conll_as_text
    spacy project run all . --vars.train_data corpus/conll_as_text/train.jsonl \\
        --vars.dev_data corpus/conll_as_text/dev.spacy --vars.test_data corpus/conll_as_text/test.jsonl
"""

import json
from pathlib import Path
from typing import List, Tuple

import typer
from spacy.tokens import Doc, DocBin
from wasabi import msg

from ..corpus.articles import document_groups
from ..corpus.conll import conll_to_dataset, dataset_to_docs
from ..corpus.docbin import make_vocab
from ..corpus.labels import GOLD
from ..corpus.readers import HYPHENS, blank_pipeline
from ..corpus.sources import check_conll_dir, resolve_conll_dir
from ..lfs.doclevel import merge
from ..util.errors import UserError, run

# No space before these tokens, none after the opening ones: how news text is written.
NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "'S", "n't", "'", "'re", "'ve", "'ll", "'d"}
NO_SPACE_AFTER = {"(", "[", "{", "$", "``", "US$"}


def detokenise(words: List[str]) -> Tuple[str, List[Tuple[int, int]]]:
    """The text of `words` as written, and each word's character offsets in it. Straight double quotes
    alternate opening and closing."""
    text, offsets, quote_open = "", [], False
    for i, word in enumerate(words):
        space = bool(text)
        if word in NO_SPACE_BEFORE or (word == '"' and quote_open):
            space = False
        if i and (words[i - 1] in NO_SPACE_AFTER or (words[i - 1] == '"' and quote_open and word != '"')):
            space = False
        if word == '"':
            quote_open = not quote_open
        text += " " if space else ""
        offsets.append((len(text), len(text) + len(word)))
        text += word
    return text, offsets


def article(sentences: List[Doc]) -> Doc:
    """One Doc of an article's sentences (sentence starts set, as the document-level functions merge them),
    gold entities in doc.ents only."""
    doc, _ = merge(sentences, [GOLD])
    doc.ents = list(doc.spans.pop(GOLD))
    return doc


def main(
    conll_dir: Path = typer.Argument(..., help="Folder with train.txt, dev.txt, test.txt ($CONLL_DIR wins)"),
    output_dir: Path = typer.Argument(..., help="Where train.jsonl, dev.spacy and test.jsonl go"),
):
    """Write CoNLL 2003 as raw-text JSONL (train, test) and a DocBin with doc.ents (dev)."""
    try:
        files = check_conll_dir(resolve_conll_dir(conll_dir))
    except FileNotFoundError as e:
        raise UserError(str(e)) from None
    output_dir.mkdir(parents=True, exist_ok=True)
    vocab = make_vocab()
    for split, path in files.items():
        docs = list(dataset_to_docs(conll_to_dataset(path), split, vocab))
        if split == "dev":
            out = [article([docs[i] for i in group]) for group in document_groups(docs)]
            DocBin(docs=out).to_disk(output_dir / "dev.spacy")
            msg.good(f"dev: {len(out)} articles, gold in doc.ents -> {output_dir / 'dev.spacy'}")
            continue
        # how many sentences spaCy's tokenizer reads otherwise than CoNLL, with each hyphen rule
        tokenizers = {rule: blank_pipeline("en", rule).tokenizer for rule in HYPHENS}
        differ = dict.fromkeys(HYPHENS, 0)
        with open(output_dir / f"{split}.jsonl", "w", encoding="utf8") as f:
            for doc in docs:
                words = [t.text for t in doc]
                text, offsets = detokenise(words)
                for rule, tokenizer in tokenizers.items():
                    differ[rule] += [t.text for t in tokenizer(text)] != words
                record = {"text": text, "meta": {"doc_id": f"{split}-{doc.user_data['doc_id']}"}}
                if split != "train":
                    record["spans"] = [
                        {"start": offsets[s.start][0], "end": offsets[s.end - 1][1], "label": s.label_}
                        for s in doc.spans[GOLD]
                    ]
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        msg.good(f"{split}: {len(docs)} detokenised sentences -> {output_dir / f'{split}.jsonl'}")
        msg.info(
            f"{split}: spaCy's tokenizer reads "
            + ", ".join(f"{differ[r]} with hyphens {r}" for r in HYPHENS)
            + f" of the {len(docs)} sentences otherwise than CoNLL"
        )


if __name__ == "__main__":
    run(main)
