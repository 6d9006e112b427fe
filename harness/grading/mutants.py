"""Wrong formulas made from a right one: mutation operators on a formula's syntax tree.

Each operator models a misconception a student could have about a layer (the
operands of ``-``, ``/`` or ``@`` the other way round, a forgotten transpose, the
wrong index, a missing term, the wrong weight, an off-by-one loop, the gates in
another order, an activation too many or too few).  :func:`mutants_of` applies
every operator at every place it fits in one function, one change per mutant,
and gives the whole module back as source with only that function's hypothesis
left in it, so a mutant loads like any hypothesis file.

Pure :mod:`ast` transforms: nothing here imports NumPy, Keras or the checker.
The order of the mutants is the order of the tree (then of the operators), so
the same reference always gives the same mutants.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import combinations

#: Calls that are an activation, by their name (``np.tanh(z)`` or ``tanh(z)``).
ACTIVATIONS = frozenset({"tanh", "sigmoid", "relu", "hard_sigmoid", "softsign", "exp"})
#: Tuple targets of this many names are gate unpackings (LSTM i, f, c, o; GRU z, r, h).
GATE_COUNTS = (3, 4)
SMALL = (0, 1, 2)
#: Values no activation is added around (an empty list, a starting tuple of numbers).
LITERALS = (ast.List, ast.Tuple, ast.Constant, ast.Dict)


@dataclass(frozen=True)
class Mutant:
    """One wrong formula: the operator that made it, the changed function's source (what
    reports show), and the module's source to load."""

    function: str
    operator: str
    source: str
    module: str


@dataclass
class Context:
    """What the operators may ask about the function being mutated."""

    params: tuple[str, ...]
    #: Weight and input names of the layer with their shapes (same shape: swappable).
    shapes: Mapping[str, tuple[int, ...]]
    #: The module's name for NumPy (``np``), or None when it does not import it.
    numpy: str | None
    parents: dict[int, tuple[ast.AST, str]] = field(default_factory=dict)
    indexes: set[int] = field(default_factory=set)

    def parent(self, node: ast.AST) -> tuple[ast.AST | None, str]:
        found = self.parents.get(id(node))
        return (None, "") if found is None else found


Operator = Callable[[ast.AST, Context], list[ast.AST]]


def swap_operands(node: ast.AST, ctx: Context) -> list[ast.AST]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Sub, ast.Div, ast.MatMult)):
        return [ast.BinOp(left=node.right, op=node.op, right=node.left)]
    return []


def transpose(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """Drop a ``.T`` or ``np.transpose(...)``; add ``.T`` to an operand of ``@``."""
    if isinstance(node, ast.Attribute) and node.attr == "T":
        return [node.value]
    if _call_named(node, {"transpose"}) and isinstance(node, ast.Call) and len(node.args) == 1:
        return [node.args[0]]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        return [ast.BinOp(left=_t(node.left), op=node.op, right=node.right),
                ast.BinOp(left=node.left, op=node.op, right=_t(node.right))]
    return []


def _t(node: ast.expr) -> ast.expr:
    return ast.Attribute(value=node, attr="T", ctx=ast.Load())


def shift_index(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """In a subscript: ``0`` and ``1`` swap, ``-1`` becomes ``-2``."""
    if id(node) not in ctx.indexes:
        return []
    if _is_int(node, 0) or _is_int(node, 1):
        return [ast.Constant(1 - _is_int(node, 1))]
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and _is_int(node.operand, 1)):
        return [ast.UnaryOp(op=ast.USub(), operand=ast.Constant(2))]
    return []


def drop_term(node: ast.AST, ctx: Context) -> list[ast.AST]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [node.left, node.right]
    return []


def swap_name(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """A weight or input read where another of the same shape belongs."""
    if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
            and node.id in ctx.params and node.id in ctx.shapes):
        return []
    return [ast.Name(id=other, ctx=ast.Load()) for other in ctx.params
            if other != node.id and ctx.shapes.get(other) == ctx.shapes[node.id]]


def small_constant(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """A 0, 1 or 2 outside a subscript becomes each of the other two."""
    if id(node) in ctx.indexes or not isinstance(node, ast.Constant):
        return []
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value not in SMALL:
        return []
    parent, _ = ctx.parent(node)
    if isinstance(parent, ast.UnaryOp):  # -1 is one number; shift_index owns indexes
        return []
    kind = type(value)
    return [ast.Constant(kind(other)) for other in SMALL if other != value]


def loop_range(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """A loop's sequence without its first or its last element."""
    parent, name = ctx.parent(node)
    if not (isinstance(parent, ast.For) and name == "iter"):
        return []
    assert isinstance(node, ast.expr)
    first = ast.Slice(lower=ast.Constant(1))
    last = ast.Slice(upper=ast.UnaryOp(op=ast.USub(), operand=ast.Constant(1)))
    return [ast.Subscript(value=node, slice=cut, ctx=ast.Load()) for cut in (first, last)]


def gate_order(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """Two of the gates of an unpacking (``i, f, c, o = ...``) swapped."""
    if not (isinstance(node, ast.Tuple) and isinstance(node.ctx, ast.Store)
            and len(node.elts) in GATE_COUNTS
            and all(isinstance(e, ast.Name) for e in node.elts)):
        return []
    out: list[ast.AST] = []
    for a, b in combinations(range(len(node.elts)), 2):
        elts = list(node.elts)
        elts[a], elts[b] = elts[b], elts[a]
        out.append(ast.Tuple(elts=elts, ctx=ast.Store()))
    return out


def activation(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """Remove an activation call; add ``np.tanh`` around a value assigned or returned."""
    if (_call_named(node, ACTIVATIONS) and isinstance(node, ast.Call)
            and len(node.args) == 1 and not node.keywords):
        return [node.args[0]]
    parent, name = ctx.parent(node)
    added = ctx.numpy is not None and name == "value" and (
        isinstance(parent, ast.Return)
        or (isinstance(parent, ast.Assign) and all(isinstance(t, ast.Name)
                                                   for t in parent.targets)))
    if not added or _call_named(node, ACTIVATIONS) or isinstance(node, LITERALS):
        return []
    assert isinstance(node, ast.expr) and ctx.numpy is not None
    tanh = ast.Attribute(value=ast.Name(id=ctx.numpy, ctx=ast.Load()), attr="tanh",
                         ctx=ast.Load())
    return [ast.Call(func=tanh, args=[node], keywords=[])]


#: Every operator, by the name reports give it.
OPERATORS: dict[str, Operator] = {
    "swap-operands": swap_operands,
    "transpose": transpose,
    "shift-index": shift_index,
    "drop-term": drop_term,
    "swap-name": swap_name,
    "small-constant": small_constant,
    "loop-range": loop_range,
    "gate-order": gate_order,
    "activation": activation,
}


def mutants_of(module: str, function: str,
               shapes: Mapping[str, tuple[int, ...]] | None = None) -> list[Mutant]:
    """Every one-change mutant of ``function`` in the module source ``module``, without
    duplicates and without any that is the same code as the original.  ``shapes``: the
    layer's weight (and input) shapes; names of equal shape may be swapped."""
    tree = ast.parse(module)
    index = _function_index(tree, function)
    _drop_docstring(tree.body[index])
    original = ast.unparse(tree.body[index])
    seen = {original}
    found: list[Mutant] = []
    for operator, position, variant in _sites(tree.body[index], tree, shapes or {}):
        mutated = copy.deepcopy(tree)
        fn = mutated.body[index]
        target = list(_body_nodes(fn))[position]
        _replace(fn, target, variant)
        source = ast.unparse(ast.fix_missing_locations(fn))
        if source in seen:
            continue
        seen.add(source)
        found.append(Mutant(function, operator, source, _module_with(mutated, index)))
    return found


def _sites(fn: ast.stmt, tree: ast.Module,
           shapes: Mapping[str, tuple[int, ...]]) -> Iterator[tuple[str, int, ast.AST]]:
    assert isinstance(fn, ast.FunctionDef)
    ctx = _context(fn, tree, shapes)
    for position, node in enumerate(_body_nodes(fn)):
        for name, operator in OPERATORS.items():
            for variant in operator(node, ctx):
                yield name, position, copy.deepcopy(variant)


def _context(fn: ast.FunctionDef, tree: ast.Module,
             shapes: Mapping[str, tuple[int, ...]]) -> Context:
    params = tuple(a.arg for a in fn.args.args + fn.args.kwonlyargs)
    ctx = Context(params, shapes, _numpy_name(tree))
    for node in _body_nodes(fn):
        for name, value in ast.iter_fields(node):
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    ctx.parents[id(child)] = (node, name)
        if isinstance(node, ast.Subscript):
            ctx.indexes.update(id(n) for n in _index_parts(node.slice))
    return ctx


def _index_parts(index: ast.expr) -> Iterator[ast.AST]:
    for part in index.elts if isinstance(index, ast.Tuple) else [index]:
        if isinstance(part, ast.Slice):
            yield from (p for p in (part.lower, part.upper, part.step) if p is not None)
        else:
            yield part


def _body_nodes(fn: ast.stmt) -> Iterator[ast.AST]:
    """The function body's nodes in a fixed order (not its decorators or arguments)."""
    assert isinstance(fn, ast.FunctionDef)
    for statement in fn.body:
        yield from _walk(statement)


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    yield node
    for child in ast.iter_child_nodes(node):
        yield from _walk(child)


def _replace(root: ast.AST, target: ast.AST, new: ast.AST) -> None:
    for node in _walk(root):
        for name, value in ast.iter_fields(node):
            if value is target:
                setattr(node, name, new)
                return
            if isinstance(value, list) and any(v is target for v in value):
                value[next(i for i, v in enumerate(value) if v is target)] = new
                return
    raise AssertionError("the node to replace is not in the function")


def _drop_docstring(fn: ast.stmt) -> None:
    """Reports show the code that changed, not the reference's explanation."""
    assert isinstance(fn, ast.FunctionDef)
    first = fn.body[0]
    if (len(fn.body) > 1 and isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        del fn.body[0]


def _function_index(tree: ast.Module, function: str) -> int:
    for i, node in enumerate(tree.body):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return i
    raise ValueError(f"no top-level function {function!r} in the module")


def _module_with(tree: ast.Module, index: int) -> str:
    """The module with the other decorated functions left out (only this hypothesis
    is collected from it); helpers, imports and constants stay."""
    body = [node for i, node in enumerate(tree.body)
            if i == index or not (isinstance(node, ast.FunctionDef) and node.decorator_list)]
    return ast.unparse(ast.fix_missing_locations(ast.Module(body=body, type_ignores=[])))


def _numpy_name(tree: ast.Module) -> str | None:
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "numpy":
                    return alias.asname or "numpy"
    return None


def _call_named(node: ast.AST, names: frozenset[str] | set[str]) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in names


def _is_int(node: ast.AST, value: int) -> bool:
    return (isinstance(node, ast.Constant) and type(node.value) is int
            and node.value == value)
