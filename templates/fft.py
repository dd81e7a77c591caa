"""Discrete Fourier transforms (``numpy.fft``), with complex adjoints.

Every DFT is linear, so its forward rule is the same transform of the
tangent.  Its adjoint is the conjugate transpose F^H (see complex.py for the
convention).  The DFT matrix is symmetric, so F^H g = conj(F conj(g)): the
adjoint of each transform is the *same* transform wrapped in conjugates,
with the same ``norm``.  A real input takes the real part (``real_like``).
Signatures follow NumPy's, positions included (``np.fft.fft(x, 8)`` is
``n=8``).  ``n``/``s`` crop or zero-pad the input before the transform, so
the adjoint ends with the transpose of that (``resized`` back to the
input's shape); a rule's ``... if n is None else ...`` folds away when the
call gives no length.  irfftn is a complex ifft along the leading axes and
an irfft along the last: its adjoint stays complex between the two and
takes the real part (for a real input) only at the end.
"""
import numpy as np

from tangentish.registry import adjoint, d, linear
from tangentish.runtime import all_axes, axis_sizes, irfft_transpose, leading_axes, real_like, resized, swap_norm


@linear(np.fft.fft, np.fft.ifft)
@adjoint(np.fft.fft)
def fft(y, a, n=None, axis=-1, norm=None):
    d[a] += real_like(np.conj(np.fft.fft(np.conj(d[y]), axis=axis, norm=norm)) if n is None else
                      resized(np.conj(np.fft.fft(np.conj(d[y]), axis=axis, norm=norm)), a), a)


@adjoint(np.fft.ifft)
def ifft(y, a, n=None, axis=-1, norm=None):
    d[a] += real_like(np.conj(np.fft.ifft(np.conj(d[y]), axis=axis, norm=norm)) if n is None else
                      resized(np.conj(np.fft.ifft(np.conj(d[y]), axis=axis, norm=norm)), a), a)


@linear(np.fft.fft2, np.fft.ifft2)
@adjoint(np.fft.fft2)
def fft2(y, a, s=None, axes=(-2, -1), norm=None):
    d[a] += real_like(np.conj(np.fft.fft2(np.conj(d[y]), axes=axes, norm=norm)) if s is None else
                      resized(np.conj(np.fft.fft2(np.conj(d[y]), axes=axes, norm=norm)), a), a)


@adjoint(np.fft.ifft2)
def ifft2(y, a, s=None, axes=(-2, -1), norm=None):
    d[a] += real_like(np.conj(np.fft.ifft2(np.conj(d[y]), axes=axes, norm=norm)) if s is None else
                      resized(np.conj(np.fft.ifft2(np.conj(d[y]), axes=axes, norm=norm)), a), a)


@linear(np.fft.fftn, np.fft.ifftn)
@adjoint(np.fft.fftn)
def fftn(y, a, s=None, axes=None, norm=None):
    """``s`` without ``axes`` transforms the last len(s) axes: ``all_axes`` says which."""
    d[a] += real_like(np.conj(np.fft.fftn(np.conj(d[y]), axes=axes, norm=norm)) if s is None else
                      resized(np.conj(np.fft.fftn(np.conj(d[y]), axes=all_axes(a, axes, s), norm=norm)), a), a)


@adjoint(np.fft.ifftn)
def ifftn(y, a, s=None, axes=None, norm=None):
    d[a] += real_like(np.conj(np.fft.ifftn(np.conj(d[y]), axes=axes, norm=norm)) if s is None else
                      resized(np.conj(np.fft.ifftn(np.conj(d[y]), axes=all_axes(a, axes, s), norm=norm)), a), a)


@linear(np.fft.rfft)
@adjoint(np.fft.rfft)
def rfft(y, a, n=None, axis=-1, norm=None):
    """rfft keeps the first n//2 + 1 rows of F: the adjoint zero-pads them back (``n=``)."""
    d[a] += np.real(np.fft.fft(np.conj(d[y]), n=np.shape(a)[axis], axis=axis, norm=norm)) if n is None else \
        resized(np.real(np.fft.fft(np.conj(d[y]), n=n, axis=axis, norm=norm)), a)


@linear(np.fft.rfft2, np.fft.rfftn)
@adjoint(np.fft.rfft2)
def rfft2(y, a, s=None, axes=(-2, -1), norm=None):
    d[a] += np.real(np.fft.fftn(np.conj(d[y]), s=axis_sizes(a, axes), axes=axes, norm=norm)) if s is None else \
        resized(np.real(np.fft.fftn(np.conj(d[y]), s=s, axes=all_axes(a, axes, s), norm=norm)), a)


@adjoint(np.fft.rfftn)
def rfftn(y, a, s=None, axes=None, norm=None):
    d[a] += np.real(np.fft.fftn(np.conj(d[y]), s=axis_sizes(a, axes), axes=all_axes(a, axes),
                                norm=norm)) if s is None else \
        resized(np.real(np.fft.fftn(np.conj(d[y]), s=s, axes=all_axes(a, axes, s), norm=norm)), a)


@linear(np.fft.irfft)
@adjoint(np.fft.irfft)
def irfft(y, a, n=None, axis=-1, norm=None):
    """The adjoint's length along ``axis`` is ``a``'s: irfft_transpose cuts or pads to it."""
    d[a] += irfft_transpose(d[y], a, axis=axis, norm=norm)


@linear(np.fft.irfft2, np.fft.irfftn)
@adjoint(np.fft.irfft2)
def irfft2(y, a, s=None, axes=(-2, -1), norm=None):
    """irfftn = irfft along the last axis after ifft along the others: transpose both, in reverse.

    The irfft transpose stays complex (``True``) until the ifft transpose is done.
    """
    d[a] += real_like(np.conj(np.fft.ifftn(np.conj(irfft_transpose(d[y], a, all_axes(a, axes)[-1], norm, True)),
                                           axes=leading_axes(a, axes), norm=norm)) if s is None else
                      resized(np.conj(np.fft.ifftn(np.conj(irfft_transpose(d[y], a, all_axes(a, axes, s)[-1], norm,
                                                                           True)),
                                                   axes=leading_axes(a, axes, s), norm=norm)), a), a)


@adjoint(np.fft.irfftn)
def irfftn(y, a, s=None, axes=None, norm=None):
    d[a] += real_like(np.conj(np.fft.ifftn(np.conj(irfft_transpose(d[y], a, all_axes(a, axes)[-1], norm, True)),
                                           axes=leading_axes(a, axes), norm=norm)) if s is None else
                      resized(np.conj(np.fft.ifftn(np.conj(irfft_transpose(d[y], a, all_axes(a, axes, s)[-1], norm,
                                                                           True)),
                                                   axes=leading_axes(a, axes, s), norm=norm)), a), a)


@linear(np.fft.hfft)
@adjoint(np.fft.hfft)
def hfft(y, a, n=None, axis=-1, norm=None):
    """hfft(a) = irfft(conj(a)) with the opposite normalization (norm passed positionally: never dropped)."""
    d[a] += np.conj(irfft_transpose(d[y], a, axis, swap_norm(norm)))


@linear(np.fft.ihfft)
@adjoint(np.fft.ihfft)
def ihfft(y, a, n=None, axis=-1, norm=None):
    """ihfft(a) = conj(rfft(a)) with the opposite normalization."""
    d[a] += np.real(np.fft.fft(d[y], np.shape(a)[axis], axis, swap_norm(norm))) if n is None else \
        resized(np.real(np.fft.fft(d[y], n, axis, swap_norm(norm))), a)


@linear(np.fft.fftshift, np.fft.ifftshift)
@adjoint(np.fft.fftshift)
def fftshift(y, x, axes=None):
    d[x] += np.fft.ifftshift(d[y], axes=axes)


@adjoint(np.fft.ifftshift)
def ifftshift(y, x, axes=None):
    d[x] += np.fft.fftshift(d[y], axes=axes)
