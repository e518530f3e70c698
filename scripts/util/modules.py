"""The project's own modules that a file imports, read from its source (ast, nothing imported): what a
command's deps must cover (tests/test_project.py) and what a labelling function's cache key holds
(`scripts.lfs.keys`); and the git commit of that source, which the result files record."""

import ast
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Set

ROOT = Path(__file__).resolve().parents[2]  # the project: scripts/ is in it
PACKAGE = "scripts"


def statements(tree: ast.AST) -> Iterator[ast.AST]:
    """Every statement of a module, nested ones included (an import is a statement: no expression is
    visited, which is most of a tree)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            todo.extend(getattr(node, field, None) or ())


def module_file(name: str, root: Path = ROOT) -> Optional[Path]:
    """scripts.a.b -> scripts/a/b.py or scripts/a/b/__init__.py (None if neither exists)."""
    path = root.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_name(path: Path, root: Path = ROOT) -> str:
    """scripts/a/b.py -> scripts.a.b (a package's __init__.py: the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_project_file(path: Path, root: Path = ROOT) -> bool:
    return path.resolve().is_relative_to(root / PACKAGE)


def project_imports(path: Path, root: Path = ROOT) -> Set[str]:
    """The project modules a file of scripts/ imports (anywhere in it, function bodies included), as
    dotted names; a file outside scripts/ (a user's code) may import them by their absolute names. (Each
    file is read once per process.)"""
    return set(_project_imports(Path(path), root))


@lru_cache(maxsize=None)
def _project_imports(path: Path, root: Path) -> frozenset:
    inside = is_project_file(path, root)
    if inside:
        name = module_name(path.resolve(), root)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: Set[str] = set()
    for node in statements(ast.parse(path.read_text(encoding="utf8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            if node.level and inside:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif not node.level and node.module and node.module.split(".")[0] == PACKAGE:
                target = node.module
            else:
                continue
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names if module_file(f"{target}.{a.name}", root))
    return frozenset(name for name in found if module_file(name, root))


def local_imports(path: Path) -> List[Path]:
    """The files beside a user's file that it imports by a plain name (`import helpers`, `from helpers
    import x`): modules of its own folder."""
    out = []
    for node in statements(ast.parse(path.read_text(encoding="utf8"))):
        names: Iterable[str] = ()
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [node.module]
        for name in names:
            candidate = path.parent / f"{name.split('.')[0]}.py"
            if candidate.is_file() and candidate.resolve() != path.resolve():
                out.append(candidate)
    return out


def closure(entry: Path, root: Path = ROOT) -> Set[Path]:
    """Every file that importing `entry` runs: its project imports, theirs, the packages' __init__ files,
    and, for a user's file, the files of its folder that it imports by name."""
    todo, seen = [entry.resolve()], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        if is_project_file(path, root):
            name = module_name(path, root)
            parts = name.split(".")
            parents = [module_file(".".join(parts[:i]), root) for i in range(1, len(parts))]
            todo += [p.resolve() for p in parents if p is not None]
        else:
            todo += [p.resolve() for p in local_imports(path)]
        todo += [f.resolve() for f in map(lambda n: module_file(n, root), project_imports(path, root)) if f]
    return seen


@lru_cache(maxsize=None)
def cached_closure(entry: Path) -> frozenset:
    """`closure(entry)`, once per process (the sources do not change while a step runs)."""
    return frozenset(closure(entry))


def git_commit() -> str:
    """The short git commit of the code, marked + when tracked files have changes; "-" outside a checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return "-"
    return head.stdout.strip() + ("+" if dirty.stdout.strip() else "")
