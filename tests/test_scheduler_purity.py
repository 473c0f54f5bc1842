"""``quizapp/scheduling`` is pure: it imports neither Flask nor SQLAlchemy, nor app layers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SCHEDULING = Path(__file__).resolve().parents[1] / "quizapp" / "scheduling"
FORBIDDEN = ("flask", "flask_sqlalchemy", "flask_login", "flask_wtf", "sqlalchemy", "werkzeug")


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_module_names_a_web_or_database_import():
    modules = sorted(SCHEDULING.glob("*.py"))
    assert len(modules) >= 8
    for path in modules:
        for name in imported_names(path):
            top = name.split(".")[0]
            assert top not in FORBIDDEN, f"{path.name} imports {name}"
            if top == "quizapp":
                assert name.startswith("quizapp.scheduling"), f"{path.name} imports {name}"


def test_importing_every_module_loads_no_web_or_database_package():
    # quizapp/__init__.py builds the Flask app, so the package is stubbed to load only
    # quizapp.scheduling and what it imports itself.
    modules = [f"quizapp.scheduling.{p.stem}" for p in sorted(SCHEDULING.glob("*.py"))]
    script = (
        "import importlib, sys, types\n"
        f"package = types.ModuleType('quizapp'); package.__path__ = [{str(SCHEDULING.parent)!r}]\n"
        "sys.modules['quizapp'] = package\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
