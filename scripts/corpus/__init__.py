"""The corpus layer: data in and out. It imports `scripts.util`, `scripts.patches` and `scripts.pipeline`.

- `fingerprint`: check the data folder and record the sha256 of its files (the `data` step)
- `conll`: read CoNLL columns (IOB1 or IOB2) into a `datasets.Dataset` and spaCy Docs
- `convert`: the `convert` step, CoNLL files to DocBins with gold in `doc.spans["gold"]`
- `docbin`: a corpus is one DocBin or a folder of shards; streaming, atomic writing, the vocab
- `articles`: the article a sentence belongs to, and chunks that never split one
- `labels`: label lists, the span groups that are no labelling function, the OntoNotes map
- `gold`: gold docs and entity-level scores against them
- `shards`: a step that rewrites corpora shard by shard in workers (annotate, pretrained)
- `presets`: the presets file, lists of labelling function names

Nothing is imported here, so that the `data` step (standard library only) stays fast.
"""
