"""No import cycle between the `toolmaster.*` modules of packages/, apps/ and mcp_servers/.

The graph is read from the source with `ast`: every import, at module level or inside a
function (a lazy import hides a cycle, it does not remove it), except those under
`if TYPE_CHECKING:`. `from x import y` is an edge to the module `x.y` when that is a module,
else to `x`. A cycle is a strongly connected component of more than one module.

Run alone: `uv run --locked pytest tests/test_import_cycles.py` (`just lint` runs it).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("packages", "apps", "mcp_servers")


def modules(roots: Iterable[Path]) -> dict[str, Path]:
    """Every `toolmaster.*` module under `roots` (`<member>/src/toolmaster/...`), by name."""
    found: dict[str, Path] = {}
    for root in roots:
        for path in sorted(root.glob("*/src/toolmaster/**/*.py")):
            parts = path.relative_to(root).parts[2:]  # <member>/src/ dropped
            names = parts[:-1] if path.stem == "__init__" else (*parts[:-1], path.stem)
            found[".".join(names)] = path
    return found


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import under `node`, at any depth, but not the body of `if TYPE_CHECKING:`."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        elif isinstance(child, ast.If) and _type_checking(child.test):
            for other in child.orelse:
                yield from _imports_in(other)
        else:
            yield from _imports(child)


def _imports_in(node: ast.stmt) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _imports(node)


def _known(name: str, known: dict[str, Path]) -> str | None:
    """`name`, or the nearest package above it, if it is one of `known`."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def imported(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of `known` that `module` imports."""
    package = module if path.stem == "__init__" else module.rpartition(".")[0]
    targets: set[str] = set()
    for node in _imports(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        targets |= {t for name in names if (t := _known(name, known)) is not None}
    targets.discard(module)
    return targets


def import_graph(roots: Iterable[Path]) -> dict[str, set[str]]:
    known = modules(roots)
    return {name: imported(name, path, known) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm,
    iterative), each sorted, largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            advanced = False
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                    advanced = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found, key=lambda c: (-len(c), c))


def describe(graph: dict[str, set[str]], component: list[str]) -> str:
    members = set(component)
    edges = [f"    {a} -> {b}" for a in component for b in sorted(graph[a] & members)]
    return f"  {len(component)} modules:\n" + "\n".join(edges)


def test_no_import_cycle_between_toolmaster_modules() -> None:
    graph = import_graph(ROOT / source for source in SOURCES)
    assert len(graph) > 100  # the tree was found
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(describe(graph, c) for c in found)


def _write(root: Path, module: str, text: str) -> None:
    path = root / "member" / "src" / Path(*module.split(".")).with_suffix(".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_checker_finds_lazy_and_relative_cycles_and_skips_type_checking(
    tmp_path: Path,
) -> None:
    _write(tmp_path, "toolmaster.pkg.__init__", "from toolmaster.pkg._a import A\n")
    _write(tmp_path, "toolmaster.pkg._a", "from . import _b\nA = 1\n")
    _write(tmp_path, "toolmaster.pkg._b", "def f():\n    from toolmaster.pkg import _a\n")
    _write(
        tmp_path,
        "toolmaster.pkg._c",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from toolmaster.pkg import _d\n",
    )
    _write(tmp_path, "toolmaster.pkg._d", "import toolmaster.pkg._c\n")
    _write(tmp_path, "toolmaster.pkg._e", "from toolmaster.pkg import A\n")
    graph = import_graph([tmp_path])
    assert graph["toolmaster.pkg._a"] == {"toolmaster.pkg._b"}
    assert graph["toolmaster.pkg._b"] == {"toolmaster.pkg._a"}
    assert graph["toolmaster.pkg._c"] == set()
    assert graph["toolmaster.pkg._e"] == {"toolmaster.pkg"}
    assert cycles(graph) == [["toolmaster.pkg._a", "toolmaster.pkg._b"]]
