"""A stand-in for CuPy on a machine without a GPU: NumPy inside, CuPy's strictness outside.

What makes it a useful test of retargeted code is the part of CuPy's
behaviour that NumPy code gets wrong on a GPU:

* its arrays (``ShimArray``) refuse to mix with host ``numpy.ndarray``\\ s, in
  ufuncs, in NumPy functions (through ``__array_function__``) and in the
  shim's own functions, with a TypeError like CuPy's;
* ``np.asarray(device_array)`` fails (CuPy refuses implicit transfers): use
  ``cupy.asnumpy``;
* reductions return 0-d device arrays, not NumPy scalars.

So a helper that makes its zeros with ``numpy.zeros``, or code that still
calls ``np.`` on device arrays and gets host arrays back, fails here as it
would on a GPU.  ``install()`` puts the shim in ``sys.modules`` as ``cupy``,
``cupy.linalg``, ``cupy.fft`` and ``cupyx.scipy.special``.
"""
import sys
import types

import numpy as np
import scipy.special

MODULES = ("cupy", "cupy.linalg", "cupy.fft", "cupyx", "cupyx.scipy", "cupyx.scipy.special")


class ShimArray(np.ndarray):
    """A 'device' array."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _refuse_host((inputs, kwargs), ufunc.__name__)
        result = getattr(ufunc, method)(*_host(inputs), **_host(kwargs))
        return _device(result)

    def __array_function__(self, func, types_, args, kwargs):
        _refuse_host((args, kwargs), func.__name__)
        return _device(func(*_host(args), **_host(kwargs)))

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def get(self):
        return np.asarray(self.view(np.ndarray)).copy()


def _refuse_host(obj, what):
    if type(obj) is np.ndarray:
        raise TypeError(f"Unsupported type <class 'numpy.ndarray'> in {what} (a host array "
                        f"mixed with device arrays)")
    if isinstance(obj, (list, tuple)):
        for item in obj:
            _refuse_host(item, what)
    elif isinstance(obj, dict):
        for item in obj.values():
            _refuse_host(item, what)


def _host(obj):
    if isinstance(obj, ShimArray):
        return obj.view(np.ndarray)
    if isinstance(obj, tuple):
        return tuple(_host(o) for o in obj)
    if isinstance(obj, list):
        return [_host(o) for o in obj]
    if isinstance(obj, dict):
        return {k: _host(v) for k, v in obj.items()}
    return obj


def _device(obj):
    if isinstance(obj, ShimArray):
        return obj
    if type(obj) is np.ndarray:
        return obj.view(ShimArray)
    if isinstance(obj, np.generic) and not isinstance(obj, (np.str_, np.bytes_)):
        return np.asarray(obj).view(ShimArray)       # CuPy's reductions give 0-d arrays
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_device(o) for o in obj)
    if isinstance(obj, list):
        return [_device(o) for o in obj]
    return obj


def _wrap(fn, name):
    def device_fn(*args, **kwargs):
        _refuse_host((args, kwargs), name)
        return _device(fn(*_host(args), **_host(kwargs)))
    device_fn.__name__ = name
    return device_fn


def _shim_module(name, source):
    module = types.ModuleType(name)

    def __getattr__(attr):
        obj = getattr(source, attr)
        if isinstance(obj, (type, types.ModuleType)) or not callable(obj):
            return obj
        return _wrap(obj, attr)
    module.__getattr__ = __getattr__
    return module


def build():
    cupy = _shim_module("cupy", np)
    cupy.ndarray = ShimArray
    cupy.linalg = _shim_module("cupy.linalg", np.linalg)
    cupy.fft = _shim_module("cupy.fft", np.fft)

    def array(a, dtype=None, copy=True):
        if isinstance(a, ShimArray):
            return a.view(np.ndarray).astype(dtype or a.dtype, copy=copy).view(ShimArray)
        return np.array(a, dtype=dtype).view(ShimArray)   # host -> device: allowed, explicitly

    def asarray(a, dtype=None):
        return array(a, dtype, copy=False)
    cupy.asarray, cupy.array = asarray, array
    cupy.asnumpy = lambda a: a.get() if isinstance(a, ShimArray) else np.asarray(a)
    cupyx = types.ModuleType("cupyx")
    cupyx.scipy = types.ModuleType("cupyx.scipy")
    cupyx.scipy.special = _shim_module("cupyx.scipy.special", scipy.special)
    return {"cupy": cupy, "cupy.linalg": cupy.linalg, "cupy.fft": cupy.fft, "cupyx": cupyx,
            "cupyx.scipy": cupyx.scipy, "cupyx.scipy.special": cupyx.scipy.special}


def install():
    """Put the shim in sys.modules; returns the previous entries, for ``uninstall``."""
    saved = {name: sys.modules.get(name) for name in MODULES + ("tangentish.on_cupy",)}
    sys.modules.update(build())
    sys.modules.pop("tangentish.on_cupy", None)
    return saved


def uninstall(saved):
    from tangentish import runtime_targets
    runtime_targets._loaded.pop("cupy", None)
    for name, module in saved.items():
        if module is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = module
