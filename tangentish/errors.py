"""Errors a user sees.

Every failure to differentiate is a `TransformError` that names the user's file,
line and construct, and says what to do instead.  Nothing in tangentish raises a
bare ValueError: a silent or vague failure is the bug we exist to avoid.
"""
from __future__ import annotations

import contextvars
import linecache
from typing import Optional


class TangentishError(Exception):
    """Base class of every error tangentish raises on purpose."""


class TransformError(TangentishError):
    """The function cannot be differentiated as written.

    Carries the user's ``filename``/``lineno``/``function`` so the message reads
    like a traceback frame, plus a ``hint`` saying what to write instead.
    """

    def __init__(self, message: str, filename: Optional[str] = None,
                 lineno: Optional[int] = None, function: Optional[str] = None,
                 hint: Optional[str] = None):
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.function = function
        self.hint = hint
        super().__init__(self._render())

    def located(self, filename: str, lineno: Optional[int], function: Optional[str]) -> TransformError:
        """The same error, pointing at the user's code (for errors raised at run time)."""
        return type(self)(self.message, filename, lineno, function, self.hint)

    def _render(self) -> str:
        lines = [self.message]
        if self.filename is not None:
            where = f'  File "{self.filename}"'
            if self.lineno is not None:
                where += f", line {self.lineno}"
            if self.function:
                where += f", in {self.function}"
            lines.append(where)
            if self.lineno is not None:
                text = linecache.getline(self.filename, self.lineno).strip()
                if text:
                    lines.append(f"      {text}")
        if self.hint:
            lines.append(f"Hint: {self.hint}")
        return "\n".join(lines)


class GradientShapeError(TangentishError):
    """A value given to a derivative (seed, tangent, custom rule result) has the wrong shape."""


def note_generated_line(error: BaseException, user_fn) -> None:
    """Tell the user where in the generated code, and in which of their functions, ``error`` arose.

    A NumPy error inside a derivative (mismatched shapes, say) would otherwise
    show only a ``<tangentish: ...>`` frame, and Python 3.11 and 3.12 print no
    source text for it at all.  The note quotes the generated line (from
    linecache) and names the user's function.  Notes need Python 3.11+.
    """
    if not hasattr(error, "add_note") or getattr(error, "_tangentish_noted", False):
        return
    tb, generated = error.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith("<tangentish"):
            generated = tb
        tb = tb.tb_next
    if generated is None:
        return
    filename, lineno = generated.tb_frame.f_code.co_filename, generated.tb_lineno
    text = linecache.getline(filename, lineno).strip()
    code = getattr(user_fn, "__code__", None)
    whose = f"`{getattr(user_fn, '__name__', user_fn)}`"
    if code is not None:
        whose += f' (File "{code.co_filename}", line {code.co_firstlineno})'
    error.add_note(f"raised in the derivative of {whose}, at generated line {lineno}:\n    {text}\n"
                   f"(print the gradient's .source to read the whole derivative)")
    error._tangentish_noted = True


#: True while the API differentiates with respect to an integer or bool argument (runtime.one_like
#: then accepts an integer result); a context variable, so threads and nested calls keep their own
INTEGER_WRT = contextvars.ContextVar("tangentish_integer_wrt", default=False)
