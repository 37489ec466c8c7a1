"""Layers that point one way, read from the source with ``ast`` (nothing is imported).

(a) The graph of module-level imports (outside functions and ``if TYPE_CHECKING:``) of
    qbdsl, qbdsl.backends and qbdsl.problems has no cycle.
(b) The core (model, expressions, IR, passes, compiler, solution, result) imports no file
    format at module level, and reaches ``qbdsl.io`` inside functions only from the thin
    methods allowed below, so new ones cannot creep in.
``import qbdsl`` loading no file format is checked in tests/test_imports.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"qbdsl": ROOT / "qbdsl", "qbdsl.backends": ROOT / "backends", "qbdsl.problems": ROOT / "problems"}
CORE = ("qbdsl.model", "qbdsl.expr", "qbdsl.ir", "qbdsl.passes", "qbdsl.compiler", "qbdsl.solution", "qbdsl.result")
IO = "qbdsl.io"
# (core module, function) -> the qbdsl.io modules it may import when called: thin lazy methods
ALLOWED_CORE_TO_IO = {
    ("qbdsl.model", "Model.to_latex"): {"qbdsl.io.latex"},
    ("qbdsl.model", "Model.to_cqm"): {"qbdsl.io.dimod_io"},
    ("qbdsl.model", "Model.to_qp"): {"qbdsl.io.qiskit_io"},
    ("qbdsl.ir.qubo", "QuboIR.to_bqm"): {"qbdsl.io.dimod_io"},
    ("qbdsl.ir.qubo", "QuboIR.to_qp"): {"qbdsl.io.qiskit_io"},
    ("qbdsl.ir.qubo", "QuboIR.save"): {"qbdsl.io"},
    ("qbdsl.ir.milp", "MilpIR.save"): {"qbdsl.io"},
}


def _modules() -> dict[str, Path]:
    """Every module's dotted name -> its file (a package is named by its ``__init__.py``)."""
    out: dict[str, Path] = {}
    for prefix, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([prefix, *parts])] = path
    return out


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The qbdsl modules an import statement in ``module`` loads (explicitly named ones)."""
    names: set[str] = set()
    if isinstance(node, ast.Import):
        for alias in node.names:
            names.add(alias.name)
    else:
        if node.level:
            package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{node.module}" if node.module else package
        else:
            base = node.module or ""
        subs = {f"{base}.{alias.name}" for alias in node.names}
        # ``from pkg import sub`` loads the submodule; ``from pkg import attr`` needs pkg itself
        names |= subs & set(MODULES) if subs <= set(MODULES) else {base} | (subs & set(MODULES))
    out = set()
    for name in names:
        # the longest known module the name points into (``import qbdsl.io.flat`` -> qbdsl.io.flat)
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name:
            out.add(name)
    return out


class _Imports(ast.NodeVisitor):
    """Module-level imports, and imports inside functions keyed by the function's qualname."""

    def __init__(self, module: str):
        self.module = module
        self.top: set[str] = set()
        self.inner: dict[str, set[str]] = {}
        self.scope: list[str] = []
        self.in_function = 0

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_FunctionDef(self, node) -> None:
        self.scope.append(node.name)
        self.in_function += 1
        self.generic_visit(node)
        self.in_function -= 1
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def _add(self, node) -> None:
        targets = _targets(self.module, node) - {self.module}
        if self.in_function:
            self.inner.setdefault(".".join(self.scope), set()).update(targets)
        else:
            self.top |= targets

    visit_Import = _add
    visit_ImportFrom = _add


@pytest.fixture(scope="module")
def imports() -> dict[str, _Imports]:
    out = {}
    for name, path in MODULES.items():
        v = _Imports(name)
        v.visit(ast.parse(path.read_text(), str(path)))
        out[name] = v
    return out


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as [a, b, ..., a], or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_the_walk_finds_the_packages_and_their_imports(imports):
    assert {"qbdsl.model", "qbdsl.io.flat", "qbdsl.cli", "qbdsl.backends.anneal", "qbdsl.problems.catalog"} <= set(
        MODULES
    ) | {m.rpartition(".")[0] for m in MODULES}
    assert "qbdsl.ir.problem" in imports["qbdsl.model"].top
    assert "qbdsl.io.latex" in imports["qbdsl.model"].inner["Model.to_latex"]


def test_the_cycle_finder_reports_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_module_level_imports_have_no_cycle(imports):
    cycle = _cycle({m: v.top for m, v in imports.items()})
    assert cycle is None, "import cycle at module level: " + " -> ".join(cycle)


def _core(module: str) -> bool:
    return any(module == c or module.startswith(c + ".") for c in CORE)


def _io(module: str) -> bool:
    return module == IO or module.startswith(IO + ".")


def test_the_core_imports_no_file_format_at_module_level(imports):
    bad = {m: sorted(filter(_io, v.top)) for m, v in imports.items() if _core(m) and any(map(_io, v.top))}
    assert not bad, f"core modules importing qbdsl.io at module level: {bad}"


def test_the_core_reaches_file_formats_only_from_the_allowed_thin_methods(imports):
    found = {
        (m, func): set(filter(_io, targets))
        for m, v in imports.items()
        if _core(m)
        for func, targets in v.inner.items()
        if any(map(_io, targets))
    }
    extra = {
        k: sorted(v - ALLOWED_CORE_TO_IO.get(k, set()))
        for k, v in found.items()
        if v - ALLOWED_CORE_TO_IO.get(k, set())
    }
    assert not extra, f"new imports of qbdsl.io inside core functions (use the facade in qbdsl/__init__.py): {extra}"
    stale = sorted(set(ALLOWED_CORE_TO_IO) - set(found))
    assert not stale, f"allowed core -> io imports that no longer exist (remove them from the list): {stale}"


def test_every_import_even_inside_functions_points_one_way_but_the_thin_methods(imports):
    """With imports inside functions counted too, the only edges against the layering are
    the allowed thin methods' (core -> qbdsl.io): without them the graph has no cycle, so
    no lazy import keeps a cycle alive."""
    graph: dict[str, set[str]] = {}
    for m, v in imports.items():
        targets = set(v.top)
        for func, inner in v.inner.items():
            targets |= inner - ALLOWED_CORE_TO_IO.get((m, func), set())
        graph[m] = targets
    cycle = _cycle(graph)
    assert cycle is None, "import cycle through imports inside functions: " + " -> ".join(cycle)
