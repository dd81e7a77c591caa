"""Fence: reject syntax we cannot differentiate, at the user's line, before any work.

Each construct maps to a message and a hint.  Running this first means later
passes can assume a known subset of Python.  `check_call_arguments` runs
after normalization: it guards what normalize promises about calls of user
functions (every argument that could carry a derivative is a name).
"""
from __future__ import annotations

import gast

from .parse import Parsed

UNSUPPORTED = {
    gast.Yield: ("`yield` (generators are not supported)", "return a list and sum it instead."),
    gast.YieldFrom: ("`yield from` (generators are not supported)", "return a list and sum it instead."),
    gast.Await: ("`await`", "differentiate a synchronous function."),
    gast.AsyncFor: ("`async for`", "differentiate a synchronous function."),
    gast.AsyncWith: ("`async with`", "differentiate a synchronous function."),
    gast.AsyncFunctionDef: ("an `async def` inside the function", "use an ordinary def."),
    gast.Try: ("`try`/`except` around differentiated code",
               "move the try/except outside the function you differentiate."),
    gast.With: ("a `with` block", "move the with block outside the function you differentiate."),
    gast.Global: ("`global` (mutating module state)", "pass the value in as an argument and return it."),
    gast.Nonlocal: ("`nonlocal` (mutating an enclosing function's variables)",
                    "pass the value in as an argument and return it."),
    gast.ClassDef: ("a class definition inside the function", "define the class at module level."),
    gast.Delete: ("`del`", "leave the variable alone; it is freed when the function returns."),
    gast.Raise: (None, None),
    # anywhere, not only where normalize looks: in an `if` test it bound a name no pass saw
    gast.NamedExpr: ("an assignment expression `:=`",
                     "assign on its own line first (y = x * 2), then use the name."),
}

for _name in ("TryStar", "Match"):
    if hasattr(gast, _name):
        UNSUPPORTED[getattr(gast, _name)] = (
            "`try`/`except*`" if _name == "TryStar" else "a `match` statement",
            "rewrite it with if/elif/else." if _name == "Match" else
            "move the try/except outside the function you differentiate.")


def check(parsed: Parsed) -> None:
    """Raise TransformError at the first unsupported construct in ``parsed``."""
    check_parameters(parsed)
    for node in gast.walk(parsed.node):
        entry = UNSUPPORTED.get(type(node))
        if entry and entry[0]:
            what, hint = entry
            raise parsed.error(f"cannot differentiate through {what}", node, hint=hint)


def check_parameters(parsed: Parsed) -> None:
    """Refuse ``*args`` and ``**kwargs`` parameters, naming the one found.

    Derivatives take their differentiated inputs by position; positional-only
    parameters (``def f(x, /)``) are plain positional ones to us, and
    keyword-only ones (``*, lam=0.1``) constants of the derivative.
    """
    args = parsed.node.args
    found = ([(f"a *args parameter (`*{args.vararg.id}`)",
                "take a tuple or list parameter instead (def f(xs): ... xs[0])")] if args.vararg else [])
    if args.kwarg:
        found.append((f"a **kwargs parameter (`**{args.kwarg.id}`)",
                      "take a dict parameter instead (def f(x, opts): ...)"))
    if found:
        what, hint = found[0]
        raise parsed.error(f"cannot differentiate a function with {what}: derivatives take their "
                           "inputs by position", parsed.node, hint=hint + ".")


#: attributes of an array that carry no derivative (an argument ``x.shape[0]`` may stay inline)
_INERT_ATTRIBUTES = {"shape", "size", "ndim", "dtype"}


def check_call_arguments(unit) -> None:
    """After normalization: every argument of a user call that could carry a derivative is a name.

    The derivative of ``z = g(a, b)`` passes adjoints (reverse mode) and
    tangents (forward mode) of named arguments only; an argument left as an
    expression (``g([x, 2 * x])``) would silently get none.  normalize.py
    names every such argument; this is the guard that says so loudly if a
    later change lets one through.
    """
    from .resolve import Resolver   # (resolve reads the rule tables, which parse does not need)
    locals_ = unit.local_names()
    resolver = Resolver(unit.parsed.namespace, locals_)
    module = gast.Module(body=unit.body, type_ignores=[])
    for stmt in gast.walk(module):
        if not (isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Call)):
            continue
        op = resolver.op_of(stmt.value)
        if op.kind != "user":
            continue
        for arg in list(op.args) + list(op.kwargs.values()):
            if not _carries_nothing(arg, locals_):
                from . import syntax
                origin = unit.origin.get(id(stmt), stmt)
                raise unit.parsed.error(
                    f"cannot differentiate the call `{syntax.to_source(stmt.value).strip()}`: its "
                    f"argument `{syntax.to_source(arg).strip()}` is not a variable, and the derivative "
                    "of a call to a user function reaches its arguments through their names",
                    origin, hint="assign the argument to a name first, then pass the name.")


def _carries_nothing(arg, locals_) -> bool:
    """A name, a constant, or an expression no derivative flows through (``len(x)``, ``x.shape[0]``)."""
    if isinstance(arg, gast.Name):
        return True
    loaded = {n.id for n in gast.walk(arg) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}
    if not loaded & locals_:
        return True
    if isinstance(arg, gast.Attribute):
        return arg.attr in _INERT_ATTRIBUTES and isinstance(arg.value, gast.Name)
    if isinstance(arg, gast.Subscript):
        return _carries_nothing(arg.value, locals_) and not isinstance(arg.value, gast.Name) \
            and _carries_nothing(arg.slice, locals_)
    if isinstance(arg, (gast.Compare, gast.BoolOp)):
        return isinstance(arg, gast.Compare)   # a bool; `a or b` may be one of its operands
    if isinstance(arg, gast.Call):
        return isinstance(arg.func, gast.Name) and arg.func.id == "len" and arg.func.id not in locals_
    return False


#: methods that change their object in place (``append`` too, which a function's own code may use)
_IN_PLACE_METHODS = {"append", "extend", "insert", "pop", "remove", "sort", "reverse", "clear", "update",
                     "setdefault", "popitem", "fill", "resize", "put", "itemset", "setflags"}
_mutated_cache: "weakref.WeakKeyDictionary" = None


def mutated_parameters(fn, _depth: int = 0) -> dict:
    """``{parameter: line}`` for the parameters user function ``fn`` changes in place.

    ``xs.append(v)``, ``z[0] = v``, ``z += v`` (in place for an array),
    ``out=z``, ``np.copyto(z, ...)``, also through a name bound to it
    (``w = z``, ``for row in z``) or a user function it passes it to.  The
    caller's copy of such an argument changes under it, which its derivative
    cannot follow.  Read from the source only; unreadable source gives ``{}``.
    """
    global _mutated_cache
    import weakref
    if _mutated_cache is None:
        _mutated_cache = weakref.WeakKeyDictionary()
    try:
        if fn in _mutated_cache:
            return _mutated_cache[fn]
    except TypeError:
        return {}
    from .errors import TransformError
    from .parse import parse
    try:
        parsed = parse(fn)
    except TransformError:
        return {}
    _mutated_cache[fn] = {}   # (a recursive call: nothing more found through it)
    found = _scan_mutations(parsed, _depth)
    try:
        _mutated_cache[fn] = found
    except TypeError:
        pass
    return found


def _scan_mutations(parsed, depth: int) -> dict:
    import inspect

    from .aliasing import IN_PLACE_FUNCTIONS
    from .resolve import Resolver
    args = parsed.node.args
    params = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]
    root = {p: p for p in params}   # local name -> the parameter whose object it may be now

    def bind(stmts, top):
        """In source order: ``w = z`` makes ``w`` z's; ``z = z.copy()`` at the top level frees ``z``."""
        for stmt in stmts:
            if isinstance(stmt, gast.Assign):
                base = _base_name(stmt.value)
                for t in stmt.targets:
                    names = [t.id] if isinstance(t, gast.Name) else [n.id for n in gast.walk(t)
                                                                     if isinstance(n, gast.Name)
                                                                     and isinstance(n.ctx, gast.Store)]
                    for name in names:
                        if base in root:   # (a, b = z: both may be z's)
                            root[name] = root[base]
                        elif top and isinstance(t, gast.Name):
                            root.pop(name, None)
            elif isinstance(stmt, gast.For) and _base_name(stmt.iter) in root:
                for t in gast.walk(stmt.target):
                    if isinstance(t, gast.Name):
                        root[t.id] = root[_base_name(stmt.iter)]
            scan(stmt)
            for field in ("body", "orelse"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and not isinstance(stmt, (gast.FunctionDef, gast.Lambda)):
                    bind(inner, False)
                    if isinstance(stmt, (gast.For, gast.While)):
                        bind(inner, False)   # a second iteration sees the first one's names

    def scan(stmt):
        """The changes ``stmt`` itself makes (not its nested blocks, which bind() visits)."""
        nodes = [stmt] if not hasattr(stmt, "body") or isinstance(stmt, gast.FunctionDef) else \
            [getattr(stmt, f) for f in ("test", "iter", "target") if getattr(stmt, f, None) is not None]
        for node in nodes:
            for n in gast.walk(node):
                check(n)

    found = {}

    def hit(name, node):
        if name in root and root[name] not in found:
            where = parsed.where(node)
            found[root[name]] = f"{where['function']}, line {where['lineno']}"

    resolver = [None]

    def check(n):
        if isinstance(n, (gast.Assign, gast.AugAssign)):
            for t in (n.targets if isinstance(n, gast.Assign) else [n.target]):
                if isinstance(t, gast.Subscript) or (isinstance(n, gast.AugAssign) and isinstance(t, gast.Name)):
                    hit(_base_name(t), n)
        elif isinstance(n, gast.Call):
            func = n.func
            if isinstance(func, gast.Attribute) and func.attr in _IN_PLACE_METHODS:
                hit(_base_name(func.value), n)
            for k in n.keywords:
                if k.arg == "out":
                    for t in gast.walk(k.value):
                        if isinstance(t, gast.Name):
                            hit(t.id, n)
            if not n.args or all(_base_name(a) not in root for a in n.args + [k.value for k in n.keywords]):
                return
            if resolver[0] is None:
                resolver[0] = Resolver(parsed.namespace, syntax_names(parsed.node) | set(params))
            obj = resolver[0].lookup(func)
            try:
                if obj in IN_PLACE_FUNCTIONS:
                    hit(_base_name(n.args[0]), n)
                    return
            except TypeError:
                pass
            op = resolver[0].op_of(n)
            if op.kind != "user" or depth >= 8:
                return
            inner = mutated_parameters(op.key, depth + 1)
            if not inner:
                return
            try:
                bound = inspect.signature(op.key).bind_partial(*n.args, **{k.arg: k.value for k in n.keywords
                                                                           if k.arg})
            except (TypeError, ValueError):
                return
            for p, node in bound.arguments.items():
                if p in inner and isinstance(node, gast.AST):
                    hit(_base_name(node), n)
    bind(parsed.node.body, True)
    return found


def _base_name(node):
    while isinstance(node, (gast.Subscript, gast.Attribute, gast.Starred)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


def syntax_names(fn_node) -> set:
    return {n.id for n in gast.walk(fn_node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
