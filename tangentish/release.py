"""Release: free each temporary of a generated function right after its last use.

Generated code names every intermediate (one primitive per statement), and a
Python local keeps its array alive until the function returns.  A gradient of
a loss over 100,000 samples then holds a dozen 800 KB temporaries at once;
when they are all freed at the return, the C allocator hands that memory back
to the operating system, and the next call pays page faults to get it again.
That, not arithmetic, was most of the time of the benchmark's Gaussian
likelihood gradient.

So the *compiled* code gets a ``del name`` after the last statement that
mentions each temporary, which lets NumPy reuse the memory within the call.
The ``del`` lines are not in the displayed source: they are memory
bookkeeping, not part of the derivative a reader wants to see.  Each one
carries the line number of the statement it follows, so tracebacks and
linecache still point at the right line of the displayed source.

Only the function's top-level statements are considered, and only names that
a top-level simple assignment surely binds before their last use (a name bound
only inside an ``if`` or a loop might be unbound, and ``del`` would raise).
Names used by a nested function, lambda or comprehension are left alone.
"""
from __future__ import annotations

import ast
from typing import List, Set

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
           ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def add_releases(module: ast.Module) -> ast.Module:
    """Insert ``del`` statements into every top-level function of ``module`` (in place)."""
    for node in module.body:
        if isinstance(node, ast.FunctionDef):
            node.body = _released(node)
    return ast.fix_missing_locations(module)


def _released(fn: ast.FunctionDef) -> List[ast.stmt]:
    body = fn.body
    keep = _parameters(fn) | _untouchable(fn)
    last, bound_at = {}, {}
    for i, stmt in enumerate(body):
        for name in _mentioned(stmt):
            last[name] = i
        if not _is_compound(stmt):
            for name in _bound_by(stmt):
                bound_at.setdefault(name, i)
    after = {}
    for name, i in last.items():
        if name in keep or bound_at.get(name, len(body)) > i:
            continue
        if isinstance(body[i], ast.Return) or i == len(body) - 1:
            continue
        after.setdefault(i, []).append(name)
    out = []
    for i, stmt in enumerate(body):
        out.append(stmt)
        if i in after:
            line = stmt.end_lineno or stmt.lineno
            targets = [ast.Name(id=n, ctx=ast.Del()) for n in sorted(after[i])]
            out.append(ast.copy_location(ast.Delete(targets=targets), stmt))
            out[-1].lineno = out[-1].end_lineno = line
    return out


def _parameters(fn: ast.FunctionDef) -> Set[str]:
    a = fn.args
    names = {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs}
    names.update(x.arg for x in (a.vararg, a.kwarg) if x is not None)
    return names


def _untouchable(fn: ast.FunctionDef) -> Set[str]:
    """Names a nested scope reads, names declared global/nonlocal, and names already deleted."""
    names: Set[str] = set()
    for node in ast.walk(fn):
        if node is not fn and isinstance(node, _SCOPES):
            names.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif isinstance(node, ast.Delete):
            names.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
    return names


def _mentioned(stmt: ast.stmt) -> Set[str]:
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}


def _is_compound(stmt: ast.stmt) -> bool:
    """if/for/while/with/try/match/def/class: every statement with a body of statements."""
    return isinstance(getattr(stmt, "body", None), list) or isinstance(getattr(stmt, "cases", None), list)


def _bound_by(stmt: ast.stmt) -> Set[str]:
    """Names a simple statement surely binds (plain assignment targets)."""
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) and getattr(stmt, "value", None) is not None:
        targets = [stmt.target]
    else:
        return set()
    names: Set[str] = set()
    for target in targets:
        names.update(_target_names(target))
    return names


def _target_names(target: ast.expr) -> Set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_target_names(t) for t in target.elts)) if target.elts else set()
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return set()   # x[i] = ... and x.a = ... bind nothing new
