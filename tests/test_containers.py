"""Dict, list, tuple and namedtuple arguments get gradients of the same structure."""
from collections import namedtuple

import numpy as np
import pytest
from fdcheck import check

import tangentish as tg

rng = np.random.default_rng(3)
X = rng.normal(size=(6, 3))
Y = rng.normal(size=6)
PARAMS = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4),
          "W2": rng.normal(size=(4,)), "b2": 0.3}
Layer = namedtuple("Layer", ["W", "b"])


def mlp(params, X, y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.mean((out - y) ** 2)


def dict_unused_key(params):
    return np.sum(params["W1"] ** 2)


def dict_len(params):
    return np.sum(params["b1"]) * len(params)


def list_of_layers(weights, biases, x):
    h = x
    for W, b in zip(weights, biases):
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2)


def list_indexing(ws):
    return np.sum(ws[0] * ws[1]) + np.sum(ws[-1])


def tuple_param(pair):
    a, b = pair
    return np.sum(a * b)


def nested_structure(p):
    return np.sum(p["layers"][0] ** 2) + p["layers"][1][0] * p["scale"]


def namedtuple_param(layer, x):
    return np.sum(np.tanh(x @ layer.W + layer.b))


def list_of_namedtuples(layers, x):
    h = x
    for layer in layers:
        h = np.tanh(h @ layer.W + layer.b)
    return np.sum(h)


def dict_literal_inside(x, y):
    d = {"a": x * 2.0, "b": y}
    return np.sum(d["a"] * d["b"])


def list_literal_inside(x):
    parts = [x, x ** 2, np.sin(x)]
    return np.sum(parts[1] + parts[2] * parts[0])


def tuple_literal_inside(x, y):
    t = (x, y * 3.0)
    u, v = t
    return np.sum(u * v)


def loop_over_dict_keys(params):
    total = 0.0
    for k in ["W1", "b1"]:
        total = total + np.sum(params[k] ** 2)
    return total


def list_returned_by_helper_used(x):
    parts = split(x)
    return np.sum(parts[0] * parts[1])


def split(x):
    return [x[:3], x[3:]]


def loop_index_list(ws, x):
    s = 0.0
    for i in range(len(ws)):
        s = s + np.sum(ws[i] * x)
    return s


def strings_and_ints_pass_through(x, name, n, flag):
    if name == "double" and flag:
        x = x * 2.0
    return np.sum(x ** n)


WS = [rng.normal(size=(3, 3)), rng.normal(size=(3, 2))]
BS = [rng.normal(size=3), rng.normal(size=2)]

CASES = [
    (mlp, (PARAMS, X, Y), 0),
    (dict_unused_key, (PARAMS,), 0),
    (dict_len, (PARAMS,), 0),
    (list_of_layers, (WS, BS, X), (0, 1, 2)),
    (list_indexing, ([Y[:3], Y[3:], Y],), 0),
    (tuple_param, ((Y, Y * 2.0),), 0),
    (nested_structure, ({"layers": [Y, (0.5, 2.0)], "scale": 1.5},), 0),
    (namedtuple_param, (Layer(WS[0], BS[0]), X), (0, 1)),
    (list_of_namedtuples, ([Layer(WS[0], BS[0]), Layer(WS[1], BS[1])], X), 0),
    (dict_literal_inside, (Y, 0.5), (0, 1)),
    (list_literal_inside, (Y,), 0),
    (tuple_literal_inside, (Y, Y[::-1].copy()), (0, 1)),
    (loop_over_dict_keys, (PARAMS,), 0),
    (list_returned_by_helper_used, (Y,), 0),
    (loop_index_list, ([Y, Y * 2.0, Y + 1.0], Y), (0, 1)),
    (strings_and_ints_pass_through, (Y, "double", 3, True), 0),
]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_containers(f, args, wrt):
    check(f, *args, wrt=wrt)


def test_structures_are_plain_again():
    g = tg.grad(mlp)(PARAMS, X, Y)
    assert type(g) is dict and set(g) == set(PARAMS)
    assert type(g["b2"]) is float
    layers = tg.grad(list_of_namedtuples)([Layer(WS[0], BS[0]), Layer(WS[1], BS[1])], X)
    assert type(layers) is list and type(layers[0]) is Layer


def loop_over_tuple(pair, x):
    s = 0.0
    for i in range(len(pair)):
        s = s + np.sum(pair[i] * x)
    return s


def test_loop_adds_into_one_slot_of_a_tuple_adjoint():
    check(loop_over_tuple, (Y, Y * 2.0), Y, wrt=(0, 1))
    src = tg.grad(loop_over_tuple).source
    assert "dpair[i] += " in src


def test_loop_over_rows_adds_in_place():
    from test_control_flow import loop_over_rows
    src = tg.grad(loop_over_rows, wrt=1).source
    assert "dX[i] += drow" in src and "unindex" not in src


def loop_over_items(params):
    total = 0.0
    for name, value in params.items():
        total = total + np.sum(value ** 2)
    return total


def loop_over_values(params):
    total = 1.0
    for value in params.values():
        total = total * np.sum(np.tanh(value))
    return total


def loop_over_keys(params):
    total = 0.0
    for k in params.keys():
        total = total + np.sum(params[k] * 3.0)
    return total


@pytest.mark.parametrize("f", [loop_over_items, loop_over_values, loop_over_keys], ids=lambda f: f.__name__)
def test_dict_views(f):
    check(f, {"a": Y[:2], "b": Y[2:], "c": 0.7})


def write_into_local_dict_and_list(x):
    d = {"a": x * 1.0, "b": x * 2.0}
    d["a"] = np.sin(x)
    parts = [x, x * 3.0]
    parts[0] = x ** 2
    return np.sum(d["a"] * d["b"]) + np.sum(parts[0] * parts[1])


def test_writes_into_local_containers():
    check(write_into_local_dict_and_list, Y)
