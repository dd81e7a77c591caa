"""Cache: transform each (function, options) once.

Keys hold the user's function weakly, so redefining a function in a notebook
cell frees the old derivative, and a new definition is transformed anew.  A
cached result that ``current`` says is out of date (the function's globals now
name other functions) is built again.
"""
from __future__ import annotations

import weakref
from collections.abc import Hashable
from typing import Callable, Dict

_store: weakref.WeakKeyDictionary[Callable, Dict[Hashable, object]] = weakref.WeakKeyDictionary()
_strong: Dict[Hashable, object] = {}


def cached(fn: Callable, options: Hashable, build: Callable[[], object],
           current: Callable[[object], bool] = lambda result: True):
    """``build()`` once per ``fn`` and ``options`` (again once ``current(result)`` is False)."""
    try:
        per_fn = _store.setdefault(fn, {})
    except TypeError:  # not weak-referenceable
        per_fn, options = _strong, (id(fn), options)
    result = per_fn.get(options)
    if result is None or not current(result):
        result = per_fn[options] = build()
    return result


def clear() -> None:
    _store.clear()
    _strong.clear()
