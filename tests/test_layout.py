"""The engine's folders show who runs what, and imports only go one way.

``autograder/__init__.py`` describes the layers. Here they are pinned: every import inside
``autograder/`` (including imports inside functions) goes from a layer to itself or to a
layer listed before it; ``runtime/`` imports nothing else from the engine (it runs in the
sandbox child and ships to students); no engine module names ``solutions`` or
``assignments``; module-level imports form no circle; no module grows past its size limit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "autograder"

# Lowest first. A unit is a subpackage or a top-level module.
LAYERS: list[set[str]] = [
    {"runtime"},
    {"sandbox", "spec"},
    {"course", "untrusted_text"},
    {"notebook", "testing"},
    {"grading"},
    {"build"},
    {"tools"},
    {"cli"},
    {"__main__"},
]
LAYER_OF = {unit: i for i, units in enumerate(LAYERS) for unit in units}
MAX_LINES = 520  # "about 500": a module that grows past it has two jobs


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(module: str, *, top_level_only: bool = False) -> list[tuple[int, str]]:
    """(line, imported module) for every import of an engine module in ``module``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: list[tuple[int, str]] = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.append((node.lineno, full if full in MODULES else target))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] == "autograder"]


def test_every_unit_has_a_layer() -> None:
    units = {_unit(m) for m in MODULES} - {"__init__"}
    assert units <= set(LAYER_OF), f"place these in LAYERS: {sorted(units - set(LAYER_OF))}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_one_way(module: str) -> None:
    unit = _unit(module)
    if unit == "__init__":
        return
    wrong = []
    for line, target in _imports(module):
        other = _unit(target)
        if other in ("__init__", unit):
            continue
        if LAYER_OF[other] >= LAYER_OF[unit]:
            wrong.append(f"line {line}: {target}")
    assert not wrong, f"{module} imports from its own layer or above: {wrong}"


def test_runtime_imports_nothing_else_from_the_engine() -> None:
    for module in (m for m in MODULES if _unit(m) == "runtime"):
        outside = [t for _, t in _imports(module) if _unit(t) != "runtime"]
        assert not outside, f"{module} imports {outside}: runtime/ ships to students alone"


def test_no_engine_module_names_the_course_content() -> None:
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            bad = [n for n in names if n.split(".")[0] in ("solutions", "assignments")]
            assert not bad, f"{module} line {node.lineno} imports {bad}"


def test_module_level_imports_form_no_circle() -> None:
    graph = {m: {t for _, t in _imports(m, top_level_only=True) if t in MODULES} for m in MODULES}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circle = [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
                pytest.fail("import circle: " + " -> ".join(circle))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small(module: str) -> None:
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by job"
