"""NumPy functions tangentish declines on purpose, with the reason a user sees.

Anything else from NumPy or SciPy without a rule gets an error saying the
rule is missing (not that the function is non-differentiable).
"""
import numpy as np

from tangentish.registry import unsupported

unsupported("the general eigendecomposition is complex and has no rule here; for symmetric matrices "
            "use np.linalg.eigh or np.linalg.eigvalsh", np.linalg.eig, np.linalg.eigvals)
unsupported("NaN-ignoring order statistics have no rule yet; drop the NaNs and use np.median or np.quantile",
            np.nanmedian, np.nanquantile, np.nanpercentile)
unsupported("it returns several arrays with no rule yet; compute the parts separately",
            np.frexp, np.modf, np.divmod)
unsupported("it has no rule yet; chain the products with @ instead", np.linalg.multi_dot)
unsupported("it has no rule yet; use np.linalg.solve or np.linalg.inv on the reshaped matrix",
            np.linalg.tensorsolve, np.linalg.tensorinv)
unsupported("piecewise-linear interpolation has no rule yet", np.interp)
unsupported("its value depends on where the data are NaN in a way with no rule yet; use np.var with a mask",
            np.nanvar, np.nanstd, np.nanprod, np.nancumprod)
unsupported("it has no rule yet; use np.mean with weights spelled out (np.sum(w * x) / np.sum(w))", np.average)
unsupported("its values jump where two elements tie, so it has no rule; np.sort of distinct values has one",
            np.unique)
unsupported("a weighted histogram has no rule yet (counts alone have zero derivative); sum the weights per bin "
            "with np.bincount(np.digitize(x, edges) - 1, weights=w)", np.histogram)
