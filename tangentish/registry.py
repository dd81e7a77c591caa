"""The tables of differentiation rules, and the decorators that fill them.

Rules are *templates*: ordinary Python functions whose body says how to
differentiate one primitive.  ``d[x]`` stands for the adjoint of ``x`` and
``t[x]`` for its tangent; a line ``d[x] += expr`` is one contribution.  The
first parameter of a rule is the primitive's result, the rest copy the
primitive's signature (defaults included), so keyword arguments bind for free.

The transformer never calls a rule: it reads its source and pastes the body into
the generated derivative.  That is why rules live in tables keyed by the
primitive callable itself (``np.exp``), and why ``d`` and ``t`` below exist
only so template files import and lint cleanly.

Templates in ``templates/`` and users (``tangentish.adjoint``) use the same
decorators, so a user rule is exactly as powerful as a built-in one.
"""
from __future__ import annotations

from typing import Callable, Dict, Set

#: primitive callable -> reverse-mode template (result, *primitive args)
REVERSE: Dict[Callable, Callable] = {}
#: primitive callable -> forward-mode template (result, *primitive args)
FORWARD: Dict[Callable, Callable] = {}
#: primitive callables whose result is linear in their first argument: the
#: tangent is the same call applied to the tangent of that argument.
LINEAR: Set[Callable] = set()
#: callables whose result carries no derivative (comparisons, shapes, rounding).
NONDIFF: Set[Callable] = set()
#: user functions the transformer must not look inside (``@tangentish.primitive``).
PRIMITIVES: Set[Callable] = set()
#: callables known to have no rule on purpose -> why (said in the error a user sees).
UNSUPPORTED: Dict[Callable, str] = {}
#: callables whose rules (both modes) hold for real values only: refused at complex values.
REAL_ONLY: Set[Callable] = set()


class _Marker:
    """``d[x]`` / ``t[x]`` placeholders; only meaningful inside a template."""

    def __init__(self, name: str):
        self._name = name

    def __getitem__(self, key):
        raise RuntimeError(f"`{self._name}[...]` only has meaning inside a tangentish template")

    def __setitem__(self, key, value):
        raise RuntimeError(f"`{self._name}[...]` only has meaning inside a tangentish template")

    def __repr__(self) -> str:
        return f"<tangentish template marker {self._name}>"


d = _Marker("d")
t = _Marker("t")


def _register(table: Dict[Callable, Callable], keys, kind: str):
    if not keys:
        raise TypeError(f"@{kind}(...) needs the callable(s) the rule is for")

    def decorate(rule: Callable) -> Callable:
        for key in keys:
            if key is None:   # a function this NumPy/SciPy version does not have
                continue
            if not is_user_rule(rule) and is_user_rule(table.get(key)):
                continue  # a user's rule registered before the built-in templates loaded wins
            table[key] = rule
        return rule
    return decorate


def is_user_rule(rule) -> bool:
    """Was ``rule`` written by a user (not one of tangentish's own template files)?

    User rules are named in the generated source and their results are shape-checked.
    """
    if rule is None:
        return False
    module = getattr(rule, "__module__", "") or ""
    return not module.startswith("tangentish._templates")


def adjoint(*primitives: Callable):
    """Register a reverse-mode template for each of ``primitives``.

    >>> @adjoint(np.exp)
    ... def exp(y, x):
    ...     d[x] += d[y] * y
    """
    return _register(REVERSE, primitives, "adjoint")


def tangent(*primitives: Callable):
    """Register a forward-mode template for each of ``primitives``.

    >>> @tangent(np.exp)
    ... def exp(y, x):
    ...     t[y] += t[x] * y
    """
    return _register(FORWARD, primitives, "tangent")


def linear(*primitives: Callable):
    """Mark primitives linear in their first argument (forward rule for free).

    Usable as a decorator on an adjoint template or as a plain call.
    """
    LINEAR.update(p for p in primitives if p is not None)

    def decorate(rule):
        return rule
    return decorate


def nondifferentiable(*callables: Callable) -> None:
    """Declare callables whose results have zero derivative everywhere it exists."""
    NONDIFF.update(c for c in callables if c is not None)


def real_only(*callables: Callable) -> None:
    """Declare callables whose rules are for real values only (both modes refuse complex values)."""
    REAL_ONLY.update(c for c in callables if c is not None)


def unsupported(reason: str, *callables: Callable) -> None:
    """Declare callables tangentish refuses to differentiate, and why (shown in the error)."""
    for fn in callables:
        UNSUPPORTED[fn] = reason


#: where display_name looks for a callable, most specific first
_NAMESPACES = ("numpy.linalg", "numpy.fft", "numpy", "scipy.special", "scipy.linalg", "scipy.stats",
               "operator", "tangentish.runtime")
_SHORT = {"numpy": "np", "numpy.linalg": "np.linalg", "numpy.fft": "np.fft"}


def display_name(obj) -> str:
    """How a user would spell ``obj``: ``np.linalg.qr``, ``scipy.special.erf``, ``scipy.stats.norm.logpdf``."""
    import sys
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", None)
    if owner is not None and hasattr(owner, "name") and type(owner).__module__.startswith("scipy.stats"):
        return f"scipy.stats.{owner.name}.{name}"
    if name is None:
        return repr(obj)
    for space in _NAMESPACES:
        module = sys.modules.get(space)
        if module is not None and getattr(module, name, None) is obj:
            return f"{_SHORT.get(space, space)}.{name}"
    module = getattr(obj, "__module__", None)
    return f"{module}.{name}" if module and module != "builtins" else name


def primitive(fn: Callable) -> Callable:
    """Stop the transformer at ``fn``: its derivative comes from a registered rule.

    Pair it with ``@tangentish.adjoint(fn)`` and/or ``@tangentish.tangent(fn)``.
    """
    PRIMITIVES.add(fn)
    return fn
