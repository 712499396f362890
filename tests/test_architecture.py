"""The package's shape, checked from its source: which stage may import which, no import
cycle, no reaching into another module's private names, Typer only where commands are
declared, and a command line that only parses, calls and prints.

The import graph holds every ``import`` statement, at module level or inside a function (a
lazy import is still a dependency), except those under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "altool"

# Which subpackage may import which. Read as layers, lowest first: io < store < models <
# strategies < loop < ui < recipes; simulate and train beside recipes; cli over everything.
# ``base`` is the package's own shared modules (errors, paths, version, config file, lazy
# exports, the terminal line chart), which any stage may use.
BASE = {"errors", "paths", "version", "configfile", "safe", "_lazy", "chart"}
ALLOWED = {
    "io": set(),
    "store": {"io"},
    "models": {"io", "store"},
    "strategies": {"io", "models"},
    "loop": {"io", "store", "models", "strategies"},
    "ui": {"io", "store", "loop"},
    "recipes": {"io", "store", "models", "strategies", "loop", "ui", "train"},
    "simulate": {"io", "store", "models", "strategies", "loop"},
    "train": {"io", "store", "models"},
    "cli": {"io", "store", "models", "strategies", "loop", "ui", "recipes", "simulate", "train"},
}
TYPER_ALLOWED = ("cli", "recipes")  # commands and recipes declare their arguments with Typer
CLI_MAX_COMPLEXITY = 10  # branches in one function of altool/cli (parse, call, print)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def stage(module: str) -> str:
    """The subpackage (or base module) a module belongs to; ``altool`` for the root."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "altool"


def type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            out.update(id(n) for child in node.body for n in ast.walk(child))
    return out


def imports(module: str) -> list[tuple[ast.stmt, str, list[str]]]:
    """``(statement, imported module, names)`` for each altool import in ``module``."""
    tree = TREES[module]
    skip = type_checking_nodes(tree)
    is_package = MODULES[module].name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: None if is_package else -1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] == "altool":
                out.append((node, target, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(node, a.name, []) for a in node.names if a.name.split(".")[0] == "altool"]
    return out


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module in MODULES:
        for _, target, names in imports(module):
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            graph[module].update(subs or [target])
            if len(subs) < len(names):  # names from the module itself
                graph[module].add(target)
    return graph


def test_each_stage_imports_only_the_stages_below_it():
    bad = []
    for module, targets in import_graph().items():
        for target in targets:
            a, b = stage(module), stage(target)
            if a == b or b in BASE or a in BASE | {"altool", "__main__"}:
                continue
            if b not in ALLOWED.get(a, set()):
                bad.append(f"{module} imports {target} ({a} -> {b})")
    assert not bad, "\n".join(bad)


def test_base_modules_import_no_stage():
    bad = [f"{m} imports {t}" for m, targets in import_graph().items() if stage(m) in BASE
           for t in targets if stage(t) not in BASE]
    assert not bad, "\n".join(bad)


def test_no_import_cycle():
    graph = import_graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in MODULES:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                cycles.append(sorted(component))

    for module in MODULES:
        if module not in index:
            visit(module)
    assert not cycles, cycles


def test_no_module_reaches_into_another_modules_private_names():
    bad = []
    for module in MODULES:
        bound: dict[str, str] = {}  # local name -> altool module it is bound to
        for node, target, names in imports(module):
            for name in names:
                if name.startswith("_") and not name.startswith("__") and target != module:
                    bad.append(f"{module}: from {target} import {name}")
                if f"{target}.{name}" in MODULES:
                    bound[name] = f"{target}.{name}"
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.asname and f"{target}.{alias.name}" in MODULES:
                        bound[alias.asname] = f"{target}.{alias.name}"
        for node in ast.walk(TREES[module]):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in bound and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                bad.append(f"{module}: {node.value.id}.{node.attr}")
    assert not bad, "\n".join(bad)


def test_typer_is_imported_only_by_commands_and_recipes():
    bad = []
    for module, tree in TREES.items():
        if stage(module) in TYPER_ALLOWED:
            continue
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            bad += [f"{module} imports {n}" for n in names if n.split(".")[0] == "typer"]
    assert not bad, "\n".join(bad)


def complexity(fn: ast.AST) -> int:
    """McCabe-style: 1 + each branch point (if, loop, except, boolean operator, ternary,
    comprehension condition) in the function itself (not in functions nested in it)."""
    count = 1
    todo = list(ast.iter_child_nodes(fn))
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.If | ast.For | ast.While | ast.IfExp | ast.ExceptHandler |
                      ast.AsyncFor):
            count += 1
        elif isinstance(node, ast.BoolOp):
            count += len(node.values) - 1
        elif isinstance(node, ast.comprehension):
            count += len(node.ifs)
        todo.extend(ast.iter_child_nodes(node))
    return count


@pytest.mark.parametrize("module", [m for m in MODULES if stage(m) == "cli"])
def test_commands_only_parse_call_and_print(module):
    """No function of the command line branches more than a command that parses its options,
    calls the library and prints needs to; logic belongs in the library, where tests call it
    without a terminal."""
    too_complex = [f"{node.name}: {complexity(node)}" for node in ast.walk(TREES[module])
                   if isinstance(node, ast.FunctionDef)
                   and complexity(node) > CLI_MAX_COMPLEXITY]
    assert not too_complex, too_complex


def test_the_checks_see_the_whole_package():
    """The checks above would pass vacuously on an empty graph."""
    graph = import_graph()
    assert len(MODULES) > 60
    assert "altool.loop.worker" in graph["altool.loop.process"] or any(
        t.startswith("altool.loop.worker") for t in graph["altool.loop.process"])
    assert stage("altool.models.ngram") == "models" and stage("altool.errors") == "errors"
    assert complexity(ast.parse("def f(a):\n if a and a:\n  return 1\n").body[0]) == 3
