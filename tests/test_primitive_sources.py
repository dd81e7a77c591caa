"""The generated backward sweep of a few rules, against lines written by hand (not pasted from output)."""
import numpy as np
import scipy.special as sp

import tangentish as tg

W = np.ones((2, 3))


def backward(fn, **kw):
    source = tg.grad(fn, **kw).source
    return [line.strip() for line in source.split("# backward")[1].splitlines() if line.strip()]


def running_total(x):
    return np.sum(np.cumsum(x, axis=1) * W)


def test_cumsum_reads_as_a_reverse_running_sum():
    assert "dx = uncumsum(dcumsum, x, axis=1)" in backward(running_total)


def total_logsumexp(x):
    return sp.logsumexp(x)


def test_logsumexp_weights_are_the_softmax():
    lines = backward(total_logsumexp)
    assert lines[-2] == "dx = unreduce(dtotal_logsumexp, x) * np.exp(x - unreduce(total_logsumexp, x))"


def trace_by_einsum(a):
    return np.einsum("ii->", a)


def test_einsum_repeated_index_puts_the_adjoint_on_the_diagonal():
    lines = backward(trace_by_einsum)
    assert lines[-2] == ("da = einsum_spread(einsum2(einsum_spec('ii->', 0), dtrace_by_einsum, None), "
                         "'ii->', a, 0)")
    g = tg.grad(trace_by_einsum)(np.arange(9.0).reshape(3, 3))
    assert np.array_equal(g, np.eye(3))


def halves(x):
    a, b = np.split(x, 2)
    return np.sum(a * b)


def test_split_adjoints_join_back_and_unused_defaults_are_dropped():
    lines = backward(halves)
    assert "dx = np.concatenate(dsplit)" in lines          # axis=0 is the default: not repeated
    x = np.arange(4.0)
    assert np.array_equal(tg.grad(halves)(x), np.array([2.0, 3.0, 0.0, 1.0]))


def power_spectrum(x):
    return np.sum(np.abs(np.fft.rfft(x)) ** 2)


def test_rfft_adjoint_is_a_padded_fft_and_matches_parseval():
    lines = backward(power_spectrum)
    assert "dx = np.real(np.fft.fft(np.conj(drfft), n=np.shape(x)[-1]))" in lines
    # |rfft(x)|^2 summed counts the inner frequencies of a real signal once: check against a hand sum
    x = np.array([1.0, -2.0, 0.5, 3.0])
    n = len(x)
    by_hand = np.zeros(n)
    for k in range(n // 2 + 1):
        c = np.cos(2 * np.pi * k * np.arange(n) / n)
        s = np.sin(2 * np.pi * k * np.arange(n) / n)
        by_hand += 2 * (c * (c @ x) + s * (s @ x))
    assert np.allclose(tg.grad(power_spectrum)(x), by_hand)
