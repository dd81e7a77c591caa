"""The generated derivative reads like one a person would write.

Each test here states, from a derivative worked out by hand in the test, which
names the derivative must assign (``d`` + the user's name), which it must not
(adjoints of inputs nobody asked about), and that nothing it computes goes
unused.  Structure is compared, never exact text.
"""
import ast
import linecache
import re
import traceback

import numpy as np
import pytest

import tangentish as tg


class Shape:
    """What a generated function assigns, reads and returns, from its source."""

    def __init__(self, source: str, name: str):
        module = ast.parse(source)
        fns = [n for n in module.body if isinstance(n, ast.FunctionDef)]
        self.fn = next(f for f in fns if f.name == name) if name else fns[-1]
        self.params = [a.arg for a in self.fn.args.args + self.fn.args.kwonlyargs]
        self.assigned = []
        for node in ast.walk(self.fn):
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    self.assigned += [n.id for n in ast.walk(t) if isinstance(n, ast.Name)]
        self.loaded = {n.id for n in ast.walk(self.fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        self.returned = {n.id for r in ast.walk(self.fn) if isinstance(r, ast.Return)
                         for n in ast.walk(r) if isinstance(n, ast.Name)}

    def unused(self):
        """Names assigned that nothing reads: dead code."""
        return set(self.assigned) - self.loaded - self.returned


def shape_of(g):
    return Shape(g.source, None)


def assert_readable_names(shape):
    for name in shape.assigned:
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*", name), f"odd name {name!r}"
        hexish = re.search(r"(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{4,}", name)
        assert not hexish, f"random-looking name {name!r}"


# ---- logistic regression: dX and dt must not exist --------------------------------

def logistic(w, X, t):
    z = X @ w
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p))


def test_logistic_regression_shape():
    """By hand: dp = -(t/p - (1-t)/(1-p)); dz = dp * p * (1-p); dw = X.T @ dz."""
    g = tg.grad(logistic)
    s = shape_of(g)
    assert s.fn.name == "dlogistic_dw"
    assert s.params == ["w", "X", "t"]
    assert {"dz", "dp", "dw"} <= set(s.assigned)           # the hand derivation's names
    assert not {"dX", "dt"} & set(s.assigned)               # inputs nobody asked about
    assert s.returned == {"dw"}
    assert s.unused() == set()
    assert_readable_names(s)
    # the hand derivative, numerically
    rng = np.random.RandomState(0)
    w, X, t = rng.randn(3) * 0.3, rng.randn(8, 3), (rng.rand(8) > 0.5).astype(float)
    p = 1 / (1 + np.exp(-X @ w))
    np.testing.assert_allclose(g(w, X, t), X.T @ (p - t), rtol=1e-10)


# ---- a two-layer expression: only the requested adjoint --------------------------

def layer(x, W):
    h = np.tanh(x @ W)
    return np.sum(h ** 2)


def test_layer_wrt_weights_only():
    """By hand: dh = 2h; dW = x.T @ (dh * (1 - h**2)); no dx."""
    g = tg.grad(layer, wrt="W")
    s = shape_of(g)
    assert s.fn.name == "dlayer_dW"
    assert {"dh", "dW"} <= set(s.assigned)
    assert "dx" not in s.assigned
    assert s.unused() == set()
    rng = np.random.RandomState(1)
    x, W = rng.randn(5, 3), rng.randn(3, 4)
    h = np.tanh(x @ W)
    np.testing.assert_allclose(g(x, W), x.T @ (2 * h * (1 - h ** 2)), rtol=1e-10)


def test_both_gradients_returned_as_tuple():
    s = shape_of(tg.grad(layer, wrt=(0, 1)))
    assert s.fn.name == "dlayer_dx_W"
    assert {"dx", "dW", "dh"} <= set(s.assigned)
    assert s.unused() == set()


# ---- forward and backward sweep, user's names kept --------------------------------

def gaussian_nll(mu, log_sigma, x):
    sigma = np.exp(log_sigma)
    return np.sum(0.5 * ((x - mu) / sigma) ** 2 + log_sigma + 0.5 * np.log(2 * np.pi))


def test_forward_then_backward_with_user_names():
    src = tg.grad(gaussian_nll, wrt=(0, 1)).source
    body = src[src.index("def dgaussian_nll"):]
    assert body.index("# forward") < body.index("sigma = np.exp(log_sigma)") < body.index("# backward")
    s = Shape(src, "dgaussian_nll_dmu_log_sigma")
    assert {"dmu", "dlog_sigma", "dsigma"} <= set(s.assigned)
    assert "dx" not in s.assigned
    assert s.unused() == set()
    assert_readable_names(s)


def test_constant_subexpression_gets_no_adjoint():
    """``0.5 * np.log(2 * np.pi)`` does not depend on mu: nothing in the backward sweep for it."""
    src = tg.grad(gaussian_nll).source
    backward = src[src.index("# backward"):]
    assert "np.pi" not in backward and "log(" not in backward


def test_reused_value_accumulates():
    """y used twice: two contributions to dy, written as dy = ...; dy = dy + ..."""
    def f(x):
        y = np.sin(x)
        return np.sum(y * y + y)
    s = shape_of(tg.grad(f))
    assert s.assigned.count("dy") >= 2
    assert s.unused() == set()


# ---- the source is a real, self-contained module ---------------------------------

def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_source_runs_on_its_own():
    g = tg.grad(sigmoid)
    ns = {}
    exec(compile(g.source, "<exported>", "exec"), ns)
    fn = ns["dsigmoid_dx"]
    s = sigmoid(0.7)
    assert fn(0.7) == pytest.approx(s * (1 - s), rel=1e-12)
    assert g.source.startswith("import numpy as np")


def test_source_includes_called_user_functions():
    def outer(v):
        return np.sum(sigmoid(v) * v)
    src = tg.grad(outer).source
    assert "def sigmoid_forward(" in src and "def sigmoid_backward(" in src and "def douter_dv" in src
    assert src.index("def sigmoid_forward") < src.index("def sigmoid_backward") < src.index("def douter_dv")


def test_generated_lines_show_in_tracebacks():
    def mismatch(x):
        return np.sum(x @ np.ones((3, 2)))
    g = tg.grad(mismatch)
    with pytest.raises(ValueError) as info:
        g(np.ones(2))
    frames = traceback.extract_tb(info.value.__traceback__)
    last = frames[-1]
    assert last.filename.startswith("<tangentish")
    assert "@" in last.line  # the generated line, read back through linecache
    assert linecache.getline(last.filename, last.lineno).strip() == last.line


def test_display_hooks():
    g = tg.grad(sigmoid)
    assert str(g) == g.source
    html = g._repr_html_()
    assert "dsigmoid_dx" in re.sub(r"<[^>]+>", "", html)

    class Printer:
        text_out = ""

        def text(self, s):
            self.text_out += s
    p = Printer()
    g._repr_pretty_(p, False)
    assert p.text_out == g.source
    assert "sigmoid" in repr(g)


# ---- no dead code, across every function of the broadcast tests ------------------

def _broadcast_cases():
    import test_broadcast as tb
    fns = tb.OPS + [tb.center_rows, tb.scale_cols, tb.max_keepdims, tb.where_scalar_branch,
                    tb.where_scalar_first, tb.normalize_by_sum, tb.softmax, tb.scalar_pow_array,
                    tb.gaussian_nll]
    return [(f, wrt) for f in fns for wrt in ([0, 1, (0, 1)] if f.__code__.co_argcount > 1 else [0])]


@pytest.mark.parametrize("f,wrt", _broadcast_cases(), ids=lambda v: getattr(v, "__name__", str(v)))
def test_no_dead_code_and_readable_names(f, wrt):
    s = shape_of(tg.grad(f, wrt=wrt))
    assert s.unused() == set()
    assert_readable_names(s)
    asked = [s.params[w] for w in (wrt if isinstance(wrt, tuple) else (wrt,))]
    assert {"d" + p for p in asked} == s.returned
    assert not {"d" + p for p in s.params if p not in asked} & set(s.assigned)


def test_square_by_product_is_one_contribution():
    # d/dx sum(c * c) with c = sin(x) is 2 c cos(x): one line, not the same term twice
    def f(x):
        c = np.sin(x)
        return np.sum(c * c)

    def loop(x):
        s = 0.0
        for _ in range(3):
            s = s + x * x
        return s
    g = tg.grad(f)
    lines = [line.strip() for line in g.source.splitlines()]
    assert "dc = 2 * dprod * c" in lines
    assert sum(line.startswith("dc =") for line in lines) == 1
    x = np.linspace(-1.0, 1.0, 5)
    np.testing.assert_allclose(g(x), 2 * np.sin(x) * np.cos(x), rtol=1e-12)
    gl = tg.grad(loop)
    assert sum(line.strip().startswith("dx = dx +") for line in gl.source.splitlines()) == 1
    assert gl(0.7) == pytest.approx(6 * 0.7)


@pytest.mark.skipif(not hasattr(ValueError(), "add_note"), reason="exception notes need Python 3.11+")
def test_errors_inside_generated_code_name_the_line_and_the_user_function():
    def mismatch(x):
        y = np.tanh(x)
        return np.sum(y @ np.ones((3, 2)))
    with pytest.raises(ValueError) as info:
        tg.grad(mismatch)(np.ones(2))
    (note,) = info.value.__notes__
    assert "`mismatch`" in note and __file__ in note
    assert "y @ " in note                       # the generated statement itself
    with pytest.raises(ValueError) as info:    # the same through forward mode
        tg.jvp(mismatch)(np.ones(2), np.ones(2))
    assert "`mismatch`" in info.value.__notes__[0]


def _closure(k):
    def helper(x):
        return np.sin(k * x)
    return helper


H1, H2 = _closure(2.0), _closure(3.0)


def two_helpers(x):
    return np.sum(H1(x) + H2(x))


def test_two_callees_of_the_same_name_are_both_defined_in_the_source():
    g = tg.grad(two_helpers)
    x = np.linspace(0.0, 1.0, 3)
    np.testing.assert_allclose(g(x), 2 * np.cos(2 * x) + 3 * np.cos(3 * x))   # by hand
    module = ast.parse(g.source)
    defined = {n.name for n in module.body if isinstance(n, ast.FunctionDef)}
    called = {n.func.id for n in ast.walk(module) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    halves = {c for c in called if c.startswith("helper_")}
    assert halves <= defined
    assert len({c for c in halves if "_forward" in c}) == 2 and len({c for c in halves if "_backward" in c}) == 2


def _shadowed_builtins(source, user_names):
    """Names the generated code assigns that are builtins the user did not assign themselves."""
    import ast
    import builtins
    stored = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return sorted(n for n in stored - set(user_names) if hasattr(builtins, n))


def _builtin_heavy(x, y):
    a = np.sum(np.abs(x)) + np.max(x) * np.min(y) + np.round(x[0]) + x[1] ** 3
    b = float(np.sum(y ** 2)) + len(x) * np.sum(x * y) + abs(x[0]) + max(x[2], y[2])
    return a + b + np.sum(np.maximum(x, y)) + x.sum() + y.max()


@pytest.mark.parametrize("make", [lambda: tg.grad(_builtin_heavy, wrt=(0, 1)), lambda: tg.jvp(_builtin_heavy, wrt=(0, 1)),
                                  lambda: tg.hvp(_builtin_heavy)], ids=["grad", "jvp", "hvp"])
def test_no_temporary_shadows_a_builtin(make):
    """`sum = np.sum(x)` would shadow the builtin in the code a student reads (and steps through)."""
    x, y = np.array([0.3, -1.2, 2.0]), np.array([1.1, 0.4, -0.7])
    d = make()
    assert _shadowed_builtins(d.source, user_names={"a", "b"}) == []


def test_renamed_temporaries_still_give_the_gradient():
    x, y = np.array([0.3, -1.2, 2.0]), np.array([1.1, 0.4, -0.7])
    gx, gy = tg.grad(_builtin_heavy, wrt=(0, 1))(x, y)
    eps = 1e-6
    for i in range(3):
        e = np.zeros(3)
        e[i] = eps
        fdx = (_builtin_heavy(x + e, y) - _builtin_heavy(x - e, y)) / (2 * eps)
        fdy = (_builtin_heavy(x, y + e) - _builtin_heavy(x, y - e)) / (2 * eps)
        assert abs(gx[i] - fdx) < 1e-5 * max(1.0, abs(fdx)), (i, gx[i], fdx)
        assert abs(gy[i] - fdy) < 1e-5 * max(1.0, abs(fdy)), (i, gy[i], fdy)
