"""The model layer: what is trained on the weak labels, and how it is judged.

- `components`: `doc_consistency`, a pipeline component that makes the NER's entities consistent
  over a whole article (three document-level labelling functions, no training)
- `evaluate`: the `baseline` and `evaluate` steps (spaCy's scorer, dev and test)
- `report`: the `report` step (plots of the functions and the scores)

Imports `scripts.corpus` and `scripts.lfs`.
"""
