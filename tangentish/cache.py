"""Cache: transform each (function, options) once.

Keys hold the user's function weakly, so redefining a function in a notebook
cell frees the old derivative, and a new definition is transformed anew.  A
derivative built from names the user has since rebound (a helper redefined
in another cell) is ``stale`` and built again.
"""
from __future__ import annotations

import weakref
from collections.abc import Hashable
from typing import Callable, Dict

_store: weakref.WeakKeyDictionary[Callable, Dict[Hashable, object]] = weakref.WeakKeyDictionary()
_strong: Dict[tuple, object] = {}


def cached(fn: Callable, options: Hashable, build: Callable[[], object],
           stale: Callable[[object], bool] = lambda value: False):
    """``build()`` once per ``fn`` and ``options``, and again when ``stale(value)``."""
    try:
        per_fn = _store.setdefault(fn, {})
    except TypeError:  # not weak-referenceable
        per_fn, options = _strong, (id(fn), options)
    if options not in per_fn or stale(per_fn[options]):
        per_fn[options] = build()
    return per_fn[options]


def clear() -> None:
    _store.clear()
    _strong.clear()
