"""The label model: how much each labelling function is worth, and what their votes make.

- `lf_scores`: each function scored on dev (skweak's LFAnalysis), the keep/drop decision, weights
- `score`: the `score` step
- `voters`: skweak's HMM and majority voter, vectorised; voting over the kept functions
- `reviews`: human reviews in the training corpus
- `training_corpus`: fit the HMM on train shards, vote train and dev, balance, export
- `aggregate`: the `aggregate` step

Imports `scripts.corpus` only (the labelling functions import `voters`, not the other way round).
"""
