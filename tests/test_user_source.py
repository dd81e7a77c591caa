"""How tangentish finds, reads and reports on user functions, as users really define them.

Every gradient is compared with central finite differences (tests/fd.py) or a
derivative worked by hand; every refusal must be a TransformError naming the
user's file and line, with a hint.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from fd import assert_grad_close, numerical_grad

import tangentish as tg

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_script(tmp_path, text, name="user_script.py"):
    """Run ``text`` as ``python name`` in a fresh interpreter; its stdout."""
    script = tmp_path / name
    script.write_text(textwrap.dedent(text))
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env,
                          cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    return done.stdout


# ---- defaults: the values the def captured, not its source re-evaluated ------------

def test_functions_defined_in_a_loop_keep_their_own_default():
    fs = []
    for k in range(3):
        def f(x, k=k):
            return x ** (k + 1)
        fs.append(f)
    k = 10  # noqa: F841 -- a later value of the name the default was spelled with
    for f in fs:
        assert tg.grad(f)(2.0) == pytest.approx(numerical_grad(f, [2.0]))


def test_lambdas_made_in_a_comprehension_keep_their_own_default():
    fs = [lambda x, k=k: x ** (k + 1) for k in range(3)]
    assert [tg.grad(f)(2.0) for f in fs] == pytest.approx([1.0, 4.0, 12.0])


def make_powered(n, weights):
    def powered(x, p=n, w=weights):      # n and weights are no closure cells of powered
        return np.sum(w * x ** p)
    return powered


def test_default_naming_an_enclosing_local_and_an_array():
    f = make_powered(3, np.array([1.0, 2.0]))
    x = np.array([1.0, 2.0])
    assert_grad_close(f, [x])
    source = tg.grad(f).source
    assert "p=3" in source and "w=w_default" in source
    np.testing.assert_allclose(tg.jvp(f)(x, np.ones(2))[1], np.sum(3 * np.array([1.0, 2.0]) * x ** 2))
    assert tg.grad(tg.grad(lambda x, k=3: x ** k))(2.0) == pytest.approx(12.0)


# ---- callables that are not plain functions -----------------------------------------

class Quadratic:
    """A model holding its weights in attributes."""

    def __init__(self):
        self.W = np.array([1.0, 2.0])

    def loss(self, x):
        return np.sum(self.W * x ** 2)

    def __call__(self, x):
        return np.sum(np.sin(self.W * x))

    @staticmethod
    def cube(x):
        return np.sum(x ** 3)

    @classmethod
    def scaled(cls, x):
        return np.sum(np.exp(x)) * 2.0


X2 = np.array([0.3, -0.7])


@pytest.mark.parametrize("make", [
    lambda m: m.loss, lambda m: m, lambda m: m.cube, lambda m: Quadratic.cube, lambda m: m.scaled,
], ids=["bound method", "callable object", "staticmethod", "staticmethod via class", "classmethod"])
def test_methods_and_callable_objects(make):
    f = make(Quadratic())
    assert_grad_close(f, [X2])
    assert "def " in tg.grad(f).source


def test_bound_method_reads_attributes_at_call_time():
    m = Quadratic()
    g = tg.grad(m.loss)
    np.testing.assert_allclose(g(X2), 2 * m.W * X2)
    m.W = np.array([3.0, -1.0])
    np.testing.assert_allclose(g(X2), 2 * m.W * X2)
    assert "def " in g.source


def test_method_through_the_class_with_wrt_name():
    m = Quadratic()
    np.testing.assert_allclose(tg.grad(Quadratic.loss, wrt="x")(m, X2), 2 * m.W * X2)


def weighted(x, a, w):
    return a * np.sum(w * x ** 2)


def test_partial():
    import functools
    f = functools.partial(weighted, a=3.0, w=np.array([1.0, -2.0]))
    assert_grad_close(f, [X2])
    g = functools.partial(weighted, np.array([0.5, 0.1]), 2.0)   # x bound: differentiate w
    assert_grad_close(g, [X2])


def test_forward_mode_and_hessian_of_a_method():
    m = Quadratic()
    _, tangent = tg.jvp(m.loss)(X2, np.ones(2))
    assert tangent == pytest.approx(np.sum(2 * m.W * X2))
    np.testing.assert_allclose(tg.hessian(m.loss)(X2), np.diag(2 * m.W))


# ---- a primitive passed directly: differentiated by its rule ------------------------

def test_numpy_and_math_functions_passed_directly():
    import math

    import scipy.special
    assert tg.grad(np.sin)(0.3) == pytest.approx(np.cos(0.3))
    np.testing.assert_allclose(tg.elementwise_grad(np.tanh)(X2), 1 - np.tanh(X2) ** 2)
    assert tg.grad(math.exp)(1.0) == pytest.approx(math.e)
    assert tg.grad(abs)(-2.0) == pytest.approx(-1.0)
    assert tg.grad(tg.grad(np.sin))(0.5) == pytest.approx(-np.sin(0.5))
    np.testing.assert_allclose(tg.grad(np.linalg.norm)(X2), X2 / np.linalg.norm(X2))
    np.testing.assert_allclose(tg.elementwise_grad(scipy.special.expit)(X2),
                               numerical_grad(lambda v: np.sum(scipy.special.expit(v)), [X2]))
    assert "np.sin(x)" in tg.grad(np.sin).source


@pytest.fixture
def restore_registry():
    """Rules are global: put the tables back as they were after the test."""
    from tangentish import registry
    from tangentish.templates import load_builtin
    load_builtin()
    tables = (registry.REVERSE, registry.FORWARD, registry.LINEAR, registry.NONDIFF, registry.PRIMITIVES)
    saved = [type(t)(t) for t in tables]
    yield
    for table, old in zip(tables, saved):
        table.clear()
        table.update(old)


def test_user_primitive_passed_directly_uses_its_rule_not_its_source(restore_registry):
    from tangentish.registry import d

    @tg.primitive
    def opaque(x):
        return x ** 2 if x > -1e9 else math_only_in_source(x)  # noqa: F821 -- never parsed

    @tg.adjoint(opaque)
    def opaque_adjoint(y, x):
        d[x] += d[y] * 2 * x

    assert tg.grad(opaque)(3.0) == pytest.approx(6.0)
    assert "dopaque" in tg.grad(opaque).source


def test_math_functions_on_python_floats():
    import math

    def f(x):
        return (math.exp(x) + math.log(x) + math.sqrt(x) + math.pow(x, 3) + math.sin(x) * math.tanh(x)
                + math.atan2(x, 2.0) + math.hypot(x, 1.0) + math.floor(x) + math.fabs(-x))
    g = tg.grad(f)(1.3)
    assert type(g) is float
    assert g == pytest.approx(numerical_grad(f, [1.3]), rel=1e-6)
    assert tg.jvp(f)(1.3, 1.0)[1] == pytest.approx(g)
    assert "math.exp(x)" in tg.grad(f).source   # the forward sweep keeps the user's spelling


# ---- statements users write that carry no derivative --------------------------------

def test_print_fstring_assert_annotations_and_docstring_leave_the_gradient_alone(capsys):
    def f(x: np.ndarray, scale: float = 2.0) -> float:
        """Scaled sum of squares."""
        label = f"x={x[0]:.2f}"
        print(label, f"{np.sum(x):.1f}")
        assert np.all(np.isfinite(x)), f"bad input {x}"
        y: np.ndarray = scale * x ** 2
        z: float  # noqa: F842 -- a bare annotation must be accepted
        return np.sum(y)
    assert_grad_close(f, [X2])
    np.testing.assert_allclose(tg.jvp(f)(X2, np.ones(2))[1], np.sum(4 * X2))
    assert "x=0.30" in capsys.readouterr().out


def test_positional_only_parameters():
    def f(x, y, /, z=2.0):
        return np.sum(x * y * z)
    assert_grad_close(f, [X2, X2 + 1])
    np.testing.assert_allclose(tg.grad(f, wrt=1)(X2, X2 + 1), 2 * X2)
    assert tg.grad(tg.grad(lambda x, /: x ** 3))(2.0) == pytest.approx(12.0)


def walrus_in_test(x):
    if (y := x * 2) > 0:     # once bound a name no pass saw: a silent zero gradient
        return y
    return x


def star_args(x, *rest):
    return x * rest[0]


def keyword_only(x, *, a=2.0):
    return x * a


def double_star(x, **options):
    return x * options["a"]


def returns_text(x):
    return "done"


def returns_pair(x):
    return x, x


@pytest.mark.parametrize("fn,args,message,hint", [
    (walrus_in_test, (1.0,), "assignment expression `:=`", "own line"),
    (star_args, (1.0, 2.0), "*args parameter (`*rest`)", "tuple or list parameter"),
    (double_star, (1.0,), "**kwargs parameter (`**options`)", "dict parameter"),
    (returns_text, (1.0,), "returned a str", "return the number"),
    (returns_pair, (1.0,), "returned a tuple of 2 values", "vjp"),
], ids=lambda v: getattr(v, "__name__", None))
def test_refused_with_the_user_line_and_a_hint(fn, args, message, hint):
    with pytest.raises(tg.TransformError) as info:
        tg.grad(fn)(*args)
    e = info.value
    assert message in e.message and hint in e.hint
    assert e.filename == __file__ and e.function == fn.__name__
    assert fn.__code__.co_firstlineno <= e.lineno <= fn.__code__.co_firstlineno + 3
    assert isinstance(e, tg.TangentishError)


def calls_a_parameter(x, g=np.sin):
    return g(x)


def log_with_base(x):
    return math_module.log(x, 2.0)


def test_math_log_with_a_base():
    assert tg.grad(log_with_base)(3.0) == pytest.approx(1 / (3.0 * math_module.log(2.0)))


def uses_an_undefined_name(x):
    return not_defined_anywhere(x)  # noqa: F821


class Squarer:
    def __call__(self, *xs):     # *args: no call of it can be matched to parameters
        return xs[0] * xs[0]


squarer = Squarer()


def calls_an_object(x):
    return squarer(x)


def unpacks_arguments(x):
    pair = (x, x)
    return np.multiply(*pair)


import math as math_module  # noqa: E402 -- read by log_with_base above


@pytest.mark.parametrize("fn,message,hint", [
    (calls_a_parameter, "`g` is a variable of the function", "closure"),
    (uses_an_undefined_name, "`not_defined_anywhere` is not defined", "define or import"),
    (calls_an_object, "it is a Squarer object", "Python function or method"),
    (unpacks_arguments, "arguments unpacked with * or **", "one by one"),
], ids=lambda v: getattr(v, "__name__", None))
def test_calls_without_a_derivative_say_what_the_callee_is(fn, message, hint):
    for transform in (tg.grad, tg.jvp):
        with pytest.raises(tg.TransformError) as info:
            transform(fn)(0.5, *([1.0] if transform is tg.jvp else []))
        assert message in info.value.message and hint in info.value.hint
        assert info.value.filename == __file__


# ---- imports inside the function body ------------------------------------------------

def test_imports_inside_the_body_bind_like_module_level_ones():
    def f(x):
        import math

        import numpy as np
        import numpy.linalg as la
        import scipy.special
        from scipy import special
        return (np.sum(np.cos(x)) + la.norm(x) + np.sum(special.expit(x))
                + math.sqrt(2.0) * np.sum(scipy.special.erf(x)))
    assert_grad_close(f, [X2])
    source = tg.grad(f).source
    assert "import numpy.linalg as la" in source and "la.norm(x)" in source
    np.testing.assert_allclose(tg.jvp(f)(X2, np.ones(2))[1], np.sum(numerical_grad(f, [X2])), rtol=1e-6)


def test_a_failing_or_shadowed_import_in_the_body_is_refused():
    def broken(x):
        import no_such_module_anywhere  # noqa: F401
        return x

    def shadowed(x):
        import numpy as np
        np = x  # noqa: F811, F841
        return x
    with pytest.raises(tg.TransformError, match="No module named") as info:
        tg.grad(broken)(1.0)
    assert info.value.lineno == broken.__code__.co_firstlineno + 1
    with pytest.raises(tg.TransformError, match="both imports and assigns `np`"):
        tg.grad(shadowed)(1.0)


# ---- where the source lives -----------------------------------------------------------

def test_script_with_main_block_redefinition_and_changing_globals(tmp_path):
    out = run_script(tmp_path, """
        import numpy as np
        import tangentish as tg

        def f(x):
            return x ** 2

        if __name__ == "__main__":
            def g(x):
                return np.sum(np.exp(x))
            print(tg.grad(g)(np.zeros(2)).tolist())
            print(tg.grad(f)(3.0))
            first = tg.grad(f)
            def f(x):                       # redefined later in the same file
                return x ** 3
            print(tg.grad(f)(3.0), first(3.0))
            C = 2.0
            def k(x):
                return C * x
            gk = tg.grad(k)
            print(gk(1.0))
            C = 3.0                         # a global the function reads, changed between calls
            print(gk(1.0))
            print(tg.grad(lambda x: x ** 2)(3.0), tg.grad(lambda x: x ** 3)(3.0))
    """)
    assert out.split("\n")[:5] == ["[1.0, 1.0]", "6.0", "27.0 6.0", "2.0", "3.0"]
    assert out.split("\n")[5] == "6.0 27.0"


def test_windows_line_endings_tabs_and_an_encoding_cookie(tmp_path):
    (tmp_path / "crlf.py").write_bytes(
        b"import numpy as np\r\nimport tangentish as tg\r\n\r\ndef f(x):\r\n\ty = np.sin(x)\r\n"
        b"\treturn y * x\r\n\r\nprint(tg.grad(f)(0.5))\r\nprint(tg.grad(lambda x: x ** 2)(3.0))\r\n")
    (tmp_path / "latin.py").write_bytes(
        b"# -*- coding: latin-1 -*-\nimport numpy as np\nimport tangentish as tg\n# caf\xe9\n"
        b"def f(x):\n    s = 'caf\xe9'\n    return np.sin(x)\nprint(tg.grad(f)(0.0))\n")
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for name, expected in [("crlf.py", [np.cos(0.5) * 0.5 + np.sin(0.5), 6.0]), ("latin.py", [1.0])]:
        done = subprocess.run([sys.executable, name], capture_output=True, text=True, env=env,
                              cwd=str(tmp_path))
        assert done.returncode == 0, done.stderr
        assert [float(v) for v in done.stdout.split()] == pytest.approx(expected)


def test_python_dash_c_is_refused_with_a_hint_or_read_where_python_keeps_it():
    """Python 3.13 keeps ``python -c`` source in linecache (as ``<string>``); older ones do not."""
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = "import tangentish as tg\ndef f(x):\n    return x ** 2\nprint(tg.grad(f)(2.0))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if done.returncode == 0:
        assert float(done.stdout) == 4.0
        return
    assert "TransformError: cannot read the source of `f`" in done.stderr
    assert 'File "<string>", line 2, in f' in done.stderr
    assert "python -c" in done.stderr


def test_exec_string_is_never_read_from_another_string_at_the_same_line():
    """Every exec'd string is ``<string>``: linecache may hold another one's text (3.13: python -c)."""
    import linecache
    saved = linecache.cache.get("<string>")
    other = "def g(x):\n    return x ** 2\n"
    linecache.cache["<string>"] = (len(other), None, other.splitlines(True), "<string>")
    try:
        ns = {}
        exec("def g(x):\n    return x ** 5\n", ns)
        with pytest.raises(tg.TransformError, match="does not match the running function's code"):
            tg.grad(ns["g"])(1.0)
    finally:
        if saved is None:
            linecache.cache.pop("<string>", None)
        else:
            linecache.cache["<string>"] = saved


def test_module_edited_after_import_with_the_same_parameters_is_refused(tmp_path, monkeypatch):
    module = tmp_path / "edited_body.py"
    module.write_text("import numpy as np\n\ndef loss(x):\n    return np.sin(x) * 2.0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import edited_body
    module.write_text("import numpy as np\n\ndef loss(x):\n    return np.cos(x) * 3.0\n")
    os.utime(module, (1, 1))
    with pytest.raises(tg.TransformError, match="does not match the running function's code") as info:
        tg.grad(edited_body.loss)(0.0)
    assert "reload" in info.value.hint


def run_cell(number, source):
    """Run ``source`` the way IPython runs a cell: compiled under a name it keeps in linecache."""
    import linecache
    name = f"<ipython-input-{number}-0123456789ab>"
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    ns = {"np": np}
    exec(compile(source, name, "exec"), ns)
    return ns, name


def test_ipython_style_cells_and_a_redefinition_in_a_later_cell():
    first, _ = run_cell(3, "def f(x):\n    return np.sum(np.sin(x) ** 2)\ng = lambda x: x ** 3\n")
    np.testing.assert_allclose(tg.grad(first["f"])(X2), 2 * np.sin(X2) * np.cos(X2))
    assert tg.grad(first["g"])(2.0) == pytest.approx(12.0)
    second, _ = run_cell(4, "def f(x):\n    return np.sum(np.cos(x))\n")
    np.testing.assert_allclose(tg.grad(second["f"])(X2), -np.sin(X2))
    third, name = run_cell(5, "def h(x):\n    with open('f'):\n        return x\n")
    with pytest.raises(tg.TransformError) as info:
        tg.grad(third["h"])(1.0)
    assert (info.value.filename, info.value.lineno) == (name, 2)
    assert "with open('f'):" in str(info.value)


def test_exec_string_registered_in_linecache_reads_like_a_cell():
    ns, _ = run_cell(7, "def from_string(x):\n    return np.tanh(x)\n")
    assert tg.grad(ns["from_string"])(0.3) == pytest.approx(1 - np.tanh(0.3) ** 2)


def test_runtime_failure_shows_the_generated_line():
    import traceback

    def bad(x):
        return np.sum(np.log(x) @ x)
    with pytest.raises(ValueError) as info:
        tg.grad(bad)(np.ones((2, 3)))
    frames = traceback.extract_tb(info.value.__traceback__)
    generated = [f for f in frames if f.filename.startswith("<tangentish: dbad_dx")]
    assert generated and generated[-1].line == "matmul = log @ x"
    if sys.version_info >= (3, 11):   # and a note naming the user's function and line
        note = info.value.__notes__[-1]
        assert "derivative of `bad`" in note and f'File "{__file__}"' in note


# ---- methods, partials and callable objects called inside a user function ------------

class Layer:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return np.tanh(self.W @ x)

    def penalty(self, x):
        return np.sum(x ** 2)

    def loss(self, x):
        return np.sum(Layer.__call__(self, x)) + Layer.penalty(self, x)

    def loss_via_self(self, x):
        return self.penalty(x)


LAYER = Layer(np.array([[1.0, 2.0], [0.5, -1.0]]))


def _weighted(x, w):
    return np.sum(w * x ** 2)


def uses_objects(x):
    return np.sum(LAYER(x)) + LAYER.penalty(x) + WEIGHTED(x)


WEIGHTED = __import__("functools").partial(_weighted, w=np.array([1.0, 3.0]))


def test_global_objects_methods_and_partials_called_inside():
    assert_grad_close(uses_objects, [X2])
    np.testing.assert_allclose(tg.jvp(uses_objects)(X2, np.ones(2))[1],
                               np.sum(numerical_grad(uses_objects, [X2])), rtol=1e-6)
    source = tg.grad(uses_objects).source
    # the forward sweep calls each callee's forward half (which runs it once), the backward its backward half
    assert "layer_forward(x)" in source and "layer_penalty_backward(" in source


def test_self_method_calls_inside_a_method():
    assert_grad_close(LAYER.loss, [X2])
    with pytest.raises(tg.TransformError) as info:
        tg.grad(LAYER.loss_via_self)(X2)
    assert "ClassName.penalty(" in info.value.hint


# ---- a name that now holds another function: the derivative is built again ------------

def _helper(x):
    return x ** 2


def _calls_helper(x):
    return _helper(x) * 1.0


ACTIVATION = np.tanh


def _activated(x):
    return np.sum(ACTIVATION(x))


def test_redefined_callee_and_rebound_alias_are_not_served_stale(monkeypatch):
    g = tg.grad(_calls_helper)
    assert g(2.0) == pytest.approx(4.0)
    monkeypatch.setitem(globals(), "_helper", lambda x: x ** 3)
    assert g(2.0) == pytest.approx(12.0)                  # the same grad object
    assert tg.grad(_calls_helper)(2.0) == pytest.approx(12.0)   # and a new one (cache)
    assert tg.jvp(_calls_helper)(2.0, 1.0)[1] == pytest.approx(12.0)
    a = tg.grad(_activated)
    np.testing.assert_allclose(a(X2), 1 - np.tanh(X2) ** 2)
    monkeypatch.setitem(globals(), "ACTIVATION", np.sin)
    np.testing.assert_allclose(a(X2), np.cos(X2))


def test_closure_cell_rebound_to_another_function():
    def act(v):
        return np.tanh(v)

    def f(x):
        return np.sum(act(x))
    g = tg.grad(f)
    np.testing.assert_allclose(g(X2), 1 - np.tanh(X2) ** 2)

    def act(v):  # noqa: F811 -- rebinding the cell f reads
        return np.exp(v)
    np.testing.assert_allclose(g(X2), np.exp(X2))


# ---- several lambdas on one line -------------------------------------------------------

A_GLOBAL, B_GLOBAL = 3.0, 5.0


def test_lambdas_on_one_line_in_every_shape():
    y = 2.0
    assert (tg.grad(lambda x: x ** 2)(3.0), tg.grad(lambda x: x ** 3)(3.0)) == (6.0, 27.0)
    fs = [lambda x: x * y - A_GLOBAL * x, lambda x: A_GLOBAL * x - x * y]
    assert [tg.grad(f)(1.0) for f in fs] == pytest.approx([y - A_GLOBAL, A_GLOBAL - y])
    gs = {"a": lambda x: A_GLOBAL - B_GLOBAL * x, "b": lambda x: B_GLOBAL - A_GLOBAL * x}
    assert tg.grad(gs["a"])(1.0) == pytest.approx(-B_GLOBAL)
    assert tg.grad(gs["b"])(1.0) == pytest.approx(-A_GLOBAL)

    def takes(f=lambda t: t ** 2, g=lambda t: t ** 3):
        return tg.grad(f)(2.0), tg.grad(g)(2.0)
    assert takes() == (4.0, 12.0)
    multi = tg.grad(lambda x: (
        np.sin(x)
        * np.cos(x)), wrt=0)
    assert multi(0.3) == pytest.approx(np.cos(0.6))
    sq = lambda x: x ** 2 + 1.0  # noqa: E731 -- a named lambda, passed on
    assert tg.grad(sq)(2.0) == pytest.approx(4.0)


def test_a_lambda_called_where_it_is_written_is_refused_with_a_hint():
    with pytest.raises(tg.TransformError, match="lambda called where it is written") as info:
        tg.grad(lambda x: (lambda y: y * 2)(x) + x)(1.0)
    assert "assign it to a name" in info.value.hint


def test_wrapped_objects_point_at_what_they_wrap():
    import functools

    @functools.cache
    def cached_square(x):
        return x ** 2
    with pytest.raises(tg.TransformError, match="_lru_cache_wrapper object") as info:
        tg.grad(cached_square)(2.0)
    assert "tangentish.grad(cached_square.__wrapped__)" in info.value.hint
    assert tg.grad(cached_square.__wrapped__)(2.0) == pytest.approx(4.0)


def test_errors_about_a_method_point_at_the_method_not_the_wrapper():
    class Model:
        def per_example(self, x):
            return x * 2

        def uses_with(self, x):
            with open(os.devnull):
                return x
    m = Model()
    with pytest.raises(tg.TransformError, match="returned an array of shape") as info:
        tg.grad(m.per_example)(X2)
    first = Model.per_example.__code__.co_firstlineno
    assert info.value.filename == __file__ and first <= info.value.lineno <= first + 1
    with pytest.raises(tg.TransformError, match="`with` block") as info:
        tg.grad(m.uses_with)(X2)
    assert info.value.lineno == Model.uses_with.__code__.co_firstlineno + 1


def test_stacked_grad_decorators_and_star_import(tmp_path):
    @tg.grad
    @tg.grad
    def f(x):
        return x ** 4
    assert f(2.0) == pytest.approx(48.0)
    out = run_script(tmp_path, """
        from numpy import *
        import tangentish as tg
        def f(x):
            return sum(sin(x) * exp(x))
        print(tg.grad(f)(array([0.1, 0.2])).tolist())
    """)
    x = np.array([0.1, 0.2])
    np.testing.assert_allclose(eval(out), (np.cos(x) + np.sin(x)) * np.exp(x))


def test_partial_of_a_grad_object():
    import functools
    dweighted = tg.grad(weighted)
    h = functools.partial(dweighted, a=2.0, w=np.array([1.0, -1.0]))
    np.testing.assert_allclose(tg.jacobian(h)(X2), np.diag(2.0 * 2 * np.array([1.0, -1.0])))


def test_wrt_errors_name_the_method_or_partial_as_the_user_wrote_it():
    m = Quadratic()
    with pytest.raises(tg.TransformError, match=r"out of range") as info:
        tg.grad(m.loss, wrt=1)(X2)
    assert info.value.filename == __file__
    assert "wrt=1" in str(info.value) and "1 positional argument(s)" in str(info.value)
    assert "`self` is bound" in str(info.value)


la = "a module-level name that an import inside the function shadows"


def test_a_body_import_shadowing_a_global_is_not_refreshed_from_the_global():
    def f(x):
        import numpy.linalg as la
        return la.norm(x)
    g = tg.grad(f)
    for _ in range(2):
        np.testing.assert_allclose(g(X2), X2 / np.linalg.norm(X2))


def test_differentiating_with_respect_to_an_object_is_refused_at_the_user_line():
    m = Quadratic()
    with pytest.raises(tg.TransformError, match="with respect to a Quadratic object") as info:
        tg.grad(Quadratic.loss, wrt=0)(m, X2)
    assert "{'W': obj.W}" in info.value.hint and info.value.filename == __file__
    params = {"W": m.W}
    np.testing.assert_allclose(tg.grad(lambda p, x: np.sum(p["W"] * x ** 2))(params, X2)["W"], X2 ** 2)


def test_numpy_functions_passed_directly_never_parse_numpy_source():
    np.testing.assert_allclose(tg.elementwise_grad(np.round)(X2), np.zeros(2))   # no derivative: zero
    with pytest.raises(tg.TransformError, match="general eigendecomposition"):
        tg.grad(np.linalg.eig)(np.eye(2))
    no_rule = np.frompyfunc(lambda v: v, 1, 1)
    with pytest.raises(tg.TransformError, match="no Python source") as info:
        tg.grad(no_rule)(1.0)
    assert "__wrapped__" not in info.value.hint


class Private:
    def __init__(self):
        self.__w = np.array([2.0, -1.0])

    def loss(self, x):
        def inner(t):
            return t * self.__w      # mangled to self._Private__w when Python compiled it
        return np.sum(inner(x) ** 2)


def test_private_attributes_of_a_method_are_mangled_like_python_does():
    m = Private()
    assert_grad_close(m.loss, [X2])


def test_future_annotations_module_with_nested_annotated_defs(tmp_path):
    out = run_script(tmp_path, """
        from __future__ import annotations
        import numpy as np
        import tangentish as tg

        class C:
            def __init__(self):
                self.__w = 2.0

            def f(self, x: float) -> float:
                def inner(t: np.ndarray) -> float:
                    return t * self.__w
                y: float = inner(x)
                return y * x

        print(tg.grad(C().f)(3.0))
    """)
    assert float(out) == pytest.approx(12.0)


def test_defaults_replaced_after_the_transform_are_picked_up():
    def f(x, a=2.0):
        return a * x ** 2
    g = tg.grad(f)
    assert g(1.0) == pytest.approx(4.0)
    f.__defaults__ = (5.0,)
    assert g(1.0) == pytest.approx(10.0)
