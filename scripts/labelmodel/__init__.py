"""The label models: how much each labelling function is worth, and what their votes make.

- `base`: the label-model interface (`LabelModel`: fit on train's observations, probabilities per token
  of any corpus, spans), the observation matrix, voting over the kept functions
- `registry`: the label models by name, the one list every step reads (`--vars.aggregator`)
- one module per label model of the registry (`majority`, `hmm`: skweak's majority voter and HMM, vectorised)
- `lf_scores`: each function scored on dev (skweak's LFAnalysis), the keep/drop decision, weights
- `score`: the `score` step
- `reviews`: human reviews in the training corpus
- `training_corpus`: fit the label model on train shards, vote train and dev, balance, export
- `aggregate`: the `aggregate` step

Imports `scripts.corpus` only (the labelling functions import `majority`, not the other way round).
"""
