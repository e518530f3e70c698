"""Weak supervision for NER with skweak, spaCy and Argilla: the project's code, one package per layer.

Each package says in its docstring what it holds; imports only point down this list:

    project        the defaults: project.yml's vars (standard library and srsly), read only by the modules
                   that define a command (their option defaults)
    patches        every patch of another library and every use of its private names (standard library
                   at import; each says its pin and how to drop it)
    util           errors a user can fix, atomic files, timing, the worker pool (no project import)
    pipeline       what ships inside the trained pipeline: its tokenizer and doc_consistency, with the
                   document-level rules the labelling functions share (spaCy and srsly only)
    corpus         data in and out: fingerprint, CoNLL and other readers, DocBin shards, labels, gold
                   scores (imports pipeline: the tokenizer of raw text)
    pretrained     the pretrained spaCy pipelines the model functions read, run once per corpus by the
                   `pretrained` step so that a changed rule does not rerun them   (imports corpus)
    labelmodel     the label models behind one interface and their registry (majority, HMM, ...),
                   scoring the functions on dev, the training corpus made from the votes (imports corpus)
    lfs            the labelling functions, their lexicons and the annotate step
                   (imports corpus, pipeline, pretrained, and labelmodel.majority: the document-level
                   functions take a vote)
    model          training, evaluation, packaging, prediction, the report  (imports corpus, lfs, pipeline)
    argilla_server a local Argilla server: launcher, in-process search engine
                   (standard library only on the project side; the engine runs in the server's venv)
    review         Argilla records, push and pull; the review contract  (imports corpus, argilla_server)
    tools          installers and benchmarks                                       (imports anything)

A command of project.yml is `python -m scripts.PACKAGE.MODULE`: a thin typer CLI (its `main` or `app`)
over functions of library modules, which the tests import and which read no configuration when imported.
"""

import sys

# weasel hashes every file under a folder dep (project.yml lists whole packages), so no bytecode may
# appear in the tree: a __pycache__ written by one run would make the next one rerun. Set before any
# subpackage is imported, so it holds for the project's commands, their workers and the tests.
sys.dont_write_bytecode = True


from .patches import defer_skweak_generative  # noqa: E402  (standard library only)

defer_skweak_generative()  # before any module of the project imports skweak: its HMM module loads on first use
