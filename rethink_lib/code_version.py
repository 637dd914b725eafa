"""The fingerprint of the code that determines a run's numbers, recorded in its checkpoints.

A run killed and resumed must train every epoch under the same code: a checkpoint written by
other code (a model changed between the kill and the resume) would mix two versions in one
stored run, and the package version (`rethink_version`) does not change with each edit. The
fingerprint is the sha256 of the source of rethink_lib.train and of every rethink_lib module
it imports, directly or not (a package counts with all its files: the model registry imports
its modules by scanning the folder), found by reading the import statements, so a module
added to the training path is covered without a list to keep up to date. Reports, plots,
the queue and the book are left out: editing them does not invalidate a checkpoint.
Each file counts by its syntax tree without docstrings (`_code_of`), not by its bytes: a
comment, a docstring or a blank line edited between the kill and the resume changes no
number, so it does not refuse the checkpoint; any change to the code does.
"""
from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT_MODULE = "train"


def _module_file(dotted: str) -> list[Path]:
    """The files of rethink_lib.<dotted>: a module, or every .py file of a package."""
    if not dotted:  # the package itself: its __init__ only
        return [PACKAGE / "__init__.py"]
    base = PACKAGE.joinpath(*dotted.split("."))
    if base.is_dir() and (base / "__init__.py").is_file():
        return sorted(base.glob("*.py"))
    file = base.with_suffix(".py")
    return [file] if file.is_file() else []


def _imports(file: Path) -> set[str]:
    """rethink_lib-internal modules `file` imports (dotted, relative to the package)."""
    here = file.relative_to(PACKAGE).with_suffix("").parts
    pkg = list(here[:-1])
    found = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            parent = pkg[:len(pkg) - (node.level - 1)] if node.level > 1 else pkg
            mod = ".".join(parent + (node.module.split(".") if node.module else []))
            if node.module:
                found.add(mod)
            found.update(f"{mod}.{a.name}".strip(".") for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rethink_lib"):
            found.add(node.module[len("rethink_lib."):] if "." in node.module else "")
    return found


def training_files() -> list[Path]:
    """Every source file of the training path: rethink_lib.train and what it imports."""
    seen: set[Path] = set()
    todo = _module_file(ROOT_MODULE)
    while todo:
        file = todo.pop()
        if file in seen:
            continue
        seen.add(file)
        for mod in _imports(file):
            todo += [f for f in _module_file(mod) if f not in seen]
    return sorted(seen)


_DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def _code_of(file: Path) -> bytes:
    """What of `file` can change a number: the dump of its syntax tree with every docstring
    removed and without line numbers (so comments, docstrings and layout drop out)."""
    tree = ast.parse(file.read_text())
    for node in ast.walk(tree):
        body = getattr(node, "body", None) if isinstance(node, _DOCUMENTED) else None
        if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, include_attributes=False).encode()


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """16 hex digits of the sha256 over the training path's files (path and code without
    docstrings or comments: `_code_of`), as loaded by this process (computed once)."""
    h = hashlib.sha256()
    for file in training_files():
        h.update(file.relative_to(PACKAGE).as_posix().encode() + b"\0")
        h.update(_code_of(file) + b"\0")
    return h.hexdigest()[:16]
