"""Templates: load the rule files and fill a rule's body in for one primitive application.

A rule is read as source, never called.  Filling binds the rule's parameters
to the user's argument nodes (by the rule's own signature, so keywords and
defaults work), pastes the body, and expands ``d[x]``/``t[x]``:

* a line that reads a zero adjoint/tangent, or writes to a constant or
  inactive argument, is dropped;
* a keyword argument computed only from parameters the user left at their
  defaults is dropped (``unreduce(dy, x, axis=axis)`` -> ``unreduce(dy, x)``);
* constants fold (``x ** (2 - 1)`` -> ``x``) and ``unbroadcast`` against an
  operand that nothing else could have broadcast disappears.
"""
from __future__ import annotations

import ast
import copy
import importlib.util
import inspect
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Set

import gast

from . import runtime, syntax
from .errors import TransformError

_loaded = False
#: packages a template file may need; without them the file's rules are just absent
OPTIONAL_DEPENDENCIES = {"scipy"}


def template_dir() -> Path:
    """``templates/`` beside the package (checkout) or inside it (installed wheel)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_templates", here.parent / "templates"):
        if candidate.is_dir() and (candidate / "arithmetic.py").exists():
            return candidate
    raise RuntimeError(f"tangentish cannot find its templates directory near {here}")


def load_builtin() -> None:
    """Execute every template file once; their decorators fill the registry."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for path in sorted(template_dir().glob("*.py")):
        if path.name.startswith("_"):
            continue
        modname = f"tangentish._templates.{path.stem}"
        if modname in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(modname, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[modname] = module
        try:
            _exec_tolerant(path, module)
        except ModuleNotFoundError as e:
            if (e.name or "").split(".")[0] not in OPTIONAL_DEPENDENCIES:
                raise
            del sys.modules[modname]   # e.g. templates/special.py without scipy installed


def _exec_tolerant(path: Path, module) -> None:
    """Run a template file where a function this NumPy/SciPy lacks names no rule, not an error.

    Outside rule bodies, every ``np.name`` becomes ``getattr(np, "name", None)``;
    the decorators skip None.  Rule bodies are untouched (they are read as source).
    """
    import ast

    tree = ast.parse(path.read_text(), str(path))

    class Tolerant(ast.NodeTransformer):
        def visit_FunctionDef(self, node):
            node.decorator_list = [self.visit(d) for d in node.decorator_list]
            return node

        def visit_Import(self, node):
            return node

        visit_ImportFrom = visit_Import

        def visit_Attribute(self, node):
            if not isinstance(node.ctx, ast.Load):
                return node
            value = self.visit(node.value)
            call = ast.Call(func=ast.Name("__tangentish_getattr__", ast.Load()),
                            args=[value, ast.Constant(node.attr), ast.Constant(None)], keywords=[])
            return ast.copy_location(call, node)

    tree = ast.fix_missing_locations(Tolerant().visit(tree))
    module.__dict__["__tangentish_getattr__"] = getattr   # a rule may be named getattr
    exec(compile(tree, str(path), "exec"), module.__dict__)


@dataclass
class Rule:
    fn: Callable
    node: gast.FunctionDef
    signature: inspect.Signature
    namespace: dict

    @property
    def params(self) -> List[str]:
        return list(self.signature.parameters)


_rules: Dict[Callable, Rule] = {}


def rule(fn: Callable) -> Rule:
    """The parsed form of rule function ``fn`` (cached)."""
    if fn not in _rules:
        try:
            source = textwrap.dedent(inspect.getsource(fn))
        except (OSError, TypeError) as e:
            raise TransformError(f"cannot read the source of rule `{fn.__name__}` ({e})") from None
        node = syntax.parse_function(source)
        node.decorator_list = []
        _rules[fn] = Rule(fn, node, inspect.signature(fn), fn.__globals__)
    return _rules[fn]


@dataclass
class Contribution:
    """``d[param] += value`` (reverse) or ``t[param] += value`` (forward)."""

    param: str
    target: gast.AST     # the user's argument node bound to ``param``
    value: gast.AST
    #: a ``no_derivative`` line: the error to raise if ``target`` is active (None: a derivative)
    refused: Optional[TransformError] = None


class Filler:
    """Fills one rule for one primitive application.

    ``read(marker, node)`` returns the Name of the adjoint/tangent of the
    user's argument ``node`` (``marker`` is ``"d"`` or ``"t"``), or None when
    it is zero.  ``bind_global(name, obj)`` returns the name under which the
    generated code can reach ``obj``.
    """

    def __init__(self, rule: Rule, result: gast.AST, args: list, kwargs: dict,
                 read: Callable, namer, bind_global: Callable, label: str = ""):
        self.rule = rule
        self.read = read
        self.namer = namer
        self.bind_global = bind_global
        if rule.fn in _einsum_rules():
            args = einsum_string_form(args, label)
        try:
            bound = rule.signature.bind(result, *args, **kwargs)
        except TypeError as e:
            raise TransformError(f"`{label or rule.fn.__name__}` called with arguments its "
                                 f"rule does not accept: {e}",
                                 hint="pass only the arguments the rule's signature names; "
                                      "see docs/primitives.md.") from None
        self.supplied: Set[str] = set(bound.arguments)
        bound.apply_defaults()
        self.bindings: Dict[str, gast.AST] = {}
        for pname, value in bound.arguments.items():
            # bound nodes are read, whatever context they came from (a result is an assign target)
            self.bindings[pname] = syntax.load(value) if isinstance(value, gast.AST) else syntax.const(value)
        self.result_param = rule.params[0]
        self.locals: Dict[str, str] = {}
        self.dropped: Set[str] = set()
        self._temp_params: Dict[str, Set[str]] = {}   # template temporary -> parameters it reads
        self._assigned_markers: Dict[str, Dict[str, int]] = {}   # d/t -> parameter -> lines so far
        #: parameters the kept contributions read (``t[x]`` reads ``x``): see `may_fall_short`
        self.covered: Set[str] = set()

    # -- public -------------------------------------------------------------
    def fill(self) -> List[object]:
        """Statements (template temporaries) and Contributions, in template order."""
        out = []
        for stmt in self.rule.node.body:
            if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant):
                continue  # docstring
            item = self._statement(stmt)
            if item is not None:
                out.append(item)
        return out

    # -- statements -----------------------------------------------------------
    def _statement(self, stmt):
        if isinstance(stmt, (gast.AugAssign, gast.Assign)):
            target = stmt.target if isinstance(stmt, gast.AugAssign) else stmt.targets[0]
            marker = _marker(target)
            if marker is not None:
                param = target.slice.id
                node = self.bindings.get(param)
                if node is None or not isinstance(node, (gast.Name, gast.List, gast.Tuple)):
                    return None
                negate = self._marker_op(stmt, target, param)
                value = self._expr(stmt.value)
                if value is None:
                    return None
                refused = None
                if _is_refusal(stmt.value):   # a derivative without a formula, read from a nonzero value
                    refused = refusal_error(stmt.value)
                    if marker == "t":   # a tangent is needed: refuse now (reverse mode refuses at an active target)
                        raise refused
                self.covered |= self._params_read(stmt.value)
                if negate:   # d[x] -= e contributes -e
                    value = gast.UnaryOp(op=gast.USub(), operand=value)
                return Contribution(param, node, value, refused)
            if isinstance(target, gast.Name):
                value = self._expr(stmt.value)
                if value is None:
                    self.dropped.add(target.id)
                    return None
                self._temp_params[target.id] = self._params_read(stmt.value)
                new = self.namer.fresh(target.id)
                self.locals[target.id] = new
                return syntax.assign(new, value)
        raise TransformError(f"rule `{self.rule.fn.__name__}`: unsupported template statement "
                             f"`{syntax.to_source(stmt)}`",
                             hint="a rule body holds `d[x] += expr` lines and plain assignments.")

    def _marker_op(self, stmt, target, param) -> bool:
        """Is ``d[x] <op> e`` a contribution of ``-e`` (``-=``)?  ``+=`` and a single ``=`` add ``e``;
        anything else (``*=``, a second ``=`` that would overwrite) is refused, not read as ``+=``."""
        seen = self._assigned_markers.setdefault(target.value.id, {})
        if isinstance(stmt, gast.AugAssign):
            if isinstance(stmt.op, (gast.Add, gast.Sub)):
                seen[param] = seen.get(param, 0) + 1
                return isinstance(stmt.op, gast.Sub)
            spelled = syntax.to_source(stmt).strip()
        elif seen.get(param):
            spelled = syntax.to_source(stmt).strip() + " (after an earlier line for the same operand)"
        else:
            seen[param] = 1
            return False
        raise TransformError(f"rule `{self.rule.fn.__name__}`: unsupported template statement `{spelled}`",
                             hint="a rule's lines add to a derivative: write `d[x] += expr` "
                                  "(or `d[x] -= expr`), one or more per operand.")

    def _params_read(self, expr) -> Set[str]:
        names = syntax.loaded_names(expr)
        params = names & set(self.rule.params)
        for temp in names & set(self._temp_params):
            params |= self._temp_params[temp]
        return params

    def may_fall_short(self) -> bool:
        """Could the kept contributions have fewer elements than the result?

        ``t[z] += t[x]`` for ``z = x + c`` has ``x``'s shape, not ``z``'s, when
        ``c`` broadcast ``x`` and the line for ``c`` was dropped (a zero
        tangent).  Not if the kept lines read the result, or every operand
        that could carry a shape (a name or a list of names; numbers and
        ``None`` cannot).
        """
        if self.result_param in self.covered:
            return False
        operands = {p for p, v in self.bindings.items() if p != self.result_param
                    and any(isinstance(n, gast.Name) for n in gast.walk(v))}
        return not operands <= self.covered

    def _expr(self, expr):
        expr = copy.deepcopy(expr)
        self._drop_default_keywords(expr)
        try:
            expr = _Substitute(self).visit(expr)
        except _Zero:
            return None
        return simplify(expr, self)

    def _drop_default_keywords(self, expr) -> None:
        defaulted = set(self.rule.params) - self.supplied
        for node in gast.walk(expr):
            if isinstance(node, gast.Call):
                keep = []
                for kw in node.keywords:
                    used = syntax.loaded_names(kw.value) & set(self.rule.params)
                    if used and used <= defaulted:
                        continue
                    keep.append(kw)
                node.keywords = keep


def _is_refusal(value) -> bool:
    """``no_derivative(what, ...)``: a rule line saying this parameter's derivative has no formula."""
    return (isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
            and value.func.id == "no_derivative")


def refusal_error(value) -> TransformError:
    """The error of a ``no_derivative(what, ...)`` line whose derivative is needed (raised at the user's line)."""
    what = value.args[0] if value.args else None
    if isinstance(what, gast.Constant) and isinstance(what.value, str):
        what = what.value
    else:
        what = syntax.to_source(what) if what is not None else "this argument"
    return TransformError(f"no derivative of {what}: tangentish has no formula for it",
                          hint="keep this argument constant, or register a rule with @tangentish.adjoint.")


class _Zero(Exception):
    """Raised while substituting when the line reads a symbolic zero."""


class _Substitute(gast.NodeTransformer):
    def __init__(self, filler: Filler):
        self.f = filler

    def visit_Subscript(self, node):
        marker = _marker(node)
        if marker is not None:
            bound = self.f.bindings.get(node.slice.id)
            found = self.f.read(marker, bound) if bound is not None else None
            if found is None:
                raise _Zero()
            return found
        node.value = self.visit(node.value)
        if isinstance(node.slice, gast.Name) and node.slice.id in self.f.bindings:
            node.slice = syntax.load(self.f.bindings[node.slice.id])
        else:
            node.slice = self.visit(node.slice)
        return node

    def visit_Name(self, node):
        f = self.f
        if node.id in f.bindings:
            value = syntax.load(f.bindings[node.id])  # the result binding is a Store target
            if _is_index(value):
                np_name = f.bind_global("np", __import__("numpy"))
                value = gast.Subscript(value=syntax.parse_expr(f"{np_name}.s_"), slice=value,
                                       ctx=gast.Load())
            return value
        if node.id in f.dropped:
            raise _Zero()
        if node.id in f.locals:
            return syntax.name(f.locals[node.id])
        if node.id in f.rule.namespace:
            return syntax.name(f.bind_global(node.id, f.rule.namespace[node.id]))
        return node


def _is_index(node) -> bool:
    return isinstance(node, gast.Slice) or (
        isinstance(node, gast.Tuple) and any(isinstance(e, gast.Slice) for e in node.elts))


def _marker(node) -> Optional[str]:
    if (isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name)
            and node.value.id in ("d", "t") and isinstance(node.slice, gast.Name)):
        return node.value.id
    return None


# ---- einsum's sublist form ----------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_rules():
    import numpy as np

    from . import registry
    return {registry.REVERSE.get(np.einsum), registry.FORWARD.get(np.einsum)} - {None}


def einsum_string_form(args: list, label: str = "np.einsum") -> list:
    """``np.einsum(m, [0, 1], [1, 0])`` as ``np.einsum('ab->ba', m)``: the form the einsum rules read.

    The sublist form alternates operands and index lists (an output list last,
    optionally).  Index lists must be literals, so the spec is known here; the
    string form and anything else pass through unchanged.
    """
    if len(args) < 2 or (isinstance(args[0], gast.Constant) and isinstance(args[0].value, str)):
        return args
    if not (isinstance(args[1], (gast.List, gast.Tuple)) and syntax.is_constant_expr(args[1])):
        return args
    operands, lists = args[0::2], args[1::2]
    output = None
    if len(args) % 2 == 1:   # operand, list, ..., output list
        operands, output = args[0:-1:2], args[-1]
    for node in list(lists) + ([output] if output is not None else []):
        if not (isinstance(node, (gast.List, gast.Tuple)) and syntax.is_constant_expr(node)):
            raise TransformError(f"`{label}` in sublist form needs literal index lists",
                                 hint="write the indices out as lists of ints, or use the string form "
                                      "('ij,jk->ik').")

    def text(node):
        tree = ast.fix_missing_locations(ast.Expression(body=gast.gast_to_ast(node)))
        out = []
        for index in eval(compile(tree, "<einsum sublist>", "eval"), {"__builtins__": {}}):
            if index is Ellipsis:
                out.append("...")
            elif isinstance(index, int) and 0 <= index < len(_LETTERS):
                out.append(_LETTERS[index])
            else:
                raise TransformError(f"`{label}`: sublist index {index!r} is not an int in 0..51")
        return "".join(out)

    spec = ",".join(text(node) for node in lists[:len(operands)])
    if output is not None:
        spec += "->" + text(output)
    return [syntax.const(spec)] + list(operands)


# ---- simplification -------------------------------------------------------


def _number(node):
    if isinstance(node, gast.Constant) and type(node.value) in (int, float):
        return node.value
    if (isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub)
            and isinstance(node.operand, gast.Constant) and type(node.operand.value) in (int, float)):
        return -node.operand.value
    return None


def _negated(node):
    """``b * c`` for ``-b * c`` (a leading minus of a product or quotient), else None."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        return node.operand
    if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div)):
        left = _negated(node.left)
        if left is not None:
            return gast.BinOp(left=left, op=node.op, right=node.right)
    return None


def simplify(expr, filler: Optional[Filler] = None):
    """Fold constants and drop identities, bottom-up."""
    return _Simplify(filler).visit(expr)


class _Simplify(gast.NodeTransformer):
    def __init__(self, filler):
        self.filler = filler

    def visit_IfExp(self, node):
        """``a if n is None else b`` with ``n`` bound to a constant (a defaulted ``n=None``) folds."""
        self.generic_visit(node)
        test = node.test
        if (isinstance(test, gast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (gast.Is, gast.IsNot))
                and isinstance(test.left, (gast.Constant, gast.Tuple, gast.List))   # a literal: known at transform time
                and isinstance(test.comparators[0], gast.Constant) and test.comparators[0].value is None):
            none = isinstance(test.left, gast.Constant) and test.left.value is None
            return node.body if none == isinstance(test.ops[0], gast.Is) else node.orelse
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        a, b = _number(node.left), _number(node.right)
        op = type(node.op)
        if a is not None and b is not None and op in _FOLD:
            try:
                return syntax.const(_FOLD[op](a, b))
            except (ZeroDivisionError, OverflowError):
                return node
        if op is gast.Pow and b == 1:
            return node.right if False else node.left
        if op is gast.Mult and b == 1:
            return node.left
        if op is gast.Mult and a == 1:
            return node.right
        if op is gast.Div and b == 1:
            return node.left
        if op in (gast.Add, gast.Sub) and b == 0:
            return node.left
        if op in (gast.Add, gast.Sub):
            positive = _negated(node.right)
            if positive is not None:
                # a + -b * c reads better as a - b * c (and a - -b as a + b)
                flipped = gast.Sub() if op is gast.Add else gast.Add()
                return gast.BinOp(left=node.left, op=flipped, right=positive)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        f = self.filler
        if f is None or not node.args:
            return node
        func = f.bind_global and _resolved(node.func, f)
        if func is runtime.unbroadcast and len(node.args) == 2 and not _could_broadcast(node.args[1], f):
            return node.args[0]
        if func is runtime.power_exponent and len(node.args) == 1 and _number(node.args[0]) is not None:
            y = _number(node.args[0])   # a literal exponent: x ** 2 differentiates to 2 * x
            return syntax.const(1 if y == 0 else y - 1)
        return node


def _resolved(func, filler):
    if isinstance(func, gast.Name):
        return filler.rule.namespace.get(func.id) if func.id not in filler.bindings else None
    return None


def _could_broadcast(target, filler) -> bool:
    """Could an operand other than ``target`` have broadcast it?  Not if all others are numbers."""
    others = [v for k, v in filler.bindings.items()
              if k != filler.result_param and not _same(v, target)
              and not (isinstance(v, gast.Constant) and v.value is None)]
    return any(_number(v) is None for v in others)


def _same(a, b) -> bool:
    return isinstance(a, gast.Name) and isinstance(b, gast.Name) and a.id == b.id


_FOLD = {
    gast.Add: lambda a, b: a + b, gast.Sub: lambda a, b: a - b, gast.Mult: lambda a, b: a * b,
    gast.Div: lambda a, b: a / b, gast.Pow: lambda a, b: a ** b,
}
