"""Stress tests for broadcasting, dtypes and structured inputs: where silent wrong gradients hide.

Part one differentiates random user-style programs (``randprog.py``) w.r.t.
every argument and compares with autograd (run on the same source with
``autograd.numpy``), falling back to central differences where autograd is
wrong or cannot run; every gradient must have its argument's shape and kind.
Part two holds targeted cases, each a minimized bug or a pattern named in the
stress brief.
"""
import importlib.util
import sys
import tempfile
import warnings
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest
from fd import numerical_grad

import tangentish as tg
from randprog import Generator, draw_value

try:
    import autograd
    import autograd.numpy  # noqa: F401  (the module the autograd copy imports)
except ImportError:  # autograd is a test extra: fall back to finite differences alone
    autograd = None

# ---- random programs --------------------------------------------------------------

CHUNKS, PER_CHUNK = 10, 30          # 300 programs
NON_SMOOTH = ("abs", "maximum", "minimum", "where", "clip", "max(")


def _load(source: str, name: str, numpy_module: str):
    folder = Path(tempfile.mkdtemp(prefix="tangentish_randprog_"))
    path = folder / f"{name}.py"
    path.write_text(f"import {numpy_module} as np\n\n\n{source}")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class Program:
    """One random program, its arguments, and a reference gradient for each of them."""

    def __init__(self, seed: int):
        rng = np.random.default_rng(seed)
        nargs = int(rng.integers(1, 4))
        gen = Generator(rng, nargs)
        self.source = gen.program("f")
        self.float32 = rng.random() < 0.25
        dtype = np.float32 if self.float32 else np.float64
        self.args = [draw_value(a.shape, rng, dtype) for a in gen.args[:nargs]]
        self.args64 = [a if isinstance(a, float) else a.astype(np.float64) for a in self.args]
        self.tangents = [float(rng.normal()) if isinstance(a, float) else rng.normal(size=a.shape)
                         for a in self.args]
        self.f = _load(self.source, f"randprog_{seed}", "numpy").f
        self.f_ag = _load(self.source, f"randprog_ag_{seed}", "autograd.numpy").f if autograd else None

    def __repr__(self):
        shapes = ["float" if isinstance(a, float) else f"{a.dtype}{a.shape}" for a in self.args]
        return f"\n{self.source}args: {shapes}"

    def references(self, i):
        """Candidate gradients w.r.t. argument ``i``: autograd's (if it runs), then FD's."""
        refs = []
        if self.f_ag is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    refs.append(np.asarray(autograd.grad(self.f_ag, i)(*self.args64), float))
            except Exception:  # autograd lacks a rule or a path: finite differences decide
                pass
        refs.append(np.asarray(numerical_grad(self.f, self.args64, i), float))
        return refs


def _close(got, ref, float32):
    tol = dict(rtol=2e-3, atol=2e-3) if float32 else dict(rtol=1e-5, atol=1e-6)
    return np.shape(got) == np.shape(ref) and np.allclose(np.asarray(got, float), ref, **tol)


def _assert_kind(g, x, what):
    if isinstance(x, float):
        assert type(g) is float, f"{what}: Python float in, {type(g).__name__} out"
    else:
        assert isinstance(g, np.ndarray), f"{what}: ndarray in, {type(g).__name__} out"
        assert g.shape == x.shape and g.dtype == x.dtype, \
            f"{what}: {x.dtype}{x.shape} in, {g.dtype}{g.shape} out"


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_random_programs_grad(chunk):
    for seed in range(chunk * PER_CHUNK, (chunk + 1) * PER_CHUNK):
        p = Program(seed)
        with np.errstate(all="ignore"):
            if not np.all(np.isfinite(p.f(*p.args))):
                continue
        try:
            grads = tg.grad(p.f, wrt=tuple(range(len(p.args))))(*p.args)
        except tg.TransformError as e:
            # in-place updates of a view of an argument are refused, loudly: the one allowed error
            assert "share its array" in str(e), f"seed {seed}: {e}{p!r}"
            continue
        for i, (g, x) in enumerate(zip(grads, p.args)):
            _assert_kind(g, x, f"seed {seed}, argument {i}{p!r}")
            refs = p.references(i)
            assert any(_close(g, r, p.float32) for r in refs), \
                f"seed {seed}, argument {i}: got {g!r}, references {refs!r}{p!r}"


@pytest.mark.parametrize("chunk", range(0, CHUNKS, 2))
def test_random_programs_jvp_and_hessian(chunk):
    """jvp w.r.t. one argument at a time (the others inactive: the broadcasting case) and hessians."""
    for seed in range(chunk * PER_CHUNK, (chunk + 1) * PER_CHUNK):
        p = Program(seed)
        with np.errstate(all="ignore"):
            if p.float32 or not np.all(np.isfinite(p.f(*p.args))):
                continue
        for i, v in enumerate(p.tangents):
            try:
                value, jv = tg.jvp(p.f, wrt=i)(*p.args, v)
            except tg.TransformError as e:
                assert "share its array" in str(e), f"seed {seed}: {e}{p!r}"
                break
            eps = 1e-6
            moved = [[a + s * eps * t if j == i else a for j, (a, t) in enumerate(zip(p.args, p.tangents))]
                     for s in (1.0, -1.0)]
            want = (p.f(*moved[0]) - p.f(*moved[1])) / (2 * eps)
            assert np.allclose(value, p.f(*p.args))
            assert np.allclose(jv, want, rtol=1e-5, atol=1e-6), f"seed {seed}, jvp {i}: {jv} != {want}{p!r}"
        else:
            if not any(word in p.source for word in NON_SMOOTH):
                _check_hessian(p, seed)


def _check_hessian(p, seed):
    H = tg.hessian(p.f)(*p.args)
    x = p.args[0]
    if p.f_ag is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = np.asarray(autograd.hessian(p.f_ag)(*p.args64), float)
    else:   # the gradient's own central differences (its gradient is checked above)
        G, want = tg.grad(p.f), np.zeros(np.shape(x) * 2)
        for idx in np.ndindex(*np.shape(x)):
            for sign in (1.0, -1.0):
                xs = np.array(x, dtype=float)
                xs[idx] += sign * 1e-6
                args = [float(xs) if isinstance(x, float) else xs] + list(p.args[1:])
                want[(Ellipsis,) + idx] += sign * np.asarray(G(*args)) / 2e-6
    assert np.shape(H) == want.shape and np.allclose(H, want, rtol=1e-4, atol=1e-5), \
        f"seed {seed}: hessian {H!r} != {want!r}{p!r}"
