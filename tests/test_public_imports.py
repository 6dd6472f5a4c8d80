"""What lies outside the packages (the Python in the docs and the README, bench/) imports
toolmaster's public surfaces only, the names in a package's `__all__`. `lint-imports` holds the
packages and apps to the same rule (the private-modules contract in pyproject.toml)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"```python\n(.*?)```", re.DOTALL)


def private_imports(source: str) -> list[str]:
    """The private toolmaster modules and names that `source` imports: a dotted name with a
    part that starts with one underscore (`toolmaster.eval._runner`, `toolmaster.eval._tags`
    in `from toolmaster.eval import _tags`)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if _private(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            if _private(node.module):
                found.append(node.module)
            else:
                names = (f"{node.module}.{alias.name}" for alias in node.names)
                found += [name for name in names if _private(name)]
    return found


def _private(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "toolmaster" and any(
        part.startswith("_") and not part.startswith("__") for part in parts[1:]
    )


def sources() -> list[tuple[str, str]]:
    """(where, Python source) for every Python block of the docs and the README, and every
    bench script."""
    found: list[tuple[str, str]] = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for number, block in enumerate(FENCE.findall(doc.read_text(encoding="utf-8")), 1):
            found.append((f"{doc.relative_to(ROOT)} block {number}", block))
    scripts = sorted((ROOT / "bench").glob("*.py"))
    return found + [(str(s.relative_to(ROOT)), s.read_text(encoding="utf-8")) for s in scripts]


def test_private_imports_are_found() -> None:
    source = (
        "import toolmaster.train._sft\n"
        "from toolmaster.eval._runner import EvalConfig\n"
        "from toolmaster.eval import _tags, run_eval\n"
        "from toolmaster.eval.bfcl._data import BfclEntry\n"
        "from toolmaster.eval.bfcl import load_entries\n"
        "from toolmaster.cli.__main__ import main\n"
        "from ._local import thing\n"
        "def f():\n"
        "    from toolmaster.agent._loop import Agent\n"
    )
    assert private_imports(source) == [
        "toolmaster.train._sft",
        "toolmaster.eval._runner",
        "toolmaster.eval._tags",
        "toolmaster.eval.bfcl._data",
        "toolmaster.agent._loop",
    ]


def test_there_is_code_to_check() -> None:
    wheres = [where for where, _ in sources()]
    assert any(w.startswith("docs/eval.md") for w in wheres)
    assert any(w.startswith("docs/bfcl.md") for w in wheres)
    assert any(w.startswith("bench/") for w in wheres)


@pytest.mark.parametrize(("where", "source"), sources(), ids=[w for w, _ in sources()])
def test_docs_and_bench_import_public_names_only(where: str, source: str) -> None:
    assert private_imports(source) == [], f"{where} imports private toolmaster modules"
