"""The levers measured and not adopted, kept for their figures: missing values where nobody knows, the model as a
function."""

import numpy as np
import spacy

from scripts.corpus.docbin import read_docs, write_docs
from scripts.tools.levers import TEACHER, unknown_tokens, with_missing

from .conftest import cli


def test_tokens_nobody_knows_become_missing_and_survive_a_docbin(make_doc, tmp_path):
    annotated = make_doc(
        "The Kia Corp deal with Acme was signed in Seoul",
        spans={"org_keyword": [(1, 3, "ORG")], "legal_suffix": [(5, 6, "ORG")], "places": [(9, 10, "LOC")]},
    )
    voted = make_doc("The Kia Corp deal with Acme was signed in Seoul")
    voted.ents = [voted.char_span(4, 12, label="ORG")]  # Kia Corp; the vote left Acme and Seoul O
    kept = {"org_keyword": ["ORG"], "legal_suffix": ["ORG"]}  # places was dropped by score
    mask = unknown_tokens(voted, annotated, kept)
    # Acme: a kept function labelled it; Seoul: capitalised, no kept function; The: first token, known O
    assert [t.text for t, m in zip(voted, mask) if m] == ["Acme", "Seoul"]
    write_docs(tmp_path / "train.spacy", [with_missing(voted, mask)])
    (doc,) = read_docs(tmp_path / "train.spacy")
    assert [t.ent_iob_ for t in doc] == ["O", "B", "I", "O", "O", "", "O", "O", "O", ""]  # "": missing
    assert [(e.text, e.label_) for e in doc.ents] == [("Kia Corp", "ORG")]
    assert not np.any(unknown_tokens(voted, annotated, {}) & np.array([t.ent_type_ != "" for t in voted]))


def test_teacher_adds_the_models_entities_as_a_function(make_doc, tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "ORG", "pattern": "Acme"}])
    nlp.to_disk(tmp_path / "model")
    docs = [
        make_doc("Acme hired Anna", spans={"gold": [(0, 1, "ORG")], "md": [(2, 3, "PER")]}, index=i) for i in (0, 1)
    ]
    write_docs(tmp_path / "annotated" / "00000.spacy", docs)
    result = cli(
        "scripts.tools.levers", "teacher", str(tmp_path / "model"), str(tmp_path / "annotated"), str(tmp_path / "out")
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = read_docs(tmp_path / "out")
    assert [[(s.text, s.label_) for s in d.spans[TEACHER]] for d in out] == [[("Acme", "ORG")]] * 2
    assert [[s.text for s in d.spans["md"]] for d in out] == [["Anna"]] * 2  # the other functions kept


def test_model_variants_change_only_their_keys_and_build(tmp_path):
    from spacy.util import load_config, load_model_from_config

    from scripts.project import ROOT
    from scripts.tools.levers import VARIANTS

    base = load_config(ROOT / "configs" / "config.cfg", interpolate=True)
    base_encode = base["components"]["tok2vec"]["model"]["encode"]
    for variant in VARIANTS:
        result = cli(
            "scripts.tools.levers", "config", variant, str(ROOT / "configs" / "config.cfg"), str(tmp_path / "v.cfg")
        )
        assert result.returncode == 0, result.stdout + result.stderr
        cfg = load_config(tmp_path / "v.cfg", interpolate=True)
        assert cfg["training"] == {**base["training"], "eval_frequency": 200} and cfg["corpora"] == base["corpora"]
        embed, encode = (cfg["components"]["tok2vec"]["model"][k] for k in ("embed", "encode"))
        # every variant was measured on the wider tok2vec (width 256, depth 8) of b9f25c1
        assert (encode["width"], encode["depth"]) == (256, 8) != (base_encode["width"], base_encode["depth"])
        assert {k: v for k, v in encode.items() if k not in ("width", "depth")} == {
            k: v for k, v in base_encode.items() if k not in ("width", "depth")
        }
        if variant == "wide":
            # the same embedding and NER, at the encoder's width
            assert {**embed, "width": 128} == base["components"]["tok2vec"]["model"]["embed"]
            assert cfg["components"]["ner"]["model"]["hidden_width"] == 128
            assert cfg["nlp"]["batch_size"] == 1000 != base["nlp"]["batch_size"]
        else:  # both measured on the narrow NER
            assert embed != base["components"]["tok2vec"]["model"]["embed"]
            assert cfg["components"]["ner"]["model"]["hidden_width"] == 64
        nlp = load_model_from_config(cfg, auto_fill=True, validate=True)  # a pipeline spaCy can build
        assert nlp.pipe_names == ["tok2vec", "ner", "doc_consistency"]
    result = cli(
        "scripts.tools.levers", "config", "deeper", str(ROOT / "configs" / "config.cfg"), str(tmp_path / "x.cfg")
    )
    assert result.returncode != 0
    assert "no such model variant (variants: wide, narrow, chars)" in result.stdout + result.stderr
    assert not (tmp_path / "x.cfg").exists()


def test_a_run_that_does_not_end_on_an_evaluation_interval_still_evaluates_its_last_step():
    from scripts.model.training import with_last_step_evaluated
    from scripts.project import ROOT

    config = ROOT / "configs" / "config.cfg"
    # the config evaluates every 200 steps: 150 steps would leave model-best the untrained step 0
    assert with_last_step_evaluated(config, {"training.max_steps": 150}) == {
        "training.max_steps": 150,
        "training.eval_frequency": 150,
    }
    assert with_last_step_evaluated(config, {"training.max_steps": 2000}) == {"training.max_steps": 2000}
    assert with_last_step_evaluated(config, {}) == {}
    # a run that does not end on an evaluation: the nearest divisor at or over half the interval
    for steps, frequency in ((300, 150), (250, 125), (700, 175), (1100, 110)):
        overrides = {"training.max_steps": steps}
        assert with_last_step_evaluated(config, overrides) == {**overrides, "training.eval_frequency": frequency}
    # none between 100 and 200 divides 301 (7 x 43): the interval stays
    assert with_last_step_evaluated(config, {"training.max_steps": 301}) == {"training.max_steps": 301}


def test_patience_is_counted_in_evaluations_at_the_runs_own_interval():
    """`patience` evaluations without a better dev score: in steps, that many eval_frequency intervals."""
    import pytest

    from scripts.model.training import with_last_step_evaluated, with_patience
    from scripts.project import ROOT
    from scripts.util.errors import UserError

    config = ROOT / "configs" / "config.cfg"
    assert with_patience(config, {}, 3) == {"training.patience": 600}  # every 200 steps
    short = with_last_step_evaluated(config, {"training.max_steps": 150})  # evaluated every 150
    assert with_patience(config, short, 2)["training.patience"] == 300
    assert with_patience(config, {"training.patience": 50}, 3) == {"training.patience": 50}  # spaCy's own wins
    assert with_patience(config, {}, None) == {} and with_patience(config, {}, 0) == {"training.patience": 0}
    with pytest.raises(UserError, match="patience"):
        with_patience(config, {}, -1)
