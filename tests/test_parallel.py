"""Streaming and distribution: shard folders, bounded HMM samples, and Dask equal to one process.

The Dask tests start a real `distributed.LocalCluster` on loopback with 2 worker processes.
"""

import pytest
import srsly
from spacy.tokens import Span

from scripts.corpus.articles import article_chunks
from scripts.corpus.conll import conll_to_dataset, dataset_to_docs
from scripts.corpus.docbin import (
    IDS,
    CorpusWriter,
    copy_with_ents,
    corpus_files,
    docs_from_bytes,
    iter_docs,
    iter_shards,
    make_vocab,
    read_docs,
    shard_from_bytes,
    write_docs,
)
from scripts.labelmodel import aggregate as aggregate_step
from scripts.labelmodel import registry
from scripts.labelmodel import training_corpus as tc
from scripts.lfs.annotate import annotate_corpora
from scripts.lfs.lexicons import build as build_gazetteers
from scripts.patches import CopiesWithEnts, docbin_rows, docs_to_bytes, with_span_group
from scripts.util.files import write_json
from scripts.util.parallel import Parallelism, connect, scheduler_address
from tests import reference as ref
from tests.conftest import function_settings

from .conftest import FIXTURE_CONLL

LABELS = ["ORG", "PER", "LOC", "MISC"]


def fixture_docs(split="train"):
    return list(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / f"{split}.txt"), split))


def as_tuples(docs):
    return [
        (
            d.text,
            d.user_data.get("index"),
            sorted((k, tuple((s.start, s.end, s.label_) for s in g)) for k, g in d.spans.items()),
        )
        for d in docs
    ]


@pytest.fixture(scope="module")
def gazetteers(tmp_path_factory):
    path = tmp_path_factory.mktemp("gazetteers")
    build_gazetteers.main(path, min_city_population=100000, max_surnames=20000)
    return str(path)


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def test_shard_folder_round_trip_keeps_order_and_ids(tmp_path):
    docs = fixture_docs()
    n = write_docs(tmp_path / "shards", docs, shard_size=4)
    assert n == len(docs)
    shards = [read_docs(f) for f in corpus_files(tmp_path / "shards")]
    assert len(shards) > 1 and all(len(s) >= 4 for s in shards[:-1])
    articles = [{d.user_data["doc_id"] for d in s} for s in shards]
    assert all(not (a & b) for i, a in enumerate(articles) for b in articles[i + 1 :])  # no article is split
    assert as_tuples(read_docs(tmp_path / "shards")) == as_tuples(docs)
    write_docs(tmp_path / "one.spacy", docs)
    assert (tmp_path / "one.spacy").is_file()
    assert as_tuples(iter_docs(tmp_path / "one.spacy")) == as_tuples(docs)


def test_a_file_is_cut_into_whole_articles_without_making_docs(tmp_path):
    docs = fixture_docs()
    for doc in docs[::3]:  # a labelling function's group and user data travel with their doc
        doc.spans["lf"] = [doc[0:1]]
    write_docs(tmp_path / "one.spacy", docs)
    shards = [docs_from_bytes(data, make_vocab()) for data in iter_shards(tmp_path / "one.spacy", size=4)]
    # the same cut as article_chunks: about 4 docs each, never inside an article
    assert [len(s) for s in shards] == [len(c) for c in article_chunks(docs, 4)]
    assert len(shards) > 1
    flat = [d for s in shards for d in s]
    assert as_tuples(flat) == as_tuples(docs) and [d.user_data for d in flat] == [d.user_data for d in docs]
    assert [[(s.start, s.end) for s in d.spans.get("lf", [])] for d in flat] == [
        [(s.start, s.end) for s in d.spans.get("lf", [])] for d in docs
    ]
    write_docs(tmp_path / "empty.spacy", [])
    assert list(iter_shards(tmp_path / "empty.spacy", size=4)) == []


def groups_of(doc):
    """Every span group of a doc: name -> (spans, attrs)."""
    return {k: ([(s.start, s.end, s.label_) for s in g], g.attrs) for k, g in doc.spans.items()}


def test_with_span_group_adds_one_group_and_keeps_the_others_as_read(make_doc):
    docs = [
        make_doc("Kia Corp met Anna", index=0, spans={"x": [(0, 2, "ORG")], "gold": [(3, 4, "PER")]}),
        make_doc("Oslo fell", index=1),
        make_doc("Acme rose", index=2, spans={"hmm": [(0, 1, "ORG")], "x": []}),
    ]
    docs[0].spans["x"].attrs["note"] = "kept"
    before = [groups_of(d) for d in docs]
    db, decoded = shard_from_bytes(docs_to_bytes(docs), make_vocab())
    del decoded[0].spans["x"]  # what the vote does to dropped groups: they still come back, from the bytes
    decoded[0].spans["hmm"] = [Span(decoded[0], 3, 4, label="NEWLABEL")]  # a label in no string of the shard
    decoded[0].spans["hmm"].attrs["probs"] = {3: {"B-NEWLABEL": 0.75}}
    decoded[1].spans["hmm"] = []
    decoded[2].spans["hmm"] = [Span(decoded[2], 1, 2, label="LOC")]
    data = with_span_group(db, decoded, "hmm")
    out = docs_from_bytes(data, make_vocab())
    assert [d.text for d in out] == [d.text for d in docs] and [d.user_data for d in out] == [d.user_data for d in docs]
    assert groups_of(out[0]) == {**before[0], "hmm": ([(3, 4, "NEWLABEL")], {"probs": {3: {"B-NEWLABEL": 0.75}}})}
    assert groups_of(out[1]) == {"hmm": ([], {})}
    assert groups_of(out[2]) == {"x": ([], {}), "hmm": ([(1, 2, "LOC")], {})}
    assert len(srsly.msgpack_loads(shard_from_bytes(data, make_vocab())[0].span_groups[2])) == 2  # not doubled
    # spaCy's first format of a doc's groups (a list) reads the same
    db.span_groups[0] = srsly.msgpack_dumps([g.to_bytes() for g in docs[0].spans.values()])
    assert groups_of(docs_from_bytes(with_span_group(db, decoded, "hmm"), make_vocab())[0]) == groups_of(out[0])
    with pytest.raises(ValueError):
        with_span_group(db, decoded[:2], "hmm")


def test_copies_with_ents_are_the_bytes_of_copy_with_ents(make_doc):
    docs = [
        make_doc("Kia Corp met Anna in Oslo", index=0, spans={"x": [(0, 2, "ORG")]}),
        make_doc("Nothing here .", index=1, doc_id=1),
        make_doc("BRE-X 's Walsh", index=2, doc_id=1),
        make_doc("Acme rose", index=3, doc_id=2),
    ]
    docs[0].user_data["note"] = "not copied"
    db, decoded = shard_from_bytes(docs_to_bytes(docs), make_vocab())
    ents = {0: [(0, 2, "ORG"), (3, 4, "PER"), (5, 6, "GPE_NEW")], 2: [(0, 1, "ORG")], 3: [(0, 2, "ORG")]}
    reviewed = copy_with_ents(decoded[3], [(0, 1, "REVIEWED")])
    reviewed.user_data["reviewed"] = True
    copies = CopiesWithEnts(db, decoded[0].vocab, IDS)
    for i, doc in enumerate(decoded[:3]):
        label = doc.vocab.strings.add
        copies.add_copy(i, [(s, e, label(lab)) for s, e, lab in ents.get(i, [])], doc.user_data)
    copies.add(reviewed)
    expected = [copy_with_ents(d, ents.get(i, [])) for i, d in enumerate(decoded[:3])] + [reviewed]
    assert len(copies) == 4 and copies.to_bytes() == docs_to_bytes(expected)
    alone = CopiesWithEnts(db, decoded[0].vocab, IDS)  # copies only: every string is theirs
    alone.add_copy(1, [], decoded[1].user_data)
    assert alone.to_bytes() == docs_to_bytes([copy_with_ents(decoded[1], [])])
    with pytest.raises(ValueError, match="overlap"):
        copies.add_copy(0, [(0, 2, 383), (1, 3, 383)], {})


def test_docbin_rows_are_the_bytes_of_the_kept_docs(make_doc):
    docs = [
        copy_with_ents(make_doc(f"Kia w{i} Corp{i % 3}", index=i), [(0, 1, "ORG")] if i % 2 else []) for i in range(6)
    ]
    db, _ = shard_from_bytes(docs_to_bytes(docs), make_vocab())
    keep = [True, False, False, True, True, False]
    part = docbin_rows(db, keep)
    # the strings too: only those of the kept docs (w1, Corp1 and the like are gone)
    assert part.to_bytes() == docs_to_bytes([d for d, k in zip(docs, keep) if k])
    assert docbin_rows(db, [False] * 6).to_bytes() == docs_to_bytes([])
    docs[3].spans["x"] = [docs[3][0:1]]  # span groups hold strings of their own: decode those
    assert docbin_rows(shard_from_bytes(docs_to_bytes(docs), make_vocab())[0], keep) is None


def test_docs_to_bytes_are_spacys_docbin_bytes():
    import spacy
    from spacy.tokens import Doc, DocBin

    vocab = make_vocab()
    rich = Doc(
        vocab,
        words="Apple bought U.K. startup for $ 1 _".split(),
        tags=["NNP", "VBD", "NNP", "NN", "IN", "$", "CD", "NN"],
        lemmas=["apple", "buy", "U.K.", "startup", "for", "$", "1", "_"],
        morphs=["Number=Sing", "Tense=Past", "", "", "", "", "NumType=Card", ""],
        heads=[1, 1, 3, 1, 1, 6, 4, 6],
        deps=["nsubj", "ROOT", "compound", "dobj", "prep", "quantmod", "pobj", "dep"],
        ents=["B-ORG", "O", "B-GPE", "O", "O", "B-MONEY", "I-MONEY", "O"],
    )
    rich.spans["x"] = [Span(rich, 0, 1, label="COMPANY", kb_id="Q312", span_id="s1")]
    rich.user_data["k"], rich.cats = 1, {"A": 1.0}
    plain = Doc(vocab, words=["a", "b"], spaces=[True, False])
    other = Doc(spacy.blank("en").vocab, words=["Other", "vocab"], ents=["B-PER", "I-PER"])
    no_morph = Doc(vocab, words=["x"], morphs=[""])  # its analysis is "_", and str(token.morph) ""
    for docs in ([rich, plain, Doc(vocab, words=[])], [], [rich, other], [no_morph], fixture_docs()):
        assert docs_to_bytes(docs) == DocBin(store_user_data=True, docs=docs).to_bytes()


def test_an_interrupted_writer_leaves_the_old_corpus(tmp_path):
    docs = fixture_docs()
    write_docs(tmp_path / "shards", docs[:3], shard_size=2)
    with pytest.raises(RuntimeError):
        with CorpusWriter(tmp_path / "shards", shard_size=2) as out:
            for doc in docs:
                out.add(doc)  # shards are flushed to a temp folder...
            raise RuntimeError("killed")  # ...and never replace the finished corpus
    assert len(read_docs(tmp_path / "shards")) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shards"]  # no temp folder left behind


def test_fit_sample_is_bounded_seeded_and_whole_when_small(make_doc):
    docs = [make_doc(f"w{i}", index=i) for i in range(50)]
    assert [d.user_data["index"] for d in tc.fit_sample(iter(docs), 100, seed=1)] == list(range(50))
    sample = [d.user_data["index"] for d in tc.fit_sample(iter(docs), 10, seed=1)]
    assert len(sample) == 10 and sample == sorted(sample)
    assert sample == [d.user_data["index"] for d in tc.fit_sample(iter(docs), 10, seed=1)]
    assert sample != [d.user_data["index"] for d in tc.fit_sample(iter(docs), 10, seed=2)]
    assert max(sample) >= 10  # not simply the first docs


def test_streamed_export_equals_in_memory_balance(tmp_path, make_doc):
    docs = [
        make_doc(f"Kia Corp said {i}", split="train", index=i, spans={"x": [(0, 2, "ORG")] if i % 4 == 0 else []})
        for i in range(40)
    ]
    write_docs(tmp_path / "annotated", docs, shard_size=7)
    kept = {"x": ["ORG"]}
    voter = registry.make("majority", ["ORG"])
    counts = tc.export_train(
        voter, kept, tmp_path / "annotated", tmp_path / "train.spacy", seed=3, parallel=Parallelism(1, 7)
    )
    spans, _ = ref.aggregate(read_docs(tmp_path / "annotated"), [], kept, ["ORG"], "majority")
    expected = ref.balance([copy_with_ents(d, s) for d, s in zip(docs, spans)], seed=3)
    out = read_docs(tmp_path / "train.spacy")
    assert [d.user_data["index"] for d in out] == [d.user_data["index"] for d in expected]
    assert counts["docs"] == 20 and counts["with_entities"] == 10 and counts["voted"] == 40


def test_streamed_export_with_reviews_is_the_in_memory_training_file(tmp_path, make_doc):
    docs = [
        make_doc(f"Kia Corp said {i}", split="train", index=i, spans={"x": [(0, 2, "ORG")] if i % 4 == 0 else []})
        for i in range(40)
    ]
    write_docs(tmp_path / "annotated", docs, shard_size=7)
    fixed = copy_with_ents(make_doc("Kia Corp said 1", split="train", index=1), [(0, 1, "ORG"), (3, 4, "MISC")])
    dropped = make_doc("Kia Corp said 8", split="train", index=8)
    dropped.user_data["review_status"] = "discarded"
    kept, voter = {"x": ["ORG"]}, registry.make("majority", ["ORG"])
    counts = tc.export_train(
        voter, kept, tmp_path / "annotated", tmp_path / "train.spacy", 3, [fixed, dropped], None, Parallelism(2, 7)
    )
    spans, _ = ref.aggregate(read_docs(tmp_path / "annotated"), [], kept, ["ORG"], "majority")
    reviewed, _ = ref.apply_reviews([copy_with_ents(d, s) for d, s in zip(docs, spans)], [fixed, dropped])
    expected = ref.balance(reviewed, seed=3)
    assert counts["reviewed"] == 1 and counts["discarded"] == 1 and 1 in [d.user_data["index"] for d in expected]
    # the workers' copies (made from the shards' arrays) are the bytes of the in-memory docs
    assert (tmp_path / "train.spacy").read_bytes() == docs_to_bytes(expected)


def test_annotate_on_dask_equals_one_process(cluster, gazetteers, tmp_path):
    settings = function_settings(LABELS, "full", gazetteers)
    write_docs(tmp_path / "gold.spacy", fixture_docs())
    annotate_corpora([(tmp_path / "gold.spacy", tmp_path / "serial", False)], settings, Parallelism(1, 1000))
    annotate_corpora([(tmp_path / "gold.spacy", tmp_path / "dask", False)], settings, Parallelism(1, 3, cluster))
    serial, on_dask = read_docs(tmp_path / "serial"), read_docs(tmp_path / "dask")
    assert as_tuples(on_dask) == as_tuples(serial)
    assert any(len(d.spans.get("md", [])) for d in on_dask)  # the model functions ran on the workers


def test_annotate_corpus_streams_shards_to_shards(cluster, gazetteers, tmp_path):
    write_docs(tmp_path / "gold", fixture_docs(), shard_size=5)
    settings = function_settings(["ORG"], "tutorial")
    [local] = annotate_corpora([(tmp_path / "gold", tmp_path / "local", True)], settings, Parallelism(2, 4))
    [remote] = annotate_corpora([(tmp_path / "gold", tmp_path / "dask", True)], settings, Parallelism(1, 4, cluster))
    assert local == remote and local["docs"] == len(fixture_docs())
    assert as_tuples(read_docs(tmp_path / "dask")) == as_tuples(read_docs(tmp_path / "local"))
    assert len(corpus_files(tmp_path / "dask")) > 1


def test_hmm_vote_on_dask_equals_one_process(cluster, make_doc):
    docs = [
        make_doc(
            f"Kia Corp met Anna Berg in Oslo {i}",
            split="train",
            index=i,
            spans={
                "x": [(0, 2, "ORG"), (3, 5, "PER")],
                "y": [(0, 2, "ORG"), (6, 7, "LOC")] if i % 3 else [(6, 7, "ORG")],
                "z": [(3, 4, "PER")] if i % 2 else [],
            },
        )
        for i in range(30)
    ]
    kept = {"x": [], "y": [], "z": []}
    hmm = ref.fit(registry.make("hmm", LABELS), [d.copy() for d in docs], kept)
    local = list(ref.vote_stream(hmm, [d.copy() for d in docs], kept, Parallelism(1, 8)))
    remote = list(ref.vote_stream(hmm, [d.copy() for d in docs], kept, Parallelism(1, 8, cluster)))
    pool = list(ref.vote_stream(hmm, [d.copy() for d in docs], kept, Parallelism(2, 8)))
    assert as_tuples(remote) == as_tuples(local) == as_tuples(pool)
    assert all(len(d.spans["hmm"]) for d in local)
    # the workers write the vote into the shard's own bytes: its probabilities and sources too
    assert [groups_of(d) for d in pool] == [groups_of(d) for d in remote] == [groups_of(d) for d in local]


def test_unreachable_scheduler_says_how_to_fix_it():
    with pytest.raises(ConnectionError, match="dask_scheduler"):
        connect("tcp://127.0.0.1:9", timeout="1s")


def test_scheduler_address_from_env(monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    assert scheduler_address("") is None
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://10.0.0.5:8786")
    assert scheduler_address("") == "tcp://10.0.0.5:8786"
    assert scheduler_address("tcp://127.0.0.1:8786") == "tcp://127.0.0.1:8786"


def test_make_vocab_has_the_lexical_attributes_of_spacy_blank():
    import spacy
    from spacy.tokens import Doc

    words = "The U.S. isn't gonna 1,000 Paris colour SOCCER - JAPAN http://x.org".split()
    attrs = ["norm_", "is_title", "is_upper", "like_num", "is_stop", "shape_", "is_alpha", "lower_", "like_url"]
    ours = [[getattr(t, a) for a in attrs] for t in Doc(make_vocab(), words=words)]
    assert ours == [[getattr(t, a) for a in attrs] for t in Doc(spacy.blank("en").vocab, words=words)]
    assert make_vocab() is not make_vocab()


def test_aggregate_step_on_dask_and_a_pool_equals_one_process(cluster, tmp_path, make_doc):
    """The whole step (HMM fit from worker observations, dev voted and scored in a worker) writes the
    same files whatever runs it."""
    import json

    def corpus(split, n):
        return [
            make_doc(
                f"Kia Corp met Anna Berg in Oslo {i}",
                split=split,
                index=i,
                doc_id=i // 4,
                spans={
                    "x": [(0, 2, "ORG"), (3, 5, "PER")],
                    "y": [(0, 2, "ORG"), (6, 7, "LOC")] if i % 3 else [(6, 7, "ORG")],
                    "z": [(3, 4, "PER")] if i % 2 else [],
                    **({"gold": [(0, 2, "ORG"), (3, 5, "PER")]} if split == "dev" else {}),
                },
            )
            for i in range(n)
        ]

    write_docs(tmp_path / "train", corpus("train", 40), shard_size=8)
    write_docs(tmp_path / "dev", corpus("dev", 12), shard_size=4)
    write_json(tmp_path / "sel.json", {"kept": {"x": [], "y": [], "z": []}})
    outputs = {}
    for name, where in {
        "one": dict(n_process=1, scheduler=""),
        "pool": dict(n_process=2, scheduler=""),
        "dask": dict(n_process=1, scheduler=cluster),
    }.items():
        out = tmp_path / name
        paths = [tmp_path / "train", tmp_path / "dev", tmp_path / "sel.json", out, out / "scores.json"]
        aggregate_step.main(
            *paths, labels="ORG,PER,LOC", aggregator="hmm", seed=1, review_dir=out, fit_docs=30, shard_size=8, **where
        )
        outputs[name] = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*.spacy")) if p.is_file()}
        outputs[name]["scores"] = json.loads((out / "scores.json").read_text())
    assert outputs["dask"] == outputs["one"] == outputs["pool"]
    assert len([k for k in outputs["one"] if str(k).startswith("dev_aggregated")]) == 3  # dev's shards kept
    assert outputs["one"]["scores"]["also"]["majority"]["f"] > 0


def test_export_keeping_every_doc_moves_shards_as_bytes(tmp_path, make_doc):
    """More annotated than empty docs: all are kept, and the file equals one written doc by doc."""
    docs = [
        make_doc(
            f"Kia Corp said {i}", split="train", index=i, doc_id=i // 3, spans={"x": [(0, 2, "ORG")] if i % 4 else []}
        )
        for i in range(30)
    ]
    write_docs(tmp_path / "annotated", docs, shard_size=7)
    kept = {"x": ["ORG"]}
    counts = tc.export_train(
        registry.make("majority", ["ORG"]),
        kept,
        tmp_path / "annotated",
        tmp_path / "train.spacy",
        seed=3,
        parallel=Parallelism(1, 7),
    )
    spans, _ = ref.aggregate(read_docs(tmp_path / "annotated"), [], kept, ["ORG"], "majority")
    write_docs(tmp_path / "expected.spacy", [copy_with_ents(d, s) for d, s in zip(docs, spans)])
    assert counts["docs"] == 30 and counts["with_entities"] == 22
    assert (tmp_path / "train.spacy").read_bytes() == (tmp_path / "expected.spacy").read_bytes()
