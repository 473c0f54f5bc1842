"""The pure core imports neither Flask nor SQLAlchemy, nor any app layer: each of these
packages and modules can be used, tested and type-checked without an app or a database."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from conftest import REPO

QUIZAPP = REPO / "quizapp"
PURE = (
    "scheduling", "generation", "formats", "sources", "stats", "cloze", "citations",
    "knowledge", "knowledge_schema", "deckfile", "rendering", "textutil", "kinds",
    "deckfile_fields", "storable", "deckfile_check", "decoding", "gcpause", "token_format",
)  # fmt: skip
FORBIDDEN = ("flask", "flask_sqlalchemy", "flask_login", "flask_wtf", "sqlalchemy", "werkzeug")


def files_of(name: str) -> list:
    package = QUIZAPP / name
    if package.is_dir():
        return sorted(p for p in package.rglob("*.py") if p.name != "__main__.py")
    return [QUIZAPP / f"{name}.py"]


def module_name(path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path) -> set[str]:
    """Absolute names of every module the file imports (relative imports resolved)."""
    own = module_name(path).split(".")
    package = own if path.name == "__init__.py" else own[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            if module == "quizapp":  # "from quizapp import kinds" imports quizapp.kinds
                names.update(f"quizapp.{alias.name}" for alias in node.names)
            else:
                names.add(module)
    return names


@pytest.mark.parametrize("name", PURE)
def test_imports_only_the_standard_library_third_parties_and_the_pure_core(name):
    paths = files_of(name)
    assert paths and all(p.is_file() for p in paths)
    for path in paths:
        for imported in imported_names(path):
            parts = imported.split(".")
            assert parts[0] not in FORBIDDEN, f"{path.name} imports {imported}"
            if parts[0] == "quizapp":
                assert len(parts) > 1 and parts[1] in PURE, f"{path.name} imports {imported}"


def test_importing_every_pure_module_loads_no_web_or_database_package():
    # quizapp/__init__.py builds the Flask app, so the package is stubbed to load only the
    # pure modules and what they import themselves.
    modules = [module_name(path) for name in PURE for path in files_of(name)]
    assert len(modules) > 60
    script = (
        "import importlib, sys, types\n"
        f"package = types.ModuleType('quizapp'); package.__path__ = [{str(QUIZAPP)!r}]\n"
        "sys.modules['quizapp'] = package\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"
