"""Custom primitives and rules: @primitive, @adjoint, @tangent, third-party functions."""
import linecache
import tempfile
from pathlib import Path

import numpy as np
import pytest
import scipy.special
from fd_reference import fd_directional, fd_jacobian

import tangentish as tg
from tangentish import registry

rng = np.random.RandomState(3)


@pytest.fixture(autouse=True)
def restore_registry():
    """Rules are global: put the tables back as they were after each test."""
    from tangentish.templates import load_builtin
    load_builtin()
    saved = (dict(registry.REVERSE), dict(registry.FORWARD), set(registry.LINEAR),
             set(registry.NONDIFF), set(registry.PRIMITIVES))
    yield
    for table, old in zip((registry.REVERSE, registry.FORWARD, registry.LINEAR, registry.NONDIFF,
                           registry.PRIMITIVES), saved):
        table.clear()
        table.update(old)


def stable_lse(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def make_lse(spelling="+="):
    @tg.primitive
    def my_lse(x):
        return stable_lse(x)

    if spelling == "+=":
        @tg.adjoint(my_lse)
        def my_lse_adjoint(result, x):
            d[x] += d[result] * np.exp(x - result)  # noqa: F821

        @tg.tangent(my_lse)
        def my_lse_tangent(result, x):
            t[result] += np.sum(t[x] * np.exp(x - result))  # noqa: F821
    else:
        @tg.adjoint(my_lse)
        def my_lse_adjoint(result, x):
            d[x] = d[result] * np.exp(x - result)  # noqa: F821

        @tg.tangent(my_lse)
        def my_lse_tangent(result, x):
            t[result] = np.sum(t[x] * np.exp(x - result))  # noqa: F821
    return my_lse


@pytest.mark.parametrize("spelling", ["+=", "="])
def test_user_rules_are_used_in_both_modes_and_named_in_source(spelling):
    my_lse = make_lse(spelling)

    def use(x):
        return my_lse(x) * 2.0

    x, v = rng.randn(5), rng.randn(5)
    softmax = np.exp(x - stable_lse(x))
    np.testing.assert_allclose(tg.grad(use)(x), 2 * softmax, rtol=1e-12)
    np.testing.assert_allclose(tg.jvp(use)(x, v)[1], 2 * softmax @ v, rtol=1e-12)
    assert "# my_lse_adjoint\n" in tg.grad(use).source
    assert "# my_lse_tangent\n" in tg.jvp(use).source
    # the primitive is called, not inlined: the transformer stopped at it
    assert "my_lse(x)" in tg.grad(use).source and "np.max" not in tg.grad(use).source


def test_user_rules_are_differentiable_again():
    """hessian = forward over the reverse code, which contains the user's adjoint lines."""
    my_lse = make_lse()

    def use(x):
        return my_lse(x)

    x = rng.randn(4)
    p = np.exp(x - stable_lse(x))
    np.testing.assert_allclose(tg.hessian(use)(x), np.diag(p) - np.outer(p, p), atol=1e-12)


def test_rule_for_third_party_function():
    @tg.adjoint(scipy.special.log_ndtr)
    def log_ndtr_adjoint(y, x):
        d[x] += d[y] * np.exp(-0.5 * x * x - y) / np.sqrt(2 * np.pi)  # noqa: F821

    @tg.tangent(scipy.special.log_ndtr)
    def log_ndtr_tangent(y, x):
        t[y] += t[x] * np.exp(-0.5 * x * x - y) / np.sqrt(2 * np.pi)  # noqa: F821

    def f(x):
        return np.sum(scipy.special.log_ndtr(x) * x)

    x, v = rng.randn(4), rng.randn(4)
    np.testing.assert_allclose(tg.grad(f)(x), fd_jacobian(f, x), rtol=1e-6)
    np.testing.assert_allclose(tg.jvp(f)(x, v)[1], fd_directional(f, x, v), rtol=1e-6)
    assert "log_ndtr_adjoint" in tg.grad(f).source


def test_user_rule_overrides_builtin():
    def f(x):
        return np.sum(np.exp(x))

    @tg.adjoint(np.exp)
    def exp_times_two(y, x):
        d[x] += d[y] * y * 2.0  # noqa: F821

    x = rng.randn(3)
    np.testing.assert_allclose(tg.grad(f)(x), 2 * np.exp(x))


def test_custom_adjoint_with_wrong_shape_is_a_clear_error():
    @tg.primitive
    def total(x):
        return np.sum(x)

    @tg.adjoint(total)
    def total_adjoint(result, x):
        d[x] += d[result]  # noqa: F821 - forgot to spread over x's shape

    def f(x):
        return total(x) * 3.0

    with pytest.raises(tg.GradientShapeError, match=r"`total_adjoint` gave a result of shape \(\)"):
        tg.grad(f)(np.ones(3))


def test_custom_tangent_with_wrong_shape_is_a_clear_error():
    @tg.primitive
    def total(x):
        return np.sum(x)

    @tg.tangent(total)
    def total_tangent(result, x):
        t[result] += t[x]  # noqa: F821 - forgot to sum

    def f(x):
        return total(x)

    with pytest.raises(tg.GradientShapeError, match="total_tangent"):
        tg.jvp(f)(np.ones(3), np.ones(3))


def test_primitive_without_rules_says_what_to_register():
    @tg.primitive
    def opaque(x):
        return x * 2

    def f(x):
        return np.sum(opaque(x))

    with pytest.raises(tg.TransformError, match="no reverse-mode rule"):
        tg.grad(f)(np.ones(2))
    with pytest.raises(tg.TransformError, match=r"tangentish.tangent"):
        tg.jvp(f)(np.ones(2), np.ones(2))


def test_primitive_with_only_an_adjoint_points_forward_mode_to_reverse():
    @tg.primitive
    def doubled(x):
        return x * 2

    @tg.adjoint(doubled)
    def doubled_adjoint(y, x):
        d[x] += 2 * d[y]  # noqa: F821

    def f(x):
        return np.sum(doubled(x))

    np.testing.assert_allclose(tg.grad(f)(np.ones(2)), [2.0, 2.0])
    with pytest.raises(tg.TransformError, match="use reverse mode"):
        tg.jvp(f)(np.ones(2), np.ones(2))


def test_user_rule_registered_before_templates_load_survives_loading(tmp_path):
    """The built-in files load lazily, at the first transform; they must not replace user rules."""
    import subprocess
    import sys
    from pathlib import Path
    script = tmp_path / "user_exp.py"
    script.write_text(
        "import numpy as np\n"
        "import tangentish as tg\n"
        "@tg.adjoint(np.exp)\n"
        "def exp_times_two(y, x):\n"
        "    d[x] += d[y] * y * 2.0\n"
        "def f(x):\n"
        "    return np.exp(x)\n"
        "print(tg.grad(f)(0.0))\n")
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env={"PYTHONPATH": str(root), "PATH": ""}, check=True)
    assert out.stdout.strip() == "2.0"


def test_rule_results_for_container_values_are_checked_leaf_by_leaf():
    """A primitive may take a list; its rule's result must match it leaf by leaf."""
    from tangentish.runtime import checked_like
    good = [np.ones(3), np.ones((2, 2))]
    assert checked_like(good, [np.zeros(3), np.zeros((2, 2))], "r") is good
    with pytest.raises(tg.GradientShapeError, match=r"`r` gave a result of shape \(2,\).*shape \(2, 2\)"):
        checked_like([np.ones(3), np.ones(2)], [np.zeros(3), np.zeros((2, 2))], "r")
    with pytest.raises(tg.GradientShapeError, match="a list of 2"):
        checked_like(np.ones(3), [np.zeros(3), np.zeros((2, 2))], "r")


def test_minus_equals_in_a_rule_subtracts_and_other_operators_are_refused():
    """`d[x] -= e` was read as `d[x] += e` (a silent sign flip); now it subtracts, and
    `*=`, `/=` or a second `=` for the same operand are refused, not read as `+=`."""
    @tg.primitive
    def neg_cube(x):
        return -np.sum(x ** 3)

    @tg.adjoint(neg_cube)
    def neg_cube_adjoint(result, x):
        d[x] -= d[result] * 3 * x ** 2  # noqa: F821

    @tg.tangent(neg_cube)
    def neg_cube_tangent(result, x):
        t[result] -= np.sum(t[x] * 3 * x ** 2)  # noqa: F821

    def f(x):
        return neg_cube(x) * 2.0

    x, v = rng.randn(4), rng.randn(4)
    np.testing.assert_allclose(tg.grad(f)(x), -6 * x ** 2, rtol=1e-12)           # by hand
    np.testing.assert_allclose(tg.jvp(f)(x, v)[1], fd_directional(f, x, v), rtol=1e-6)

    for body in ("d[x] *= d[result] * 3 * x ** 2", "d[x] /= d[result]",
                 "d[x] = d[result] * x\n    d[x] = d[result] * x"):
        namespace = {"np": np, "d": registry.d}

        @tg.primitive
        def cube(x):
            return np.sum(x ** 3)

        source = f"def cube_adjoint(result, x):\n    {body}\n"
        path = Path(tempfile.mkdtemp()) / "rule_under_test.py"
        path.write_text(source)
        code = compile(source, str(path), "exec")
        linecache.checkcache(str(path))
        exec(code, namespace)
        tg.adjoint(cube)(namespace["cube_adjoint"])

        def g(x):
            return cube(x)

        with pytest.raises(tg.TransformError, match="unsupported template statement"):
            tg.grad(g)(x)
