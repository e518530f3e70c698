"""The layout is the architecture: imports point down the layers, every command's deps cover what it
imports, and every CLI default is the project.yml var that the command passes."""

import ast
import re
import shlex
from pathlib import Path
from typing import Dict, List, Optional, Set

import pytest
import srsly
import typer
from typer.main import get_command

from .conftest import ROOT

SCRIPTS = ROOT / "scripts"
# What each package may import of the project (scripts/__init__ and scripts/project are below them all).
ALLOWED = {
    "pipeline": set(),
    "corpus": {"pipeline"},
    "labelmodel": {"corpus"},
    "pretrained": {"corpus"},
    "lfs": {"corpus", "labelmodel", "pipeline", "pretrained"},
    "model": {"corpus", "lfs", "pipeline"},
    "argilla_server": set(),
    "review": {"corpus", "argilla_server"},
    "tools": {"corpus", "labelmodel", "lfs", "model", "review", "argilla_server", "pipeline", "pretrained"},
}
# The modules of argilla_server that run in the server's venv, where the project's packages are missing.
SERVER_SIDE = {"__init__", "server", "engine", "search", "patches"}


def module_file(name: str) -> Optional[Path]:
    """scripts.a.b -> scripts/a/b.py or scripts/a/b/__init__.py (None if neither exists)."""
    path = ROOT.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports(path: Path) -> Set[str]:
    """The project modules a file imports (anywhere in it, function bodies included), as dotted names."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "scripts")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "scripts":
                target = node.module
            else:
                continue
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names if module_file(f"{target}.{a.name}"))
    return {name for name in found if module_file(name)}


def closure(entry: Path) -> Set[Path]:
    """Every project file that importing `entry` runs: its imports, theirs, and the packages' __init__ files."""
    todo, seen = [entry], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        name = module_name(path)
        parents = [module_file(".".join(name.split(".")[:i])) for i in range(1, len(name.split(".")))]
        todo += [p for p in parents if p is not None]
        todo += [module_file(n) for n in project_imports(path)]
    return seen


def is_docstring_only(path: Path) -> bool:
    body = ast.parse(path.read_text()).body
    return all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body)


def commands() -> List[Dict]:
    return srsly.read_yaml(ROOT / "project.yml")["commands"]


def entry_points(script: str) -> List[Path]:
    """The project files a script line runs: `python -m scripts.X` and `spacy train --code FILE`."""
    words = script.split()
    out = []
    for i, word in enumerate(words[:-1]):
        if word == "-m" and words[i + 1].startswith("scripts."):
            out.append(module_file(words[i + 1]))
            main = ROOT.joinpath(*words[i + 1].split("."), "__main__.py")
            if main.is_file():
                out.append(main)
        if word == "--code" and not words[i + 1].startswith('"${vars.'):  # a var: see test_user_code_is_a_dep
            out += [ROOT / p for p in words[i + 1].split(",")]
    return [p for p in out if p is not None]


def covered(path: Path, deps: List[str]) -> bool:
    rel = path.relative_to(ROOT)
    return any(rel == Path(d) or Path(d) in rel.parents for d in deps)


@pytest.mark.parametrize("command", [c for c in commands() if c.get("outputs")], ids=lambda c: c["name"])
def test_deps_cover_every_module_the_command_imports(command):
    """A command that imports a module its deps do not cover would skip while that module changed."""
    files = set()
    for script in command["script"]:
        for entry in entry_points(script):
            files |= closure(entry)
    exempt = {SCRIPTS / "__init__.py"} | {f for f in files if f.name == "__init__.py" and is_docstring_only(f)}
    missing = sorted(str(f.relative_to(ROOT)) for f in files - exempt if not covered(f, command.get("deps", [])))
    assert files, f"{command['name']}: no project module found in its script"
    assert not missing, f"{command['name']}: add these (or their package) to its deps in project.yml: {missing}"


def test_user_code_and_presets_are_deps_of_what_imports_them():
    """A user's labelling functions (var lf_code) and the presets file: editing them must rerun the command."""
    users = [c for c in commands() if any('--code "${vars.lf_code}"' in line for line in c["script"])]
    assert [c["name"] for c in users] == ["annotate"]
    for command in users:
        assert {"${vars.lf_code}", "${vars.presets}"} <= set(command["deps"]), command["name"]
    for command in [c for c in commands() if any("${vars.presets}" in line for line in c["script"])]:
        assert "${vars.presets}" in command["deps"], command["name"]


def test_a_changed_rule_does_not_rerun_the_pretrained_pipelines():
    """The point of the `pretrained` step: none of the rules (scripts/lfs, a user's lf_code) is its dep, nor the
    presets: only the plan of the runs they need, whose script names no preset (weasel reruns on a new line)."""
    [command] = [c for c in commands() if c["name"] == "pretrained"]
    assert not {"scripts/lfs", "${vars.lf_code}", "scripts/labelmodel", "${vars.presets}"} & set(command["deps"])
    assert not any("${vars.preset" in line for line in command["script"])
    [plan] = [c for c in commands() if c["name"] == "pretrained-plan"]
    assert set(plan["outputs"]) <= set(command["deps"]) and "${vars.presets}" in plan["deps"]
    annotate = next(c for c in commands() if c["name"] == "annotate")
    assert set(command["outputs"]) <= set(annotate["deps"])


def test_resolved_deps_and_outputs_are_single_paths():
    """weasel (confection) joins adjacent list items that are each a bare "${vars.X}" into "a, b": every dep and
    output, as weasel resolves them, must be one path."""
    from weasel.util import load_project_config

    config = load_project_config(ROOT, overrides={"vars.lf_code": "my/lfs", "vars.presets": "my/presets.yml"})
    for command in config["commands"]:
        for path in command.get("deps", []) + command.get("outputs", []):
            assert ", " not in path, f"{command['name']}: {path}"
    annotate = next(c for c in config["commands"] if c["name"] == "annotate")
    assert {"my/lfs", "my/presets.yml"} <= set(annotate["deps"])


def test_closure_follows_relative_and_function_level_imports():
    files = {str(f.relative_to(ROOT)) for f in closure(SCRIPTS / "model" / "evaluate.py")}
    # evaluate -> scoring -> corpus.docbin ...; train (inside a function: spacy train) ; pipeline.components
    assert {
        "scripts/pipeline/components.py",
        "scripts/model/train.py",
        "scripts/model/scoring.py",
        "scripts/corpus/files.py",
        "scripts/project.py",
        "scripts/corpus/__init__.py",
    } <= files
    assert not any(f.startswith("scripts/lfs/") for f in files)  # the model needs no labelling function
    files = {str(f.relative_to(ROOT)) for f in closure(SCRIPTS / "lfs" / "annotate.py")}
    # annotate -> (inside a function) doclevel -> labelmodel.voters: the document-level functions take a vote
    assert {"scripts/lfs/doclevel.py", "scripts/labelmodel/voters.py", "scripts/pipeline/components.py"} <= files


def test_imports_point_down_the_layers():
    for path in sorted(SCRIPTS.rglob("*.py")):
        rel = path.relative_to(SCRIPTS)
        if len(rel.parts) == 1:  # scripts/__init__.py, scripts/project.py: the bottom
            assert not project_imports(path), f"{rel} imports the project"
            continue
        package = rel.parts[0]
        for name in project_imports(path):
            other = name.split(".")[1] if name.count(".") else None
            if other in (None, "project", package):
                if package == "argilla_server" and path.stem in SERVER_SIDE:
                    assert other == package or name == "scripts.argilla_server", f"{rel} (server side) imports {name}"
                continue
            assert other in ALLOWED[package], f"{rel} imports {name}: {package} may import {sorted(ALLOWED[package])}"


def test_package_inits_import_nothing():
    """Importing one module never imports its siblings (and the `data` step stays standard library only)."""
    for init in sorted(SCRIPTS.rglob("__init__.py")):
        if init.parent in (SCRIPTS, SCRIPTS / "argilla_server"):
            continue  # the bytecode guard; the local server's constants
        assert is_docstring_only(init), f"{init.relative_to(ROOT)} should hold a docstring only"
        assert ast.get_docstring(ast.parse(init.read_text())), f"{init.relative_to(ROOT)} needs a docstring"


def test_every_package_says_what_it_holds_and_may_import():
    for package in ALLOWED:
        doc = ast.get_docstring(ast.parse((SCRIPTS / package / "__init__.py").read_text())) or ""
        assert "import" in doc.lower(), f"scripts/{package}/__init__.py: say what it may import"


def cli_command(module: str, sub: Optional[str]):
    """The click command behind `python -m module [sub]`: its typer `app` (subcommand `sub`) or `main`."""
    import importlib

    name = f"{module}.__main__" if module_file(module).name == "__init__.py" else module
    mod = importlib.import_module(name)
    if hasattr(mod, "app"):
        group = get_command(mod.app)
        return group.commands[sub] if sub in getattr(group, "commands", {}) else group
    app = typer.Typer()
    app.command()(mod.main)
    return get_command(app)


VAR_OPTION = re.compile(r"(--[\w-]+)\s+\"?\$\{vars\.(\w+)\}\"?")


def test_every_option_given_a_var_defaults_to_that_var():
    """`python -m scripts.X IN OUT` alone does what `spacy project run X` does with the default vars."""
    project_vars = srsly.read_yaml(ROOT / "project.yml")["vars"]
    checked = 0
    for command in commands():
        for script in command["script"]:
            words = shlex.split(script)
            if "-m" not in words or not words[words.index("-m") + 1].startswith("scripts."):
                continue
            module = words[words.index("-m") + 1]
            rest = words[words.index("-m") + 2 :]
            cli = cli_command(module, rest[0] if rest else None)
            options = {opt: p for p in cli.params for opt in p.opts}
            for option, name in VAR_OPTION.findall(script):
                assert option in options, f"{command['name']}: {module} has no option {option}"
                default = options[option].default
                value = project_vars[name]
                assert str(default) == str(value), (
                    f"{module} {option} defaults to {default!r}, the var {name} is {value!r}"
                )
                checked += 1
    assert checked >= 30


def test_text_vars_are_quoted_in_scripts():
    """`--labels ${vars.labels}` with labels "" would shift every later argument (typer then says
    "unexpected extra argument"); quoted, the command gets "" and says which var is wrong."""
    text_vars = {
        name for name, value in srsly.read_yaml(ROOT / "project.yml")["vars"].items() if isinstance(value, str)
    }
    unquoted = []
    for command in commands():
        for script in command["script"]:
            for match in re.finditer(r"\$\{vars\.(\w+)\}", script):
                before, after = script[: match.start()], script[match.end() :]
                if match.group(1) in text_vars and not (before.endswith('"') and after.startswith('"')):
                    unquoted.append(f"{command['name']}: {match.group(0)}")
    assert not unquoted, f"quote these in project.yml: {unquoted}"
