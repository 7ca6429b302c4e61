"""The package's shape, checked: layers import only downwards, Dash only under web/, and no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dashboard"
LAYERS = {"core": set(), "io": {"core"}, "render": {"core"}, "web": {"core", "io", "render"}}
"""What each layer may import from the package's other layers."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(name: str) -> set[str]:
    """Every module ``name`` imports, at the top or inside a function."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
    return found


def layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_the_layers_are_what_the_folders_say():
    assert {layer(m) for m in MODULES} >= set(LAYERS)


@pytest.mark.parametrize("name", sorted(m for m in MODULES if layer(m) != "web"))
def test_dash_is_imported_only_under_web(name):
    dash = {i for i in imports(name) if i.split(".")[0] in ("dash", "dash_ag_grid", "flask", "werkzeug")}
    assert not dash, f"{name} imports {dash}: only dashboard.web may"


@pytest.mark.parametrize("name", sorted(m for m in MODULES if layer(m)))
def test_each_layer_imports_only_the_layers_below(name):
    allowed = LAYERS[layer(name)] | {layer(name)}
    wrong = {i for i in imports(name) if i.startswith("dashboard.") and layer(i) and layer(i) not in allowed}
    assert not wrong, f"{name} ({layer(name)}) imports {wrong}"


def test_no_import_cycles():
    graph = {m: {i for i in imports(m) if i in MODULES and i != m} for m in MODULES}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt] if nxt in path else [node, nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


def test_no_module_imports_private_names_of_another():
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                assert not private, f"{name} imports private names {private}"
