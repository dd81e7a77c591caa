"""Cache: transform each (function, options) once.

Keys hold the user's function weakly, so redefining a function in a notebook
cell frees the old derivative, and a new definition is transformed anew.
"""
from __future__ import annotations

import weakref
from collections.abc import Hashable
from typing import Callable, Dict

_store: weakref.WeakKeyDictionary[Callable, Dict[Hashable, object]] = weakref.WeakKeyDictionary()
_strong: Dict[tuple, object] = {}


def cached(fn: Callable, options: Hashable, build: Callable[[], object]):
    """``build()`` once per ``fn`` and ``options``."""
    try:
        per_fn = _store.setdefault(fn, {})
    except TypeError:  # not weak-referenceable
        key = (id(fn), options)
        if key not in _strong:
            _strong[key] = build()
        return _strong[key]
    if options not in per_fn:
        per_fn[options] = build()
    return per_fn[options]


def clear() -> None:
    _store.clear()
    _strong.clear()
