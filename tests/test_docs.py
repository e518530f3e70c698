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


DOC_FILES = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]


def code_lines(names=DOC_FILES):
    """Every command line of the fenced code blocks of README.md and docs/ (comments and continuations joined)."""
    out = []
    for name in names:
        for block in blocks((ROOT / name).read_text()):
            for line in block.replace("\\\n", " ").splitlines():
                line = line.split("  #")[0].strip()
                if line and not line.startswith("#"):
                    out.append((name, line))
    return out


def test_every_project_command_in_the_docs_exists():
    import srsly

    project = srsly.read_yaml(ROOT / "project.yml")
    known = {c["name"] for c in project["commands"]} | set(project["workflows"])
    named = [
        (name, m.group(1))
        for name, line in code_lines()
        for m in re.finditer(r"spacy project run ([a-z][a-z0-9_-]*)", line)
    ]
    assert len(named) > 10
    unknown = [f"{name}: {command}" for name, command in named if command not in known]
    assert not unknown, unknown


def test_every_project_module_in_the_docs_answers_help():
    """Each `python -m scripts.X [SUBCOMMAND]` of a code block is a module (and subcommand) that answers --help."""
    calls = set()
    for _, line in code_lines():
        for m in re.finditer(r"python -m (scripts(?:\.[a-z_]+)+)((?: [a-z][a-z-]*)?)", line):
            sub = m.group(2).strip()
            calls.add((m.group(1), sub if sub and not sub.startswith("-") and "." not in sub else ""))
    assert len(calls) > 5
    failed = []
    for module, sub in sorted(calls):
        args = [sys.executable, "-m", module, *([sub] if sub else []), "--help"]
        proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0 or "Usage" not in proc.stdout:
            # a positional argument, not a subcommand: the module alone must answer
            proc = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True)
            if proc.returncode != 0 or "Usage" not in proc.stdout:
                failed.append(f"{module} {sub}: {(proc.stdout + proc.stderr)[-300:]}")
    assert not failed, failed


def test_the_readme_results_are_what_the_result_files_render():
    """The figures of README.md and docs/results.md are rendered from docs/results/, never typed."""
    from scripts.tools.results import render

    files = [ROOT / "README.md", ROOT / "docs" / "results.md"]
    assert "<!-- results:table -->" in files[0].read_text()
    assert render(files, ROOT / "docs" / "results", check=True) == []


def test_a_figure_edited_by_hand_fails_the_check(tmp_path):
    from scripts.tools.results import render

    readme = tmp_path / "README.md"
    text = (ROOT / "README.md").read_text()
    block = text[text.index("<!-- results:table -->") :]
    figure = re.search(r"\.\d{3}", block).group(0)
    edited = figure[:-1] + str((int(figure[-1]) + 1) % 10)
    readme.write_text(text.replace(block, block.replace(figure, edited, 1)))
    assert render([readme], ROOT / "docs" / "results", check=True) == [readme]
    render([readme], ROOT / "docs" / "results", check=False)
    assert readme.read_text() == text
