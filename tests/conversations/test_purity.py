"""The conversation core does no I/O: it imports none of the libraries that would let it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "conversations"
FORBIDDEN = {
    "flask",
    "sqlalchemy",
    "redis",
    "rq",
    "twilio",
    "os",
    "time",
    "datetime",
    "socket",
    "subprocess",
    "requests",
    "urllib",
    "zipcodes",
    "store",
    "bot",
    "worker",
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_it_imports_nothing_that_does_io(path: Path) -> None:
    assert imported_roots(path) & FORBIDDEN == set()


def test_the_check_notices_a_forbidden_import(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from redis import Redis\nimport os.path\n", encoding="utf-8")
    assert imported_roots(sneaky) & FORBIDDEN == {"redis", "os"}
