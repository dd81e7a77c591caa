"""The runtime helpers for code retargeted to dask (``tangentish.grad(f, target="dask")``).

The same helpers as ``tangentish.runtime``, loaded from the same files with
``np`` bound to ``dask.array`` (see ``runtime_targets``).  Importing this module
imports dask.array.
"""
from .runtime_targets import helpers_for as _helpers_for

globals().update({k: v for k, v in _helpers_for("dask.array", __name__).items() if not k.startswith("__")})
__all__ = _helpers_for("dask.array", __name__)["__all__"]
