"""Finding a function's source, however it was defined, and the values its names refer to."""
import functools
import os
import subprocess
import sys
import textwrap

import numpy
import numpy as np
import pytest
from fd import assert_grad_close, numerical_grad
from numpy import exp, sin
from numpy import sum as npsum

import tangentish as tg

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- NumPy reached however it was imported -------------------------------------

def plain_numpy(x):
    return numpy.sum(numpy.tanh(x) * numpy.exp(x))


def imported_names(x):
    return npsum(sin(x) * exp(x))


def mixed(x):
    return np.sum(sin(x) ** 2) + numpy.mean(exp(-x))


@pytest.mark.parametrize("f", [plain_numpy, imported_names, mixed], ids=lambda f: f.__name__)
def test_numpy_import_styles(f):
    x = np.array([0.1, -0.4, 0.8])
    assert_grad_close(f, [x])
    tg.grad(f).source  # the source compiles and can be read


# ---- nested functions, closures and globals ---------------------------------------

def make_scaled(a):
    def scaled(x):
        return np.sum(a * x ** 2)
    return scaled


def test_nested_function_with_closure():
    f = make_scaled(3.0)
    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(tg.grad(f)(x), 6.0 * x)


def test_closure_value_is_read_at_call_time():
    k = 2.0

    def f(x):
        return k * x ** 2
    g = tg.grad(f)
    assert g(1.0) == pytest.approx(4.0)
    k = 5.0  # noqa: F841 -- read by f through its closure
    assert g(1.0) == pytest.approx(10.0)


SCALE = 2.0


def uses_global(x):
    return SCALE * np.sin(x)


def test_global_value_is_read_at_call_time():
    global SCALE
    g = tg.grad(uses_global)
    assert g(0.0) == pytest.approx(2.0)
    SCALE = 3.0
    try:
        assert g(0.0) == pytest.approx(3.0)
    finally:
        SCALE = 2.0


def helper(x):
    return np.exp(x) * x


def calls_helper(x):
    return np.sum(helper(x) + helper(2 * x))


def test_calls_another_user_function():
    assert_grad_close(calls_helper, [np.array([0.3, -0.2])])


# ---- decorators ------------------------------------------------------------------

REGISTRY = []


def register(f):
    REGISTRY.append(f)
    return f


@register
def registered(x):
    return np.sum(np.cos(x))


def test_decorator_lines_are_stripped():
    x = np.array([0.5, 1.0])
    np.testing.assert_allclose(tg.grad(registered)(x), -np.sin(x))


@tg.grad
def decorated_by_grad(x):
    return x ** 3


def test_grad_used_as_decorator():
    assert decorated_by_grad(2.0) == pytest.approx(12.0)
    assert "@" not in decorated_by_grad.source


def doubling(f):
    @functools.wraps(f)
    def wrapper(*args):
        return 2 * f(*args)
    return wrapper


@doubling
def wrapped(x):
    return np.sin(x)


def test_wrapping_decorator_is_refused_not_ignored():
    with pytest.raises(tg.TransformError, match="wrapper") as info:
        tg.grad(wrapped)(0.0)
    assert "__wrapped__" in info.value.hint
    assert tg.grad(wrapped.__wrapped__)(0.0) == pytest.approx(1.0)


# ---- lambdas ---------------------------------------------------------------------

def test_lambda():
    assert tg.grad(lambda x: x ** 3)(2.0) == pytest.approx(12.0)


def test_two_lambdas_on_one_line():
    a, b = (lambda x: x * 2.0), (lambda x: x * 3.0)
    assert tg.grad(a)(1.0) == pytest.approx(2.0)
    assert tg.grad(b)(1.0) == pytest.approx(3.0)


def test_lambdas_with_the_same_names_and_constants_are_told_apart():
    y = 2.0
    a, b = (lambda x: x - y), (lambda x: y - x)  # same names and constants: told apart by bytecode
    assert tg.grad(a)(1.0) == pytest.approx(1.0)
    assert tg.grad(b)(1.0) == pytest.approx(-1.0)


def test_lambda_inside_a_call_spanning_lines():
    g = tg.grad(
        lambda x: np.sin(x) * 2.0,
    )
    assert g(0.0) == pytest.approx(2.0)


# ---- where the source lives: scripts, notebooks ---------------------------------

def test_script_run_as_python_file(tmp_path):
    script = tmp_path / "model.py"
    script.write_text(textwrap.dedent("""
        from numpy import tanh
        import tangentish as tg

        def loss(x):
            return tanh(x) ** 2

        g = tg.grad(loss)(0.5)
        print(repr(g))
    """))
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env,
                         cwd=str(tmp_path), check=True).stdout
    expected = numerical_grad(lambda x: np.tanh(x) ** 2, [0.5])
    assert float(out) == pytest.approx(expected, rel=1e-6)


def test_jupyter_cell():
    """A function defined in an IPython cell: its source lives only in IPython's cell cache."""
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    shell = interactiveshell.InteractiveShell.instance()
    try:
        result = shell.run_cell(textwrap.dedent("""
            import numpy as np
            import tangentish as tg
            def cell_loss(w):
                h = np.tanh(w)
                return np.sum(h * h)
            g = tg.grad(cell_loss)
            value = g(np.array([0.5, -1.0]))
        """))
        result.raise_error()
        w = np.array([0.5, -1.0])
        np.testing.assert_allclose(shell.user_ns["value"], 2 * np.tanh(w) * (1 - np.tanh(w) ** 2))
        g = shell.user_ns["g"]
        assert "def dcell_loss_dw" in g._repr_html_() or "dcell_loss_dw" in g._repr_html_()
    finally:
        interactiveshell.InteractiveShell.clear_instance()


# ---- no source to read -------------------------------------------------------------

def test_exec_string_has_no_source():
    ns = {"np": np}
    exec("def from_string(x):\n    return np.sin(x)\n", ns)
    with pytest.raises(tg.TransformError, match="cannot read the source") as info:
        tg.grad(ns["from_string"])(1.0)
    assert info.value.hint


def test_exec_string_whose_pseudo_file_holds_another_program_has_no_source():
    """Python 3.13 keeps the `python -c` command in linecache as <string>, the name every exec()
    of a string also gets: that text is not the function's, so it is refused as having no source
    and no line of the other program is quoted as the user's."""
    import linecache
    other = ["import sys;exec(eval(sys.stdin.readline()))\n"]
    saved = linecache.cache.get("<string>")
    linecache.cache["<string>"] = (len(other[0]), None, other, "<string>")
    try:
        ns = {"np": np}
        exec("def from_string(x):\n    return np.sin(x)\n", ns)
        with pytest.raises(tg.TransformError, match="cannot read the source of `from_string`") as info:
            tg.grad(ns["from_string"])(1.0)
    finally:
        if saved is None:
            linecache.cache.pop("<string>", None)
        else:
            linecache.cache["<string>"] = saved
    assert "exec(eval" not in str(info.value)
    assert info.value.hint


def test_eval_lambda_has_no_source():
    with pytest.raises(tg.TransformError, match="source"):
        tg.grad(eval("lambda x: x ** 2"))(1.0)


@pytest.mark.parametrize("fn", [np.frompyfunc(lambda v: v, 1, 1), len, numpy.linalg.norm.__call__],
                         ids=["ufunc without a rule", "builtin len", "method-wrapper"])
def test_builtin_or_c_function(fn):   # (np.sin, abs, math.exp have rules: test_user_source.py)
    with pytest.raises(tg.TransformError, match="no Python source") as info:
        tg.grad(fn)(1.0)
    assert info.value.hint


# ---- caching -----------------------------------------------------------------------

def cached_fn(x, y):
    return np.sum(x * y)


def test_transform_once_per_function_and_options(monkeypatch):
    from tangentish import cache, pipeline
    cache.clear()
    calls = []
    real = pipeline._build_reverse
    monkeypatch.setattr(pipeline, "_build_reverse", lambda *a: calls.append(a[1:]) or real(*a))
    x = np.ones(3)
    g = tg.grad(cached_fn)
    for _ in range(5):
        g(x, x)
    tg.grad(cached_fn)(x, x)                 # a new grad object, same options: cached
    assert len(calls) == 1
    before = len(calls)
    tg.grad(cached_fn, wrt=1)(x, x)          # other options: transformed once more
    tg.grad(cached_fn, wrt=1)(x, x)
    assert len(calls) == before + 1


def test_source_edited_after_import_is_refused(tmp_path, monkeypatch):
    module = tmp_path / "edited_model.py"
    module.write_text("import numpy as np\n\ndef loss(x):\n    return np.sin(x)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import edited_model
    module.write_text("import numpy as np\n\ndef loss(x, y):\n    return np.sin(x) * y\n")
    os.utime(module, (1, 1))  # a different mtime, whatever the file system's resolution
    with pytest.raises(tg.TransformError, match="does not match the running function") as info:
        tg.grad(edited_model.loss)(0.0)
    assert "reload" in info.value.hint
