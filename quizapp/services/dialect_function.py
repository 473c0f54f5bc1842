"""SQL functions that one engine spells differently from the other: the same arguments, the
function's name picked per dialect when the statement is compiled."""

from __future__ import annotations

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine


def dialect_function(name: str, type_: TypeEngine, default: str,
                     **per_dialect: str) -> type[FunctionElement]:
    """A function element called ``per_dialect[dialect name]`` on the dialects named there
    and ``default`` elsewhere, with its arguments as given; of type ``type_``. ``name`` names
    it in labels (e.g. an unlabelled column ``<name>_1``). Call once, at import."""
    function = type(name, (FunctionElement,),
                    {"type": type_, "inherit_cache": True, "name": name})

    @compiles(function)
    def _call(element, compiler, **kw) -> str:
        spelled = per_dialect.get(compiler.dialect.name, default)
        return f"{spelled}({compiler.process(element.clauses, **kw)})"

    return function
