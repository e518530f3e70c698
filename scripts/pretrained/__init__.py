"""The pretrained spaCy pipelines that the model-based labelling functions read (imports corpus).

- `runs`: what a run is (a pipeline package and a mode) and which run each of the project's model functions
  reads (no spaCy import)
- `plan`: the `pretrained-plan` step, the runs a preset needs as a small file, `pretrained`'s dep instead of
  the presets
- `pipelines`: how a run runs (as is, or truecased on sentences in capitals), loading only the components
  needed, and its entities as span groups
- `run`: the `pretrained` step, which leaves those entities on every doc of the corpora, so that a change
  to a rule reruns `annotate` without rerunning the pipelines (most of annotate's time)
"""
