"""README conventions: the two commands first, and the weasel-generated part in sync with project.yml."""

import re
import subprocess
import sys

from .conftest import ROOT

START = "<!-- WEASEL: AUTO-GENERATED DOCS START (do not remove) -->"
END = "<!-- WEASEL: AUTO-GENERATED DOCS END (do not remove) -->"


def blocks(text):
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.M | re.S)


def test_readme_opens_with_install_and_test_commands():
    readme = (ROOT / "README.md").read_text()
    before_prose = readme.split("\n\n", 1)[1]
    assert before_prose.startswith("```"), "the first thing after the title is the install block"
    install, tests = blocks(readme)[:2]
    assert "pip install -r requirements.txt" in install and "scripts.tools.setup_model" in install
    assert "requirements-argilla.txt" in install and "scripts.argilla_server install" in install
    assert "CONLL_DIR" in install and install.strip().endswith("spacy project run all")
    assert "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text()
    assert "README.md" in ci and "pytest" not in ci.replace("README", "")  # CI runs the README's command


def test_generated_section_matches_project_yml(tmp_path):
    out = tmp_path / "README.md"
    subprocess.run(
        [sys.executable, "-m", "spacy", "project", "document", str(ROOT), "--output", str(out)],
        check=True,
        capture_output=True,
    )
    generated = out.read_text()
    section = lambda text: text[text.index(START) + len(START) : text.index(END)].strip()  # noqa: E731
    assert section((ROOT / "README.md").read_text()) == section(generated), (
        "README is out of date: run `spacy project document --output README.md`"
    )


def test_no_tracked_file_speaks_of_how_the_project_is_worked_on():
    """The project speaks of the software: no "stop N" or "issue N" in any tracked file (commit messages may)."""
    import re
    import subprocess

    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    pattern = re.compile(r"\b(stops? [0-9]+|issue [0-9]+)\b", re.IGNORECASE)
    found = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.suffix in (".png", ".spacy", ".whl", ".gz"):
            continue
        try:
            text = path.read_text(encoding="utf8")
        except UnicodeDecodeError:
            continue
        found += [f"{name}:{k}" for k, line in enumerate(text.splitlines(), 1) if pattern.search(line)]
    assert not found, found
