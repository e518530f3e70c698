"""Weak supervision for NER with skweak, spaCy and Argilla: the project's code, one package per layer.

Each package says in its docstring what it holds; imports only point down this list:

    project        the defaults: project.yml's vars (standard library and srsly)
    pipeline       what ships inside the trained pipeline: its tokenizer and doc_consistency, with the
                   document-level rules the labelling functions share (spaCy and srsly only)
    corpus         data in and out: fingerprint, CoNLL reader, DocBin shards, labels, gold scores, workers
                   (imports pipeline: the tokenizer of raw text)
    pretrained     the pretrained spaCy pipelines the model functions read, run once per corpus by the
                   `pretrained` step so that a changed rule does not rerun them   (imports corpus)
    labelmodel     scoring the labelling functions on dev, the vectorised HMM and majority voter,
                   the training corpus made from their votes                      (imports corpus)
    lfs            the labelling functions, their lexicons and the annotate step
                   (imports corpus, pipeline, pretrained, and labelmodel.voters: the document-level
                   functions take a vote)
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


def defer_skweak_hmm() -> None:
    """Load skweak's HMM module (skweak.generative: hmmlearn and scikit-learn, 2 s of imports) when one of
    its names is first used rather than whenever skweak is: skweak's __init__ and its aggregation module
    import it even for a heuristic or a majority vote. A no-op once it is loaded."""
    if "skweak.generative" in sys.modules:
        return
    import importlib.machinery
    import importlib.util
    import types

    top = importlib.util.find_spec("skweak")  # a top-level spec: found without importing the package
    if top is None or not top.submodule_search_locations:
        return
    spec = importlib.machinery.PathFinder.find_spec("skweak.generative", list(top.submodule_search_locations))
    if spec is None or spec.loader is None:
        return
    loader = spec.loader

    class Deferred(types.ModuleType):
        # called only for a name the module does not have yet: its code runs then, once (importlib's
        # LazyLoader would run it on any attribute, and the import system reads __spec__ at every import)
        def __getattr__(self, name: str):
            if name.startswith("__") or self.__class__ is not Deferred:
                raise AttributeError(name)
            self.__class__ = types.ModuleType  # type: ignore[assignment]
            loader.exec_module(self)
            return getattr(self, name)

    module = importlib.util.module_from_spec(spec)
    module.__class__ = Deferred
    sys.modules["skweak.generative"] = module


defer_skweak_hmm()  # before any module of the project imports skweak
