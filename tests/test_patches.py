"""A test per patch (scripts/patches.py): each checks the patch against the library's own path, so that a
change of the pinned library fails here, naming the patch, rather than as wrong bytes downstream."""

import importlib.metadata
import pickle
import re
import subprocess

import numpy as np
import pytest
import srsly
from spacy.tokens import Doc, DocBin, Span

from scripts import patches
from scripts.corpus.docbin import IDS, copy_with_ents, docs_from_bytes, make_vocab

from .conftest import ROOT


def requirement_pins(path):
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", (ROOT / path).read_text(), flags=re.M))


@pytest.mark.parametrize("package", sorted(patches.PINS))
def test_the_installed_and_required_versions_are_the_patches_pins(package):
    pinned = patches.PINS[package]
    required = {**requirement_pins("requirements.txt"), **requirement_pins("requirements-argilla.txt")}
    assert required.get(package) == pinned, f"requirements pin {package} {required.get(package)}, patches {pinned}"
    installed = importlib.metadata.version(package)
    assert installed == pinned, (
        f"{package} {installed} is installed; scripts/patches.py was written against {pinned}: reread each patch "
        f"that names {package}, run tests/test_patches.py, then update patches.PINS"
    )


def test_the_server_pins_are_the_server_requirements():
    assert requirement_pins("requirements-argilla-server.txt").items() >= patches.SERVER_PINS.items()


def docs_with_groups(vocab):
    a = Doc(vocab, words=["Kia", "Corp", "said", "Acme", "rose"])
    a.spans["x"] = [Span(a, 0, 2, "ORG"), Span(a, 3, 4, "ORG", kb_id="Q1")]
    a.spans["y"] = [Span(a, 3, 5, "PER")]
    a.spans["y"].attrs["probs"] = {3: {"B-PER": 0.5}}
    a.spans["z"] = a.spans["y"]  # two names, one group: SpanGroups stores the bytes once
    b = Doc(vocab, words=["Nothing", "here"])
    c = Doc(vocab, words=["Bonn"])
    c.spans["x"] = []
    for i, doc in enumerate((a, b, c)):
        doc.user_data.update({"split": "train", "index": i, "doc_id": 0})
    return [a, b, c]


def groups(doc):
    return {k: ([(s.start, s.end, s.label_, s.kb_id_) for s in g], dict(g.attrs)) for k, g in doc.spans.items()}


def test_cache_msgpack_registries_finds_what_srsly_finds():
    from srsly import msgpack

    before = {
        name: dict(reg.get_all()) for name, reg in (("e", msgpack.msgpack_encoders), ("d", msgpack.msgpack_decoders))
    }
    patches.cache_msgpack_registries()
    assert getattr(msgpack.msgpack_encoders, "_cached", False)
    assert dict(msgpack.msgpack_encoders.get_all()) == before["e"]
    assert dict(msgpack.msgpack_decoders.get_all()) == before["d"]
    msgpack.msgpack_encoders.register("weak_ner_test_encoder", func=lambda obj, chain=None: obj)
    try:  # a new registration is seen, as srsly would see it
        assert "weak_ner_test_encoder" in msgpack.msgpack_encoders.get_all()
    finally:
        import catalogue

        catalogue._remove(("srsly", "msgpack_encoders", "weak_ner_test_encoder"))


def test_no_groups_is_what_spacy_writes_for_a_doc_without_span_groups():
    assert Doc(make_vocab(), words=["a"]).spans.to_bytes() == patches.NO_GROUPS == srsly.msgpack_dumps([])


def test_span_groups_of_reads_what_spacy_serialises():
    vocab = make_vocab()
    for doc in docs_with_groups(vocab):
        raw = doc.spans.to_bytes()
        read = patches.span_groups_of(raw)
        empty = Doc(vocab, words=[t.text for t in doc])  # held: a SpanGroups refers to its Doc weakly
        back = empty.spans.from_bytes(raw)
        assert list(read) == list(back)
        for name, (attrs, spans) in read.items():
            assert attrs == dict(back[name].attrs)
            assert [(int(s), int(e)) for s, e in zip(spans["start"], spans["end"])] == [
                (s.start, s.end) for s in back[name]
            ]
            assert [vocab.strings[int(x)] for x in spans["label"]] == [s.label_ for s in back[name]]


def test_groups_without_drops_one_name_and_keeps_the_others_bytes():
    vocab = make_vocab()
    doc = docs_with_groups(vocab)[0]
    kept = patches.groups_without(doc.spans.to_bytes(), "x")
    empty = Doc(vocab, words=[t.text for t in doc])
    restored = empty.spans.from_bytes(srsly.msgpack_dumps(kept))
    assert sorted(restored) == ["y", "z"] and groups(empty)["y"] == groups(doc)["y"]


def assert_same_docs(data, expected_docs, vocab):
    got = docs_from_bytes(data, vocab)
    assert [{**d.to_json(), "spans": None} for d in got] == [{**d.to_json(), "spans": None} for d in expected_docs]
    assert [groups(d) for d in got] == [groups(d) for d in expected_docs]
    assert [d.user_data for d in got] == [d.user_data for d in expected_docs]


def test_docs_to_bytes_is_docbin_add():
    vocab = make_vocab()
    docs = docs_with_groups(vocab)
    expected = DocBin(store_user_data=True, docs=docs)
    ours = DocBin(store_user_data=True).from_bytes(patches.docs_to_bytes(docs))
    assert ours.strings == expected.strings
    assert all((a == b).all() for a, b in zip(ours.tokens, expected.tokens))
    assert_same_docs(patches.docs_to_bytes(docs), docs, vocab)


def test_docbin_slice_and_rows_are_the_docs_added_again():
    vocab = make_vocab()
    docs = docs_with_groups(vocab)
    db = DocBin(store_user_data=True, docs=docs)
    assert_same_docs(patches.docbin_slice(db, 1, 3).to_bytes(), docs[1:3], vocab)
    plain = [copy_with_ents(d, []) for d in docs]
    db = DocBin(store_user_data=True, docs=plain)
    rows = patches.docbin_rows(db, [True, False, True])
    assert rows is not None and rows.strings == DocBin(store_user_data=True, docs=[plain[0], plain[2]]).strings
    assert_same_docs(rows.to_bytes(), [plain[0], plain[2]], vocab)
    assert patches.docbin_rows(DocBin(store_user_data=True, docs=docs), [True, True, True]) is None  # groups


def test_with_span_group_is_docbin_add_of_the_changed_docs():
    vocab = make_vocab()
    docs = docs_with_groups(vocab)
    db = DocBin(store_user_data=True, docs=docs)
    decoded = list(db.get_docs(vocab))
    decoded[0].spans["vote"] = [Span(decoded[0], 0, 2, "NEWLABEL")]
    decoded[0].spans["vote"].attrs["aggregated"] = True
    decoded[2].spans["x"] = [Span(decoded[2], 0, 1, "LOC")]
    assert_same_docs(patches.with_span_group(db, decoded, "vote"), decoded[:2] + [docs[2]], vocab)
    assert_same_docs(patches.with_span_group(db, decoded, "x"), docs[:2] + decoded[2:], vocab)


def test_copies_with_ents_are_copy_with_ents_added():
    vocab = make_vocab()
    docs = docs_with_groups(vocab)
    db = DocBin(store_user_data=True, docs=docs)
    decoded = list(db.get_docs(vocab))
    copies = patches.CopiesWithEnts(db, vocab, IDS)
    ents = [[(0, 2, "ORG"), (3, 4, "PER")], [], [(0, 1, "LOC")]]
    for i, doc in enumerate(decoded):
        copies.add_copy(i, [(s, e, vocab.strings.add(lab)) for s, e, lab in ents[i]], doc.user_data)
    expected = [copy_with_ents(d, e) for d, e in zip(decoded, ents)]
    ours = DocBin(store_user_data=True).from_bytes(copies.to_bytes())
    theirs = DocBin(store_user_data=True, docs=expected)
    assert ours.strings == theirs.strings
    assert all((a == b).all() for a, b in zip(ours.tokens, theirs.tokens))
    assert_same_docs(copies.to_bytes(), expected, vocab)


def test_config_overrides_parse_as_spacy_train_does():
    assert patches.config_overrides(["--paths.train", "x.spacy", "--training.max_steps", "5", "--nlp.x", "true"]) == {
        "paths.train": "x.spacy",
        "training.max_steps": 5,
        "nlp.x": True,
    }


def test_defer_skweak_generative_loads_the_hmm_module_on_first_use():
    code = (
        "import sys, scripts, skweak\n"
        "assert 'hmmlearn' not in sys.modules, 'skweak imported hmmlearn'\n"
        "from skweak.generative import HMM\n"
        "assert 'hmmlearn' in sys.modules and HMM.__module__ == 'skweak.generative'\n"
        "print('ok')\n"
    )
    out = subprocess.run([__import__("sys").executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]


def test_plain_spans_are_what_skweaks_call_writes():
    from skweak.heuristics import FunctionAnnotator

    vocab = make_vocab()
    found = lambda doc: [(0, 2, "ORG"), (3, 4, "PER")]  # noqa: E731
    annotator = FunctionAnnotator("f", found)
    doc = docs_with_groups(vocab)[0]
    assert list(patches.plain_spans(annotator, doc)) == [(s.start, s.end, s.label_) for s in annotator(doc).spans["f"]]
    annotator.add_incompatible_sources(["x"])  # a veto: skweak's own __call__ must run
    assert patches.plain_spans(annotator, doc) is None

    class Own(FunctionAnnotator):
        def __call__(self, doc):
            return doc

    assert patches.plain_spans(Own("g", found), doc) is None


def test_skweak_internals_used_by_the_label_models():
    from skweak.voting import SequentialMajorityVoter

    vocab = make_vocab()
    doc = docs_with_groups(vocab)[0]
    voter = SequentialMajorityVoter("mv", ["ORG", "PER"], initial_weights={"z": 0})
    index = patches.skweak_label_index(voter.observed_labels)
    assert index[0] == {label: i for i, label in enumerate(voter.observed_labels)}
    array = patches.skweak_spans_to_array(doc, ["x", "y"], index)
    assert array[:, 0].tolist() == [1, 2, 0, 1, 0] and array[:, 1].tolist() == [0, 0, 0, 3, 4]
    assert (patches.skweak_vote_matrix(voter) == np.eye(5)).all()
    doc.spans["v"] = [Span(doc, 0, 1, "ORG")]
    doc.spans["v"].attrs["aggregated"] = True
    assert patches.skweak_sources(voter, doc) == ["x", "y"]  # not z (weight 0), not the vote


def test_skweak_em_steps_and_hmmlearn_kernels():
    from hmmlearn import hmm as hmmlearn_hmm

    from scripts.labelmodel.hmm import VectorisedHMM

    model = VectorisedHMM("hmm", ["ORG"])
    patches.skweak_em_reset(model, ["a", "b"])
    assert set(model.emit_counts) == {"a", "b"}
    patches.skweak_em_mstep(model)
    assert set(model.emit_probs) == {"a", "b"} and np.allclose(model.hmm.transmat_.sum(axis=1), 1)
    # the kernels against hmmlearn's own model
    rng = np.random.default_rng(0)
    ref = hmmlearn_hmm.CategoricalHMM(3, init_params="", params="")
    ref.startprob_ = np.array([0.6, 0.3, 0.1])
    ref.transmat_ = np.array([[0.7, 0.2, 0.1], [0.3, 0.5, 0.2], [0.2, 0.3, 0.5]])
    ref.emissionprob_ = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
    x = rng.integers(0, 2, size=(12, 1))
    frame = np.log(ref.emissionprob_[:, x[:, 0]].T)
    logprob, fwd, bwd = patches.forward_backward_log(ref.startprob_, ref.transmat_, frame)
    assert logprob == pytest.approx(ref.score(x))
    gamma = np.exp(fwd + bwd - logprob)
    assert np.allclose(gamma, ref.predict_proba(x))
    xi = np.exp(patches.log_xi_sum(fwd, ref.transmat_, bwd, frame))  # normalised: the expected counts
    assert xi.sum() == pytest.approx(len(x) - 1)


@pytest.mark.argilla
def test_argilla_sdk_internals():
    import argilla as rg

    credentials, base = patches.argilla_sdk_errors()
    assert issubclass(credentials, base) and issubclass(base, Exception)
    import argilla.records._dataset_records as mod

    original = mod.tqdm
    with patches.quiet_sdk_progress():
        assert mod.tqdm([1, 2]) == [1, 2]
    assert mod.tqdm is original
    record = rg.Record(fields={"text": "a"}, suggestions=[rg.Suggestion("entities", "x")])
    server_id, by_question = patches.suggestion_ids(record)
    assert server_id is None and set(by_question) == {"entities"}  # the SDK's own id before any push


@pytest.mark.argilla
def test_argilla_server_internals_in_the_server_venv():
    from scripts.argilla_server.launcher import find_server_python

    code = (
        "import importlib.metadata as m, json, redis, fakeredis\n"
        "from argilla_server.jobs import dataset_jobs\n"
        "from argilla_server.models import database\n"
        "assert callable(redis.from_url) and callable(dataset_jobs.update_dataset_records_status_job)\n"
        "assert database.TypeAdapter.__name__ == 'TypeAdapter'\n"
        f"print(json.dumps({{k: m.version(k) for k in {sorted(patches.SERVER_PINS)!r}}}))\n"
    )
    out = subprocess.run([find_server_python(), "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert __import__("json").loads(out.stdout) == patches.SERVER_PINS


def test_the_label_models_pickle_for_workers():
    from scripts.labelmodel import registry

    for name in registry.names():
        model = registry.make(name, ["ORG"], {"x": 0.5})
        assert pickle.loads(pickle.dumps(model)).initial_weights == {"x": 0.5}
