"""tangentish: readable source-to-source automatic differentiation for NumPy code.

``tangentish.grad(f)`` reads ``f``'s source and writes a new Python function
that computes its gradient, built from per-primitive templates; print its
``.source`` to read it.
"""
from .api import grad, value_and_grad
from .api_more import elementwise_grad, hessian, hvp, jacobian, jvp, vjp
from .checks import GradientCheckError, check_grads
from .errors import GradientShapeError, TangentishError, TransformError
from .registry import adjoint, linear, nondifferentiable, primitive, tangent

__version__ = "0.1.0"

__all__ = [
    "grad", "value_and_grad", "jvp", "vjp", "hvp", "hessian", "jacobian", "elementwise_grad",
    "check_grads", "GradientCheckError", "adjoint", "tangent", "linear", "primitive", "nondifferentiable",
    "TangentishError", "TransformError", "GradientShapeError",
]
