"""The house keeps its plan: imports run one way between the rooms, and no circles.

Rooms, lowest first (``docs/architecture.md``)::

    model        harness/*.py listed in MODEL (what things are: layers, claims, cases, ...)
    engine       harness/engine/     checking
    output       harness/output/     showing
    front ends   harness/*.py listed in FRONT (plugin, api, notebook, collect, ...)
    grading      harness/grading/    the grader, with grading/isolation/ (the grader's
                                     side of the sandbox) and protocol.py (both sides)
    command      harness/cli.py, harness/__main__.py (every command, grading's included)

A module may import its own room and the rooms below it.  Besides:

* ``harness/grading/worker/`` runs inside the sandbox: it imports only the model, the
  protocol and itself (and the ``harness`` package a student's file imports);
* ``grading/protocol.py`` imports only the model (the worker imports it);
* ``grading/isolation/`` imports only the model, the protocol and itself (it is handed a
  policy; it knows nothing of assignments or scores);
* nothing outside the worker package imports it (the grader starts it by name, with
  ``python -m``, and talks to it through the protocol).

Every import counts wherever it is written: at the top, inside a function, under
``TYPE_CHECKING``, and dotted module names written as text (``importlib.import_module``,
lazy export tables, preload lists).  Not counted: a logger's name, the module after
``-m`` in a command line (starting a process is not importing), and the bare word
``"harness"`` (a folder or a prefix far more often than an import).

The one documented seam: ``harness.layers`` asks ``harness.engine.oracle`` for the
weights and output shape of a layer that is not a course layer (Keras reads them), inside
functions only.  It is the only edge from a lower room to a higher one and the only
circle allowed (without it the graph has none).
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "harness"

#: The model: plain data and the rules about it, imported by every other room.
MODEL = {
    "harness.errors", "harness.numbers", "harness.layers", "harness.parse",
    "harness.course", "harness.cases", "harness.scope", "harness.claims",
    "harness.verdict", "harness.cells", "harness.ipynb", "harness.faults", "harness.nesting",
    "harness.untrusted", "harness.settings", "harness.execute", "harness.surprises",
    "harness.sentences",
    "harness.assignments",
}
#: Entry points a user calls (the package itself re-exports ``check`` from the notebook).
FRONT = {
    "harness", "harness.plugin", "harness.api", "harness.notebook", "harness.collect",
    "harness.arguments", "harness.explorer", "harness.explorer.state", "harness.explorer.server",
    "harness.explorer.inline", "harness.watch",
}
#: The ``harness`` command: assembles the front ends' commands and grading's.
COMMAND = {"harness.cli", "harness.__main__"}

RANK = {"model": 0, "engine": 1, "output": 2, "front end": 3, "grading": 4,
        "isolation": 4, "protocol": 4, "worker": 4, "command": 5}
PROTOCOL = "harness.grading.protocol"
WORKER = "harness.grading.worker"
ISOLATION = "harness.grading.isolation"
#: The one seam: (importer, imported), lazily (inside functions) only.
SEAM = ("harness.layers", "harness.engine.oracle")

DOTTED = re.compile(r"harness(?:\.[A-Za-z_]\w*)*")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    file: str
    line: int
    lazy: bool  # inside a function

    def where(self) -> str:
        return f"{self.file}:{self.line}"


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = modules()


def room(module: str) -> str | None:
    if module == PROTOCOL:
        return "protocol"
    if module == WORKER or module.startswith(WORKER + "."):
        return "worker"
    if module == ISOLATION or module.startswith(ISOLATION + "."):
        return "isolation"
    if module == "harness.grading" or module.startswith("harness.grading."):
        return "grading"
    if module == "harness.engine" or module.startswith("harness.engine."):
        return "engine"
    if module == "harness.output" or module.startswith("harness.output."):
        return "output"
    if module in MODEL or module.split(".")[:2] == ["harness", "assignments"]:
        return "model"
    if module in FRONT:
        return "front end"
    if module in COMMAND:
        return "command"
    return None


def resolve(name: str) -> str | None:
    """The harness module ``name`` imports (the longest prefix that is a module)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


class Finder(ast.NodeVisitor):
    """Every harness module one file imports, with its line and whether it is lazy."""

    def __init__(self, module: str, file: str) -> None:
        self.module = module
        self.file = file
        self.depth = 0
        self.skip: set[int] = set()  # string nodes that are not imports
        self.edges: list[Edge] = []

    def add(self, name: str, node: ast.AST) -> None:
        target = resolve(name)
        if target is not None and target != self.module:
            self.edges.append(Edge(self.module, target, self.file,
                                   getattr(node, "lineno", 0), self.depth > 0))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._function(node)

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] == "harness":
                self.add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            package = self.module.split(".")
            if MODULES[self.module].name != "__init__.py":
                package = package[:-1]
            package = package[:len(package) - node.level + 1]
            base = ".".join([*package, *([base] if base else [])])
        if base.split(".")[0] != "harness":
            return
        for alias in node.names:
            full = f"{base}.{alias.name}"
            self.add(full if full in MODULES else base, node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "getLogger":  # a logger's name is not an import
            self.skip.update(id(arg) for arg in node.args)
        self.generic_visit(node)

    def visit_List(self, node: ast.List) -> None:
        self._command(node.elts)
        self.generic_visit(node)

    def visit_Tuple(self, node: ast.Tuple) -> None:
        self._command(node.elts)
        self.generic_visit(node)

    def _command(self, items: list[ast.expr]) -> None:
        """``[python, "-m", "harness.x", ...]`` starts a process: not an import."""
        for before, item in itertools.pairwise(items):
            if isinstance(before, ast.Constant) and before.value == "-m":
                self.skip.add(id(item))

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and id(node) not in self.skip and "." in node.value \
                and DOTTED.fullmatch(node.value) and node.value in MODULES:
            self.add(node.value, node)


def find_edges(module: str, file: str, text: str) -> list[Edge]:
    finder = Finder(module, file)
    finder.visit(ast.parse(text, file))
    return finder.edges


def all_edges() -> list[Edge]:
    edges = []
    for module, path in MODULES.items():
        edges += find_edges(module, str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
    return edges


EDGES = all_edges()


def broken(edge: Edge) -> str | None:
    """The rule ``edge`` breaks, in words, or None."""
    source, target = room(edge.source), room(edge.target)
    if source is None or target is None:
        return None  # reported by test_every_module_has_a_room
    if (edge.source, edge.target) == SEAM:
        return None if edge.lazy else "the layers -> oracle seam must stay inside functions"
    if source == "worker":
        if target in ("model", "protocol", "worker") or edge.target == "harness":
            return None
        return ("the worker (inside the sandbox) imports only the model and the protocol, "
                f"not the {target} room")
    if target == "worker":
        return ("only the worker package imports the worker (the grader starts it with "
                "python -m and talks through the protocol)")
    if source == "protocol" and target != "model":
        return f"the protocol imports only the model (the worker imports it), not {target}"
    if source == "isolation" and target not in ("model", "protocol", "isolation"):
        return (f"isolation (the grader's side of the sandbox) imports only the model, the "
                f"protocol and itself, not the {target} room")
    if RANK[target] > RANK[source]:
        return (f"a {source} module imports the {target} room above it (imports run "
                f"model <- engine <- output <- front ends <- grading <- command)")
    return None


def test_every_module_has_a_room() -> None:
    unplaced = [f"{path.relative_to(ROOT)}: {module} is in no room (add it to MODEL, FRONT "
                f"or COMMAND in tests/test_layout.py, or move it into a room's folder)"
                for module, path in MODULES.items() if room(module) is None]
    assert not unplaced, "\n".join(unplaced)


def test_imports_run_one_way() -> None:
    problems = [f"{e.where()}: {e.source} imports {e.target}: {why}"
                for e in EDGES if (why := broken(e)) is not None]
    assert not problems, "\n".join(problems)


def test_the_seam_is_used_and_lazy() -> None:
    seam = [e for e in EDGES if (e.source, e.target) == SEAM]
    assert seam, "the documented seam is gone: update SEAM and docs/architecture.md"
    assert all(e.lazy for e in seam), [e.where() for e in seam if not e.lazy]


def cycles(edges: list[Edge]) -> Iterator[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for e in edges:
        graph[e.source].add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    yield sorted(component)


def test_no_import_circles_but_the_seam() -> None:
    without_seam = [e for e in EDGES if (e.source, e.target) != SEAM]
    found = list(cycles(without_seam))
    lines = []
    for component in found:
        inside = sorted({f"{e.where()}: {e.source} -> {e.target}" for e in without_seam
                         if e.source in component and e.target in component})
        lines.append(f"import circle {component}:\n  " + "\n  ".join(inside))
    assert not found, "\n".join(lines)
    assert len(list(cycles(EDGES))) <= 1  # the seam closes at most one circle


def test_only_the_oracle_imports_keras() -> None:
    heavy = {"tensorflow", "keras"}
    importers = set()
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] in heavy for n in names):
                importers.add(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert {i.split(":")[0] for i in importers} <= {"harness/engine/oracle.py"}, importers


@pytest.mark.parametrize("text, rule", [
    ("from harness.engine import checker\n", "imports the engine room above it"),
    ("def f():\n    from harness.output.render import x\n", "imports the output room"),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
     "    from harness.grading.results import R\n", "imports the grading room"),
    ("import importlib\nM = importlib.import_module('harness.engine.oracle')\n",
     "imports the engine room"),
    ("TABLE = {'check': 'harness.notebook'}\n", "imports the front end room"),
])
def test_the_finder_sees_every_kind_of_import(text: str, rule: str) -> None:
    """A model module that imports upward in any of these ways is caught, with file and
    line (so the rules above cannot pass by not seeing an import)."""
    edges = find_edges("harness.cases", "harness/cases.py", text)
    problems = [f"{e.where()}: {why}" for e in edges if (why := broken(e))]
    assert problems and rule in problems[0] and problems[0].startswith("harness/cases.py:")


def test_commands_and_logger_names_are_not_imports() -> None:
    text = ("import logging\nLOG = logging.getLogger('harness.grading.session')\n"
            "ARGV = ['python', '-I', '-m', 'harness.grading.worker.serve', '3', '4']\n")
    assert find_edges("harness.grading.isolation.workers",
                      "harness/grading/isolation/workers.py", text) == []
    assert find_edges("harness.grading.isolation.workers",
                      "harness/grading/isolation/workers.py",
                      "NAME = 'harness.grading.worker.serve'\n")  # text alone does count
