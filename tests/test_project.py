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

from scripts.lfs.registry import BUILTIN
from scripts.util import modules
from scripts.util.modules import module_file, module_name, project_imports

from .conftest import ROOT

SCRIPTS = ROOT / "scripts"
# What each package may import of the project (scripts/__init__ and scripts/project are below them all).
ALLOWED = {
    "util": set(),
    "pipeline": {"util"},
    "corpus": {"pipeline", "util"},
    "labelmodel": {"corpus", "util"},
    "pretrained": {"corpus", "util"},
    "lfs": {"corpus", "labelmodel", "pipeline", "pretrained", "util"},
    "model": {"corpus", "labelmodel", "lfs", "pipeline", "util"},
    "argilla_server": set(),
    "review": {"corpus", "argilla_server", "util"},
    "tools": {"corpus", "labelmodel", "lfs", "model", "review", "argilla_server", "pipeline", "pretrained", "util"},
}
# Below every package: the defaults (project.py) and the patches of other libraries (patches.py).
BOTTOM = {"project", "patches"}
# The modules of argilla_server that run in the server's venv, where the project's packages are missing.
SERVER_SIDE = {"__init__", "server", "engine", "search"}


def closure(entry: Path) -> Set[Path]:
    """Every project file that importing `entry` runs (`modules.closure`), with the modules of functions that
    the registry imports by name when a function is first looked up (`registry.BUILTIN`)."""
    out = modules.closure(entry)
    if SCRIPTS / "lfs" / "registry.py" in out:
        for name in BUILTIN:
            out |= modules.closure(SCRIPTS / "lfs" / f"{name}.py")
    return out


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
    assert [c["name"] for c in users] == ["check", "annotate", "annotate-held-out", "inspect"]
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
    # evaluate -> scoring -> corpus.docbin ...; trained (the marker's checks); pipeline.components
    assert {
        "scripts/pipeline/components.py",
        "scripts/model/trained.py",
        "scripts/model/scoring.py",
        "scripts/util/files.py",
        "scripts/project.py",
        "scripts/corpus/__init__.py",
    } <= files
    assert not any(f.startswith("scripts/lfs/") for f in files)  # the model needs no labelling function
    files = {str(f.relative_to(ROOT)) for f in closure(SCRIPTS / "lfs" / "annotate.py")}
    # annotate -> registry -> (by name) doclevel -> labelmodel.majority: the document-level functions take a vote
    assert {"scripts/lfs/doclevel.py", "scripts/labelmodel/majority.py", "scripts/pipeline/components.py"} <= files
    # annotator -> (inside a function) corpus.readers: the tokenizer of phrases
    files = {str(f.relative_to(ROOT)) for f in modules.closure(SCRIPTS / "lfs" / "annotator.py")}
    assert "scripts/corpus/readers.py" in files
    # annotator reaches no module of functions by its imports (a function's cache key: scripts.lfs.keys)
    assert not any(f"scripts/lfs/{name}.py" in files for name in BUILTIN)


def test_imports_point_down_the_layers():
    for path in sorted(SCRIPTS.rglob("*.py")):
        rel = path.relative_to(SCRIPTS)
        if len(rel.parts) == 1:  # scripts/__init__.py (applies a patch), project.py, patches.py: the bottom
            allowed = {"scripts.patches"} if rel.name == "__init__.py" else set()
            assert project_imports(path) <= allowed, f"{rel} imports the project"
            continue
        package = rel.parts[0]
        for name in project_imports(path):
            other = name.split(".")[1] if name.count(".") else None
            if package == "argilla_server" and path.stem in SERVER_SIDE:
                # the server venv has the standard library and argilla-server: patches.py imports only the first
                assert other in (None, package, "patches"), f"{rel} (server side) imports {name}"
                continue
            if other in (None, package) or other in BOTTOM:
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
                default = default() if callable(default) else default  # a default read only when needed
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


# ---------------------------------------------------------------------------------------------------------
# Library modules: no configuration at import, no cycles, nothing reused from a CLI, no private names


def project_modules() -> List[Path]:
    return sorted(p for p in SCRIPTS.rglob("*.py") if "__pycache__" not in p.parts)


def is_cli(path: Path) -> bool:
    """A module that defines a command: `python -m` runs it (a `__main__` block, or a package's __main__.py)."""
    return path.name == "__main__.py" or 'if __name__ == "__main__":' in path.read_text()


def import_time_nodes(body: List[ast.stmt]):
    """The AST nodes that run when a module is imported: everything but the bodies of functions (their
    decorators and default values do run), class bodies included."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = stmt.args
            for node in [*stmt.decorator_list, *args.defaults, *[d for d in args.kw_defaults if d is not None]]:
                yield from ast.walk(node)
        elif isinstance(stmt, ast.ClassDef):
            for node in [*stmt.decorator_list, *stmt.bases, *[k.value for k in stmt.keywords]]:
                yield from ast.walk(node)
            yield from import_time_nodes(stmt.body)
        elif isinstance(stmt, (ast.If, ast.With, ast.Try, ast.For, ast.While)):
            yield from (n for n in ast.walk(stmt) if not isinstance(n, (ast.FunctionDef, ast.Lambda)))
        else:
            yield from (n for n in ast.walk(stmt) if not isinstance(n, ast.Lambda))


def reads_configuration(node: ast.AST) -> bool:
    """A call of project.yml's vars, or a read of the environment."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("var", "project_vars"):
        return True
    if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
        return True
    return isinstance(node, ast.Name) and node.id in ("environ", "getenv")


def test_library_modules_read_no_configuration_when_imported():
    """Only a command's module reads project.yml or the environment at import (its option defaults)."""
    for path in project_modules():
        if is_cli(path):
            continue
        found = [n for n in import_time_nodes(ast.parse(path.read_text()).body) if reads_configuration(n)]
        lines = sorted({getattr(n, "lineno", 0) for n in found})
        assert not found, f"{path.relative_to(ROOT)} reads configuration at import (lines {lines})"


def test_every_library_module_imports_without_a_project_yml(tmp_path):
    """A copy of scripts/ with no project.yml beside it: every module that is not a command imports."""
    import shutil
    import subprocess
    import sys

    shutil.copytree(SCRIPTS, tmp_path / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    assert not (tmp_path / "project.yml").exists()
    names = [
        module_name(p)
        for p in project_modules()
        if not is_cli(p) and not (p.parent.name == "argilla_server" and p.stem in SERVER_SIDE - {"__init__"})
    ]
    code = (
        "import importlib, json, sys\n"
        "failed = {}\n"
        f"for name in {names!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as e:\n"
        "        failed[name] = f'{type(e).__name__}: {e}'\n"
        "print(json.dumps(failed))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert len(names) > 40
    assert json_loads_last_line(out.stdout) == {}


def json_loads_last_line(text: str):
    import json

    return json.loads(text.strip().splitlines()[-1])


def test_no_module_reuses_a_function_of_a_command():
    """What other modules reuse lives in library modules; a command's module is only its CLI."""
    clis = {module_name(p) for p in project_modules() if is_cli(p)}
    for path in project_modules():
        for name in project_imports(path):
            assert name not in clis or module_name(path) == name, f"{path.relative_to(ROOT)} imports the CLI {name}"


def test_no_import_cycles():
    """Module imports (function-level ones included) form no cycle."""
    graph = {module_name(p): {n for n in project_imports(p) if n != module_name(p)} for p in project_modules()}
    state: Dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: List[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError(f"import cycle: {' -> '.join(path[path.index(nxt) :] + [nxt])}")
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def private_names(path: Path) -> List[str]:
    """Where a module uses another library's private names: `lib._x` of an imported library, an import
    from a private module, or an imported private name (the standard library's are allowed)."""
    import sys

    def private(dotted: str) -> bool:
        return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))

    def external(module: str) -> bool:
        top = module.split(".")[0]
        return top != "scripts" and top not in sys.stdlib_module_names

    tree = ast.parse(path.read_text())
    found, aliases = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if external(a.name):
                    aliases[a.asname or a.name.split(".")[0]] = a.name
                    if private(a.name):
                        found.append(f"import {a.name}")
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module and external(node.module):
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
                if private(node.module) or private(a.name):
                    found.append(f"from {node.module} import {a.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            if private(node.attr):
                found.append(f"{aliases[node.value.id]}.{node.attr}")
    return found


def test_only_patches_use_the_private_names_of_other_libraries():
    for path in project_modules():
        if path == SCRIPTS / "patches.py" or (path.parent.name == "argilla_server" and path.stem in SERVER_SIDE):
            continue
        assert not private_names(path), f"{path.relative_to(ROOT)}: {private_names(path)} (move it to patches.py)"
    assert private_names(SCRIPTS / "patches.py")  # the check sees what it should
