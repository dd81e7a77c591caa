"""The runtime helpers for code retargeted to cupy (``tangentish.grad(f, target="cupy")``).

The same helpers as ``tangentish.runtime``, loaded from the same files with
``np`` bound to ``cupy`` (see ``runtime_targets``).  Importing this module
imports cupy.
"""
from .runtime_targets import helpers_for as _helpers_for

globals().update({k: v for k, v in _helpers_for("cupy", __name__).items() if not k.startswith("__")})
__all__ = _helpers_for("cupy", __name__)["__all__"]
