"""The registry of labelling functions: presets from configs/presets.yml, unknown names, a user's own
functions (plain functions, gazetteers, patterns, pipelines) picked up from a file, and their roles."""

import textwrap

import pytest

from scripts.corpus.presets import load_presets, preset_names
from scripts.lfs import registry
from scripts.lfs.annotator import build_annotator
from scripts.project import ROOT
from scripts.util.errors import UserError
from tests.conftest import function_settings

from .conftest import cli, one_line_failure, spans_of

PRESETS = ROOT / "configs" / "presets.yml"


pytestmark = pytest.mark.usefixtures("fresh_registry")


def test_presets_file_holds_the_tutorial_and_full():
    presets = load_presets(PRESETS)
    tutorial = preset_names(presets, "tutorial")
    assert len(tutorial) == 23 and tutorial[0] == "sports_results" and "Corp (end)" in tutorial
    full = preset_names(presets, "full")
    assert full[:3] == ["md", "md_truecase", "sm"] and full[-1] == "org_alias" and len(full) == 38
    for name in tutorial + full:  # every name is declared, with the labels it can emit
        assert registry.get(name).name == name


def test_tutorial_preset_builds_its_23_functions():
    names = build_annotator(function_settings(["ORG"], "tutorial")).names
    assert names == preset_names(load_presets(PRESETS), "tutorial")
    assert build_annotator(function_settings(["PER"], "tutorial")).names == []  # none emits PER


def test_unknown_function_name_is_an_error_with_a_hint(tmp_path):
    presets = tmp_path / "presets.yml"
    presets.write_text('mine:\n  - "sports_resluts"\n')
    with pytest.raises(UserError, match=r"unknown labelling function 'sports_resluts' \(did you mean sports_results"):
        function_settings(["ORG"], "mine", presets=str(presets)).names()


def test_unknown_preset_and_bad_files(tmp_path):
    with pytest.raises(UserError, match=r"--vars.preset 'ful': no such preset .*\(presets: tutorial, full, news\)"):
        function_settings(["ORG"], "ful").names()
    bad = tmp_path / "p.yml"
    bad.write_text("full: md\n")
    with pytest.raises(UserError, match="preset 'full': a preset is a list of names, or a mapping with `functions:`"):
        load_presets(bad)
    bad.write_text("- md\n")
    with pytest.raises(UserError, match="maps each preset name to a list"):
        load_presets(bad)
    with pytest.raises(UserError, match="no such file"):
        load_presets(tmp_path / "none.yml")
    bad.write_text("a: [b]\nb: [a]\n")
    with pytest.raises(UserError, match="includes itself"):
        preset_names(load_presets(bad), "a")


def test_presets_include_presets(tmp_path):
    path = tmp_path / "p.yml"
    path.write_text("a: [x, y]\nb: [z, a, x]\n")
    assert preset_names(load_presets(path), "b") == ["z", "x", "y"]


def test_annotate_cli_unknown_function_is_one_line(tmp_path):
    presets = tmp_path / "presets.yml"
    presets.write_text("mine: [no_such_function]\n")
    result = cli(
        "scripts.lfs.annotate",
        ROOT / "tests" / "fixtures" / "conll" / "dev.txt",
        tmp_path / "out",
        "--preset",
        "mine",
        "--presets",
        presets,
        "--labels",
        "ORG",
    )
    assert "unknown labelling function 'no_such_function'" in one_line_failure(result)
    assert not (tmp_path / "out").exists()


USER_CODE = """
    from scripts.lfs.registry import gazetteer, labelling_function, patterns

    @labelling_function("drug_suffix", labels=["DRUG"], roles=["doc_vote"])
    def drug_suffix(doc):
        for tok in doc:
            if tok.text.lower().endswith(("mab", "pril")):
                yield tok.i, tok.i + 1, "DRUG"

    gazetteer("drug_list", "drugs.txt", label="DRUG", roles=["doc_vote"])
    gazetteer("drug_json", "drugs.json", label="DRUG", case_sensitive=False)
    gazetteer("drug_csv", "drugs.csv", label="DRUG")
    patterns("drug_patterns", "patterns.jsonl")
"""


def user_folder(tmp_path, code=USER_CODE):
    folder = tmp_path / "lfs"
    folder.mkdir()
    (folder / "drugs.py").write_text(textwrap.dedent(code))
    (folder / "drugs.txt").write_text("Advil\nvitamin C\n\n")
    (folder / "drugs.json").write_text('["tylenol"]')
    (folder / "drugs.csv").write_text("entry,kind\nAspirin,nsaid\n")
    (folder / "patterns.jsonl").write_text(
        '{"label": "DRUG", "pattern": "fish oil"}\n'
        '{"label": "DOSE", "pattern": [{"LIKE_NUM": true}, {"LOWER": "mg"}]}\n'
    )
    presets = tmp_path / "presets.yml"
    presets.write_text("drugs: [drug_suffix, drug_list, drug_json, drug_csv, drug_patterns, doc_majority_cased]\n")
    return folder, presets


def test_user_functions_from_a_folder(tmp_path, make_doc):
    folder, presets = user_folder(tmp_path)
    settings = function_settings(["DRUG", "DOSE"], "drugs", presets=str(presets), code=str(folder))
    annotator = build_annotator(settings)
    assert annotator.names == [
        "drug_suffix",
        "drug_list",
        "drug_json",
        "drug_csv",
        "drug_patterns",
        "doc_majority_cased",
    ]
    docs = [
        make_doc("Took adalimumab and Advil with vitamin C", doc_id=1, index=0),
        make_doc("TYLENOL , Aspirin , fish oil 200 mg", doc_id=1, index=1),
        make_doc("Later Advil again and lisinopril", doc_id=1, index=2),
    ]
    out = list(annotator.pipe(docs))
    assert spans_of(out[0], "drug_suffix") == [(1, 2, "DRUG")]
    assert spans_of(out[0], "drug_list") == [(3, 4, "DRUG"), (5, 7, "DRUG")]
    assert spans_of(out[1], "drug_json") == [(0, 1, "DRUG")]  # case-insensitive
    assert spans_of(out[1], "drug_csv") == [(2, 3, "DRUG")]  # the CSV header is no entry
    assert spans_of(out[1], "drug_patterns") == [(4, 6, "DRUG"), (6, 8, "DOSE")]
    # doc_vote: the document majority reads drug_suffix and drug_list (their role), not drug_csv or drug_json
    assert (1, 2, "DRUG") in spans_of(out[2], "doc_majority_cased")
    assert spans_of(out[1], "doc_majority_cased") == []


def test_labels_restrict_user_functions(tmp_path, make_doc):
    folder, presets = user_folder(tmp_path)
    annotator = build_annotator(function_settings(["DOSE"], "drugs", presets=str(presets), code=str(folder)))
    assert annotator.names == ["drug_patterns", "doc_majority_cased"]
    # drug_patterns also finds DRUG: only its DOSE spans are kept, and no group where it found only DRUG
    dose, drug = annotator.pipe([make_doc("fish oil 200 mg", doc_id=1), make_doc("fish oil daily", doc_id=2)])
    assert spans_of(dose, "drug_patterns") == [(2, 4, "DOSE")]
    assert "drug_patterns" not in drug.spans


def test_declaring_a_name_twice_or_a_bad_role_is_an_error(tmp_path):
    folder, presets = user_folder(tmp_path)
    (folder / "more.py").write_text(
        "from scripts.lfs.registry import labelling_function\n"
        "labelling_function('drug_suffix', labels=['DRUG'])(lambda doc: [])\n"
    )
    with pytest.raises(UserError, match="'drug_suffix' is declared twice"):
        function_settings(["DRUG"], "drugs", presets=str(presets), code=str(folder)).names()
    with pytest.raises(UserError, match="unknown role 'vote'"):
        registry.labelling_function("x_fn", labels=["DRUG"], roles=["vote"])(lambda doc: [])
    with pytest.raises(UserError, match="not a label name"):
        registry.labelling_function("y_fn", labels=["drug"])(lambda doc: [])


def test_two_folders_with_the_same_file_name_are_two_modules(tmp_path):
    for k in range(2):
        folder = tmp_path / f"p{k}" / "lfs"
        folder.mkdir(parents=True)
        (folder / "mine.py").write_text(
            "from scripts.lfs.registry import labelling_function\n"
            f"labelling_function('fn_{k}', labels=['X'])(lambda doc: [])\n"
        )
        registry.import_code(folder)
    assert registry.get("fn_0").source != registry.get("fn_1").source


def test_user_code_that_raises_names_its_file(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "bad.py").write_text("import no_such_module_here\n")
    with pytest.raises(UserError, match=r"bad.py: importing it raised ModuleNotFoundError"):
        registry.import_code(folder)
    with pytest.raises(UserError, match="not a .py file"):
        registry.import_code(tmp_path / "x.txt")


def test_pipeline_function_maps_labels(make_doc):
    registry.pipeline("md_as_company", "en_core_web_md", {"ORG": "COMPANY", "PERSON": "NAME"})
    declared = registry.get("md_as_company")
    assert declared.kind == "batch" and declared.labels == ("COMPANY", "NAME")
    func = declared.build(type("Ctx", (), {"labels": ["COMPANY"]})())
    doc = make_doc("Apple Inc. hired Tim Cook in California .")
    func.annotate([doc])
    assert spans_of(doc, "md_as_company") == [(0, 2, "COMPANY")]  # NAME not in the labels, GPE not mapped


def test_pipeline_that_is_not_installed_says_so(make_doc):
    registry.pipeline("nowhere_pipe", "xx_no_such_pipeline", {"ORG": "ORG"})
    func = registry.get("nowhere_pipe").build(type("Ctx", (), {"labels": ["ORG"]})())
    with pytest.raises(UserError, match="cannot load the spaCy pipeline 'xx_no_such_pipeline'"):
        func.annotate([make_doc("a")])


def test_news_preset_is_full_without_the_sports_pages():
    presets = load_presets(PRESETS)
    full, news = preset_names(presets, "full"), preset_names(presets, "news")
    sports = {"sports_table_row", "fixture", "fixture_at", "shire_team", "sports_score_line"}
    sports |= {"name_with_country", "place_nickname", "sports_team", "county_team"}
    assert set(news) == (set(full) - sports) | {"business_descriptor"}
    # the same order as full, the document-level functions last (they read the others by their roles)
    assert [n for n in full if n in news] == [n for n in news if n != "business_descriptor"]
    assert news[-1] == "org_alias" and registry.get("business_descriptor").labels == ("ORG",)
