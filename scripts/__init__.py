"""Weak supervision for NER with skweak, spaCy and Argilla: the project's code, one package per layer.

Each package says in its docstring what it holds; imports only point down this list:

    project        the defaults: project.yml's vars (standard library and srsly)
    pipeline       what ships inside the trained pipeline: its tokenizer and doc_consistency, with the
                   document-level rules the labelling functions share (spaCy and srsly only)
    corpus         data in and out: fingerprint, CoNLL reader, DocBin shards, labels, gold scores, workers
                   (imports pipeline: the tokenizer of raw text)
    labelmodel     scoring the labelling functions on dev, the vectorised HMM and majority voter,
                   the training corpus made from their votes                      (imports corpus)
    lfs            the labelling functions, their lexicons and the annotate step
                   (imports corpus, pipeline, and labelmodel.voters: the document-level functions take a vote)
    model          training, evaluation, packaging, prediction, the report  (imports corpus, lfs, pipeline)
    argilla_server a local Argilla server: launcher, in-process search engine, patches
                   (standard library only on the project side; the engine runs in the server's venv)
    review         Argilla records, push and pull                    (imports corpus, argilla_server)
    tools          installers and benchmarks                                       (imports anything)

A command of project.yml is `python -m scripts.PACKAGE.MODULE`: a thin typer CLI (its `main` or `app`)
over functions that the tests import.
"""

import sys

# weasel hashes every file under a folder dep (project.yml lists whole packages), so no bytecode may
# appear in the tree: a __pycache__ written by one run would make the next one rerun. Set before any
# subpackage is imported, so it holds for the project's commands, their workers and the tests.
sys.dont_write_bytecode = True
