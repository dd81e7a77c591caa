"""A seeded generator of small user-style NumPy programs, written as source text.

Used by ``test_stress_broadcast.py`` to differentiate random compositions of
binary operators, elementwise functions, reductions, matmul, transposes,
reshapes and indexing over operands whose shapes broadcast legally.  Each
expression's shape is found by running the same operation on arrays of ones,
so a program is only ever built from steps NumPy accepts.  Domains are kept
safe by construction (``log``/``sqrt``/``/``/``**`` only see positive values),
and non-smooth functions compare values that are almost never tied.
"""
import numpy as np

SHAPES = [None, (), (3,), (1, 3), (2, 1), (2, 3), (2, 1, 3)]   # None: a Python float


class Expr:
    """Source text plus the shape it evaluates to (None for a Python float)."""

    def __init__(self, src, shape, leaf=False):
        self.src, self.shape, self.leaf = src, shape, leaf

    @property
    def ones(self):
        return 1.0 if self.shape is None else np.ones(self.shape)


def _shape(fn, *exprs):
    """The result shape of ``fn`` on operands of the expressions' shapes, or None if illegal."""
    try:
        with np.errstate(all="ignore"):
            out = fn(*[e.ones for e in exprs])
    except (ValueError, IndexError, TypeError):
        return False
    return np.shape(out)


def positive(e):
    """An expression with the same shape whose values are positive (a safe base, divisor, log)."""
    return Expr(f"({e.src} * {e.src} + 0.5)", e.shape)


class Generator:
    def __init__(self, rng, nargs, depth=3):
        self.rng = rng
        self.depth = depth
        self.args = [Expr(f"x{i}", SHAPES[rng.integers(len(SHAPES))], leaf=True) for i in range(nargs)]

    def pick(self, items):
        return items[self.rng.integers(len(items))]

    def leaf(self):
        if self.rng.random() < 0.12:
            return Expr(repr(round(float(self.rng.uniform(-1.5, 1.5)), 2)), None)
        return self.pick(self.args)

    def expr(self, depth, top=False):
        if depth <= 0 or (not top and self.rng.random() < 0.2):
            return self.leaf()
        for _ in range(20):   # retry until a legal step is drawn
            kind = self.pick(["binary"] * 5 + ["unary"] * 3 + ["reduce", "matmul", "shape", "index"] * 1)
            e = getattr(self, kind)(depth - 1)
            if e is not None:
                return e
        return self.leaf()

    def binary(self, depth):
        a, b = self.expr(depth), self.expr(depth)
        op = self.pick(["+", "-", "*", "/", "**", "maximum", "minimum", "where", "pow_const"])
        if op in ("+", "-", "*"):
            shape = _shape(lambda x, y: x * y, a, b)
            return None if shape is False else Expr(f"({a.src} {op} {b.src})", _py(shape, a, b))
        if op == "/":
            b = positive(b)
            shape = _shape(lambda x, y: x * y, a, b)
            return None if shape is False else Expr(f"({a.src} / {b.src})", _py(shape, a, b))
        if op == "**":
            a = positive(a)
            b = Expr(f"np.tanh({b.src})", b.shape)   # keep exponents in (-1, 1): no overflow
            shape = _shape(lambda x, y: x * y, a, b)
            return None if shape is False else Expr(f"({a.src} ** {b.src})", _py(shape, a, b))
        if op == "pow_const":
            k = self.pick(["2", "3", "2.0", "0.5", "-1.0"])
            if k in ("0.5", "-1.0"):
                a = positive(a)
            return Expr(f"({a.src} ** {k})", a.shape)
        if a.src == b.src:
            return None   # max(x, x) / where(x > x, ...) sit on a tie
        shape = _shape(lambda x, y: x * y, a, b)
        if shape is False:
            return None
        if op == "where":
            c = self.pick(["{a} > {b}", "{a} > 0", "{b} < 0.2"]).format(a=a.src, b=b.src)
            return Expr(f"np.where({c}, {a.src}, {b.src})", shape)
        return Expr(f"np.{op}({a.src}, {b.src})", _py(shape, a, b))

    def unary(self, depth):
        a = self.expr(depth)
        f = self.pick(["neg", "exp", "log", "tanh", "sin", "sqrt", "abs", "clip", "square", "cos", "log1p",
                       "cumsum"])
        if f == "neg":
            return Expr(f"(-{a.src})", a.shape)
        if f == "exp":
            return Expr(f"np.exp(np.tanh({a.src}))" if not a.leaf else f"np.exp({a.src})", _arr(a))
        if f in ("log", "sqrt"):
            return Expr(f"np.{f}({positive(a).src})", _arr(a))
        if f == "clip":
            return Expr(f"np.clip({a.src}, -0.6, 0.7)", _arr(a))
        if f == "log1p":
            return Expr(f"np.log1p({positive(a).src})", _arr(a))
        if f == "cumsum":
            return Expr(f"np.cumsum({a.src}, axis=-1)", a.shape) if a.shape else None
        return Expr(f"np.{f}({a.src})", _arr(a))

    def reduce(self, depth):
        a = self.expr(depth)
        if not a.shape:
            return None
        f = self.pick(["sum", "mean", "max", "var", "std"])
        axis = self.pick([None] + list(range(-len(a.shape), len(a.shape))))
        keep = bool(self.rng.integers(2))
        kw = ("" if axis is None else f", axis={axis}") + (", keepdims=True" if keep else "")
        shape = np.shape(getattr(np, f)(a.ones, axis=axis, keepdims=keep))
        if f == "std":   # sqrt of a variance that may be 0 (one element): keep it away from the kink
            return Expr(f"np.sqrt(np.var({a.src}{kw}) + 0.5)", shape)
        if self.rng.random() < 0.3 and f != "max":
            call = f"{a.src}.{f}({kw[2:]})"   # the method spelling
        else:
            call = f"np.{f}({a.src}{kw})"
        return Expr(call, shape)

    def matmul(self, depth):
        a, b = self.expr(depth), self.expr(depth)
        if not a.shape or not b.shape:
            return None
        for bsrc, bshape in ((b.src, b.shape), (f"{b.src}.T", b.shape[::-1])):
            if len(bshape) > 2:
                continue
            shape = _shape(np.matmul, a, Expr(bsrc, bshape))
            if shape is not False:
                return Expr(f"({a.src} @ {bsrc})", shape)
        return None

    def shape(self, depth):
        a = self.expr(depth)
        if not a.shape:
            return None
        n = int(np.prod(a.shape))
        options = [("reshape(-1)", (n,))]
        if len(a.shape) == 2:
            options.append(("T", a.shape[::-1]))
        if n == 6:
            options += [("reshape(3, 2)", (3, 2)), ("reshape((2, 3))", (2, 3))]
        if n == 3:
            options.append(("reshape(1, 3)", (1, 3)))
        options += [("[:, None]", a.shape[:1] + (1,) + a.shape[1:]), ("[None]", (1,) + a.shape)]
        attr, shape = self.pick(options)
        if attr.startswith("["):
            return Expr(f"{a.src}{attr}", shape)
        if self.rng.random() < 0.25:   # join with another expression of the same shape
            b = self.expr(depth)
            if b.shape == a.shape:
                if self.rng.random() < 0.5:
                    return Expr(f"np.stack([{a.src}, {b.src}])", (2,) + a.shape)
                return Expr(f"np.concatenate([{a.src}, {b.src}], axis=-1)", a.shape[:-1] + (2 * a.shape[-1],))
        if self.rng.random() < 0.2 and a.shape != (2, 3) and _shape(lambda x: np.broadcast_to(x, (2, 3)), a):
            return Expr(f"np.broadcast_to({a.src}, (2, 3))", (2, 3))
        return Expr(f"{a.src}.{attr}", shape)

    def index(self, depth):
        a = self.expr(depth)
        if not a.shape:
            return None
        options = ["[0]", "[-1]", "[..., 0]", "[1:]", "[::-1]"]
        if len(a.shape) >= 2:
            options += ["[:, 0]", "[0, :]", "[:, -1:]"]
        idx = self.pick(options)
        try:
            shape = np.shape(eval(f"v{idx}", {"v": a.ones}))
        except IndexError:
            return None
        if 0 in shape:
            return None
        return Expr(f"{a.src}{idx}", shape)

    def program(self, name):
        """Source of ``def name(x0, ...)``: a few statements reduced to a scalar at the end."""
        lines = [f"def {name}({', '.join(a.src for a in self.args)}):"]
        nstmt = int(self.rng.integers(1, 4))
        for k in range(nstmt):
            e = self.expr(self.depth, top=True)
            lines.append(f"    h{k} = {e.src}")
            h = Expr(f"h{k}", e.shape, leaf=True)
            if self.rng.random() < 0.3 and not e.src.startswith("np.broadcast_to("):   # read-only view
                # an augmented update: the right side broadcasts into h
                u = self.expr(self.depth - 1)
                if u.src != h.src and _shape(lambda x, y: x * y, h, u) == np.shape(h.ones):
                    op = self.pick(["+", "-", "*"])
                    lines.append(f"    h{k} {op}= {u.src}" if h.shape else f"    h{k} = h{k} {op} {u.src}")
                    h.shape = _py(h.shape, h, u)
            self.args.append(h)   # later statements may reuse it
        final = self.pick(["np.sum({})", "np.mean({})", "np.sum({} * {})"])
        used = " + ".join(final.format(f"h{k}", f"h{k}") for k in range(nstmt))
        lines.append(f"    return {used}")
        return "\n".join(lines) + "\n"


def _py(shape, *operands):
    """Python floats combine to a Python float; anything with an array stays an array."""
    return None if all(o.shape is None for o in operands) else shape


def _arr(a):
    """np.exp of a Python float is a NumPy scalar, shape ()."""
    return () if a.shape is None else a.shape


def draw_value(shape, rng, dtype=np.float64):
    if shape is None:
        return float(rng.uniform(-1.2, 1.2))
    v = rng.uniform(-1.2, 1.2, size=shape).astype(dtype)
    return np.asarray(v)


# ---- programs with control flow, helpers, containers and random draws ----------------
#
# ``FlowProgram`` builds a module: a seeded ``rs = np.random.RandomState(0)``, the helpers
# the program uses, and ``def f(...)``.  Each block of ``f`` is drawn from a feature
# (a name in ``FEATURES``); the program's ``flags`` say which features it holds so a
# test can tell which construct a failure belongs to.  Shapes are tracked as in
# ``Generator`` and the whole program is run once on its arguments before it is kept,
# so only programs NumPy runs (with finite values) are ever returned.

FEATURES = ("loop_carry", "carried_return", "branch", "break", "continue", "nested_break",
            "return_in_loop", "while", "unpack", "helper", "helper_nested", "helper_loop",
            "container_list", "container_tuple", "container_dict", "container_nested",
            "container_keyword", "random", "random_nested", "nested_def", "nested_def_value",
            "loop_in_branch", "branch_in_loop", "zero_trip", "helper_control", "for_rows", "aug_loop")

HELPERS = {
    "h_mul": "def h_mul(u, v):\n    return u * np.sin(v) + 0.5 * u\n",
    "h_two": "def h_two(u, v):\n    w = h_mul(u, v)\n    return w * np.cos(u)\n",
    "h_loop": ("def h_loop(u):\n    acc = 0.0\n    for k in range(2):\n"
               "        acc = np.tanh(u + 0.5 * acc)\n    return acc\n"),
    "h_pair": "def h_pair(u):\n    return u * 2.0, np.sin(u)\n",
    "h_branch": ("def h_branch(u, c):\n    if c > 0:\n        return u * np.cos(u)\n"
                 "    return np.sin(u) - u\n"),
    "h_total": "def h_total(seq):\n    return seq[0] * seq[1] + seq[0]\n",
    "h_dict": "def h_dict(d):\n    return d['a'] * np.cos(d['b'])\n",
    "h_nested": "def h_nested(p):\n    return p[0][0] * p[0][1] + np.sin(p[1])\n",
    "h_control": ("def h_control(u):\n    acc = u\n    for k in range(3):\n        if np.sum(acc) > 1.5:\n"
                  "            return acc * 0.5\n        if k == 1:\n            continue\n"
                  "        acc = acc * 1.3 + 0.2\n    return acc\n"),
    "h_noisy": "def h_noisy(w):\n    return w * rs.uniform(0.5, 1.5)\n",
    "h_noisy2": "def h_noisy2(w):\n    n = h_noisy(w)\n    return n + np.sin(w) * rs.uniform(-1.0, 1.0)\n",
}
HELPER_NEEDS = {"h_two": ["h_mul"], "h_noisy2": ["h_noisy"]}


class FlowProgram:
    """One random program with control flow; ``source`` is a whole module defining ``f``."""

    def __init__(self, rng, nargs=None):
        self.rng = rng
        nargs = nargs or int(rng.integers(1, 4))
        shapes = [None, (), (3,), (3,), (2, 3)]
        self.gen = Generator(rng, nargs, depth=2)
        for a in self.gen.args:
            a.shape = shapes[rng.integers(len(shapes))]
        self.params = [a.src for a in self.gen.args]
        self.arg_shapes = [a.shape for a in self.gen.args]
        self.flags = set()
        self.helpers = []
        self.lines = []
        self.k = 0
        self.locals_ok = True   # a later block may read earlier results

    # -- small pieces ------------------------------------------------------------------
    def pick(self, items):
        return items[self.rng.integers(len(items))]

    def e(self, depth=1):
        return self.gen.expr(depth, top=True)

    def new(self):
        self.k += 1
        return f"h{self.k}"

    def use(self, helper):
        for dep in HELPER_NEEDS.get(helper, []):
            self.use(dep)
        if helper not in self.helpers:
            self.helpers.append(helper)

    def vector(self):
        """An argument of shape (3,) (for ``x[t]`` in a loop over range(3)), or None."""
        vs = [a for a in self.gen.args[:len(self.params)] if a.shape == (3,)]
        return self.pick(vs).src if vs else None

    def cond(self, a):
        """A test on a value: almost never tied at the drawn point."""
        return self.pick([f"np.sum({a}) > 0.1", f"np.mean({a}) < 0.3", f"np.max({a}) > -0.2"]) \
            if a else "True"

    def done(self, name, shape, ind="    "):
        self.gen.args.append(Expr(name, shape, leaf=True))

    def emit(self, *lines, ind="    "):
        self.lines.extend(ind + l for l in lines)

    # -- blocks --------------------------------------------------------------------------
    def block(self, feature):
        getattr(self, "b_" + feature)(feature)

    def _update(self, h, e):
        return self.pick([f"np.tanh(0.7 * {h} + {e})", f"{h} * 0.8 + np.sin({e})",
                          f"{h} + {e} * 0.3", f"np.cos({h}) * {e}"])

    def b_loop_carry(self, feature, ret=False):
        self.flags.add(feature)
        h, e = self.new(), self.e()
        v = self.vector()
        term = f"{e.src} * {v}[t]" if v and self.rng.random() < 0.6 else e.src
        n = 3 if v else int(self.rng.integers(1, 4))
        if self.rng.random() < 0.3:
            self.use("h_mul")
            upd = f"h_mul({h}, {term}) + {term}"
            self.flags.add("helper")
        else:
            upd = self._update(h, term)
        self.emit(f"{h} = 0.0", f"for t in range({n}):", f"    {h} = {upd}")
        self.done(h, _arr(e))
        return h

    def b_carried_return(self, feature):
        return self.b_loop_carry(feature)

    def b_branch(self, feature):
        self.flags.add(feature)
        h, a, b = self.new(), self.e(), self.e()
        c = self.cond(self.pick(self.gen.args).src)
        if self.rng.random() < 0.5:
            self.emit(f"if {c}:", f"    {h} = {a.src}", "else:", f"    {h} = {b.src}")
            shape = _shape(lambda x, y: x * y, a, b)
            shape = () if shape is False else shape
        else:   # a branch that only sometimes rebinds
            self.emit(f"{h} = {a.src}", f"if {c}:", f"    {h} = {h} * 0.5 + np.sin({h})")
            shape = _arr(a)
        self.done(h, shape)

    def _loop_with(self, feature, kw):
        self.flags.add(feature)
        h, e = self.new(), self.e()
        v = self.vector()
        term = f"{e.src} * {v}[t]" if v else e.src
        threshold = round(float(self.rng.uniform(-1, 1)), 2)
        test = self.pick([f"t == {int(self.rng.integers(0, 3))}", f"np.sum({h}) > {threshold}"])
        self.emit(f"{h} = 0.0", f"for t in range(3):")
        if self.rng.random() < 0.5:
            self.emit(f"    if {test}:", f"        {kw}", f"    {h} = {self._update(h, term)}")
        else:
            self.emit(f"    {h} = {self._update(h, term)}", f"    if {test}:", f"        {kw}",
                      f"    {h} = {h} * 0.9")
        self.done(h, _arr(e))

    def b_break(self, feature):
        self._loop_with(feature, "break")

    def b_continue(self, feature):
        self._loop_with(feature, "continue")

    def b_nested_break(self, feature):
        self.flags.add(feature)
        h, e = self.new(), self.e()
        kw = self.pick(["break", "continue"])
        test = self.pick(["j > i", "j == 1", f"np.sum({h}) > 0.5"])
        self.emit(f"{h} = 0.0", "for i in range(3):")
        if self.rng.random() < 0.5:   # an exit of the outer loop before the inner one
            outer = self.pick(["break", "continue"])
            self.emit(f"    if {self.pick(['i == 2', 'i == 1', f'np.sum({h}) > 1.0'])}:", f"        {outer}")
        self.emit("    for j in range(3):",
                  f"        if {test}:", f"            {kw}", f"        {h} = {self._update(h, e.src)}")
        if self.rng.random() < 0.6:
            self.emit(f"    {h} = {h} * 0.9 + 0.1")
        self.done(h, _arr(e))

    def b_return_in_loop(self, feature):
        self.flags.add(feature)
        h, e = self.new(), self.e()
        test = self.pick(["t == 1", f"np.sum({h}) > 0.4"])
        self.emit(f"{h} = 0.0", "for t in range(3):", f"    {h} = {self._update(h, e.src)}",
                  f"    if {test}:", f"        return np.sum({h}) * 2.0")
        self.done(h, _arr(e))

    def b_while(self, feature):
        self.flags.add(feature)
        h, e = self.new(), self.e()
        if self.rng.random() < 0.5:
            self.emit(f"{h} = 0.0", "t = 0", "while t < 3:", f"    {h} = {self._update(h, e.src)}",
                      "    t = t + 1")
        else:
            self.emit(f"{h} = 0.0", "t = 0", f"while np.sum({h}) < 1.0 and t < 4:",
                      f"    {h} = {h} + np.exp(np.tanh({e.src})) * 0.4", "    t = t + 1")
        self.done(h, _arr(e))

    def b_unpack(self, feature):
        self.flags.add(feature)
        a, b = self.new(), self.new()
        e1 = self.e()
        if self.rng.random() < 0.5:
            self.use("h_pair")
            self.flags.add("helper")
            self.emit(f"{a}, {b} = h_pair({e1.src})")
            self.done(a, e1.shape)
            self.done(b, _arr(e1))
        else:
            e2 = self.e()
            self.emit(f"{a}, {b} = {e1.src}, {e2.src}")
            if self.rng.random() < 0.5:
                self.emit(f"{a}, {b} = {b}, {a}")   # a swap
                e1, e2 = e2, e1
            self.done(a, e1.shape)
            self.done(b, e2.shape)

    def b_helper(self, feature):
        self.flags.add(feature)
        h, a, b = self.new(), self.e(), self.e()
        which = self.pick(["h_mul", "h_branch"])
        self.use(which)
        if which == "h_branch":
            self.emit(f"{h} = h_branch({a.src}, {self.pick(['1.0', '-1.0', 'np.sum(' + b.src + ')'])})")
            self.done(h, _arr(a))
        else:
            shape = _shape(lambda x, y: x * y, a, b)
            if shape is False:
                b = a
                shape = _arr(a)
            self.emit(f"{h} = h_mul({a.src}, {b.src})")
            self.done(h, _py(shape, a, b))

    def b_helper_nested(self, feature):
        self.flags.add(feature)
        h, a = self.new(), self.e()
        self.use("h_two")
        self.emit(f"{h} = h_two({a.src}, {a.src} * 0.5 + 0.1)")
        self.done(h, _arr(a))

    def b_helper_loop(self, feature):
        self.flags.add(feature)
        h, a = self.new(), self.e()
        self.use("h_loop")
        self.emit(f"{h} = h_loop({a.src})")
        self.done(h, _arr(a))

    def _pair(self):
        a, b = self.e(), self.e()
        if _shape(lambda x, y: x * y, a, b) is False:
            b = Expr(f"np.sin({a.src})", _arr(a))
        return a, b

    def b_container_list(self, feature):
        self.flags.add(feature)
        h, (a, b) = self.new(), self._pair()
        self.use("h_total")
        self.emit(f"{h} = h_total([{a.src}, {b.src}])")
        self.done(h, _shape(lambda x, y: x * y, a, b) or ())

    def b_container_tuple(self, feature):
        self.flags.add(feature)
        h, (a, b) = self.new(), self._pair()
        self.use("h_total")
        self.emit(f"{h} = h_total(({a.src}, {b.src}))")
        self.done(h, _shape(lambda x, y: x * y, a, b) or ())

    def b_container_keyword(self, feature):
        self.flags.add(feature)
        h, (a, b) = self.new(), self._pair()
        self.use("h_total")
        self.emit(f"{h} = h_total(seq=[{a.src}, {b.src}])")
        self.done(h, _shape(lambda x, y: x * y, a, b) or ())

    def b_container_dict(self, feature):
        self.flags.add(feature)
        h, (a, b) = self.new(), self._pair()
        self.use("h_dict")
        self.emit(f"{h} = h_dict({{'a': {a.src}, 'b': {b.src}}})")
        self.done(h, _shape(lambda x, y: x * y, a, b) or ())

    def b_container_nested(self, feature):
        self.flags.add(feature)
        h, (a, b) = self.new(), self._pair()
        c = self.e()
        self.use("h_nested")
        self.emit(f"{h} = h_nested([({a.src}, {b.src}), {c.src}])")
        self.done(h, ())

    def b_random(self, feature):
        self.flags.add(feature)
        h, a = self.new(), self.e()
        self.use("h_noisy")
        self.emit(f"{h} = h_noisy({a.src})")
        self.done(h, a.shape)

    def b_random_nested(self, feature):
        self.flags.add(feature)
        h, a = self.new(), self.e()
        self.use("h_noisy2")
        if self.rng.random() < 0.5:
            self.emit(f"{h} = 0.0", "for t in range(2):", f"    {h} = {h} + h_noisy2({a.src})")
        else:
            self.emit(f"{h} = h_noisy2({a.src})")
        self.done(h, _arr(a))

    def b_nested_def(self, feature):
        self.flags.add(feature)
        h, a = self.new(), self.e()
        outer = self.pick(self.gen.args).src
        name = f"inner{self.k}"
        self.emit(f"def {name}(u):", f"    return u * np.tanh({outer}) + np.sin(u)")
        self.emit(f"{h} = {name}({a.src})")
        self.done(h, ())

    def b_nested_def_value(self, feature):
        self.flags.add(feature)
        h, a = self.new(), self.e()
        name = f"inner{self.k}"
        self.nested_value_name = name
        self.emit(f"def {name}(u):", "    return u * 2.0 + np.sin(u)")
        if self.rng.random() < 0.5:
            self.emit(f"fs = [{name}]", f"{h} = fs[0]({a.src})")
        else:
            self.emit(f"op = {name}", f"{h} = op({a.src})")
        self.done(h, _arr(a))

    def b_loop_in_branch(self, feature):
        self.flags.add(feature)
        h, e = self.new(), self.e()
        c = self.cond(self.pick(self.gen.args).src)
        self.emit(f"{h} = {e.src}", f"if {c}:", "    for t in range(2):",
                  f"        {h} = {self._update(h, e.src)}")
        if self.rng.random() < 0.5:
            self.emit("else:", f"    {h} = {h} * 1.5")
        self.done(h, _arr(e))

    def b_branch_in_loop(self, feature):
        self.flags.add(feature)
        h, e = self.new(), self.e()
        tmp = f"tmp{self.k}"
        test = self.pick(["t == 1", "t > 0", f"np.sum({h}) > 0.3"])
        self.emit(f"{h} = {e.src} * 0.5", "for t in range(3):", f"    if {test}:",
                  f"        {tmp} = np.sin({h})", f"        {h} = {h} + {tmp} * 0.5")
        if self.rng.random() < 0.5:
            self.emit("    else:", f"        {h} = {self._update(h, e.src)}")
        self.done(h, _arr(e))

    def b_zero_trip(self, feature):
        self.flags.add(feature)
        h, e = self.new(), self.e()
        if self.rng.random() < 0.5:
            self.emit(f"{h} = {e.src}", f"for t in range({self.pick(['0', '1'])}):",
                      f"    {h} = {self._update(h, e.src)}")
        else:
            self.emit(f"{h} = {e.src}", "t = 0", f"while t < {self.pick(['0', '1'])}:",
                      f"    {h} = {self._update(h, e.src)}", "    t = t + 1")
        self.done(h, _arr(e))

    def b_helper_control(self, feature):
        self.flags.add(feature)
        h, a = self.new(), self.e()
        self.use("h_control")
        self.emit(f"{h} = h_control({a.src})")
        self.done(h, _arr(a))

    def b_for_rows(self, feature):
        self.flags.add(feature)
        h = self.new()
        mats = [a for a in self.gen.args[:len(self.params)] if a.shape == (2, 3)]
        vecs = [a for a in self.gen.args[:len(self.params)] if a.shape == (3,)]
        if mats:
            m = self.pick(mats).src
            self.emit(f"{h} = 0.0", f"for i, row in enumerate({m}):",
                      f"    {h} = {h} + np.sum(np.sin(row) * (i + 1.0))")
        elif vecs:
            v = self.pick(vecs).src
            self.emit(f"{h} = 0.0", f"for a, b in zip({v}, {v}[::-1]):", f"    {h} = {h} + a * np.cos(b)")
        else:
            e = self.e()
            self.emit(f"{h} = 0.0", "for c in [0.5, 1.0, 2.0]:",
                      f"    {h} = {h} + np.sum(np.tanh(c * {e.src}))")
        self.done(h, ())

    def b_aug_loop(self, feature):
        self.flags.add(feature)
        h, e = self.new(), self.e()
        op = self.pick(['+', '-', '*'])
        self.emit(f"{h} = {e.src} * 1.0", "for t in range(3):", f"    {h} {op}= np.tanh({e.src}) * 0.5")
        self.done(h, _arr(e))

    # -- the whole program ----------------------------------------------------------------
    def build(self, features):
        for feat in features:
            self.block(feat)
        outs = [a for a in self.gen.args[len(self.params):]]
        last = outs[-1]
        if "carried_return" in self.flags and not self.flags & {"return_in_loop"}:
            # the loop-carried result itself is returned (a scalar: np.sum of the others joins it)
            others = " + ".join(f"np.sum({o.src})" for o in outs[:-1])
            if last.shape in (None, ()) and not others:
                self.emit(f"return {last.src}")
            else:
                self.emit(f"{last.src} = np.sum({last.src})" + (f" + {others}" if others else ""),
                          f"return {last.src}")
        else:
            self.emit("return " + " + ".join(f"np.sum({o.src})" for o in outs))
        head = f"def f({', '.join(self.params)}):"
        helpers = "\n\n".join(HELPERS[h] for h in self.helpers)
        return "rs = np.random.RandomState(0)\n\n\n" + (helpers + "\n\n" if helpers else "") + \
            head + "\n" + "\n".join(self.lines) + "\n"


def flow_program(seed, features=None):
    """``(source, flags, arg_shapes)`` of program ``seed``: 1 to 3 blocks of random features."""
    rng = np.random.default_rng(seed)
    p = FlowProgram(rng)
    if features is None:
        n = int(rng.integers(1, 4))
        features = [FEATURES[i] for i in rng.integers(len(FEATURES), size=n)]
    source = p.build(features)
    return source, p.flags, p.arg_shapes, getattr(p, "nested_value_name", None)
