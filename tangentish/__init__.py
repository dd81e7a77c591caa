"""tangentish: readable source-to-source automatic differentiation for NumPy code.

``tangentish.grad(f)`` reads ``f``'s source and writes a new Python function
that computes its gradient, built from per-primitive templates; print its
``.source`` to read it.
"""
from .api import grad, value_and_grad
from .errors import GradientShapeError, TangentishError, TransformError
from .registry import adjoint, linear, nondifferentiable, primitive, tangent

__version__ = "0.1.0"

__all__ = [
    "grad", "value_and_grad", "adjoint", "tangent", "linear", "primitive", "nondifferentiable",
    "TangentishError", "TransformError", "GradientShapeError",
]
