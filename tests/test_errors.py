"""What a user sees when a function cannot be differentiated: a TransformError at their line.

Each error must be a ``tangentish.TransformError`` (a ``TangentishError``), name
this file, the line of the construct and the construct itself, and give a hint.
"""
import inspect
import math
import sys
import textwrap

import numpy as np
import pytest

import tangentish as tg

HERE = __file__


def line_of(fn, text):
    """File line number of the first line of ``fn``'s source containing ``text``."""
    lines, start = inspect.getsourcelines(fn)
    for i, line in enumerate(lines):
        if text in line:
            return start + i
    raise AssertionError(f"{text!r} not in source")


def expect_error(fn, args, construct, marker, match=None, **kw):
    with pytest.raises(tg.TransformError) as info:
        tg.grad(fn, **kw)(*args)
    e = info.value
    assert isinstance(e, tg.TangentishError)
    msg = str(e)
    assert construct in msg, msg
    if match:
        assert match in msg, msg
    assert e.filename == HERE and f'File "{HERE}"' in msg, msg
    assert e.lineno == line_of(fn, marker), msg
    assert e.hint and "Hint:" in msg, msg
    return e


# ---- syntax not supported (yet) -----------------------------------------------

def gen(x):
    for i in range(3):
        yield x * i


def uses_try(x):
    try:
        y = np.log(x)
    except ValueError:
        y = x
    return y


def uses_with(x):
    with np.errstate(all="ignore"):
        y = np.log(x)
    return y


COUNTER = 0


def uses_global(x):
    global COUNTER
    COUNTER += 1
    return x


def uses_nonlocal():
    n = 0

    def inner(x):
        nonlocal n
        n = n + 1
        return x * 2
    return inner


def uses_del(x):
    y = x * 2
    del y
    return x


def uses_class(x):
    class Box:
        pass
    return x


def uses_lambda_def(x):
    async def later():
        return 1
    return x


@pytest.mark.parametrize("fn,construct,marker", [
    (gen, "yield", "yield"),
    (uses_try, "try", "try:"),
    (uses_with, "with", "with np.errstate"),
    (uses_global, "global", "global COUNTER"),
    (uses_nonlocal(), "nonlocal", "nonlocal n"),
    (uses_del, "del", "del y"),
    (uses_class, "class", "class Box"),
    (uses_lambda_def, "async def", "async def later"),
], ids=lambda v: v if isinstance(v, str) and " " not in v and v.isidentifier() else None)
def test_unsupported_syntax(fn, construct, marker):
    expect_error(fn, [1.0], construct, marker)


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match needs Python 3.10")
def test_match_statement(tmp_path, monkeypatch):
    (tmp_path / "with_match.py").write_text(textwrap.dedent("""
        def f(x):
            match x:
                case _:
                    return x
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    import with_match
    with pytest.raises(tg.TransformError, match="match") as info:
        tg.grad(with_match.f)(1.0)
    assert info.value.lineno == 3 and info.value.filename.endswith("with_match.py")


# ---- calls we cannot see into ---------------------------------------------------

opaque_ufunc = np.frompyfunc(lambda v: v, 1, 1)


class Scaler:
    """Callable objects are differentiated through ``__call__`` -- unless it takes ``*args``."""

    def __call__(self, *xs):
        return 2 * xs[0]


scaler = Scaler()


def calls_math(x):
    return x * math.prod([x, 2.0])   # math.cos and friends share NumPy's rules; math.prod has none


def calls_opaque_ufunc(x):
    return np.sum(opaque_ufunc(x))


def calls_object(x):
    return np.sum(scaler(x))


@pytest.mark.parametrize("fn,construct,marker", [
    (calls_math, "math.prod", "math.prod"),
    (calls_opaque_ufunc, "opaque_ufunc", "np.sum(opaque_ufunc(x))"),
    (calls_object, "scaler", "scaler(x)"),
])
def test_call_without_template_or_source(fn, construct, marker):
    expect_error(fn, [np.array([0.5, 1.0]) if fn is not calls_math else 0.5], construct, marker)


def inactive_calls_are_fine(x):
    n = math.sqrt(len(x))
    return np.sum(x) * n


def test_call_on_inactive_value_is_fine():
    np.testing.assert_allclose(tg.grad(inactive_calls_are_fine)(np.ones(4)), 2.0 * np.ones(4))


# ---- wrong wrt, non-scalar results, lambdas ----------------------------------------

def two_args(x, y):
    return np.sum(x * y)


def test_wrong_wrt_name():
    e = expect_error(two_args, [1.0, 2.0], "'z'", "def two_args", wrt="z")
    assert "x, y" in str(e)


@pytest.mark.parametrize("wrt", [2, -3, (0, 5)])
def test_wrt_index_out_of_range(wrt):
    expect_error(two_args, [1.0, 2.0], "out of range", "def two_args", wrt=wrt)


def test_wrt_of_wrong_type():
    with pytest.raises(tg.TransformError, match="wrt"):
        tg.grad(two_args, wrt=1.5)(1.0, 2.0)


def vector_valued(x):
    y = np.sin(x)
    return y


def test_non_scalar_result():
    e = expect_error(vector_valued, [np.ones(3)], "scalar", "return y", match="(3,)")
    assert "jacobian" in e.hint or "vjp" in e.hint


def test_non_scalar_result_value_and_grad():
    with pytest.raises(tg.TransformError, match="scalar"):
        tg.value_and_grad(vector_valued)(np.ones(3))


def test_lambda_without_source():
    with pytest.raises(tg.TransformError) as info:
        tg.grad(eval("lambda x: x * 2"))(1.0)
    assert "source" in str(info.value) and info.value.hint


def test_not_a_function():
    with pytest.raises(tg.TangentishError):
        tg.grad(3.0)


def test_error_types():
    assert issubclass(tg.TransformError, tg.TangentishError)
    assert issubclass(tg.TangentishError, Exception)
