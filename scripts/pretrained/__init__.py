"""The pretrained spaCy pipelines that the model-based labelling functions read (imports corpus).

- `pipelines`: which pipeline each of the project's model functions runs and how (as is, or truecased on
  sentences in capitals), loading only the components needed, and their entities as span groups
- `run`: the `pretrained` step, which leaves those entities on every doc of the corpora, so that a change
  to a rule reruns `annotate` without rerunning the pipelines (most of annotate's time)
"""
