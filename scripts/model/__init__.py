"""The model layer: what is trained on the weak labels, and how it is judged.

- `train`: the `train` step (`spacy train`, the pipelines moved into place once it has finished)
- `scoring`: pipelines scored as a user runs them (whole documents through `nlp.pipe`)
- `baseline`: the `baseline` step, a pretrained pipeline zero-shot on dev and test
- `evaluate`: the `evaluate` step, the trained pipeline beside the baseline and its training labels
- `reference`: the supervised reference on gold train (not part of the method)
- `report`, `visualize`: plots of the functions and scores; a displaCy page of the model's errors
- `package`, `predict`: the installable package; a pipeline over your documents

The pipeline's own components (tokenizer, `doc_consistency`) are in `scripts.pipeline`. Imports
`scripts.corpus`, `scripts.lfs` and `scripts.pipeline`.
"""
