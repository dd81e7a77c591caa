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
